// Carrying only the filled slots of a state's shift-register caches between the CPU and a GPU (issue
// 17, "copy only what changed"; server/engine/stateWindows.ts, gpuDownload.ts, gpuUpload.ts): the
// arithmetic; the manifest's `window`; the download and pad graphs, run by onnxruntime on the CPU
// provider here (CI has no GPU); the real ALiBi model's graphs keeping the invariant the transfers
// rely on (after n tokens the last min(n, W) slots are filled, the rest still zeros); and the engine's
// runner with ALiBi's state on a fake GPU, its transfers carrying parts and its results the CPU's.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adopt, deviceStateStats, installDownloader, release, setParts, toCpu, type Downloader } from '../../server/engine/deviceState';
import { downloadModel, sessionDownloader } from '../../server/engine/gpuDownload';
import { padsFor, sessionUploader, type Uploader } from '../../server/engine/gpuUpload';
import { readManifest, type Manifest } from '../../server/engine/manifest';
import { gpuStateInfo } from '../../server/engine/engine';
import { filledCounts, installUploader, ModelRunner, partialUploadFailure, type State } from '../../server/engine/model';
import {
  advanced,
  filledSlots,
  padTail,
  PARTIAL_MIN_BYTES,
  partsWorthIt,
  sliceTail,
  windowedEntries,
  windowsWorthCounting,
  type WindowedEntry,
} from '../../server/engine/stateWindows';
import { checkedCpuSession, fakeGpuSession, FakeGpu } from '../helpers/fakeGpu';
import { modelDir } from '../helpers/models';

const seq = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

test('filledSlots: a tail of ones after zeros, else undefined', () => {
  assert.equal(filledSlots([0, 0, 0]), 0);
  assert.equal(filledSlots([0, 1, 1]), 2);
  assert.equal(filledSlots([1, 1, 1]), 3);
  assert.equal(filledSlots([]), 0);
  assert.equal(filledSlots([1, 0, 1]), undefined);
  assert.equal(filledSlots([0, 1, 0]), undefined);
  assert.equal(filledSlots([0, 0.5, 1]), undefined);
});

test('sliceTail / padTail: the last slots along any axis, and back with zeros before', () => {
  // [2, 3, 2]: slots along axis 1
  const x = seq(12);
  assert.deepEqual([...sliceTail(x, [2, 3, 2], { axis: 1, keep: 2 })], [3, 4, 5, 6, 9, 10, 11, 12]);
  assert.deepEqual(
    [...padTail(Float32Array.from([3, 4, 5, 6, 9, 10, 11, 12]), [2, 3, 2], { axis: 1, keep: 2 })],
    [0, 0, 3, 4, 5, 6, 0, 0, 9, 10, 11, 12],
  );
  // axis 2 of [1, 2, 4, 3] (ALiBi's k: heads, slots, head dim), every keep
  const dims = [1, 2, 4, 3];
  const y = seq(24);
  for (let keep = 0; keep <= 4; keep++) {
    const p = { axis: 2, keep };
    const part = sliceTail(y, dims, p);
    assert.equal(part.length, 2 * keep * 3);
    const back = padTail(part, dims, p);
    // the kept slots are the original's, the others zero
    for (let h = 0; h < 2; h++)
      for (let s = 0; s < 4; s++)
        for (let d = 0; d < 3; d++) {
          const i = (h * 4 + s) * 3 + d;
          assert.equal(back[i], s >= 4 - keep ? y[i] : 0, `keep ${keep} h ${h} s ${s} d ${d}`);
        }
  }
  assert.throws(() => sliceTail(y, dims, { axis: 4, keep: 1 }), /axis 4 is not an axis/);
  assert.throws(() => sliceTail(y, dims, { axis: 2, keep: 5 }), /keep 5 of 4 slots/);
  assert.throws(() => padTail(seq(5), dims, { axis: 2, keep: 1 }), /5 values for 1 of/);
});

const alibiDir = modelDir('alibi');
const alibi: Manifest = readManifest(alibiDir);

