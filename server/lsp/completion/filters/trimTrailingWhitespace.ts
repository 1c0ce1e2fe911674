// Removes whitespace the user would not want inserted, and drops completions with nothing else.

import type { CompletionContext } from '../context';

/**
 * - Whitespace-only (or empty) completion: dropped.
 * - Rest of the cursor's line blank: all trailing whitespace goes, trailing line breaks included.
 * - Rest of the line starts with whitespace: trailing spaces and tabs go (the line supplies its own).
 * - Rest of the line starts with other text: kept as is, since `a, ║b)` needs the space in `a, `.
 */
export function trimTrailingWhitespace(completion: string, ctx: CompletionContext): string {
  if (completion.trim() === '') return '';
  if (ctx.lineSuffix.trim() === '') return completion.trimEnd();
  if (/^\s/.test(ctx.lineSuffix)) return completion.replace(/[ \t]+$/, '');
  return completion;
}
