// A stand-in for GPU memory, for the tests of device-resident states (server/engine/deviceState.ts)
// on machines without a GPU (CI). A "GPU tensor" is a real onnxruntime Tensor made with
// Tensor.fromGpuBuffer, so getData, dispose and location behave as onnxruntime's own; only its
// buffer is fake: a JS object holding the values, which counts being freed (twice throws) and which
// a session wrapper reads (a freed one throws: a use after release).
import * as ort from 'onnxruntime-node';
import { markDeviceSession, type Downloader } from '../../server/engine/deviceState';
import type { Uploader } from '../../server/engine/gpuUpload';
import type { Manifest } from '../../server/engine/manifest';
import { padTail, sliceTail, type Part } from '../../server/engine/stateWindows';

export interface FakeBuffer {
  readonly id: number;
  readonly data: Float32Array;
  freed: number;
  downloads: number;
  /** Calls of the tensor's dispose() (onnxruntime frees the buffer through it once; more is a bug). */
  disposeCalls: number;
}

/** Every fake GPU buffer made since the last reset, and counters. */
export class FakeGpu {
  readonly buffers: FakeBuffer[] = [];
  /** GPU inputs a CPU session was given without a download first (must stay 0). */
  cpuSessionSawGpu = 0;
  uploads = 0;

  tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
    const buf: FakeBuffer = { id: this.buffers.length, data, freed: 0, downloads: 0, disposeCalls: 0 };
    this.buffers.push(buf);
    const t = ort.Tensor.fromGpuBuffer({ fake: buf } as unknown as ort.Tensor.GpuBufferType, {
      dataType: 'float32',
      dims,
      download: async () => {
        if (buf.freed) throw new Error(`fake gpu buffer ${buf.id}: downloaded after it was freed`);
        buf.downloads++;
        await new Promise((r) => setImmediate(r)); // a download takes a turn of the event loop
        return buf.data.slice();
      },
      dispose: () => {
        if (buf.freed) throw new Error(`fake gpu buffer ${buf.id}: freed twice`);
        buf.freed++;
      },
    });
    const dispose = t.dispose.bind(t);
    (t as { dispose(): void }).dispose = () => {
      buf.disposeCalls++;
      if (buf.disposeCalls > 1) throw new Error(`fake gpu buffer ${buf.id}: tensor disposed twice`);
      dispose();
    };
    (t as unknown as { fakeBuffer: FakeBuffer }).fakeBuffer = buf;
    return t;
  }

  /** The values of a tensor as a CPU session reads them: a freed GPU buffer or a disposed tensor throws. */
  read(t: ort.Tensor): ort.Tensor {
    if (t.location === 'cpu') return t;
    if (t.location === 'none') throw new Error('a disposed tensor was fed to a session');
    const buf = (t as unknown as { fakeBuffer?: FakeBuffer }).fakeBuffer;
    if (!buf) throw new Error(`a ${t.location} tensor that is not a fake GPU tensor`);
    if (buf.freed) throw new Error(`fake gpu buffer ${buf.id}: used after it was freed`);
    return new ort.Tensor('float32', buf.data, t.dims);
  }

  /** Calls of the downloader() below. */
  downloaderCalls = 0;

  /** Floats that crossed between the CPU and the fake GPU through downloader() and uploader(): in
   *  whole tensors, and in parts (a shift-register cache's filled slots), with the floats parts left out. */
  moved = { whole: 0, parts: 0, partsLeftOut: 0 };

  /** A Downloader as the product's (gpuDownload.ts) behaves: new CPU tensors with the values, the GPU
   *  tensors left for toCpu to dispose; with parts, only a part's slots come back, zeros before them.
   *  Reading a freed buffer throws. */
  downloader(): Downloader {
    return async (tensors, parts) => {
      this.downloaderCalls++;
      await new Promise((r) => setImmediate(r)); // a session call takes a turn of the event loop
      return tensors.map((t, i) => {
        const buf = (t as unknown as { fakeBuffer?: FakeBuffer }).fakeBuffer;
        if (!buf) throw new Error(`a ${t.location} tensor that is not a fake GPU tensor`);
        if (buf.freed) throw new Error(`fake gpu buffer ${buf.id}: downloaded after it was freed`);
        buf.downloads++;
        return new ort.Tensor('float32', this.carried(buf.data, t.dims, parts?.[i]), t.dims);
      });
    };
  }

  /** What a transfer of `data` delivers: a copy, or with a part its slots and zeros before them. */
  private carried(data: Float32Array, dims: readonly number[], p: Part | undefined): Float32Array {
    if (!p) {
      this.moved.whole += data.length;
      return data.slice();
    }
    const part = sliceTail(data, dims, p);
    this.moved.parts += part.length;
    this.moved.partsLeftOut += data.length - part.length;
    return padTail(part, dims, p);
  }

  /** Calls of the uploader() below. */
  uploaderCalls = 0;

  /** An Uploader as the product's (gpuUpload.ts) behaves: each part's slots, zeros before them, in a
   *  new fake GPU tensor (the caller disposes it). */
  uploader(): Uploader {
    const up = async (uploads: Parameters<Uploader>[0]) => {
      this.uploaderCalls++;
      await new Promise((r) => setImmediate(r));
      return uploads.map((u) => this.tensor(this.carried(u.data, u.dims, u.part), u.dims));
    };
    return Object.assign(up, { release: async () => {} });
  }

  /** Buffers not freed yet. */
  live(): FakeBuffer[] {
    return this.buffers.filter((b) => !b.freed);
  }
}

interface RunLike {
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** A real (CPU) session seen as a GPU one: state inputs on the fake GPU are read from their buffers,
 *  CPU ones "uploaded"; state outputs come back as fake GPU tensors, the logits on the CPU. Marked as
 *  a device session, as model.ts marks a WebGPU session with state outputs on 'gpu-buffer'. */
export function fakeGpuSession(inner: ort.InferenceSession, m: Manifest, gpu: FakeGpu): ort.InferenceSession {
  const stateOutputs = new Set(m.state.map((s) => s.output));
  const s: RunLike = {
    async run(feeds) {
      const real: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) {
        if (t.location === 'cpu' && k !== m.inputs.tokens) gpu.uploads++;
        real[k] = gpu.read(t);
      }
      const out = await inner.run(real);
      const wrapped: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(out)) wrapped[k] = stateOutputs.has(k) ? gpu.tensor(t.data as Float32Array, t.dims) : t;
      return wrapped;
    },
    release: () => inner.release(),
  };
  markDeviceSession(s);
  return s as unknown as ort.InferenceSession;
}

/** A real CPU session that counts (and refuses) GPU inputs: the runner must download them first. */
export function checkedCpuSession(inner: ort.InferenceSession, gpu: FakeGpu): ort.InferenceSession {
  const s: RunLike = {
    async run(feeds) {
      for (const t of Object.values(feeds)) {
        if (t.location !== 'cpu') {
          gpu.cpuSessionSawGpu++;
          throw new Error(`a CPU session was given a ${t.location} input`);
        }
      }
      return inner.run(feeds);
    },
    release: () => inner.release(),
  };
  return s as unknown as ort.InferenceSession;
}
