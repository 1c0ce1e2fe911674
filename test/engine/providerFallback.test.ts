// Execution providers on the real onnxruntime-node and the real default model: a provider that cannot
// initialise (WebGPU on a machine without a GPU adapter, as in CI) falls back to the CPU with the
// reason; `auto` times real sessions, keeps the chosen ones and releases the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { readManifest } from '../../server/engine/manifest';
import { ModelRunner } from '../../server/engine/model';
import type { GraphPair } from '../../server/engine/providerSessions';
import { cpuLoad } from '../helpers/engineRequests';
import { DEFAULT_ARCH, modelDir } from '../helpers/models';

const dir = modelDir(DEFAULT_ARCH);
const m = readManifest(dir);
const ids = Array.from({ length: 300 }, (_, i) => 200 + ((i * 37) % 5000));

/** The default model's step and prefill graphs on the CPU: one real session pair. */
const open = async () => ({
  step: await ort.InferenceSession.create(join(dir, m.graphs.step.file), { executionProviders: ['cpu'] }),
  prefill: await ort.InferenceSession.create(join(dir, m.graphs.prefill.file), { executionProviders: ['cpu'] }),
});

/** WebGPU really initialises here (a GPU machine): the fallback cannot be seen. */
async function webgpuWorks(): Promise<boolean> {
  try {
    const s = await ort.InferenceSession.create(join(dir, m.graphs.step.file), { executionProviders: ['webgpu'] });
    await s.release();
    return true;
  } catch {
    return false;
  }
}

