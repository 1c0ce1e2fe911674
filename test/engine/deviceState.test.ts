// Ownership of states kept on the GPU (server/engine/deviceState.ts) and of the stores that hold
// them, with fake GPU tensors (test/helpers/fakeGpu.ts: real onnxruntime Tensors over a fake buffer
// that counts being freed): every state is disposed exactly once, when its last holder lets go, and
// never used after that; CPU states are left alone; downloads happen once per tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import {
  adopt,
  deviceStateStats,
  isCounted,
  locationOf,
  release,
  retain,
  StateReleasedError,
  stateBytes,
  stateTensors,
  toCpu,
  installDownloader,
} from '../../server/engine/deviceState';
import { CheckpointStore, StreamHash } from '../../server/engine/checkpoints';
import { FoldStore } from '../../server/engine/folds';
import { decode, type Stepper } from '../../server/engine/decode';
import type { State } from '../../server/engine/model';
import { FakeGpu, type FakeBuffer } from '../helpers/fakeGpu';

/** A counted two-tensor state on the fake GPU, as a model call returns it (one reference, the caller's). */
function gpuState(gpu: FakeGpu, v: number, floats = 4): State {
  return adopt(
    new Map([
      ['a', gpu.tensor(new Float32Array(floats).fill(v), [1, floats])],
      ['b', gpu.tensor(new Float32Array(floats).fill(-v), [1, floats])],
    ]),
  );
}
const buffersOf = (s: State) => [...s.values()].map((t) => (t as unknown as { fakeBuffer: FakeBuffer }).fakeBuffer);
const freed = (s: State) => buffersOf(s).every((b) => b.freed === 1 && b.disposeCalls === 1);
const alive = (s: State) => buffersOf(s).every((b) => b.freed === 0 && b.disposeCalls === 0);

test('a GPU state: the last release disposes each tensor once; a use after that throws', () => {
  const gpu = new FakeGpu();
  const before = deviceStateStats();
  const s = gpuState(gpu, 1);
  assert.equal(locationOf(s), 'gpu-buffer');
  assert.ok(isCounted(s));
  assert.equal(stateBytes(s), 2 * 4 * 4, 'bytes from the shapes: a GPU tensor has no readable data');
  assert.equal(deviceStateStats().live, before.live + 1);
  retain(s); // a second holder
  release(s);
  assert.ok(alive(s), 'one holder left');
  release(s);
  assert.ok(freed(s));
  assert.equal(locationOf(s), 'released');
  assert.equal(deviceStateStats().live, before.live);
  assert.throws(() => retain(s), StateReleasedError);
  assert.throws(() => release(s), StateReleasedError, 'a second release of the last reference');
  assert.ok(freed(s), 'still freed once');
});

test('a CPU state is not counted: retain and release change nothing, nothing is disposed', () => {
  const t = new ort.Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]);
  const s: State = adopt(new Map([['a', t]]));
  assert.equal(isCounted(s), false);
  retain(s);
  release(s);
  release(s);
  release(s);
  assert.equal(t.location, 'cpu');
  assert.deepEqual(Array.from(t.data as Float32Array), [1, 2, 3]);
  assert.equal(stateBytes(s), 12);
});

test('CheckpointStore: a put holds the state, eviction and clear let go; a state held elsewhere survives eviction', () => {
  const gpu = new FakeGpu();
  const store = new CheckpointStore(2 * 32); // two 32-byte states fit
  const key = (i: number) => {
    const h = StreamHash.of('r');
    h.push(i);
    return h.key(1);
  };
  const states = [1, 2, 3, 4].map((v) => gpuState(gpu, v));
  // the producer keeps state 1 (a request still reading it) and gives up the others once stored
  for (const [i, s] of states.entries()) store.put(key(i), 1, s);
  for (const s of states.slice(1)) release(s);
  assert.equal(store.size, 2);
  assert.ok(alive(states[0]!), 'evicted but still held by its producer');
  assert.ok(freed(states[1]!), 'evicted, no other holder: disposed');
  assert.ok(alive(states[2]!) && alive(states[3]!), 'kept by the store');
  release(states[0]!);
  assert.ok(freed(states[0]!), 'the last holder let go');
  // a put under a key already stored holds nothing more
  store.put(key(3), 1, states[3]!);
  store.clear();
  assert.ok(freed(states[2]!) && freed(states[3]!));
  assert.equal(store.size, 0);
});

