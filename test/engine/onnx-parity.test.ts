// onnxruntime-node against the fixture that Python onnxruntime computed from the same shipped graphs
// at export; and the state contract: prefill(T) == T steps, prefill(a)+prefill(b) == prefill(a+b).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../server/engine/manifest';
import { ModelRunner, type State } from '../../server/engine/model';
import { argmax } from '../../server/engine/sampler';
import { modelDir, shippedArchs } from '../helpers/models';

for (const arch of shippedArchs()) {
  const dir = modelDir(arch);
  const manifest = readManifest(dir);
  const fx = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as {
    tokens: number[];
    chunks: number[];
    logitsAfterFirstChunk: string;
    logitsAfterAll: string;
    greedy: number[];
    tolerance: number;
    /** int8 kernels quantize activations per call: results depend slightly on the grouping of tokens into calls. */
    groupingTolerance?: number;
    stateAbsSum: Record<string, number>;
  };
  const f32 = (b64: string) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);

  function relErr(a: Float32Array, b: Float32Array): number {
    assert.equal(a.length, b.length);
    let d = 0,
      s = 0;
    for (let i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
      s = Math.max(s, Math.abs(b[i]));
    }
    return s === 0 ? d : d / s; // an all-zero state (e.g. linearized s_prev before the first full group) compares absolutely
  }
  const GROUP_TOL = fx.groupingTolerance ?? 1e-3;
  const absSum = (st: State, name: string) => (st.get(name)!.data as Float32Array).reduce((a, x) => a + Math.abs(x), 0);

  let runner: ModelRunner;
  test.before(async () => {
    runner = await ModelRunner.load(dir, manifest, 'cpu', 0, () => {});
  });
  test.after(async () => {
    await runner.release();
  });

  test(`${arch}: chunked prefill matches the Python onnxruntime fixture`, async () => {
    const [a] = fx.chunks;
    const r1 = await runner.feed(fx.tokens.slice(0, a), runner.zeroState());
    assert.ok(relErr(r1.logits!, f32(fx.logitsAfterFirstChunk)) < fx.tolerance);
    const r2 = await runner.feed(fx.tokens.slice(a), r1.state);
    assert.ok(relErr(r2.logits!, f32(fx.logitsAfterAll)) < fx.tolerance, `err ${relErr(r2.logits!, f32(fx.logitsAfterAll))}`);
    for (const s of manifest.state) {
      const want = fx.stateAbsSum[s.name];
      assert.ok(Math.abs(absSum(r2.state, s.name) - want) <= 1e-3 * Math.max(1, want), `state ${s.name}`);
    }
  });

  test(`${arch}: greedy decoding with the step graph reproduces the fixture tokens`, async () => {
    let { logits, state } = await runner.feed(fx.tokens, runner.zeroState());
    const got: number[] = [];
    for (let i = 0; i < fx.greedy.length; i++) {
      const id = argmax(logits!);
      got.push(id);
      ({ logits, state } = await runner.step(id, state));
    }
    assert.deepEqual(got, fx.greedy);
  });

  test(`${arch}: prefill of T tokens equals T single steps`, async () => {
    const ids = fx.tokens.slice(0, 40);
    const pre = await runner.feed(ids, runner.zeroState());
    let st = runner.zeroState();
    let lg: Float32Array | undefined;
    for (const id of ids) ({ logits: lg, state: st } = await runner.step(id, st));
    assert.ok(relErr(lg!, pre.logits!) < GROUP_TOL, `err ${relErr(lg!, pre.logits!)}`);
    assert.equal(argmax(lg!), argmax(pre.logits!));
    for (const s of manifest.state) {
      const a = st.get(s.name)!.data as Float32Array,
        b = pre.state.get(s.name)!.data as Float32Array;
      assert.ok(relErr(a, b) < GROUP_TOL, `state ${s.name}: ${relErr(a, b)}`);
    }
  });

  test(`${arch}: prefill(a) then prefill(b) equals prefill(a+b), for several splits`, async () => {
    const whole = await runner.feed(fx.tokens, runner.zeroState());
    for (const split of [1, 7, 31, 63]) {
      const a = await runner.feed(fx.tokens.slice(0, split), runner.zeroState());
      const b = await runner.feed(fx.tokens.slice(split), a.state);
      assert.ok(relErr(b.logits!, whole.logits!) < GROUP_TOL, `split ${split}: ${relErr(b.logits!, whole.logits!)}`);
    }
  });

  test(`${arch}: prompts longer than one prefill chunk are split and continue the state`, async () => {
    const max = manifest.graphs.prefill.maxTokens;
    const ids = Array.from({ length: max + 37 }, (_, i) => fx.tokens[i % fx.tokens.length]);
    const once = await runner.feed(ids, runner.zeroState());
    const a = await runner.feed(ids.slice(0, 100), runner.zeroState());
    const b = await runner.feed(ids.slice(100), a.state);
    assert.ok(relErr(b.logits!, once.logits!) < GROUP_TOL, `err ${relErr(b.logits!, once.logits!)}`);
  });
}
