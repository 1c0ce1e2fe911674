// How well a model is trained, in words, from its manifest: what `statewise models` and the
// architecture picker tell a user. Pure.

/** Below this many training tokens a model answers, but poorly (the zoo's short runs). */
export const WELL_TRAINED_TOKENS = 100e6;

/** One line on what each architecture is. */
export const ARCH_SUMMARY: Readonly<Record<string, string>> = {
  griffin: 'recurrent (RG-LRU) + attention over the last 256 tokens',
  hawk: 'recurrent (RG-LRU) only: the smallest state, fastest, weaker',
  based: 'Taylor linear attention + a short sliding window',
  alibi: 'softmax transformer (the baseline), cache capped at 2,048 tokens',
  linearized: 'augmented linear attention (conv, grouped attention)',
};

/** Tokens the model was trained on, over all its runs (manifest training.tokens_total, else tokens_seen). */
export function trainedTokens(manifest: unknown): number | undefined {
  const t = (manifest as { training?: { tokens_total?: unknown; tokens_seen?: unknown } } | undefined)?.training;
  const n = t?.tokens_total ?? t?.tokens_seen;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function trainingNote(tokens: number | undefined): string {
  if (tokens === undefined) return 'training unknown';
  const m = tokens >= 10e6 ? `${Math.round(tokens / 1e6)}M` : `${(tokens / 1e6).toFixed(1)}M`;
  return tokens >= WELL_TRAINED_TOKENS ? `trained on ${m} tokens` : `trained on ${m} tokens only: weak answers`;
}