test('CheckpointStore over its cap: the one state kept is held, the next put lets it go', () => {
  const gpu = new FakeGpu();
  const store = new CheckpointStore(8);
  const big = gpuState(gpu, 1, 64);
  store.put('k1', 1, big);
  release(big);
  assert.ok(alive(big), 'kept alone over the cap');
  const next = gpuState(gpu, 2, 64);
  store.put('k2', 1, next);
  release(next);
  assert.ok(freed(big));
  assert.ok(alive(next));
  store.setCap(0);
  assert.ok(alive(next), 'the most recent entry is never evicted');
  store.clear();
  assert.ok(freed(next));
});

test('FoldStore: replacing, retainOnly, eviction and clear each let go once; the same state put twice stays', () => {
  const gpu = new FakeGpu();
  const folds = new FoldStore(3 * 32);
  const cp = (key: string, state: State) => ({ key, files: 1, tokens: 1, state });
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((v) => gpuState(gpu, v));
  folds.put(cp('a', a!));
  folds.put(cp('a', a!)); // the same state under the same key: one holder still
  folds.put(cp('b', b!));
  for (const s of [a, b]) release(s!);
  assert.ok(alive(a!) && alive(b!));
  folds.put(cp('b', c!)); // replaces b
  release(c!);
  assert.ok(freed(b!) && alive(c!));
  folds.put(cp('d', d!));
  folds.put(cp('e', e!), new Set(['e', 'd']));
  release(d!);
  release(e!);
  assert.ok(freed(a!), 'over the cap: the least recently used unprotected entry went');
  folds.retainOnly(new Set(['e']));
  assert.ok(freed(c!) && freed(d!) && alive(e!));
  folds.clear();
  assert.ok(freed(e!));
});

test('decode: alternatives forked from one state never dispose it; every step state is disposed once', async () => {
  const gpu = new FakeGpu();
  const made: State[] = [];
  const model: Stepper = {
    async step(id, state) {
      assert.notEqual(locationOf(state), 'released', 'a step was given a released state');
      const s = gpuState(gpu, id);
      made.push(s);
      return { logits: new Float32Array([0, 1, 0, 0]), state: s };
    },
  };
  const tok = {
    tokenBytes: [new Uint8Array([97]), new Uint8Array([98]), new Uint8Array([99]), new Uint8Array([100])],
    specialIds: new Set<number>(),
    decodeBytes: (b: Uint8Array) => new TextDecoder().decode(b),
  };
  const fork = gpuState(gpu, 9);
  for (let k = 0; k < 3; k++) {
    await decode(model, tok as never, {
      logits: new Float32Array([0, 1, 0, 0]),
      state: fork,
      maxTokens: 4,
      stops: new Set(),
      banned: new Set(),
      temperature: 0,
      topP: 1,
      rng: () => 0,
      shouldStop: () => false,
    });
    assert.ok(alive(fork), `alternative ${k}: the forked state is still alive`);
  }
  assert.ok(made.length >= 3 * 3);
  assert.ok(made.every(freed), 'each step state disposed exactly once');
  // cancelled mid-way: the state in hand is released too
  let calls = 0;
  await decode(model, tok as never, {
    logits: new Float32Array([0, 1, 0, 0]),
    state: fork,
    maxTokens: 10,
    stops: new Set(),
    banned: new Set(),
    temperature: 0,
    topP: 1,
    rng: () => 0,
    shouldStop: () => ++calls > 3,
  });
  assert.ok(made.every(freed));
  release(fork);
  assert.ok(freed(fork));
});

