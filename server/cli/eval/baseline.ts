// The trivial baseline of `statewise eval lines`: copy the rest of the most similar earlier line.
// What a completion must beat to be worth a model at all. Pure.

/**
 * Among the lines above the cursor (nearest first), the first whose code starts with the code typed
 * on the cursor's line and goes on; the completion is the rest of that line. Lines at the cursor's
 * indentation are preferred (a new line after Enter copies the nearest line of its block). '' when
 * no earlier line fits.
 */
export function copyEarlierLine(prefix: string): string {
  const nl = prefix.lastIndexOf('\n');
  const current = prefix.slice(nl + 1);
  const indent = current.length - current.trimStart().length;
  const typed = current.trimStart();
  if (nl < 0) return '';
  const above = prefix.slice(0, nl).split('\n');
  let fallback = '';
  for (let i = above.length - 1; i >= 0; i--) {
    const line = above[i]!.replace(/\s+$/, '');
    const code = line.trimStart();
    if (code.length <= typed.length || !code.startsWith(typed)) continue;
    const rest = code.slice(typed.length);
    if (line.length - code.length === indent) return rest;
    if (fallback === '') fallback = rest;
  }
  return fallback;
}
