// Small numeric summaries shared by scripts/gpu-placement.mjs and its parts: the median of a list of
// timings, and a check of a logits array (non-finite values, largest magnitude).
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[s.length >> 1].toFixed(3) : null;
};

export const logitStats = (x) => {
  let bad = 0;
  let absMax = 0;
  for (const v of x) {
    if (Number.isFinite(v)) absMax = Math.max(absMax, Math.abs(v));
    else bad++;
  }
  return { nonFinite: bad, absMax: +absMax.toFixed(4) };
};