test('webgpu requested where it cannot initialise: the CPU runs every job, the reason is logged and reported', async (t) => {
  if (await webgpuWorks()) return t.skip('WebGPU initialises on this machine');
  const logs: string[] = [];
  const r = await ModelRunner.load(dir, m, 'webgpu', 0, (s) => logs.push(s));
  t.after(() => r.release());
  assert.equal(r.ep, 'cpu');
  assert.deepEqual(r.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.match(r.epReason, /^webgpu requested but unavailable \(.+\); cpu runs every job$/);
  assert.doesNotMatch(r.epReason, /\.cc:\d+/); // onnxruntime's source location is cut
  assert.deepEqual(logs, [r.epReason]);
  assert.ok((await r.step(100, r.zeroState())).logits.every(Number.isFinite));

  // the same through the engine's load: what statewise/info and the status report
  const engineLogs: string[] = [];
  const e = new Engine((level, msg) => engineLogs.push(`${level}: ${msg}`));
  const res = await e.load(cpuLoad(dir, { ep: 'webgpu' }));
  assert.equal(res.ep, 'cpu');
  assert.deepEqual(res.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.match(res.epReason, /webgpu requested but unavailable/);
  assert.ok(
    engineLogs.some((l) => /^info: webgpu requested but unavailable/.test(l)),
    engineLogs.join('\n'),
  );
});

test('auto where only the CPU initialises: cpu for every job, nothing timed, the reason names the failure', async (t) => {
  if (await webgpuWorks()) return t.skip('WebGPU initialises on this machine');
  const logs: string[] = [];
  const r = await ModelRunner.load(dir, m, 'auto', 0, (s) => logs.push(s));
  t.after(() => r.release());
  assert.equal(r.ep, 'cpu');
  assert.deepEqual(r.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.match(r.epReason, /^auto: cpu for every job \(the only provider that initialised\); webgpu unavailable \(.+\)$/);
  assert.equal(r.selection, undefined);
  assert.deepEqual(r.timings, {});
  assert.deepEqual(logs, [r.epReason]);
});

test('auto over two real providers: every job timed on each, the loser released, outputs unchanged', async (t) => {
  // two CPU session pairs stand for two providers: real graphs, real timings, real release
  const a = await open();
  const b = await open();
  const logs: string[] = [];
  const r = await ModelRunner.pick(
    m,
    new Map([
      ['cpu', a],
      ['other', b],
    ]),
    { webgpu: 'no adapter' },
    (s) => logs.push(s),
    3,
  );
  t.after(() => r.release());
  const sel = r.selection!;
  assert.equal(sel.reps, 3);
  assert.deepEqual(sel.tokens, { step: 1, keystroke: 16, ingest: m.graphs.prefill.maxTokens });
  for (const ep of ['cpu', 'other']) {
    for (const job of ['step', 'keystroke', 'ingest'] as const) {
      assert.equal(sel.samples[ep]![job].length, 3);
      assert.ok(sel.samples[ep]![job].every((ms) => ms > 0));
      assert.ok(r.timings[`${ep}.${job}Ms`]! > 0);
    }
  }
  assert.deepEqual(sel.handoffs, {}); // states of CPU sessions never leave the CPU: nothing to hand off
  assert.deepEqual(sel.failed, { webgpu: 'no adapter' });
  assert.match(r.epReason, /^auto, median of 3, margin 10%: decode step \(1 tok\): (cpu|other) /);
  assert.match(r.epReason, /webgpu unavailable \(no adapter\)/);
  assert.deepEqual(logs, [r.epReason]);
  const used = new Set(Object.values(r.providers));
  // a released session refuses to run; a kept one runs
  const feeds = {
    [m.inputs.tokens]: new ort.Tensor('int64', BigInt64Array.from([100n]), [1, 1]),
    ...Object.fromEntries(m.state.map((s) => [s.input, r.zeroState().get(s.name)!])),
  };
  for (const [ep, pair] of [
    ['cpu', a],
    ['other', b],
  ] as const) {
    if (used.has(ep)) await pair.step.run(feeds);
    else await assert.rejects(pair.step.run(feeds));
  }
  if (!used.has('other')) assert.match(r.epReason, /released other$/);
  // whichever sessions run which job, the state and logits are the CPU's
  const cpuOnly = await ModelRunner.load(dir, m, 'cpu', 0, () => {});
  t.after(() => cpuOnly.release());
  const want = await cpuOnly.feed(ids, cpuOnly.zeroState(), { background: true });
  const got = await r.feed(ids, r.zeroState());
  assert.deepEqual(Array.from(got.logits!), Array.from(want.logits!));
  const s1 = await r.step(7, got.state);
  const s2 = await cpuOnly.step(7, want.state);
  assert.deepEqual(Array.from(s1.logits), Array.from(s2.logits));
});

test('auto times each job going on from the state the previous call returned, as decoding and folding do', async (t) => {
  // From a fresh CPU state every call, a provider that keeps states on the device would be timed
  // uploading it (769 MiB for ALiBi uncapped at 32k tokens) instead of running the job.
  const a = await open();
  const b = await open();
  const fromZero: boolean[] = [];
  const watch = (s: ort.InferenceSession): ort.InferenceSession =>
    new Proxy(s, {
      get(target, p) {
        if (p === 'run')
          return async (feeds: Record<string, ort.Tensor>) => {
            fromZero.push(m.state.every((st) => (feeds[st.input]!.data as Float32Array).every((x) => x === 0)));
            return target.run(feeds);
          };
        const v = Reflect.get(target, p, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const r = await ModelRunner.pick(
    m,
    new Map([
      ['cpu', a],
      ['other', { step: watch(b.step), prefill: watch(b.prefill) }],
    ]),
    {},
    () => {},
    2,
  );
  t.after(() => r.release());
  // one warm-up call per job, then 2 repetitions of the three: only the very first starts from zero
  assert.deepEqual(fromZero, [true, false, false, false, false, false, false, false, false]);
});

test('auto with an ingest graph on one provider: timed there at its maxTokens, compared per token, the length reported', async (t) => {
  const g = m.graphs.ingest;
  assert.ok(g, `${DEFAULT_ARCH} (the default model) ships an ingest graph`);
  // CPU sessions stand for a GPU provider that opened the ingest graph (the CPU itself never does)
  const a = await open();
  const b = await open();
  const ingest = await ort.InferenceSession.create(join(dir, g.file), { executionProviders: ['cpu'] });
  const sizes: number[] = [];
  const watched = new Proxy(ingest, {
    get(target, p) {
      if (p === 'run')
        return (feeds: Record<string, ort.Tensor>) => {
          sizes.push(feeds[m.inputs.tokens]!.dims[1]!);
          return target.run(feeds);
        };
      const v = Reflect.get(target, p, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const logs: string[] = [];
  const r = await ModelRunner.pick(
    m,
    new Map<string, GraphPair<ort.InferenceSession>>([
      ['cpu', a],
      ['other', { ...b, ingest: watched }],
    ]),
    {},
    (s) => logs.push(s),
    1,
  );
  t.after(() => r.release());
  // one warm-up and one repetition of the ingest job, on the ingest graph at its maxTokens
  assert.deepEqual(sizes, [g.maxTokens, g.maxTokens]);
  const sel = r.selection!;
  assert.deepEqual(sel.ingestTokens, { cpu: m.graphs.prefill.maxTokens, other: g.maxTokens });
  assert.equal(r.timings['cpu.ingestTokens'], m.graphs.prefill.maxTokens);
  assert.equal(r.timings['other.ingestTokens'], g.maxTokens);
  assert.ok(r.timings['other.ingestMs']! > 0);
  const perTok = new RegExp(`ingestion chunk per token: (cpu|other) \\(.*\\b${g.maxTokens} tok = [\\d.]+ µs/tok`);
  assert.match(r.epReason, perTok);
  assert.deepEqual(logs, [r.epReason]);
  // the chunk length used: the ingest graph's where its provider won the ingest job, else prefill's
  if (r.providers.ingest === 'other') {
    assert.deepEqual(r.ingestChunk, { graph: 'ingest', file: g.file, tokens: g.maxTokens, provider: 'other' });
    assert.match(r.epReason, new RegExp(`; ingestion in chunks of up to ${g.maxTokens} tokens \\(${g.file} on other\\)`));
  } else {
    assert.deepEqual(r.ingestChunk, { graph: 'prefill', file: m.graphs.prefill.file, tokens: m.graphs.prefill.maxTokens, provider: 'cpu' });
    assert.doesNotMatch(r.epReason, /ingestion in chunks/);
  }
});