test('windowedEntries: the shipped ALiBi, griffin and based manifests declare their caches; hawk has none', () => {
  const w = windowedEntries(alibi);
  assert.equal(w.length, 16);
  assert.deepEqual(w[0], { name: '0.k', axis: 2, slots: 2048, valid: '0.valid', slotBytes: 6 * 64 * 4 });
  const g = windowedEntries(readManifest(modelDir('griffin')));
  assert.deepEqual(
    g.map((e) => [e.name, e.axis, e.slots, e.valid]),
    ['2', '5', '8'].flatMap((l) => [
      [`${l}.k`, 1, 256, `${l}.valid`],
      [`${l}.v`, 1, 256, `${l}.valid`],
    ]),
  );
  assert.equal(windowedEntries(readManifest(modelDir('based'))).length, 4);
  assert.deepEqual(windowedEntries(readManifest(modelDir('hawk'))), []);
  // every shipped k and v beside a mask is declared (the exporter's rule, lm.state_windows)
  for (const m of [alibi, readManifest(modelDir('griffin')), readManifest(modelDir('based'))]) {
    const names = new Set(m.state.map((s) => s.name));
    for (const s of m.state) {
      const [layer, kind] = s.name.split('.');
      const expected = (kind === 'k' || kind === 'v') && names.has(`${layer}.valid`);
      assert.equal(s.window !== undefined, expected, `${m.architecture} ${s.name}`);
    }
  }
});

test('partsWorthIt: the filled slots (one at least) where that saves enough; unknown counts carry everything', () => {
  const w = windowedEntries(alibi);
  const all = (n: number) => new Map(w.map((e) => [e.valid, n]));
  const p = partsWorthIt(w, all(100))!;
  assert.equal(p.size, 16);
  assert.deepEqual(p.get('3.v'), { axis: 2, keep: 100, valid: '3.valid' });
  assert.equal(partsWorthIt(w, all(0))!.get('0.k')!.keep, 1, 'an empty cache carries one slot');
  assert.equal(partsWorthIt(w, all(2048)), undefined, 'a full cache: nothing to save');
  // half the bytes at least: 1,024 of 2,048 slots filled, not 1,025
  assert.ok(partsWorthIt(w, all(1024)));
  assert.equal(partsWorthIt(w, all(1025)), undefined, 'the caches mostly full: whole is faster');
  // without the share: 16 entries of 1,536 bytes a slot, at least 43 slots left out (1,056,768 bytes) save 1 MiB
  assert.equal(partsWorthIt(w, all(2047), PARTIAL_MIN_BYTES, 0), undefined, 'saving 24 KiB is not worth it');
  const n = 2048 - Math.ceil(PARTIAL_MIN_BYTES / (16 * 1536));
  assert.ok(partsWorthIt(w, all(n), PARTIAL_MIN_BYTES, 0));
  assert.equal(partsWorthIt(w, all(n + 1), PARTIAL_MIN_BYTES, 0), undefined);
  const some = all(5);
  some.delete('7.valid');
  assert.equal(partsWorthIt(w, some), undefined, 'a mask whose count is unknown');
  assert.deepEqual(partsWorthIt([], new Map()), undefined);
  // griffin's windows never save 1 MiB (3 layers x 2 x 256 slots x 256 bytes)
  assert.equal(
    partsWorthIt(windowedEntries(readManifest(modelDir('griffin'))), new Map(['2', '5', '8'].map((l) => [`${l}.valid`, 0]))),
    undefined,
  );
});

test('windowsWorthCounting: ALiBi counts its caches; griffin and based, whose windows never save 1 MiB, none', () => {
  assert.equal(windowsWorthCounting(windowedEntries(alibi)).length, 16);
  assert.deepEqual(windowsWorthCounting(windowedEntries(readManifest(modelDir('griffin')))), []);
  assert.deepEqual(windowsWorthCounting(windowedEntries(readManifest(modelDir('based')))), []);
  assert.deepEqual(windowsWorthCounting([]), []);
});

test('advanced: min(W, n + tokens) per known mask', () => {
  const w: WindowedEntry[] = [
    { name: '0.k', axis: 1, slots: 8, valid: '0.valid', slotBytes: 4 },
    { name: '1.k', axis: 1, slots: 8, valid: '1.valid', slotBytes: 4 },
  ];
  assert.deepEqual(
    advanced(
      new Map([
        ['0.valid', 3],
        ['1.valid', 7],
      ]),
      2,
      w,
    ),
    new Map([
      ['0.valid', 5],
      ['1.valid', 8],
    ]),
  );
  assert.deepEqual(advanced(new Map([['0.valid', 3]]), 1, w), new Map([['0.valid', 4]]));
});

