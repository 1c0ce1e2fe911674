// What the completion pipeline knows about the cursor: built once per request from the document
// text and the cursor offset (UTF-16 code units, as LSP positions count by default).

import { leadingWhitespace } from '../../shared/text';

export interface CompletionContext {
  /** Document text before the cursor. */
  prefix: string;
  /** Document text after the cursor. */
  suffix: string;
  languageId: string;
  /** Current line before the cursor (no line break). */
  linePrefix: string;
  /** Current line after the cursor (no line break, no `\r`). */
  lineSuffix: string;
  /** Leading whitespace of the current line. */
  indent: string;
}

/**
 * Splits `text` at `offset` (clamped to the text; an offset inside a surrogate pair moves before
 * it). A cursor between `\r` and `\n` counts as the end of its line.
 */
export function buildContext(text: string, offset: number, languageId: string): CompletionContext {
  let at = Number.isFinite(offset) ? Math.max(0, Math.min(text.length, Math.trunc(offset))) : 0;
  if (at > 0 && at < text.length) {
    const hi = text.charCodeAt(at - 1);
    const lo = text.charCodeAt(at);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) at--;
  }
  const prefix = text.slice(0, at);
  const suffix = text.slice(at);
  const linePrefix = prefix.slice(prefix.lastIndexOf('\n') + 1).replace(/\r$/, '');
  const nl = suffix.indexOf('\n');
  const lineSuffix = (nl < 0 ? suffix : suffix.slice(0, nl)).replace(/\r$/, '');
  return { prefix, suffix, languageId, linePrefix, lineSuffix, indent: leadingWhitespace(linePrefix + lineSuffix) };
}
