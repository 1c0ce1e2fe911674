// Giving a GPU session a CPU state whose shift-register caches are mostly empty (issue 17, "copy only
// what changed"): onnxruntime would upload every slot of a CPU tensor fed to a WebGPU session, 48 MiB
// for ALiBi's 2,048-slot cache after a handful of tokens. Instead only the filled slots travel
// (stateWindows.ts), and a graph on the GPU pads them back to the entry's shape (Pad, zeros before):
// its outputs stay in GPU memory and are fed to the model call as its state inputs. The graph holds
// one more, CPU-located output: a session whose every output is a 'gpu-buffer' aborts the process in
// onnxruntime-node 1.30 / 1.31 (scripts/gpu-state-repro.mjs, variant gpu-all-noread).
import * as ort from 'onnxruntime-node';
import { graphSessions } from './graphSessions';
import { onnxModel, type Node, type Value } from './onnxProto';
import { partDims, sliceTail, type Part } from './stateWindows';

/** A pad graph of `count` entries: `out<i>` = Pad(`p<i>`, `pd<i>`) (float32, pads int64 [2 * rank]),
 *  and `tock` = Identity(`tick`), the output left on the CPU. */
export function padModel(count: number): Uint8Array {
  const nodes: Node[] = [{ op: 'Identity', name: 'tick', inputs: ['tick'], outputs: ['tock'] }];
  const inputs: Value[] = [{ name: 'tick', type: 'float32' }];
  const outputs: Value[] = [{ name: 'tock', type: 'float32' }];
  for (let i = 0; i < count; i++) {
    inputs.push({ name: `p${i}`, type: 'float32' }, { name: `pd${i}`, type: 'int64' });
    outputs.push({ name: `out${i}`, type: 'float32' });
    nodes.push({ op: 'Pad', name: `pad${i}`, inputs: [`p${i}`, `pd${i}`], outputs: [`out${i}`] });
  }
  return onnxModel('statewise-upload', nodes, inputs, outputs);
}

/** A CPU tensor to upload, and the part of it that is worth carrying. */
export interface Upload {
  data: Float32Array;
  dims: readonly number[];
  part: Part;
}

/** Uploads each tensor's part and pads it to its dims on the GPU: device tensors (the caller's, to
 *  dispose), in order. */
export type Uploader = ((uploads: readonly Upload[]) => Promise<ort.Tensor[]>) & { release(): Promise<void> };

/** ONNX Pad's pads for a part: `before` slots ahead of it along its axis, nothing else. */
export function padsFor(dims: readonly number[], p: Part): bigint[] {
  const pads = new Array<bigint>(2 * dims.length).fill(0n);
  pads[p.axis] = BigInt(dims[p.axis]! - p.keep);
  return pads;
}

/** An Uploader running pad graphs on `ep` (one session per number of entries), outputs on the device
 *  (`location`: 'gpu-buffer'; the CPU in tests). */
export function sessionUploader(ep: string, location: 'gpu-buffer' | 'cpu' = 'gpu-buffer'): Uploader {
  const sessions = graphSessions<number>(ep);
  const upload = async (uploads: readonly Upload[]): Promise<ort.Tensor[]> => {
    const n = uploads.length;
    const s = sessions.get(n, () => padModel(n), {
      preferredOutputLocation: { tock: 'cpu', ...Object.fromEntries(uploads.map((_, i) => [`out${i}`, location])) },
    });
    const feeds: Record<string, ort.Tensor> = { tick: new ort.Tensor('float32', new Float32Array(1), [1]) };
    uploads.forEach((u, i) => {
      feeds[`p${i}`] = new ort.Tensor('float32', sliceTail(u.data, u.dims, u.part), partDims(u.dims, u.part));
      feeds[`pd${i}`] = new ort.Tensor('int64', BigInt64Array.from(padsFor(u.dims, u.part)), [2 * u.dims.length]);
    });
    const out = await (await s).run(feeds);
    return uploads.map((_, i) => out[`out${i}`]!);
  };
  return Object.assign(upload, { release: () => sessions.release() });
}