// --- the manifest's window --------------------------------------------------------------------------

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** ALiBi's manifest (no checksums) with `edit` applied, in a folder with empty files for its names. */
function alibiWith(edit: (m: Manifest) => void): string {
  const m = structuredClone(JSON.parse(readFileSync(join(alibiDir, 'manifest.json'), 'utf8')) as Manifest);
  delete m.checksums;
  edit(m);
  const d = mkdtempSync(join(tmpdir(), 'sw-window-manifest-'));
  dirs.push(d);
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  for (const f of [m.tokenizer, ...Object.values(m.graphs).map((g) => g!.file), ...(m.weights ?? [])]) writeFileSync(join(d, f), '');
  return d;
}

test('readManifest: a window names a mask entry [1, W] of its slot axis; anything else is refused', () => {
  readManifest(alibiWith(() => {}));
  const entry = (m: Manifest, name: string) => m.state.find((s) => s.name === name)!;
  const cases: [(m: Manifest) => void, RegExp][] = [
    [(m) => (entry(m, '0.k').window = { valid: '0.valid', axis: 3 }), /must be a state entry of shape \[1, 64\]/],
    [
      (m) => (entry(m, '0.k').window = { valid: '0.valid', axis: 0 }),
      /window\.axis "0" must be an axis of \[1,6,2048,64\] after the batch axis/,
    ],
    [(m) => (entry(m, '0.k').window = { valid: '0.valid', axis: 4 }), /window\.axis "4" must be an axis/],
    [(m) => (entry(m, '0.k').window = { valid: '9.valid', axis: 2 }), /window\.valid "9\.valid" names no state entry/],
    [(m) => (entry(m, '0.k').window = { valid: '1.k', axis: 2 }), /must be a state entry of shape \[1, 2048\] with no window/],
    [(m) => (entry(m, '0.k').window = 'yes' as unknown as { valid: string; axis: number }), /window must be an object/],
  ];
  for (const [edit, msg] of cases) assert.throws(() => readManifest(alibiWith(edit)), msg);
});

// --- the transfer graphs, on onnxruntime's CPU provider -----------------------------------------------

test('downloadModel / sessionDownloader: sliced entries come back whole, zeros before their part', async () => {
  const d = sessionDownloader('cpu');
  const dims = [1, 2, 5, 3];
  const k = new ort.Tensor('float32', seq(30), dims);
  const mask = new ort.Tensor('float32', Float32Array.from([0, 0, 1, 1, 1]), [1, 5]);
  const [k2, m2] = await d([k, mask], [{ axis: 2, keep: 3 }, undefined]);
  assert.deepEqual([...k2!.dims], dims);
  assert.deepEqual(
    [...(k2!.data as Float32Array)],
    [...padTail(sliceTail(seq(30), dims, { axis: 2, keep: 3 }), dims, { axis: 2, keep: 3 })],
  );
  assert.deepEqual([...(m2!.data as Float32Array)], [0, 0, 1, 1, 1]);
  // the same tensors whole, through the identity graph (another session)
  const [k3] = await d([k, mask]);
  assert.deepEqual([...(k3!.data as Float32Array)], [...seq(30)]);
  await assert.rejects(d([new ort.Tensor('int64', BigInt64Array.from([1n]), [1])], [{ axis: 0, keep: 1 }]), /only float32/);
  await d.release();
  // the graph itself: sliced entries take their bounds as inputs
  const s = await ort.InferenceSession.create(downloadModel([{ type: 'float32', sliced: true }, { type: 'float32' }]));
  assert.deepEqual(s.inputNames, ['in0', 'st0', 'en0', 'ax0', 'in1']);
  await s.release();
});

test('padsFor / sessionUploader: a part padded back to its dims by a graph', async () => {
  assert.deepEqual(padsFor([1, 6, 2048, 64], { axis: 2, keep: 48 }), [0n, 0n, 2000n, 0n, 0n, 0n, 0n, 0n]);
  const u = sessionUploader('cpu', 'cpu');
  const dims = [1, 4, 2];
  const [a, b] = await u([
    { data: seq(8), dims, part: { axis: 1, keep: 1 } },
    { data: seq(8), dims, part: { axis: 1, keep: 4 } },
  ]);
  assert.deepEqual([...(a!.data as Float32Array)], [0, 0, 0, 0, 0, 0, 7, 8]);
  assert.deepEqual([...(b!.data as Float32Array)], [...seq(8)]);
  await u.release();
});

