// Stops a completion where it starts repeating the document below the cursor: models often
// "complete" by re-emitting the lines that already follow.

import type { CompletionContext } from '../context';
import { isBlank, isClosingLine, nextNonBlankLine, splitLines, textThroughLine } from '../../../shared/text';

/** Non-blank lines, trimmed, joined by `\n`: the text with layout ignored. */
function normalized(s: string): string {
  return splitLines(s)
    .map((l) => l.text.trim())
    .filter((t) => t !== '')
    .join('\n');
}

/**
 * Two rules:
 * - a completion line equal (trimmed) to the first non-blank line below the cursor's line is cut,
 *   with everything after it and the blank lines before it. The completion's first line is
 *   compared together with the text before the cursor. A line made only of closing brackets (`}`,
 *   `});`) must also have the same indentation: a `}` closing an inner block is not the `}` below.
 * - a completion whose text (layout ignored) is a prefix of the text after the cursor is dropped:
 *   `foo(║bar)` with `ba`. At the end of a line the comparison includes the text before the cursor,
 *   so `  ret║` with `urn x` repeats a next line `return x;`, but `y = ║` with `x;` does not repeat `x;`.
 */
export function stopAtSuffixRepeat(completion: string, ctx: CompletionContext): string {
  if (normalized(completion) === '') return '';
  // At the end of a line the completion's first line joins the text before the cursor.
  const lead = isBlank(ctx.lineSuffix) ? ctx.linePrefix : '';
  if (normalized(ctx.suffix).startsWith(normalized(lead + completion))) return '';

  const target = nextNonBlankLine(ctx.suffix);
  if (target === undefined) return completion;
  const targetTrim = target.trim();
  const exactIndent = isClosingLine(targetTrim);
  const lines = splitLines(completion);
  let lastContent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = i === 0 ? ctx.linePrefix + lines[0]!.text : lines[i]!.text;
    if (isBlank(line)) continue;
    const same = exactIndent ? line.trimEnd() === target.trimEnd() : line.trim() === targetTrim;
    if (same) return lastContent < 0 ? '' : textThroughLine(completion, lines, lastContent);
    lastContent = i;
  }
  return completion;
}
