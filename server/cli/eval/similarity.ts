// How close a completion is to the text that was really there: exact match and edit similarity.

/** Levenshtein distance (insert, delete, substitute: 1 each) over UTF-16 code units. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length < b.length) [a, b] = [b, a];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** 1 - levenshtein / length of the longer string, in [0, 1]; two empty strings are identical (1). */
export function editSimilarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  return n === 0 ? 1 : 1 - levenshtein(a, b) / n;
}

/** Both sides as compared: trailing whitespace does not count (the editor trims it anyway). */
export function normalizeLine(s: string): string {
  return s.replace(/\s+$/, '');
}