test('toCpu: downloads each tensor once in place (concurrent callers share it); the state stays counted', async () => {
  const gpu = new FakeGpu();
  const s = gpuState(gpu, 3);
  const live = deviceStateStats().live;
  await Promise.all([toCpu(s), toCpu(s), stateTensors(s, ['a', 'b'])]);
  assert.equal(deviceStateStats().live, live - 1, 'no longer counted as on the GPU');
  assert.deepEqual(
    buffersOf(s).map((b) => b.downloads),
    [1, 1],
  );
  assert.equal(locationOf(s), 'cpu');
  assert.ok(
    buffersOf(s).every((b) => b.freed === 1),
    'the GPU copy is freed once downloaded',
  );
  const saved = await stateTensors(s, ['a', 'b']);
  assert.deepEqual(
    saved.map((t) => [t.name, t.dims, Array.from(t.data)]),
    [
      ['a', [1, 4], [3, 3, 3, 3]],
      ['b', [1, 4], [-3, -3, -3, -3]],
    ],
  );
  assert.ok(isCounted(s));
  release(s);
  assert.ok(
    buffersOf(s).every((b) => b.disposeCalls === 1 && b.freed === 1),
    'disposed once, the buffer not freed again',
  );
  await assert.rejects(toCpu(s), StateReleasedError);
  await assert.rejects(stateTensors(s, ['a']), StateReleasedError);
});

test('stateTensors holds the state while it downloads: a release meanwhile does not free it under the read', async () => {
  const gpu = new FakeGpu();
  const s = gpuState(gpu, 5);
  const reading = stateTensors(s, ['a', 'b']);
  release(s); // the only other holder lets go during the download
  const saved = await reading;
  assert.deepEqual(Array.from(saved[0]!.data), [5, 5, 5, 5]);
  assert.ok(
    buffersOf(s).every((b) => b.disposeCalls === 1),
    'disposed once, after the read',
  );
});

test('toCpu with a downloader that makes new tensors (the product on onnxruntime-node): one call for concurrent callers, entries replaced in place, the GPU copies disposed once', async (t) => {
  const gpu = new FakeGpu();
  const prev = installDownloader(gpu.downloader());
  t.after(() => void installDownloader(prev));
  const s = gpuState(gpu, 7);
  const bufs = buffersOf(s);
  const [a] = await Promise.all([stateTensors(s, ['a', 'b']), toCpu(s), toCpu(s)]);
  assert.equal(gpu.downloaderCalls, 1, 'one download for the three callers');
  assert.deepEqual(Array.from(a[1]!.data), [-7, -7, -7, -7]);
  assert.equal(locationOf(s), 'cpu', 'every holder of the state now sees CPU tensors');
  assert.ok(
    bufs.every((b) => b.freed === 1 && b.disposeCalls === 1 && b.downloads === 1),
    'each GPU copy downloaded and disposed once',
  );
  await toCpu(s);
  assert.equal(gpu.downloaderCalls, 1, 'nothing left to download');
  release(s);
  assert.equal(locationOf(s), 'released');
  assert.ok(
    bufs.every((b) => b.disposeCalls === 1),
    'the last release disposes the CPU copies, not the GPU tensors again',
  );
});

test('toCpu: a downloader that fails leaves the state on the GPU and usable; the error reaches the caller', async (t) => {
  const gpu = new FakeGpu();
  const prev = installDownloader(async () => {
    throw new Error('no adapter');
  });
  t.after(() => void installDownloader(prev));
  const s = gpuState(gpu, 2);
  await assert.rejects(toCpu(s), /no adapter/);
  assert.equal(locationOf(s), 'gpu-buffer');
  installDownloader(gpu.downloader());
  await toCpu(s);
  assert.equal(locationOf(s), 'cpu');
  release(s);
  assert.equal(locationOf(s), 'released');
});
