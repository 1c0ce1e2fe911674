// The engine with its states kept on a (fake) GPU (server/engine/deviceState.ts): the real hawk
// model's CPU sessions wrapped so that their state outputs come back as GPU tensors
// (test/helpers/fakeGpu.ts), as a WebGPU session with state outputs on 'gpu-buffer' returns them.
// Through a workspace fold with persisted checkpoints, a provisional root and the clean fold that
// replaces it, completions with forked alternatives, a new line, Ask and score, and a reload: the
// results equal the CPU's, no state is used after it is released, each GPU state is disposed
// exactly once, and none is left once the engine lets go of everything. With `auto`'s split (decode
// steps on the CPU, prefill on the GPU), the CPU sessions only ever see downloaded states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { readManifest, type Manifest } from '../../server/engine/manifest';
import { ModelRunner } from '../../server/engine/model';
import { deviceStateStats, installDownloader, isCounted } from '../../server/engine/deviceState';
import { completeParams, cpuLoad, PATTERN_DOC, PATTERN_PATH, PATTERN_URI } from '../helpers/engineRequests';
import { checkedCpuSession, fakeGpuSession, FakeGpu } from '../helpers/fakeGpu';
import { moduleFiles, never } from '../helpers/fold';
import { makeTree } from '../helpers/fixtures';
import { modelDir } from '../helpers/models';

const dir = modelDir('hawk');
const m: Manifest = readManifest(dir);

async function cpuPair() {
  const open = (file: string) => ort.InferenceSession.create(join(dir, file), { executionProviders: ['cpu'] });
  return { step: await open(m.graphs.step.file), prefill: await open(m.graphs.prefill.file) };
}

/** A CPU pair of its own (a runner releases each session once) that refuses GPU inputs. */
async function checkedPair(gpu: FakeGpu) {
  const c = await cpuPair();
  return { step: checkedCpuSession(c.step, gpu), prefill: checkedCpuSession(c.prefill, gpu) };
}

/** A new engine loaded on the CPU; with `runner`, that runner answers instead. */
async function engineWith(runner?: ModelRunner): Promise<Engine> {
  const e = new Engine(() => {});
  await e.load(cpuLoad(dir, { maxStateMB: 16, checkpointInterval: 32 }));
  if (runner) (e as unknown as { model: ModelRunner }).model = runner;
  return e;
}

/** Everything the engine does with states, its results in order. */
async function scenario(e: Engine, persistDir: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const files = moduleFiles(6);
  out.push((await e.setWorkspace({ fingerprint: 'a', files, persistDir }, never, () => {})).tokens);
  e.openDocument({ uri: PATTERN_URI, path: PATTERN_PATH, text: PATTERN_DOC, version: 1 });
  await e.warm(PATTERN_URI, undefined, never);
  // three alternatives forked from one state
  out.push((await e.complete(completeParams({ n: 3 }), never)).completions);
  out.push((await e.complete(completeParams(), never)).completions);
  // a new line: fed from the checkpoint of a line above
  e.editDocument({
    uri: PATTERN_URI,
    version: 2,
    changes: [{ range: { start: { line: 6, character: 6 }, end: { line: 6, character: 6 } }, text: '6: 6,\n  item' }],
  });
  out.push((await e.complete(completeParams({ version: 2, position: { line: 7, character: 6 } }), never)).completions);
  // the oldest file changes: a provisional root on top of the current one, then the clean fold
  const changed = files.map((f, i) => (i === 0 ? { ...f, text: `${f.text}export const extra = 1;\n` } : f));
  const w = await e.setWorkspace({ fingerprint: 'b', files: changed, persistDir }, never, () => {});
  out.push([w.tokens, w.provisional?.files]);
  out.push((await e.complete(completeParams({ version: 2, position: { line: 7, character: 6 } }), never)).completions);
  // the same list again: restored from memory; then from disk in a second engine below
  out.push((await e.setWorkspace({ fingerprint: 'b', files: changed, persistDir }, never, () => {})).restoredFiles);
  out.push(
    (await e.ask({ path: 'src/mod1.ts', text: files[1]!.text, question: 'What does twice1 return?', maxTokens: 6 }, never, () => {}))
      .answer,
  );
  const s = await e.score({ files: [{ path: 'src/x.ts', text: files[2]!.text, scoreLastTokens: 8, context: [files[3]!] }] }, never);
  out.push(Math.round(s.nats * 1e3));
  return out;
}

/** The engine's holders of states: the root, document checkpoints and fold checkpoints. */
function heldStates(e: Engine): ReadonlyMap<string, ort.Tensor>[] {
  const x = e as unknown as {
    root?: { state: ReadonlyMap<string, ort.Tensor> };
    store: { map: Map<string, { state: ReadonlyMap<string, ort.Tensor> }> };
    folds: { map: Map<string, { cp: { state: ReadonlyMap<string, ort.Tensor> } }> };
  };
  return [
    ...(x.root ? [x.root.state] : []),
    ...[...x.store.map.values()].map((v) => v.state),
    ...[...x.folds.map.values()].map((v) => v.cp.state),
  ];
}

