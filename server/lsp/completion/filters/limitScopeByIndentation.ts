// Multi-line mode: keep the completion inside the block the cursor is in, judged by indentation.

import type { CompletionContext } from '../context';
import { endsWithOpener } from '../policy';
import {
  indentWidth,
  isBlank,
  isClosingLine,
  leadingWhitespace,
  nextNonBlankLine,
  splitLines,
  startsWithCloser,
  textThroughLine,
} from '../../../shared/text';

/**
 * Whether the document after the cursor already closes a block whose closing line would sit at
 * indentation `width`: the rest of the cursor's line starts with a closing bracket (`{║}`), or the
 * first non-blank line below starts with one at exactly that indentation.
 */
function suffixCloses(ctx: CompletionContext, width: number): boolean {
  const rest = ctx.lineSuffix.trim();
  if (rest !== '') return startsWithCloser(rest);
  const next = nextNonBlankLine(ctx.suffix);
  return next !== undefined && startsWithCloser(next.trim()) && indentWidth(leadingWhitespace(next)) === width;
}

/**
 * The scope, from the cursor's line:
 * - it ends with an opener (`{`, `(`, `[`, `=`, `=>`, Python `:`): the completion is the body, so
 *   later lines must be indented deeper than the cursor's line;
 * - it is blank before the cursor: the completion continues the current block, so later lines must
 *   be indented at least as deep as the completion's first non-blank line;
 * - otherwise (mid-statement): later lines must be indented at least as deep as the cursor's line.
 *
 * The first line out of scope ends the completion (blank lines before it go too), except a line of
 * closing brackets only (`}`, `});`), which is kept, as the last line, when the suffix does not
 * already close that block. The completion's first line (the rest of the cursor's line) is never cut.
 */
export function limitScopeByIndentation(completion: string, ctx: CompletionContext): string {
  const lines = splitLines(completion);
  if (lines.length < 2) return completion;

  let base: number;
  let allowEqual: boolean;
  if (endsWithOpener(ctx.linePrefix, ctx.languageId)) {
    base = indentWidth(ctx.indent);
    allowEqual = false;
  } else if (isBlank(ctx.linePrefix)) {
    const first = lines.findIndex((l, i) => !isBlank(i === 0 ? ctx.linePrefix + l.text : l.text));
    if (first < 0) return completion;
    base = indentWidth(leadingWhitespace(first === 0 ? ctx.linePrefix + lines[0]!.text : lines[first]!.text));
    allowEqual = true;
  } else {
    base = indentWidth(ctx.indent);
    allowEqual = true;
  }

  let lastKept = 0;
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (isBlank(text)) continue;
    const width = indentWidth(leadingWhitespace(text));
    if (allowEqual ? width >= base : width > base) {
      lastKept = i;
      continue;
    }
    if (isClosingLine(text.trim()) && !suffixCloses(ctx, width)) return textThroughLine(completion, lines, i);
    return textThroughLine(completion, lines, lastKept);
  }
  return completion;
}
