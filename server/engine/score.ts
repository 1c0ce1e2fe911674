// Held-out loss of text under the model (the `score` request): each file from the zero state behind
// its `<|file|>path` header, through the all-positions score graph. With `scoreLastTokens` only the
// file's last N content tokens are scored, and `context` files come first, each behind its header;
// the unscored tokens are fed through the prefill graph (last-position logits only, so long
// contexts cost no [T, V] logits).
import { release } from './deviceState';
import { fileHeader } from './document';
import { badRequest, cancelled } from './errors';
import type { ScoreParams, ScoreResult } from '../protocol/ipc';
import type { Manifest } from './manifest';
import type { ModelRunner } from './model';
import type { CodeTokenizer } from './tokenizer';

export interface ScoreHost {
  manifest: Manifest;
  model: ModelRunner;
  tok: CodeTokenizer;
  modelDir: string;
}

/** Bucket edges of ScoreResult.byPosition, in content tokens: the first tokens of a file (no context
 *  yet), one local-attention window (griffin's 256), a training window (2,048), and beyond. */
export const POSITION_BUCKETS = [0, 16, 64, 256, 1024, 2048, 8192] as const;

/** The bucket of content position `pos` (>= 0): index into POSITION_BUCKETS (the last is open-ended). */
export function positionBucket(pos: number): number {
  let b = 0;
  while (b + 1 < POSITION_BUCKETS.length && pos >= POSITION_BUCKETS[b + 1]) b++;
  return b;
}

/** byPosition from per-bucket sums: the buckets that got tokens, nats per token in each. */
export function positionRows(nats: readonly number[], tokens: readonly number[]): ScoreResult['byPosition'] {
  return POSITION_BUCKETS.flatMap((from, b) =>
    tokens[b] ? [{ from, to: POSITION_BUCKETS[b + 1] ?? null, tokens: tokens[b], natsPerToken: nats[b] / tokens[b] }] : [],
  );
}

/** Index of the first scored token in `[...header, ...content]`: the whole content, or its last `last` tokens. */
export function firstScoredIndex(headerLength: number, contentLength: number, last: number | undefined): number {
  if (last === undefined) return headerLength;
  return headerLength + contentLength - Math.max(0, Math.min(contentLength, last));
}

export async function score(host: ScoreHost, p: ScoreParams, shouldStop: () => boolean): Promise<ScoreResult> {
  const t0 = performance.now();
  const { manifest: m, model, tok } = host;
  const max = m.graphs.score?.maxTokens ?? 1;
  const v = m.vocabSize;
  let nats = 0,
    tokens = 0,
    bytes = 0;
  const bucketNats: number[] = POSITION_BUCKETS.map(() => 0);
  const bucketTokens: number[] = POSITION_BUCKETS.map(() => 0);
  for (const f of p.files) {
    if (f.scoreLastTokens !== undefined && !(Number.isInteger(f.scoreLastTokens) && f.scoreLastTokens >= 0)) {
      throw badRequest(`score: scoreLastTokens must be an integer >= 0, got ${JSON.stringify(f.scoreLastTokens)}`);
    }
    const headerOf = (path: string) => fileHeader(m.specialTokens.file, tok, path);
    const context = (f.context ?? []).flatMap((c) => [...headerOf(c.path), ...tok.encode(c.text)]);
    const header = [...context, ...headerOf(f.path)];
    const content = tok.encode(f.text);
    const ids = [...header, ...content];
    const first = firstScoredIndex(header.length, content.length, f.scoreLastTokens);
    // Tokens whose logits are not needed are fed as context: all before the one predicting `first`
    // (a plain file goes through the score graph from its first token, as before).
    const plain = f.scoreLastTokens === undefined && context.length === 0;
    const contextEnd = plain ? 0 : Math.max(0, first - 1);
    // the context may be fed on the GPU; the score graph runs on the CPU (scoreChunk downloads it)
    let state = contextEnd > 0 ? (await model.feed(ids.slice(0, contextEnd), model.zeroState(), { shouldStop })).state : model.zeroState();
    try {
      for (let at = contextEnd; at < ids.length - 1; at += max) {
        if (shouldStop()) throw cancelled();
        const chunk = ids.slice(at, Math.min(at + max, ids.length - 1));
        const r = await model.scoreChunk(host.modelDir, chunk, state);
        release(state);
        state = r.state;
        for (let i = 0; i < chunk.length; i++) {
          const target = at + i + 1;
          if (target < first) continue; // the header (and any context) is not scored
          const loss = logSoftmaxLoss(r.logits.subarray(i * v, (i + 1) * v), ids[target]);
          const b = positionBucket(target - header.length);
          nats += loss;
          tokens++;
          bucketNats[b] += loss;
          bucketTokens[b]++;
          bytes += tok.tokenBytes[ids[target]].length;
        }
      }
    } finally {
      release(state);
    }
  }
  return {
    nats,
    tokens,
    bytes,
    bitsPerByte: bytes ? nats / Math.LN2 / bytes : 0,
    ms: performance.now() - t0,
    byPosition: positionRows(bucketNats, bucketTokens),
  };
}

/** -log softmax(logits)[target], computed stably. */
export function logSoftmaxLoss(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return Math.log(sum) + max - logits[target];
}
