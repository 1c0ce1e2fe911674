// Choosing the next token from logits: greedy, or temperature + nucleus (top-p) sampling.

export type Rng = () => number;

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Samples from softmax(logits / temperature) restricted to the smallest set of tokens whose mass
 *  reaches topP (candidates limited to the 256 most likely). temperature <= 0 is greedy. */
export function sample(logits: ArrayLike<number>, temperature: number, topP: number, rng: Rng, banned?: ReadonlySet<number>): number {
  if (temperature <= 0) return argmaxAllowed(logits, banned);
  const idx: number[] = [];
  for (let i = 0; i < logits.length; i++) if (!banned?.has(i)) idx.push(i);
  idx.sort((a, b) => logits[b] - logits[a]);
  idx.length = Math.min(idx.length, 256);
  const max = logits[idx[0]];
  const w = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let keep = 0;
  let mass = 0;
  while (keep < w.length && mass < topP * total) mass += w[keep++];
  let r = rng() * mass;
  for (let j = 0; j < keep; j++) {
    r -= w[j];
    if (r <= 0) return idx[j];
  }
  return idx[keep - 1];
}

function argmaxAllowed(logits: ArrayLike<number>, banned?: ReadonlySet<number>): number {
  if (!banned?.size) return argmax(logits);
  let best = -1;
  for (let i = 0; i < logits.length; i++) if (!banned.has(i) && (best < 0 || logits[i] > logits[best])) best = i;
  return best;
}

/** Small deterministic PRNG (mulberry32) so sampled alternatives are reproducible. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `k` most likely tokens under `logits` with their probabilities (softmax over all), most likely first. */
export function topTokens(logits: ArrayLike<number>, k: number): { id: number; p: number }[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (best.length < k || logits[i] > logits[best[best.length - 1]]) {
      best.push(i);
      best.sort((a, b) => logits[b] - logits[a]);
      if (best.length > k) best.pop();
    }
  }
  return best.map((id) => ({ id, p: Math.exp(logits[id] - max) / z }));
}
