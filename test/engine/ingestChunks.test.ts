// The ingest graph (manifest graphs.ingest) in the engine: which session and chunk length each part of
// a feed gets (fake sessions: only what a session must do to be called), how a provider's sessions are
// opened (the CPU never opens the ingest graph; one that fails to open leaves the provider on prefill),
// and a workspace fold on the real default model whose ingest job has an ingest session: 2,048-token
// chunks, the same state as the CPU's 256-token chunks within the fixture's groupingTolerance, and a
// document's warm with its checkpoints every 2,048 tokens (checkpointEvery) instead of the setting's 256.
// The blocked ingest graph (graphs.ingestBlocked) the same ways: its chunk split (the largest multiple
// of multipleOf through it, the tail through the ingest graph), opening, fallback, release, `auto`'s
// timing, and a fold on the real model with its ingest graph standing in for a blocked one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { readManifest, type Manifest } from '../../server/engine/manifest';
import {
  backgroundChunkTokens,
  checkpointEvery,
  ingestChunkText,
  KEYSTROKE_MAX_TOKENS,
  KEYSTROKE_QUIET_MS,
  ModelRunner,
  openIngestGraphs,
  openSessions,
  type IngestChunk,
} from '../../server/engine/model';
import {
  assignSessions,
  pairSessions,
  type GraphPair,
  type IngestGraphs,
  type ProviderSessions,
} from '../../server/engine/providerSessions';
import { foldRunChars, foldRuns, RUN_CHARS_PER_TOKEN, RUN_CHUNKS } from '../../server/engine/folds';
import { cpuLoad } from '../helpers/engineRequests';
import { never } from '../helpers/fold';
import { DEFAULT_ARCH, modelDir, REPO } from '../helpers/models';

// --- fake sessions ---------------------------------------------------------------------------------

const VOCAB = 4;
const fakeManifest = {
  format: 'statewise-model/1',
  name: 'fake',
  architecture: 'fake',
  version: '1',
  vocabSize: VOCAB,
  tokenizer: 'tokenizer.json',
  specialTokens: {},
  trainLength: 256,
  graphs: {
    step: { file: 'step.onnx', maxTokens: 1 },
    prefill: { file: 'prefill.onnx', maxTokens: 256 },
    ingest: { file: 'ingest.onnx', maxTokens: 2048 },
  },
  inputs: { tokens: 'ids' },
  outputs: { logits: 'logits' },
  state: [{ name: 'h', input: 'h_in', output: 'h_out', shape: [1], dtype: 'float32' }],
  stateBytes: 4,
} as unknown as Manifest;

const META = {
  inputMetadata: [
    { name: 'ids', isTensor: true },
    { name: 'h_in', isTensor: true, shape: [1] },
  ],
  outputMetadata: [
    { name: 'logits', isTensor: true },
    { name: 'h_out', isTensor: true, shape: [1] },
  ],
};

/** A graph that counts: its state output is its state input + the tokens of the call, and every call
 *  is logged as "<provider>.<graph>:<tokens>". */
class FakeSession {
  released = 0;
  inputMetadata = META.inputMetadata;
  outputMetadata = META.outputMetadata;
  constructor(
    readonly name: string,
    private readonly calls: string[],
    /** ms each call waits (a slow provider for `auto`'s timing). */
    private readonly delayMs = 0,
  ) {}
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const n = feeds.ids!.dims[1]!;
    this.calls.push(`${this.name}:${n}`);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const h = (feeds.h_in!.data as Float32Array)[0]! + n;
    return {
      logits: new ort.Tensor('float32', new Float32Array(n * VOCAB).fill(h), [1, n, VOCAB]),
      h_out: new ort.Tensor('float32', Float32Array.of(h), [1]),
    };
  }
  async release(): Promise<void> {
    this.released++;
  }
}

type Pair = GraphPair<FakeSession>;
const pair = (p: string, calls: string[], ingest = true): Pair => ({
  step: new FakeSession(`${p}.step`, calls),
  prefill: new FakeSession(`${p}.prefill`, calls),
  ...(ingest ? { ingest: new FakeSession(`${p}.ingest`, calls) } : {}),
});
const asOrt = (p: Pair) => p as unknown as GraphPair<ort.InferenceSession>;
/** A runner over fake pairs: step and keystroke on `front` (provider `frontEp`), ingest on `back`. */
const runnerOf = (frontEp: string, front: Pair, backEp = frontEp, back = front): ModelRunner =>
  ModelRunner.withJobs(
    fakeManifest,
    { step: asOrt(front), keystroke: asOrt(front), ingest: asOrt(back) },
    { step: frontEp, keystroke: frontEp, ingest: backEp },
    'test',
  );
const ids = (n: number) => Array.from({ length: n }, (_, i) => 100 + (i % 50));

/** Runs one feed on `r` and returns its calls, its onChunk positions and the final state's count. */
async function feedCalls(r: ModelRunner, calls: string[], n: number, opts: { background?: boolean } = {}) {
  calls.length = 0;
  const at: number[] = [];
  const out = await r.feed(ids(n), r.zeroState(), { ...opts, onChunk: (fed) => at.push(fed) });
  return { calls: [...calls], at, fed: (out.state.get('h')!.data as Float32Array)[0] };
}

