// The ingest graph (manifest graphs.ingest) against the prefill graph on the real onnxruntime-node, CPU:
// one 600-token ingest call gives the last logits and the state that prefill gives in its chunks of
// 256 (256 + 256 + 88), within the fixture's groupingTolerance (int8 kernels quantize activations per
// call, so the grouping of tokens into calls moves results slightly). Every shipped model with an
// ingest graph is checked; the engine opens it only on providers other than the CPU (model.ts). The same
// for the blocked ingest graph (graphs.ingestBlocked: calls of a multiple of multipleOf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestFiles, readManifest, type Manifest } from '../../server/engine/manifest';
import { CodeTokenizer } from '../../server/engine/tokenizer';
import { argmax } from '../../server/engine/sampler';
import { DEFAULT_ARCH, modelDir, REPO, shippedArchs } from '../helpers/models';

const TOKENS = 600;

function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return s === 0 ? d : d / s;
}

/** One call: tokens + state in, the last position's logits and the state out (on the CPU). */
async function call(
  m: Manifest,
  s: ort.InferenceSession,
  ids: readonly number[],
  state: Map<string, ort.Tensor>,
): Promise<{ logits: Float32Array; state: Map<string, ort.Tensor> }> {
  const feeds: Record<string, ort.Tensor> = {
    [m.inputs.tokens]: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (x) => BigInt(x)),
      [1, ids.length],
    ),
  };
  for (const st of m.state) feeds[st.input] = state.get(st.name)!;
  const out = await s.run(feeds);
  const lg = out[m.outputs.logits]!.data as Float32Array;
  return {
    logits: lg.subarray(lg.length - m.vocabSize),
    state: new Map(m.state.map((st) => [st.name, out[st.output]!])),
  };
}

/** The model's own tolerance for regrouping tokens into calls (fixture.json), and a CPU session of a graph. */
function groupingTolerance(dir: string): number {
  const fx = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as { groupingTolerance?: number };
  return fx.groupingTolerance ?? 1e-3;
}
const openCpu = (dir: string, file: string) => ort.InferenceSession.create(join(dir, file), { executionProviders: ['cpu'] });

/** The first n tokens of this repository's README under the model's own tokenizer: real text. */
function readmeIds(dir: string, m: Manifest, n: number): number[] {
  const tok = CodeTokenizer.fromFile(manifestFiles(dir, m).get(m.tokenizer)!);
  const ids = tok.encode(readFileSync(join(REPO, 'README.md'), 'utf8')).slice(0, n);
  assert.equal(ids.length, n);
  return ids;
}

function zeroState(m: Manifest): Map<string, ort.Tensor> {
  return new Map(m.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]));
}

/** Every state tensor of `a` within `tol` (relative) of `b`'s. */
function assertStatesClose(m: Manifest, a: Map<string, ort.Tensor>, b: Map<string, ort.Tensor>, tol: number): void {
  const errs: string[] = [];
  for (const s of m.state) {
    const err = relErr(a.get(s.name)!.data as Float32Array, b.get(s.name)!.data as Float32Array);
    if (!(err < tol)) errs.push(`${s.name}: ${err}`);
  }
  assert.deepEqual(errs, [], `states beyond groupingTolerance ${tol}`);
}

const withIngest = shippedArchs().filter((a) => readManifest(modelDir(a)).graphs.ingest !== undefined);

test('the default model ships an ingest graph to check', () => {
  assert.ok(withIngest.includes(DEFAULT_ARCH), `${DEFAULT_ARCH}'s manifest names graphs.ingest`);
});

for (const arch of withIngest) {
  test(`${arch}: one ${TOKENS}-token ingest call equals prefill in chunks of its maxTokens`, async (t) => {
    const dir = modelDir(arch);
    const m = readManifest(dir);
    const g = m.graphs.ingest!;
    const max = m.graphs.prefill.maxTokens;
    assert.ok(g.maxTokens >= TOKENS, `ingest.maxTokens ${g.maxTokens} covers the ${TOKENS}-token call`);
    assert.ok(max < TOKENS, `prefill (${max}) needs several chunks`);
    const tol = groupingTolerance(dir);
    const prefill = await openCpu(dir, m.graphs.prefill.file);
    const ingest = await openCpu(dir, g.file);
    t.after(() => Promise.all([prefill.release(), ingest.release()]));
    const ids = readmeIds(dir, m, TOKENS);

    const once = await call(m, ingest, ids, zeroState(m));
    let chunked: Awaited<ReturnType<typeof call>> = { logits: new Float32Array(), state: zeroState(m) };
    const sizes: number[] = [];
    for (let i = 0; i < ids.length; i += max) {
      sizes.push(Math.min(max, ids.length - i));
      chunked = await call(m, prefill, ids.slice(i, i + max), chunked.state);
    }
    if (max === 256) assert.deepEqual(sizes, [256, 256, 88]);

    const e = relErr(once.logits, chunked.logits);
    assert.ok(e < tol, `logits: relative error ${e} >= ${tol}`);
    assert.equal(argmax(once.logits), argmax(chunked.logits));
    assertStatesClose(m, once.state, chunked.state, tol);
  });
}

const withBlocked = shippedArchs().filter((a) => readManifest(modelDir(a)).graphs.ingestBlocked !== undefined);

test('the default model ships a blocked ingest graph to check', () => {
  assert.ok(withBlocked.includes(DEFAULT_ARCH), `${DEFAULT_ARCH}'s manifest names graphs.ingestBlocked`);
});

for (const arch of withBlocked) {
  test(`${arch}: blocked ingest calls (multiples of multipleOf) equal prefill in chunks, from the zero state and after it`, async (t) => {
    const dir = modelDir(arch);
    const m = readManifest(dir);
    const g = m.graphs.ingestBlocked!;
    const max = m.graphs.prefill.maxTokens;
    const n = 3 * g.multipleOf; // 768 for griffin: three attention windows, several scan chunks
    assert.ok(g.maxTokens >= n, `ingestBlocked.maxTokens ${g.maxTokens} covers the ${n}-token call`);
    const tol = groupingTolerance(dir);
    const prefill = await openCpu(dir, m.graphs.prefill.file);
    const blocked = await openCpu(dir, g.file);
    t.after(() => Promise.all([prefill.release(), blocked.release()]));
    const ids = readmeIds(dir, m, 2 * n);

    // two blocked calls in a row (the second starts from the first's state: a full window and a
    // non-zero recurrence), against prefill over the same 2n tokens
    const first = await call(m, blocked, ids.slice(0, n), zeroState(m));
    const second = await call(m, blocked, ids.slice(n), first.state);
    let chunked: Awaited<ReturnType<typeof call>> = { logits: new Float32Array(), state: zeroState(m) };
    let afterFirst: Float32Array | undefined;
    for (let i = 0; i < ids.length; i += max) {
      chunked = await call(m, prefill, ids.slice(i, i + max), chunked.state);
      if (i + max === n) afterFirst = chunked.logits.slice();
    }
    assert.ok(afterFirst, `prefill's chunks of ${max} end at ${n}`);
    for (const [what, a, b] of [
      ['logits after the first call', first.logits, afterFirst],
      ['logits after the second call', second.logits, chunked.logits],
    ] as const) {
      const e = relErr(a, b);
      assert.ok(e < tol, `${what}: relative error ${e} >= ${tol}`);
      assert.equal(argmax(a), argmax(b), what);
    }
    assertStatesClose(m, second.state, chunked.state, tol);
  });
}