async function runOn(providers: 'gpu' | 'split', t: import('node:test').TestContext, downloads: 'in place' | 'new tensors' = 'in place') {
  const gpu = new FakeGpu();
  if (downloads === 'new tensors') {
    const prev = installDownloader(gpu.downloader());
    t.after(() => void installDownloader(prev));
  }
  const cpu = await cpuPair();
  const g = { step: fakeGpuSession(cpu.step, m, gpu), prefill: fakeGpuSession(cpu.prefill, m, gpu) };
  const runner =
    providers === 'gpu'
      ? ModelRunner.withJobs(m, { step: g, keystroke: g, ingest: g }, { step: 'webgpu', keystroke: 'webgpu', ingest: 'webgpu' }, 'test')
      : ModelRunner.withJobs(
          m,
          { step: await checkedPair(gpu), keystroke: g, ingest: g },
          { step: 'cpu', keystroke: 'webgpu', ingest: 'webgpu' },
          'test',
        );
  assert.deepEqual(
    runner.stateLocations,
    providers === 'gpu'
      ? { step: 'gpu-buffer', keystroke: 'gpu-buffer', ingest: 'gpu-buffer' }
      : { step: 'cpu', keystroke: 'gpu-buffer', ingest: 'gpu-buffer' },
  );
  t.after(() => runner.release());
  const { root: persistDir, cleanup } = makeTree({});
  t.after(cleanup);
  const e = await engineWith(runner);
  const got = await scenario(e, persistDir);

  assert.ok(gpu.buffers.length > 50, `the states went through the fake GPU (${gpu.buffers.length} buffers)`);
  assert.ok(
    gpu.buffers.some((b) => b.downloads > 0),
    'persisting (and the CPU sessions) downloaded GPU states',
  );
  assert.equal(gpu.cpuSessionSawGpu, 0, 'a CPU session was never given a GPU state');
  // what is still on the GPU is what the engine holds
  const held = new Set(heldStates(e).flatMap((s) => [...s.values()].map((t) => (t as unknown as { fakeBuffer?: unknown }).fakeBuffer)));
  for (const b of gpu.live()) assert.ok(held.has(b), `GPU buffer ${b.id} is alive but no holder has it (a leak)`);
  // a second engine restores the clean root from disk (persisted from GPU states)
  const e2 = await engineWith(runner);
  const r2 = await e2.setWorkspace(
    {
      fingerprint: 'b',
      files: moduleFiles(6).map((f, i) => (i === 0 ? { ...f, text: `${f.text}export const extra = 1;\n` } : f)),
      persistDir,
    },
    never,
    () => {},
  );
  assert.equal(r2.restoredFiles, 6, 'restored from the checkpoints persisted from the GPU');
  // a reload drops every state: nothing is left on the GPU, each buffer freed exactly once
  await e.load(cpuLoad(dir));
  await e2.load(cpuLoad(dir));
  assert.deepEqual(
    gpu.live().map((b) => b.id),
    [],
  );
  assert.ok(gpu.buffers.every((b) => b.freed === 1 && b.disposeCalls <= 1));
  assert.equal(deviceStateStats().live, 0, 'no counted state left');
  return got;
}

/** runOn's results equal the same scenario's on the CPU alone. */
async function sameAsCpu(t: import('node:test').TestContext, providers: 'gpu' | 'split', downloads?: 'in place' | 'new tensors') {
  const { root: persistDir, cleanup } = makeTree({});
  t.after(cleanup);
  const want = await scenario(await engineWith(), persistDir);
  const got = await runOn(providers, t, downloads);
  assert.deepEqual(got, want);
}

test('engine on a fake GPU: the CPU results; each state disposed once, none used after release, none left', (t) => sameAsCpu(t, 'gpu'));

test('engine with decode steps on the CPU and prefill on a fake GPU: states downloaded for the CPU, the same results', (t) =>
  sameAsCpu(t, 'split'));

test('the same with downloads as the product makes them (new CPU tensors from an identity session)', (t) =>
  sameAsCpu(t, 'split', 'new tensors'));

test('the CPU provider never keeps states on a device, whatever gpuState says', async (t) => {
  const r = await ModelRunner.load(dir, m, 'cpu', 0, () => {}, { gpuState: true });
  t.after(() => r.release());
  assert.deepEqual(r.stateLocations, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  const out = await r.feed([5, 6, 7], r.zeroState());
  assert.equal(isCounted(out.state), false);
  assert.ok([...out.state.values()].every((x) => x.location === 'cpu'));
});
