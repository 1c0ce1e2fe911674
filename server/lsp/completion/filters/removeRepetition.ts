// Cuts the loops small models fall into: the same line again and again, or a short pattern
// repeated until the token budget runs out.

import type { CompletionContext } from '../context';
import { isBlank, previousNonBlankLine, safeCut, splitLines, textThroughLine } from '../../../shared/text';

/** Identical consecutive non-blank lines from which the repetition is cut (keeping the first). */
export const MAX_SAME_LINES = 3;
/** Times a 2–20 character pattern must repeat at the end of the completion to be cut. */
export const MIN_PATTERN_REPEATS = 4;
/** Times a single character must repeat: much higher, since `))))`, `0000` or `FFFF` are ordinary code. */
export const MIN_CHAR_REPEATS = 32;
const MAX_PATTERN = 20;

/** The completion's lines as they will read in the document: the first joined to the text before the cursor. */
function documentLines(completion: string, ctx: CompletionContext): string[] {
  return splitLines(completion).map((l, i) => (i === 0 ? ctx.linePrefix + l.text : l.text).trimEnd());
}

/**
 * Keeps the first of MAX_SAME_LINES+ identical consecutive non-blank lines (indentation counts),
 * cutting the rest. The cursor's line counts as it will read, text before the cursor included.
 */
function cutRepeatedLines(completion: string, ctx: CompletionContext): string {
  const lines = splitLines(completion);
  const doc = documentLines(completion, ctx);
  let runStart = -1;
  let count = 0;
  for (let i = 0; i < doc.length; i++) {
    const line = doc[i]!;
    if (isBlank(line)) continue;
    if (runStart >= 0 && line === doc[runStart]) {
      if (++count >= MAX_SAME_LINES) return textThroughLine(completion, lines, runStart);
    } else {
      runStart = i;
      count = 1;
    }
  }
  return completion;
}

function isPrimitive(p: string): boolean {
  return (p + p).indexOf(p, 1) === p.length;
}

/**
 * Cuts a pattern of 2–20 characters repeated MIN_PATTERN_REPEATS+ times (or one character
 * MIN_CHAR_REPEATS+ times) at the very end of the completion, keeping its first occurrence. Only
 * patterns holding a letter or `_` count: `0, 0, 0, 0` or `----` are plausible code, `a, a, a, a` is a loop.
 */
function cutRepeatedTail(completion: string): string {
  const t = completion.trimEnd();
  const n = t.length;
  for (let p = 1; p <= MAX_PATTERN && 2 * p <= n; p++) {
    let run = 0;
    while (run + p < n && t.charCodeAt(n - 1 - run) === t.charCodeAt(n - 1 - run - p)) run++;
    const repeats = Math.floor((run + p) / p);
    if (repeats < (p === 1 ? MIN_CHAR_REPEATS : MIN_PATTERN_REPEATS)) continue;
    const pattern = t.slice(n - p);
    if (!/[\p{L}_]/u.test(pattern) || !isPrimitive(pattern)) continue;
    return completion.slice(0, safeCut(t, n - run));
  }
  return completion;
}

/** Whether every non-blank line the completion writes equals (indentation included) the line above the cursor. */
function onlyRepeatsPreviousLine(completion: string, ctx: CompletionContext): boolean {
  const prev = previousNonBlankLine(ctx.prefix)?.trimEnd();
  if (prev === undefined) return false;
  const lines = splitLines(completion);
  const doc = documentLines(completion, ctx);
  let any = false;
  for (let i = 0; i < doc.length; i++) {
    if (isBlank(lines[i]!.text)) continue;
    if (doc[i] !== prev) return false;
    any = true;
  }
  return any;
}

/** Lines in a block that must hold a letter for an immediate copy of the block to count as a loop. */
export const MIN_BLOCK_WORD_LINES = 2;

/**
 * Cuts the second copy of a block of 2+ lines written twice in a row (indentation counts), keeping
 * the first: `if (x) {` `return;` `}` and the same three lines again. A block needs
 * MIN_BLOCK_WORD_LINES lines with a letter, so `}` `}` closers never count.
 */
function cutRepeatedBlock(completion: string, ctx: CompletionContext): string {
  const lines = splitLines(completion);
  const doc = documentLines(completion, ctx);
  for (let end = 2; end <= doc.length; end++) {
    for (let size = 2; 2 * size <= end; size++) {
      const a = end - 2 * size;
      let same = true;
      for (let k = 0; k < size && same; k++) same = doc[a + k] === doc[a + size + k];
      if (!same) continue;
      const words = doc.slice(a, a + size).filter((l) => /[\p{L}_]/u.test(l)).length;
      if (words >= MIN_BLOCK_WORD_LINES) return textThroughLine(completion, lines, a + size - 1);
    }
  }
  return completion;
}

/**
 * In order: cut repeated lines and blocks, cut a repeated pattern at the end, then drop the
 * completion if what is left only repeats the line above the cursor.
 */
export function removeRepetition(completion: string, ctx: CompletionContext): string {
  const cut = cutRepeatedTail(cutRepeatedBlock(cutRepeatedLines(completion, ctx), ctx));
  return onlyRepeatsPreviousLine(cut, ctx) ? '' : cut;
}
