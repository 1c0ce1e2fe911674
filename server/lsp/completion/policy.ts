// When to ask for one line or several, and when an automatic trigger is not worth a request.

import type { Settings } from '../../shared/settings';
import type { CompletionContext } from './context';

export type CompletionMode = 'single' | 'multi';
export type MultilineSetting = Settings['completion.multiline'];

/** Text right of the cursor that still counts as an empty line: whitespace, closing brackets, quotes, `;`, `,`. */
const CLOSERS_ONLY = /^[\s)\]}'"`;,]*$/;

/**
 * Whether the line before the cursor ends (ignoring trailing whitespace) with something that opens
 * a block or a value: `{`, `(`, `[`, `=>`, an assignment `=` (not `==`, `!=`, `<=`, `>=`), or in
 * Python a `:`.
 */
export function endsWithOpener(linePrefix: string, languageId: string): boolean {
  const t = linePrefix.trimEnd();
  if (/(?:[{([]|=>|(?<![=!<>])=)$/.test(t)) return true;
  return languageId === 'python' && t.endsWith(':');
}

/**
 * `always`/`never` force the mode. `auto` asks for several lines when the rest of the line is
 * empty (whitespace, closing brackets or quotes only) and the text before the cursor is blank or
 * ends with an opener; otherwise one line.
 */
export function decideMode(ctx: CompletionContext, setting: MultilineSetting): CompletionMode {
  if (setting === 'always') return 'multi';
  if (setting === 'never') return 'single';
  const restEmpty = CLOSERS_ONLY.test(ctx.lineSuffix);
  const startsBlock = ctx.linePrefix.trim() === '' || endsWithOpener(ctx.linePrefix, ctx.languageId);
  return restEmpty && startsBlock ? 'multi' : 'single';
}

/** Most non-whitespace characters (closing brackets and quotes aside) right of the cursor for an automatic trigger. */
export const MAX_AUTO_TRIGGER_LINE_SUFFIX = 8;

/**
 * True when an automatic trigger should not request a completion: the text right of the cursor on
 * this line holds more than 8 non-whitespace characters, not counting closing brackets, quotes,
 * `;` and `,` (a completion in the middle of code rarely fits). Manual triggers ignore this.
 */
export function shouldSkipAutoTrigger(ctx: CompletionContext): boolean {
  const significant = ctx.lineSuffix.replace(/[\s)\]}'"`;,]/g, '');
  return [...significant].length > MAX_AUTO_TRIGGER_LINE_SUFFIX;
}
