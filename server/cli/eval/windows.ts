// Windows for the extrapolation eval: a target span of about one training length, and windows of
// 1x, 2x, 4x, 8x the training length that end with it. Every window is scored from the zero state
// and only its target tokens are scored, so all windows measure the same tokens and differ only in
// how much context precedes them.
//
// Windows are whole lines, each written "\n" + line: since no token spans a line start, a window's
// tokens are the concatenation of its lines' tokens (cost[i] = tokens of "\n" + lines[i]), and the
// target's tokens are the same in every window.

export const FACTORS: readonly number[] = [1, 2, 4, 8];

export interface Region {
  file: number;
  /** Target lines [targetStart, end). */
  targetStart: number;
  end: number;
  targetTokens: number;
  /** Per factor: the window's first line and its tokens (target included). */
  windows: { factor: number; start: number; tokens: number }[];
}

/** Text of lines [start, end), each line led by "\n". */
export function windowText(lines: readonly string[], start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += '\n' + lines[i];
  return s;
}

/** Extends a span that starts at `start` backwards by whole lines while its tokens stay <= budget. */
function growBack(cost: readonly number[], start: number, tokens: number, budget: number): { start: number; tokens: number } {
  while (start > 0 && tokens + cost[start - 1] <= budget) tokens += cost[--start];
  return { start, tokens };
}

/** Regions of one file, from its end backwards: each target ends where the previous one starts,
 *  as long as the largest window still holds at least `fill` of its budget. */
export function fileRegions(
  file: number,
  cost: readonly number[],
  trainLength: number,
  factors: readonly number[] = FACTORS,
  fill = 0.9,
): Region[] {
  const out: Region[] = [];
  const largest = Math.max(...factors);
  let end = cost.length;
  while (end > 0) {
    const target = growBack(cost, end, 0, trainLength);
    if (target.start === end) {
      end--;
      continue;
    } // one line longer than the training length
    const windows = factors.map((factor) => ({ factor, ...growBack(cost, target.start, target.tokens, factor * trainLength) }));
    if (windows.find((w) => w.factor === largest)!.tokens < fill * largest * trainLength) break;
    out.push({ file, targetStart: target.start, end, targetTokens: target.tokens, windows });
    end = target.start;
  }
  return out;
}

/** Up to `max` regions, taken from the files in turn (the last region of each file first). */
export function planRegions(
  costs: readonly (readonly number[])[],
  trainLength: number,
  max: number,
  factors: readonly number[] = FACTORS,
): Region[] {
  const perFile = costs.map((c, i) => fileRegions(i, c, trainLength, factors));
  const out: Region[] = [];
  for (let round = 0; out.length < max && perFile.some((r) => r.length > round); round++) {
    for (const r of perFile) if (r[round] && out.length < max) out.push(r[round]);
  }
  return out;
}