test('a provider with an ingest session: ingest-job chunks of up to 2048 on it, keystrokes and steps unchanged', async () => {
  const calls: string[] = [];
  const gpu = pair('webgpu', calls);
  const r = runnerOf('webgpu', gpu);
  assert.deepEqual(r.ingestChunk, { graph: 'ingest', file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' });
  // folding: background
  assert.deepEqual(await feedCalls(r, calls, 5000, { background: true }), {
    calls: ['webgpu.ingest:2048', 'webgpu.ingest:2048', 'webgpu.ingest:904'],
    at: [2048, 4096, 5000],
    fed: 5000,
  });
  assert.deepEqual((await feedCalls(r, calls, 40, { background: true })).calls, ['webgpu.ingest:40']);
  // in the foreground, more than KEYSTROKE_MAX_TOKENS left is ingestion too
  assert.deepEqual((await feedCalls(r, calls, 5000)).calls, ['webgpu.ingest:2048', 'webgpu.ingest:2048', 'webgpu.ingest:904']);
  assert.deepEqual((await feedCalls(r, calls, 300)).calls, ['webgpu.ingest:300']);
  assert.deepEqual((await feedCalls(r, calls, KEYSTROKE_MAX_TOKENS + 1)).calls, [`webgpu.ingest:${KEYSTROKE_MAX_TOKENS + 1}`]);
  // a keystroke: the prefill graph; one token: the step graph
  assert.deepEqual((await feedCalls(r, calls, KEYSTROKE_MAX_TOKENS)).calls, [`webgpu.prefill:${KEYSTROKE_MAX_TOKENS}`]);
  assert.deepEqual((await feedCalls(r, calls, 16)).calls, ['webgpu.prefill:16']);
  assert.deepEqual((await feedCalls(r, calls, 1)).calls, ['webgpu.step:1']);
  assert.deepEqual((await feedCalls(r, calls, 1, { background: true })).calls, ['webgpu.step:1']);
});

test("checkpointEvery: the setting, or the ingest graph's chunk where the ingest job runs one", () => {
  const ingest = { graph: 'ingest' as const, file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' };
  const prefill = { graph: 'prefill' as const, file: 'prefill.onnx', tokens: 256, provider: 'webgpu' };
  assert.equal(checkpointEvery(256, ingest), 2048);
  assert.equal(checkpointEvery(4096, ingest), 4096); // a longer setting stands
  assert.equal(checkpointEvery(256, prefill), 256);
  assert.equal(checkpointEvery(128, { ...prefill, provider: 'cpu' }), 128);
});

test('background chunks right after a keystroke: at most 64 where the CPU ingests, the whole chunk on a GPU', () => {
  const gpu = { graph: 'ingest' as const, file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' };
  const gpuPrefill = { graph: 'prefill' as const, file: 'prefill.onnx', tokens: 256, provider: 'webgpu' };
  const cpu = { graph: 'prefill' as const, file: 'prefill.onnx', tokens: 256, provider: 'cpu' };
  assert.equal(backgroundChunkTokens(cpu, 256, 10), 64);
  assert.equal(backgroundChunkTokens(cpu, 256, KEYSTROKE_QUIET_MS - 1), 64);
  assert.equal(backgroundChunkTokens(cpu, 256, KEYSTROKE_QUIET_MS), 256);
  assert.equal(backgroundChunkTokens(cpu, 32, 10), 32); // never more than prefill takes
  assert.equal(backgroundChunkTokens(gpu, 256, 10), 2048);
  assert.equal(backgroundChunkTokens(gpuPrefill, 256, 10), 256);
  assert.equal(backgroundChunkTokens(gpu, 256, KEYSTROKE_QUIET_MS), 2048);
});

test('the CPU (no ingest session): prefill chunks of 256, as before', async () => {
  const calls: string[] = [];
  const cpu = pair('cpu', calls, false);
  const r = runnerOf('cpu', cpu);
  assert.deepEqual(r.ingestChunk, { graph: 'prefill', file: 'prefill.onnx', tokens: 256, provider: 'cpu' });
  assert.deepEqual(await feedCalls(r, calls, 600, { background: true }), {
    calls: ['cpu.prefill:256', 'cpu.prefill:256', 'cpu.prefill:88'],
    at: [256, 512, 600],
    fed: 600,
  });
  // the foreground: 256 while more than a keystroke is left, then the keystroke-sized rest
  assert.deepEqual((await feedCalls(r, calls, 300)).calls, ['cpu.prefill:256', 'cpu.prefill:44']);
});

test('split jobs: ingest chunks follow the ingest job’s provider and whether it has an ingest session', async () => {
  const calls: string[] = [];
  const cpu = pair('cpu', calls, false);
  const gpu = pair('webgpu', calls);
  // keystrokes and steps on the CPU, ingestion on the GPU's ingest graph
  const split = runnerOf('cpu', cpu, 'webgpu', gpu);
  assert.deepEqual((await feedCalls(split, calls, 3000)).calls, ['webgpu.ingest:2048', 'webgpu.ingest:952']);
  assert.deepEqual((await feedCalls(split, calls, 40)).calls, ['cpu.prefill:40']);
  assert.deepEqual((await feedCalls(split, calls, 1)).calls, ['cpu.step:1']);
  // auto gave ingestion to the CPU although the GPU has an ingest graph: 256 on the CPU
  const onCpu = runnerOf('webgpu', gpu, 'cpu', cpu);
  assert.equal(onCpu.ingestChunk.tokens, 256);
  assert.deepEqual((await feedCalls(onCpu, calls, 600, { background: true })).calls, [
    'cpu.prefill:256',
    'cpu.prefill:256',
    'cpu.prefill:88',
  ]);
  // a GPU whose ingest graph did not open: its prefill, 256 at a time
  const noIngest = pair('webgpu', calls, false);
  const plain = runnerOf('webgpu', noIngest);
  assert.deepEqual(plain.ingestChunk, { graph: 'prefill', file: 'prefill.onnx', tokens: 256, provider: 'webgpu' });
  assert.deepEqual((await feedCalls(plain, calls, 600, { background: true })).calls, [
    'webgpu.prefill:256',
    'webgpu.prefill:256',
    'webgpu.prefill:88',
  ]);
});

test('cancellation is still checked between ingest chunks', async () => {
  const calls: string[] = [];
  const gpu = pair('webgpu', calls);
  const r = runnerOf('webgpu', gpu);
  let chunks = 0;
  await assert.rejects(
    r.feed(ids(5000), r.zeroState(), { background: true, shouldStop: () => chunks > 0, onChunk: () => chunks++ }),
    (e: Error) => e.name === 'CancelledError' || /cancel/i.test(e.message),
  );
  assert.deepEqual(calls, ['webgpu.ingest:2048']);
});

test('release frees the ingest session with the rest, once each', async () => {
  const calls: string[] = [];
  const gpu = pair('webgpu', calls);
  const cpu = pair('cpu', calls, false);
  const r = runnerOf('cpu', cpu, 'webgpu', gpu);
  await r.release();
  assert.equal(gpu.ingest!.released, 1);
  assert.equal(gpu.prefill.released, 1);
  assert.equal(cpu.prefill.released, 1);
});

// --- the blocked ingest graph (graphs.ingestBlocked) ------------------------------------------------

const BLOCKED = { file: 'ingest-blocked.onnx', maxTokens: 8192, multipleOf: 1024 };
const blockedManifest = { ...fakeManifest, graphs: { ...fakeManifest.graphs, ingestBlocked: BLOCKED } } as Manifest;

/** `pair` with a blocked ingest session too. */
const blockedPair = (p: string, calls: string[]): Pair => ({
  ...pair(p, calls),
  ingestBlocked: new FakeSession(`${p}.ingestBlocked`, calls),
});
/** A runner over `blockedManifest`: step and keystroke on `front`, ingest on `back`. */
const blockedRunnerOf = (frontEp: string, front: Pair, backEp = frontEp, back = front, m = blockedManifest): ModelRunner =>
  ModelRunner.withJobs(
    m,
    { step: asOrt(front), keystroke: asOrt(front), ingest: asOrt(back) },
    { step: frontEp, keystroke: frontEp, ingest: backEp },
    'test',
  );
const BLOCKED_CHUNK: IngestChunk = {
  graph: 'ingestBlocked',
  file: 'ingest-blocked.onnx',
  tokens: 8192,
  provider: 'webgpu',
  multipleOf: 1024,
  tail: { graph: 'ingest', file: 'ingest.onnx', tokens: 2048 },
};

test('a blocked ingest session: the largest multiple of multipleOf (up to its maxTokens) through it, the tail through ingest', async () => {
  const calls: string[] = [];
  const r = blockedRunnerOf('webgpu', blockedPair('webgpu', calls));
  assert.deepEqual(r.ingestChunk, BLOCKED_CHUNK);
  const before = r.graphCalls();
  assert.deepEqual(await feedCalls(r, calls, 20000, { background: true }), {
    calls: ['webgpu.ingestBlocked:8192', 'webgpu.ingestBlocked:8192', 'webgpu.ingestBlocked:3072', 'webgpu.ingest:544'],
    at: [8192, 16384, 19456, 20000],
    fed: 20000,
  });
  // every call of the chunk is counted under the ingest job
  const after = r.graphCalls();
  assert.deepEqual([after.ingest.calls - before.ingest.calls, after.ingest.tokens - before.ingest.tokens], [4, 20000]);
  assert.deepEqual([after.keystroke.calls, after.step.calls], [before.keystroke.calls, before.step.calls]);
  // under multipleOf: the ingest graph alone; exactly one multiple: the blocked graph alone
  assert.deepEqual(await feedCalls(r, calls, 900, { background: true }), { calls: ['webgpu.ingest:900'], at: [900], fed: 900 });
  assert.deepEqual(await feedCalls(r, calls, 1024, { background: true }), { calls: ['webgpu.ingestBlocked:1024'], at: [1024], fed: 1024 });
  assert.deepEqual((await feedCalls(r, calls, 2500, { background: true })).calls, ['webgpu.ingestBlocked:2048', 'webgpu.ingest:452']);
  assert.deepEqual((await feedCalls(r, calls, 8192 + 40, { background: true })).calls, ['webgpu.ingestBlocked:8192', 'webgpu.ingest:40']);
  // one token left is a step, as on the ingest graph
  assert.deepEqual((await feedCalls(r, calls, 1025, { background: true })).calls, ['webgpu.ingestBlocked:1024', 'webgpu.step:1']);
});

test('a blocked ingest session in the foreground: ingestion as in the background, a keystroke-sized rest on prefill', async () => {
  const calls: string[] = [];
  const r = blockedRunnerOf('webgpu', blockedPair('webgpu', calls));
  assert.deepEqual((await feedCalls(r, calls, 20000)).calls, [
    'webgpu.ingestBlocked:8192',
    'webgpu.ingestBlocked:8192',
    'webgpu.ingestBlocked:3072',
    'webgpu.ingest:544',
  ]);
  assert.deepEqual((await feedCalls(r, calls, 1024)).calls, ['webgpu.ingestBlocked:1024']);
  assert.deepEqual((await feedCalls(r, calls, 900)).calls, ['webgpu.ingest:900']);
  // a rest of at most KEYSTROKE_MAX_TOKENS in the foreground is a keystroke (as after an ingest chunk)
  assert.deepEqual((await feedCalls(r, calls, 1024 + 40)).calls, ['webgpu.ingestBlocked:1024', 'webgpu.prefill:40']);
  assert.deepEqual((await feedCalls(r, calls, KEYSTROKE_MAX_TOKENS)).calls, [`webgpu.prefill:${KEYSTROKE_MAX_TOKENS}`]);
  assert.deepEqual((await feedCalls(r, calls, 1)).calls, ['webgpu.step:1']);
});

test('a blocked ingest graph whose multipleOf exceeds the ingest graph’s maxTokens: the tail in ingest calls of up to 2048', async () => {
  const calls: string[] = [];
  const m = { ...fakeManifest, graphs: { ...fakeManifest.graphs, ingestBlocked: { ...BLOCKED, multipleOf: 4096 } } } as Manifest;
  const r = blockedRunnerOf('webgpu', blockedPair('webgpu', calls), 'webgpu', undefined, m);
  assert.deepEqual(await feedCalls(r, calls, 7000, { background: true }), {
    calls: ['webgpu.ingestBlocked:4096', 'webgpu.ingest:2048', 'webgpu.ingest:856'],
    at: [4096, 6144, 7000],
    fed: 7000,
  });
  assert.deepEqual((await feedCalls(r, calls, 9000, { background: true })).calls, ['webgpu.ingestBlocked:8192', 'webgpu.ingest:808']);
});

test('split jobs with a blocked ingest graph: the ingest job’s provider and sessions decide', async () => {
  const calls: string[] = [];
  const cpu = pair('cpu', calls, false);
  const gpu = blockedPair('webgpu', calls);
  // keystrokes and steps on the CPU, ingestion on the GPU's blocked graph
  const split = blockedRunnerOf('cpu', cpu, 'webgpu', gpu);
  assert.deepEqual(split.ingestChunk, BLOCKED_CHUNK);
  assert.deepEqual((await feedCalls(split, calls, 20000)).calls, [
    'webgpu.ingestBlocked:8192',
    'webgpu.ingestBlocked:8192',
    'webgpu.ingestBlocked:3072',
    'webgpu.ingest:544',
  ]);
  assert.deepEqual((await feedCalls(split, calls, 1024 + 40)).calls, ['webgpu.ingestBlocked:1024', 'cpu.prefill:40']);
  assert.deepEqual((await feedCalls(split, calls, 40)).calls, ['cpu.prefill:40']);
  assert.deepEqual((await feedCalls(split, calls, 1)).calls, ['cpu.step:1']);
  // ingestion given to the CPU although the GPU has the blocked graph: prefill's 256 on the CPU
  const onCpu = blockedRunnerOf('webgpu', gpu, 'cpu', cpu);
  assert.deepEqual(onCpu.ingestChunk, { graph: 'prefill', file: 'prefill.onnx', tokens: 256, provider: 'cpu' });
  assert.deepEqual((await feedCalls(onCpu, calls, 600, { background: true })).calls, [
    'cpu.prefill:256',
    'cpu.prefill:256',
    'cpu.prefill:88',
  ]);
  // a GPU whose blocked graph did not open: the ingest graph's 2048
  const plain = blockedRunnerOf('webgpu', pair('webgpu', calls));
  assert.deepEqual(plain.ingestChunk, { graph: 'ingest', file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' });
  assert.deepEqual((await feedCalls(plain, calls, 5000, { background: true })).calls, [
    'webgpu.ingest:2048',
    'webgpu.ingest:2048',
    'webgpu.ingest:904',
  ]);
  // a blocked session but no ingestBlocked in the manifest: not used
  const noManifest = runnerOf('webgpu', gpu);
  assert.equal(noManifest.ingestChunk.graph, 'ingest');
});

test('checkpointEvery and background chunks: the blocked graph’s maxTokens where it runs', () => {
  assert.equal(checkpointEvery(256, BLOCKED_CHUNK), 8192);
  assert.equal(checkpointEvery(10000, BLOCKED_CHUNK), 10000); // a longer setting stands
  assert.equal(backgroundChunkTokens(BLOCKED_CHUNK, 256, 10), 8192);
  assert.equal(backgroundChunkTokens(BLOCKED_CHUNK, 256, KEYSTROKE_QUIET_MS), 8192);
  assert.equal(
    ingestChunkText(BLOCKED_CHUNK),
    'chunks of up to 8192 tokens (ingest-blocked.onnx on webgpu, multiples of 1024; tails through ingest.onnx)',
  );
  // without it, the text as before
  assert.equal(
    ingestChunkText({ graph: 'ingest', file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' }),
    'chunks of up to 2048 tokens (ingest.onnx on webgpu)',
  );
});

test('cancellation is checked between the blocked graph’s call and the tail’s', async () => {
  const calls: string[] = [];
  const r = blockedRunnerOf('webgpu', blockedPair('webgpu', calls));
  let chunks = 0;
  await assert.rejects(
    r.feed(ids(1500), r.zeroState(), { background: true, shouldStop: () => chunks > 0, onChunk: () => chunks++ }),
    (e: Error) => e.name === 'CancelledError' || /cancel/i.test(e.message),
  );
  assert.deepEqual(calls, ['webgpu.ingestBlocked:1024']);
});

test('release frees the blocked ingest session with the rest, once each (also when every job shares the pair)', async () => {
  const calls: string[] = [];
  const gpu = blockedPair('webgpu', calls);
  const cpu = pair('cpu', calls, false);
  await blockedRunnerOf('cpu', cpu, 'webgpu', gpu).release();
  assert.deepEqual([gpu.ingestBlocked!.released, gpu.ingest!.released, gpu.prefill.released, cpu.prefill.released], [1, 1, 1, 1]);
  const one = blockedPair('webgpu', calls);
  await blockedRunnerOf('webgpu', one).release();
  assert.deepEqual(
    [one.step, one.prefill, one.ingest!, one.ingestBlocked!].map((s) => s.released),
    [1, 1, 1, 1],
  );
});

// --- opening a provider's sessions ---------------------------------------------------------------

async function opened(
  ep: string,
  m: Manifest,
  fail: (file: string) => boolean = () => false,
  /** files whose graph has an input the manifest does not name */
  mismatched: (file: string) => boolean = () => false,
) {
  const calls: string[] = [];
  const created: FakeSession[] = [];
  const logs: string[] = [];
  const p = await openSessions(
    m,
    ep,
    (s) => logs.push(s),
    async (file) => {
      if (fail(file)) throw new Error(`/src/x.cc:12 cond was false. cannot open ${file}\nstack`);
      const s = new FakeSession(`${ep}.${file}`, calls);
      if (mismatched(file)) s.inputMetadata = [...META.inputMetadata, { name: 'extra_in', isTensor: true }];
      created.push(s);
      return s;
    },
  );
  return { p, created, logs };
}

test('openSessions: the CPU never opens the ingest graph; another provider does, with the same create', async () => {
  const c = await opened('cpu', fakeManifest);
  assert.deepEqual(
    c.created.map((s) => s.name),
    ['cpu.step.onnx', 'cpu.prefill.onnx'],
  );
  assert.equal(c.p.ingest, undefined);
  const g = await opened('webgpu', fakeManifest);
  assert.deepEqual(
    g.created.map((s) => s.name),
    ['webgpu.step.onnx', 'webgpu.prefill.onnx', 'webgpu.ingest.onnx'],
  );
  assert.equal(g.p.ingest!.name, 'webgpu.ingest.onnx');
  assert.deepEqual(g.logs, []);
  // a manifest without an ingest graph: the pair alone
  const { ingest: _, ...graphs } = fakeManifest.graphs;
  const n = await opened('webgpu', { ...fakeManifest, graphs } as Manifest);
  assert.equal(n.created.length, 2);
});

test('openSessions: an ingest graph that fails to open or does not match leaves the provider on prefill, logged', async () => {
  const f = await opened('webgpu', fakeManifest, (file) => file === 'ingest.onnx');
  assert.equal(f.p.ingest, undefined);
  assert.equal(f.p.prefill.name, 'webgpu.prefill.onnx');
  assert.deepEqual(f.logs, [
    'webgpu: the ingest graph ingest.onnx did not open (cannot open ingest.onnx); webgpu ingests with prefill.onnx in chunks of up to 256 tokens',
  ]);
  assert.equal(
    f.created.reduce((a, s) => a + s.released, 0),
    0,
    'step and prefill are kept',
  );
  // opens, but its inputs are not the manifest's: released, logged
  const m = { ...fakeManifest, state: [{ ...fakeManifest.state[0]!, input: 'other_in' }] } as Manifest;
  const wrong = await opened('webgpu', m);
  assert.equal(wrong.p.ingest, undefined);
  assert.equal(wrong.created[2]!.released, 1);
  assert.match(wrong.logs[0]!, /^webgpu: the ingest graph ingest\.onnx did not open \(ingest: the graph has no input "other_in"/);
  // prefill failing still fails the provider, its step released
  await assert.rejects(
    opened('webgpu', fakeManifest, (file) => file === 'prefill.onnx'),
    /cannot open prefill\.onnx/,
  );
});

test('openSessions: the CPU never opens the blocked ingest graph; another provider opens it after ingest, with the same create', async () => {
  const c = await opened('cpu', blockedManifest);
  assert.deepEqual(
    c.created.map((s) => s.name),
    ['cpu.step.onnx', 'cpu.prefill.onnx'],
  );
  assert.equal(c.p.ingestBlocked, undefined);
  const g = await opened('webgpu', blockedManifest);
  assert.deepEqual(
    g.created.map((s) => s.name),
    ['webgpu.step.onnx', 'webgpu.prefill.onnx', 'webgpu.ingest.onnx', 'webgpu.ingest-blocked.onnx'],
  );
  assert.equal(g.p.ingest!.name, 'webgpu.ingest.onnx');
  assert.equal(g.p.ingestBlocked!.name, 'webgpu.ingest-blocked.onnx');
  assert.deepEqual(g.logs, []);
});

test('openSessions: a blocked ingest graph that fails to open or does not match leaves the provider on ingest, logged', async () => {
  const f = await opened('webgpu', blockedManifest, (file) => file === 'ingest-blocked.onnx');
  assert.equal(f.p.ingestBlocked, undefined);
  assert.equal(f.p.ingest!.name, 'webgpu.ingest.onnx');
  assert.deepEqual(f.logs, [
    'webgpu: the blocked ingest graph ingest-blocked.onnx did not open (cannot open ingest-blocked.onnx); webgpu ingests with ingest.onnx in chunks of up to 2048 tokens',
  ]);
  assert.equal(
    f.created.reduce((a, s) => a + s.released, 0),
    0,
    'step, prefill and ingest are kept',
  );
  // its chunks: the ingest graph's
  const r = ModelRunner.withJobs(
    blockedManifest,
    { step: asOrt(f.p), keystroke: asOrt(f.p), ingest: asOrt(f.p) },
    { step: 'webgpu', keystroke: 'webgpu', ingest: 'webgpu' },
    'test',
  );
  assert.deepEqual(r.ingestChunk, { graph: 'ingest', file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' });
  // opens, but its inputs are not the manifest's: released, logged, ingest kept
  const wrong = await opened('webgpu', blockedManifest, undefined, (file) => file === 'ingest-blocked.onnx');
  assert.equal(wrong.p.ingestBlocked, undefined);
  assert.equal(wrong.p.ingest!.name, 'webgpu.ingest.onnx');
  assert.deepEqual(
    wrong.created.map((s) => s.released),
    [0, 0, 0, 1],
  );
  assert.match(
    wrong.logs[0]!,
    /^webgpu: the blocked ingest graph ingest-blocked\.onnx did not open \(ingestBlocked: inputs extra_in are not in manifest\.json\); webgpu ingests with ingest\.onnx/,
  );
  // the ingest graph failing leaves the blocked one unopened (its tails need it): prefill, one line
  const noIngest = await opened('webgpu', blockedManifest, (file) => file === 'ingest.onnx');
  assert.deepEqual(
    noIngest.created.map((s) => s.name),
    ['webgpu.step.onnx', 'webgpu.prefill.onnx'],
  );
  assert.deepEqual([noIngest.p.ingest, noIngest.p.ingestBlocked], [undefined, undefined]);
  assert.deepEqual(noIngest.logs, [
    'webgpu: the ingest graph ingest.onnx did not open (cannot open ingest.onnx); webgpu ingests with prefill.onnx in chunks of up to 256 tokens (ingest-blocked.onnx, whose tails need ingest.onnx, is not opened)',
  ]);
});

test('openIngestGraphs: the ingest graphs alone (a kept choice gives the provider nothing else); ingest must open, blocked may fail', async () => {
  const open = async (m: Manifest, fail: (file: string) => boolean = () => false) => {
    const created: FakeSession[] = [];
    const logs: string[] = [];
    const calls: string[] = [];
    const p = openIngestGraphs(
      m,
      'webgpu',
      (s) => logs.push(s),
      async (file) => {
        if (fail(file)) throw new Error(`cannot open ${file}`);
        const s = new FakeSession(`webgpu.${file}`, calls);
        created.push(s);
        return s;
      },
    );
    return { p, created, logs };
  };
  const b = await open(blockedManifest);
  const g = await b.p;
  assert.deepEqual(
    b.created.map((s) => s.name),
    ['webgpu.ingest.onnx', 'webgpu.ingest-blocked.onnx'],
    'no step or prefill graph',
  );
  assert.deepEqual([g.ingest.name, g.ingestBlocked!.name], ['webgpu.ingest.onnx', 'webgpu.ingest-blocked.onnx']);
  assert.deepEqual(b.logs, []);
  // the blocked graph failing: left out, logged, ingest kept
  const nb = await open(blockedManifest, (file) => file === 'ingest-blocked.onnx');
  assert.equal((await nb.p).ingestBlocked, undefined);
  assert.match(nb.logs[0]!, /^webgpu: the blocked ingest graph ingest-blocked\.onnx did not open \(cannot open ingest-blocked\.onnx\)/);
  // the ingest graph failing (or not matching the manifest): throws, nothing opened or left open
  const ni = await open(blockedManifest, (file) => file === 'ingest.onnx');
  await assert.rejects(ni.p, /cannot open ingest\.onnx/);
  assert.deepEqual(ni.created, []);
  const m = { ...blockedManifest, state: [{ ...blockedManifest.state[0]!, input: 'other_in' }] } as Manifest;
  const wrong = await open(m);
  await assert.rejects(wrong.p, /ingest: the graph has no input "other_in"/);
  assert.deepEqual(
    wrong.created.map((s) => s.released),
    [1],
  );
  // a manifest without an ingest graph has nothing to open alone
  const { ingest: _, ingestBlocked: __, ...graphs } = blockedManifest.graphs;
  await assert.rejects((await open({ ...blockedManifest, graphs } as Manifest)).p, /names no ingest graph/);
});

test('the ingest job on a provider opened for its ingest graphs alone: its chunks, its calls, release', async () => {
  const calls: string[] = [];
  const cpu = pair('cpu', calls, false);
  const gpu = { ingest: new FakeSession('webgpu.ingest', calls), ingestBlocked: new FakeSession('webgpu.ingestBlocked', calls) };
  const r = ModelRunner.withJobs(
    blockedManifest,
    { step: asOrt(cpu), keystroke: asOrt(cpu), ingest: gpu as unknown as IngestGraphs<ort.InferenceSession> },
    { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' },
    'test',
  );
  assert.equal(r.ingestChunk.graph, 'ingestBlocked');
  assert.deepEqual((await feedCalls(r, calls, 2048 + 1024 + 40, { background: true })).calls, [
    `webgpu.ingestBlocked:${2048 + 1024}`,
    'webgpu.ingest:40',
  ]);
  // keystrokes and steps stay on the CPU pair
  assert.deepEqual((await feedCalls(r, calls, 16)).calls, ['cpu.prefill:16']);
  await r.release();
  assert.deepEqual(
    [cpu.step, cpu.prefill, gpu.ingest, gpu.ingestBlocked].map((s) => s.released),
    [1, 1, 1, 1],
  );
});

test('assignSessions: steps and keystrokes need a full pair; a provider with its ingest graphs alone can take the ingest job only', async () => {
  const calls: string[] = [];
  const cpu = pair('cpu', calls, false);
  const alone = { ingest: new FakeSession('webgpu.ingest', calls) };
  const opened = new Map<string, ProviderSessions<FakeSession>>([
    ['cpu', cpu],
    ['webgpu', alone],
  ]);
  const { jobs, released } = await assignSessions(opened, { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' });
  assert.equal(jobs.ingest, alone);
  assert.deepEqual(released, []);
  await assert.rejects(
    assignSessions(opened, { step: 'webgpu', keystroke: 'cpu', ingest: 'webgpu' }),
    /webgpu opened its ingest graphs alone, not the graphs step needs/,
  );
  assert.deepEqual(pairSessions(alone), [alone.ingest]);
});

test('auto with a blocked ingest graph on one provider: timed there at its maxTokens, per token, named in the reason', async () => {
  const calls: string[] = [];
  // a CPU whose calls take 5 ms: 256 tokens a call there, 8192 on the other provider
  const cpu: Pair = { step: new FakeSession('cpu.step', calls, 5), prefill: new FakeSession('cpu.prefill', calls, 5) };
  const gpu = blockedPair('webgpu', calls);
  const logs: string[] = [];
  const r = await ModelRunner.pick(
    blockedManifest,
    new Map([
      ['cpu', asOrt(cpu)],
      ['webgpu', asOrt(gpu)],
    ]),
    {},
    (s) => logs.push(s),
    2,
  );
  // one warm-up call and 2 repetitions of each job per provider; the ingest job on the blocked graph
  const ingestCalls = calls.filter((c) => !/step|prefill:16$/.test(c));
  assert.deepEqual(ingestCalls, [...Array(3).fill('cpu.prefill:256'), ...Array(3).fill('webgpu.ingestBlocked:8192')]);
  assert.deepEqual(r.selection!.ingestTokens, { cpu: 256, webgpu: 8192 });
  assert.equal(r.timings['webgpu.ingestTokens'], 8192);
  assert.equal(r.providers.ingest, 'webgpu');
  assert.deepEqual(r.ingestChunk, BLOCKED_CHUNK);
  assert.match(r.epReason, /ingestion chunk per token: webgpu \(.* \/ 8192 tok = [\d.]+ µs\/tok; cpu .* \/ 256 tok/);
  assert.match(
    r.epReason,
    /; ingestion in chunks of up to 8192 tokens \(ingest-blocked\.onnx on webgpu, multiples of 1024; tails through ingest\.onnx\)/,
  );
  assert.deepEqual(logs, [r.epReason]);
  // the blocked session is kept; nothing of the used providers released
  assert.equal(gpu.ingestBlocked!.released, 0);
  await r.release();
  assert.deepEqual([gpu.ingestBlocked!.released, gpu.ingest!.released], [1, 1]);
});

// --- the engine's fold on the real default model ------------------------------------------------

const dir = modelDir(DEFAULT_ARCH);
const real = readManifest(dir);

/** Wraps a real session so that each call's token count is logged as "<tag>:<n>". */
function logged(s: ort.InferenceSession, tag: string, calls: string[]): ort.InferenceSession {
  return new Proxy(s, {
    get(target, p) {
      if (p === 'run')
        return (feeds: Record<string, ort.Tensor>) => {
          calls.push(`${tag}:${feeds[real.inputs.tokens]!.dims[1]}`);
          return target.run(feeds);
        };
      const v = Reflect.get(target, p, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const files = [{ path: 'README.md', text: readFileSync(join(REPO, 'README.md'), 'utf8').slice(0, 14_000) }];
const tol = (JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as { groupingTolerance?: number }).groupingTolerance ?? 1e-3;
const openCpu = (file: string) => ort.InferenceSession.create(join(dir, file), { executionProviders: ['cpu'] });
type EngineInside = { model: ModelRunner; root?: { state: ReadonlyMap<string, ort.Tensor> } };

/** An engine loaded on the CPU whose model is then `runner` (its own released), or its own CPU
 *  runner when none is given; `ws` folded as the workspace. */
async function foldWith(runner: ModelRunner | undefined, tag: string, ws: typeof files = files) {
  const e = new Engine(() => {});
  await e.load(cpuLoad(dir, { checkpointInterval: 256 }));
  const x = e as unknown as EngineInside;
  if (runner) {
    const own = x.model;
    x.model = runner;
    await own.release();
  }
  cleanups.push(() => x.model.release());
  const w = await e.setWorkspace({ fingerprint: `f-${tag}`, files: ws }, never, () => {});
  return { e, tokens: w.tokens, state: x.root!.state };
}
const cleanups: (() => Promise<void>)[] = [];
test.after(async () => {
  for (const c of cleanups) await c();
});
/** The fold on the CPU's own 256-token prefill chunks, once for the tests below. */
let cpuFold: ReturnType<typeof foldWith> | undefined;

/** Every state tensor of `a` within the fixture's tolerance of `b`'s (relative to b's largest entry). */
function assertSameState(a: ReadonlyMap<string, ort.Tensor>, b: ReadonlyMap<string, ort.Tensor>): void {
  for (const s of real.state) {
    const x = a.get(s.name)!.data as Float32Array;
    const y = b.get(s.name)!.data as Float32Array;
    let d = 0,
      m = 0;
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i]! - y[i]!));
      m = Math.max(m, Math.abs(y[i]!));
    }
    assert.ok((m === 0 ? d : d / m) < tol, `state ${s.name}: ${d / m}`);
  }
}

/** CPU sessions standing for a GPU provider "other" that has the ingest graph open (prefill shared):
 *  a runner whose ingest job runs there, every prefill and ingest call logged in `calls`. */
async function ingestRunner(calls: string[], chunk = real.graphs.ingest!.maxTokens): Promise<ModelRunner> {
  const prefill = logged(await openCpu(real.graphs.prefill.file), 'prefill', calls);
  const cpu = { step: await openCpu(real.graphs.step.file), prefill };
  const other = { ...cpu, ingest: logged(await openCpu(real.graphs.ingest!.file), 'other.ingest', calls) };
  return ModelRunner.withJobs(
    { ...real, graphs: { ...real.graphs, ingest: { ...real.graphs.ingest!, maxTokens: chunk } } },
    { step: cpu, keystroke: cpu, ingest: other },
    { step: 'cpu', keystroke: 'cpu', ingest: 'other' },
    'test',
  );
}

test(`${DEFAULT_ARCH}: a workspace fold through an ingest session runs 2048-token chunks and ends where the CPU's does`, async () => {
  assert.ok(real.graphs.ingest, `${DEFAULT_ARCH} (the default model) ships an ingest graph`);
  const calls: string[] = [];
  const runner = await ingestRunner(calls);
  assert.equal(runner.ingestChunk.tokens, real.graphs.ingest.maxTokens);

  const viaIngest = await foldWith(runner, 'ingest');
  const sizes = calls.map((c) => Number(c.split(':')[1]));
  assert.ok(viaIngest.tokens > 2048 + 256, `the file is more than one ingest chunk (${viaIngest.tokens} tokens)`);
  assert.ok(
    calls.every((c) => c.startsWith('other.ingest:')),
    calls.join(' '),
  );
  assert.equal(sizes[0], 2048);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    viaIngest.tokens,
  );
  const viaCpu = await (cpuFold ??= foldWith(undefined, 'cpu'));
  assert.equal(viaCpu.tokens, viaIngest.tokens);
  assertSameState(viaIngest.state, viaCpu.state);

  // a document's warm puts its checkpoints every 2048 tokens (checkpointEvery), not every 256 of the
  // setting: its chunks end there, on the ingest session
  calls.length = 0;
  const e = viaIngest.e;
  e.openDocument({ uri: 'file:///doc.md', path: 'doc.md', text: files[0]!.text, version: 1 });
  const { fedTokens } = await e.warm('file:///doc.md', undefined, never);
  assert.ok(fedTokens > 2048, `warm fed ${fedTokens} tokens`);
  assert.ok(calls.length > 0 && calls.every((c) => c.startsWith('other.ingest:')), calls.join(' '));
  assert.equal(Number(calls[0]!.split(':')[1]), 2048, calls.join(' '));
});

test(`${DEFAULT_ARCH}: a fold through a blocked ingest session cuts its chunks at the blocked graph's maxTokens, its tails through ingest, and ends where the CPU's does`, async () => {
  const g = real.graphs.ingest;
  assert.ok(g);
  // the ingest graph (exact for any call of up to 2048 tokens) stands in for a blocked graph of
  // multiples of 128 up to 2048; the ingest graph itself is given a maxTokens of 512 so that the
  // chunks can only be the blocked graph's
  const m = {
    ...real,
    graphs: { ...real.graphs, ingest: { ...g, maxTokens: 512 }, ingestBlocked: { file: g.file, maxTokens: 2048, multipleOf: 128 } },
  } as Manifest;
  const calls: string[] = [];
  const cpu = { step: logged(await openCpu(real.graphs.step.file), 'step', calls), prefill: await openCpu(real.graphs.prefill.file) };
  const other = {
    ...cpu,
    ingest: logged(await openCpu(g.file), 'other.ingest', calls),
    ingestBlocked: logged(await openCpu(g.file), 'other.blocked', calls),
  };
  const runner = ModelRunner.withJobs(
    m,
    { step: cpu, keystroke: cpu, ingest: other },
    { step: 'cpu', keystroke: 'cpu', ingest: 'other' },
    'test',
  );
  assert.deepEqual(runner.ingestChunk, {
    graph: 'ingestBlocked',
    file: g.file,
    tokens: 2048,
    provider: 'other',
    multipleOf: 128,
    tail: { graph: 'ingest', file: g.file, tokens: 512 },
  });
  const viaBlocked = await foldWith(runner, 'blocked');
  // one file: whole 2048-token chunks, then its last one's multiples of 128, then the rest
  const n = viaBlocked.tokens;
  const last = n % 2048;
  const tail = last % 128;
  assert.deepEqual(calls, [
    ...Array<string>(Math.floor(n / 2048)).fill('other.blocked:2048'),
    ...(last - tail > 0 ? [`other.blocked:${last - tail}`] : []),
    ...(tail > 1 ? [`other.ingest:${tail}`] : tail === 1 ? ['step:1'] : []),
  ]);
  const viaCpu = await (cpuFold ??= foldWith(undefined, 'cpu'));
  assert.equal(viaCpu.tokens, n);
  assertSameState(viaBlocked.state, viaCpu.state);

  // a document's warm: checkpoints every 2048 tokens (the blocked graph's chunk), its chunks there
  calls.length = 0;
  const e = viaBlocked.e;
  e.openDocument({ uri: 'file:///doc.md', path: 'doc.md', text: files[0]!.text, version: 1 });
  const { fedTokens } = await e.warm('file:///doc.md', undefined, never);
  assert.ok(fedTokens > 2048, `warm fed ${fedTokens} tokens`);
  assert.equal(calls[0], 'other.blocked:2048', calls.join(' '));
  assert.ok(
    calls.every((c) => (/^other\.blocked:(\d+)$/.test(c) ? Number(c.split(':')[1]) % 128 === 0 : /^(other\.ingest:\d+|step:1)$/.test(c))),
    calls.join(' '),
  );
});

test(`${DEFAULT_ARCH}: with an ingest session small files are folded in runs (one token stream each, a checkpoint at its end); an edit re-folds from the run before it`, async () => {
  // ingest calls of up to 512 tokens (the graph is exact up to its 2,048), so that runs of
  // RUN_CHUNKS chunks hold a few of these files each
  const chunk = 512;
  const calls: string[] = [];
  const runner = await ingestRunner(calls, chunk);
  const runChars = foldRunChars(runner.ingestChunk);
  assert.equal(runChars, chunk * RUN_CHARS_PER_TOKEN * RUN_CHUNKS);
  // 30 small files of 300 to 900 characters cut from the README: about 18k characters, two or three runs
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  let at = 0;
  const small = Array.from({ length: 30 }, (_, i) => {
    const size = 300 + ((i * 137) % 600);
    const text = readme.slice(at, at + size);
    at += size;
    return { path: `docs/part${i}.md`, text };
  });
  const ends = foldRuns(
    small.map((f) => f.text.length),
    runChars,
  );
  assert.ok(ends.length >= 2 && ends.length <= 4, `runs end at ${ends.join(',')}`);

  const viaRuns = await foldWith(runner, 'runs', small);
  assert.ok(
    calls.every((c) => c.startsWith('other.ingest:')),
    calls.join(' '),
  );
  // each run its full chunks and at most one shorter call (its remainder): no call ends at a file
  // boundary inside a run
  const short = () => calls.filter((c) => Number(c.split(':')[1]) < chunk).length;
  assert.ok(short() <= ends.length, `${calls.length} calls for ${ends.length} runs of ${small.length} files: ${calls.join(' ')}`);
  assert.ok(calls.length < small.length, calls.join(' '));
  assert.equal(viaRuns.e.info().foldCheckpoints, ends.length, 'one checkpoint per run end');
  const viaCpu = await foldWith(undefined, 'cpu-files', small);
  assert.equal(viaCpu.e.info().foldCheckpoints, small.length, 'on the CPU: a checkpoint per file, as before');
  assert.equal(viaRuns.tokens, viaCpu.tokens);
  assertSameState(viaRuns.state, viaCpu.state);

  // an edit of a file inside the second run: restored from the end of the first, the rest re-folded,
  // and the root where a fresh CPU fold of the new list ends
  const k = ends[0]! + 1;
  const edited = small.map((f, i) => (i === k ? { ...f, text: `${f.text}\nan added line\n` } : f));
  calls.length = 0;
  const w = await viaRuns.e.setWorkspace({ fingerprint: 'f-runs-edited', files: edited }, never, () => {});
  assert.equal(w.restoredFiles, ends[0]);
  assert.equal(w.refoldedFiles, small.length - ends[0]!);
  // the runs after the first, and the changed file on top of the old root first (a provisional root)
  assert.ok(short() <= ends.length, calls.join(' '));
  const fresh = await foldWith(undefined, 'cpu-edited', edited);
  assert.equal(w.tokens, fresh.tokens);
  assertSameState((viaRuns.e as unknown as EngineInside).root!.state, fresh.state);
});