// --- the real ALiBi graphs ----------------------------------------------------------------------------

async function alibiCpu() {
  const open = (file: string) => ort.InferenceSession.create(join(alibiDir, file), { executionProviders: ['cpu'] });
  return { step: await open(alibi.graphs.step.file), prefill: await open(alibi.graphs.prefill.file) };
}

/** The real ALiBi graphs on the CPU, every job (the reference a fake GPU's results must equal). */
async function cpuRunner(t: TestContext): Promise<ModelRunner> {
  const c = await alibiCpu();
  const r = ModelRunner.withJobs(alibi, { step: c, keystroke: c, ingest: c }, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' }, 'cpu');
  t.after(() => r.release());
  return r;
}

/** ALiBi's CPU graphs seen as GPU sessions on `gpu` (fakeGpu.ts). */
async function fakeGpuPair(gpu: FakeGpu) {
  const inner = await alibiCpu();
  return { step: fakeGpuSession(inner.step, alibi, gpu), prefill: fakeGpuSession(inner.prefill, alibi, gpu) };
}

/** Installs `down` and `up` as the process's transfers for the test, the previous ones back after it. */
function installTransfers(t: TestContext, down: Downloader, up: Uploader): void {
  const prevDown = installDownloader(down);
  const prevUp = installUploader(up);
  t.after(() => {
    installDownloader(prevDown);
    installUploader(prevUp);
  });
}

const ids = (n: number, from = 100) => Array.from({ length: n }, (_, i) => from + ((i * 37) % 3000));

test("the real ALiBi graphs: after n tokens a cache's last n slots are filled and the rest still zeros", async (t) => {
  const r = await cpuRunner(t);
  const w = windowedEntries(alibi);
  let st: State = r.zeroState();
  let n = 0;
  for (const chunk of [3, 40, 1]) {
    st = (await r.feed(ids(chunk, 200 + n), st)).state;
    n += chunk;
    const counts = filledCounts(st, w);
    for (const e of w) {
      const mask = st.get(e.valid)!.data as Float32Array;
      assert.equal(filledSlots(mask), n, `${e.valid} after ${n} tokens`);
      assert.equal(counts.get(e.valid), n, 'the runner counted what the mask says');
      const x = st.get(e.name)!;
      const data = x.data as Float32Array;
      const p = { axis: e.axis, keep: n };
      assert.deepEqual(padTail(sliceTail(data, x.dims, p), x.dims, p), data, `${e.name}: nothing outside the filled slots`);
      assert.ok(
        sliceTail(data, x.dims, { axis: e.axis, keep: 1 }).some((v) => v !== 0),
        `${e.name}: the newest slot is written`,
      );
    }
  }
});

// --- the runner with ALiBi's state on a fake GPU --------------------------------------------------------

test("the runner: ALiBi's state crosses to and from a (fake) GPU as its filled slots, the results the CPU's", async (t) => {
  const gpu = new FakeGpu();
  installTransfers(t, gpu.downloader(), gpu.uploader());
  const refRunner = await cpuRunner(t);
  // ingest and keystrokes on the "GPU", decode steps on the CPU (auto's split)
  const g = await fakeGpuPair(gpu);
  const c = await alibiCpu();
  const checked = { step: checkedCpuSession(c.step, gpu), prefill: checkedCpuSession(c.prefill, gpu) };
  const r = ModelRunner.withJobs(
    alibi,
    { step: checked, keystroke: g, ingest: g },
    { step: 'cpu', keystroke: 'webgpu', ingest: 'webgpu' },
    'test',
  );
  t.after(() => r.release());

  const before = deviceStateStats();
  const doc = ids(300);
  // the zero state (CPU) to the GPU: a background feed, as a fold
  const a = await r.feed(doc, r.zeroState(), { background: true });
  const b = await refRunner.feed(doc, refRunner.zeroState(), { background: true });
  assert.deepEqual(a.logits, b.logits);
  assert.equal(gpu.uploaderCalls, 1, 'the zero state went up as one slot a cache');
  // decode steps on the CPU: the GPU state comes down as its 300 filled slots
  let sa = a.state;
  let sb = b.state;
  for (const id of [5, 17, 99]) {
    const x = await r.step(id, sa);
    const y = await refRunner.step(id, sb);
    assert.deepEqual(x.logits, y.logits, `step ${id}`);
    release(sa);
    sa = x.state;
    sb = y.state;
  }
  const after = deviceStateStats();
  assert.equal(after.partial - before.partial, 1, 'one download, with parts');
  assert.equal(after.partialMisses, before.partialMisses);
  // each of 16 caches: 300 slots of 6 x 64 floats came down, 1,748 did not; one slot each went up
  assert.equal(gpu.moved.parts, 16 * (300 + 1) * 6 * 64);
  assert.equal(gpu.moved.partsLeftOut, 16 * (2048 - 300 + 2047) * 6 * 64);
  // back to the GPU (a keystroke): the CPU state after 303 tokens goes up as 303 slots a cache
  const k = await r.feed(ids(20, 7), sa);
  const kr = await refRunner.feed(ids(20, 7), sb);
  assert.deepEqual(k.logits, kr.logits);
  assert.equal(gpu.uploaderCalls, 2);
  assert.equal(gpu.moved.parts, 16 * (300 + 1 + 303) * 6 * 64);
  release(sa);
  release(k.state);
  assert.equal(gpu.live().length, 0, 'every fake GPU buffer freed, the padded uploads too');
});

test('toCpu: a part whose mask says more filled slots than it holds comes back whole', async (t) => {
  const gpu = new FakeGpu();
  const prev = installDownloader(gpu.downloader());
  t.after(() => void installDownloader(prev));
  const dims = [1, 4, 2];
  const k = gpu.tensor(seq(8), dims);
  const mask = gpu.tensor(Float32Array.from([0, 1, 1, 1]), [1, 4]);
  const s = new Map([
    ['0.k', k],
    ['0.valid', mask],
  ]);
  adopt(s);
  // a wrong count: one filled slot claimed, three in the mask
  setParts(s, new Map([['0.k', { axis: 1, keep: 1, valid: '0.valid' }]]));
  const before = deviceStateStats();
  await toCpu(s);
  assert.deepEqual([...(s.get('0.k')!.data as Float32Array)], [...seq(8)], 'the whole tensor, not the part');
  assert.equal(deviceStateStats().partialMisses, before.partialMisses + 1);
  assert.equal(gpu.downloaderCalls, 2);
  release(s);
});

test('a provider that cannot run the slice or pad graph: states cross whole, the results the same', async (t) => {
  const gpu = new FakeGpu();
  const real = gpu.downloader();
  // the download with parts fails, the whole one works; the pad graph fails
  const failing = Object.assign(
    async () => {
      throw new Error('Pad: not implemented here');
    },
    { release: async () => {} },
  );
  let tries = 0;
  installTransfers(
    t,
    async (tensors, parts) => {
      if (parts) {
        tries++;
        throw new Error('Slice: not implemented here');
      }
      return real(tensors);
    },
    failing,
  );
  const g = await fakeGpuPair(gpu);
  const r = ModelRunner.withJobs(
    alibi,
    { step: g, keystroke: g, ingest: g },
    { step: 'webgpu', keystroke: 'webgpu', ingest: 'webgpu' },
    'test',
  );
  t.after(() => r.release());
  const refRunner = await cpuRunner(t);
  const before = deviceStateStats();
  const a = await r.feed(ids(40), r.zeroState());
  const b = await refRunner.feed(ids(40), refRunner.zeroState());
  assert.deepEqual(a.logits, b.logits);
  assert.match(partialUploadFailure() ?? '', /Pad: not implemented here/);
  assert.ok(gpu.uploads > 0, 'onnxruntime uploaded the state whole');
  await toCpu(a.state);
  assert.deepEqual([...(a.state.get('4.k')!.data as Float32Array)], [...(b.state.get('4.k')!.data as Float32Array)]);
  assert.equal(deviceStateStats().partialMisses, before.partialMisses + 1);
  // the next download does not try parts again
  const c = await r.feed(ids(20, 9), a.state);
  await toCpu(c.state);
  assert.equal(tries, 1);
  // what info() reports (the bench records it): the fallbacks and why
  const info = gpuStateInfo().partialTransfers;
  assert.match(info?.uploadFailure ?? '', /Pad: not implemented here/);
  assert.equal(info?.downloadsWhole, deviceStateStats().partialMisses);
  assert.ok((info?.downloads ?? 0) >= (info?.downloadsWhole ?? 0));
  release(a.state);
  release(c.state);
  assert.equal(gpu.live().length, 0);
});
