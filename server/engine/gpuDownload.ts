// Bringing 'gpu-buffer' tensors back to the CPU (issue 17). onnxruntime-node 1.30 / 1.31 cannot
// download one (Tensor.getData on it aborts the process), but a session can read one as an input and
// return its outputs on the CPU. So a download is one call of a graph on the provider that made the
// tensors, every output left on the CPU: input i passes unchanged to output i (Identity), or, for a
// shift-register cache whose filled slots are all a transfer needs (stateWindows.ts), only its last
// `keep` slots along its slot axis come back (Slice, the bounds fed as inputs), and the CPU puts the
// zeros before them back. The graphs are written here (a few hundred bytes of ONNX protobuf, one per
// list of element types and sliced entries), so they need no file and fit any model's state.
import * as ort from 'onnxruntime-node';
import type { Downloader, StateTensorLike } from './deviceState';
import { graphSessions } from './graphSessions';
import { onnxModel, type Node, type Value } from './onnxProto';
import { padTail, partDims, type Part } from './stateWindows';

/** An entry of a download graph: its element type, and whether only a part of it comes back. */
export interface DownloadEntry {
  type: string;
  sliced?: boolean;
}

/** A download graph: output `out<i>` is Identity(`in<i>`), or for a sliced entry Slice(`in<i>`, `st<i>`,
 *  `en<i>`, `ax<i>`) with those three fed as int64 [1] tensors; any shapes. */
export function downloadModel(entries: readonly DownloadEntry[]): Uint8Array {
  const nodes: Node[] = [];
  const inputs: Value[] = [];
  const outputs: Value[] = [];
  entries.forEach((e, i) => {
    const bounds = e.sliced ? [`st${i}`, `en${i}`, `ax${i}`] : [];
    inputs.push({ name: `in${i}`, type: e.type }, ...bounds.map((name) => ({ name, type: 'int64' })));
    outputs.push({ name: `out${i}`, type: e.type });
    nodes.push({ op: e.sliced ? 'Slice' : 'Identity', name: `n${i}`, inputs: [`in${i}`, ...bounds], outputs: [`out${i}`] });
  });
  return onnxModel('statewise-download', nodes, inputs, outputs);
}

/** An ONNX model (opset 17) whose output `out<i>` is Identity(`in<i>`), input i of element type
 *  types[i] and any shape. */
export function identityModel(types: readonly string[]): Uint8Array {
  return downloadModel(types.map((type) => ({ type })));
}

const i64 = (v: number) => new ort.Tensor('int64', BigInt64Array.from([BigInt(v)]), [1]);

/** A Downloader running download graphs on `ep` (sessions cached per list of entries). With parts,
 *  entry i brings back only parts[i]'s last `keep` slots (float32 only) and comes back whole, zeros
 *  before them. */
export function sessionDownloader(ep: string): Downloader & { release(): Promise<void> } {
  const sessions = graphSessions<string>(ep);
  const download = async (
    tensors: readonly StateTensorLike[],
    parts?: readonly (Part | undefined)[],
  ): Promise<readonly StateTensorLike[]> => {
    const entries = tensors.map((t, i) => ({ type: t.type, sliced: parts?.[i] !== undefined }));
    for (const [i, e] of entries.entries())
      if (e.sliced && e.type !== 'float32') throw new Error(`a part of a ${e.type} tensor (state entry ${i}): only float32`);
    const key = entries.map((e) => (e.sliced ? `${e.type}/part` : e.type)).join(',');
    const s = sessions.get(key, () => downloadModel(entries));
    const feeds: Record<string, ort.Tensor> = {};
    tensors.forEach((t, i) => {
      feeds[`in${i}`] = t as unknown as ort.Tensor;
      const p = parts?.[i];
      if (!p) return;
      const slots = t.dims[p.axis]!;
      Object.assign(feeds, { [`st${i}`]: i64(slots - p.keep), [`en${i}`]: i64(slots), [`ax${i}`]: i64(p.axis) });
    });
    const out = await (await s).run(feeds);
    return tensors.map((t, i) => {
      const o = out[`out${i}`]!;
      const p = parts?.[i];
      if (!p) return o;
      const want = partDims(t.dims, p);
      if (o.dims.join(',') !== want.join(','))
        throw new Error(`a download's part has dims [${o.dims.join(',')}], expected [${want.join(',')}]`);
      return new ort.Tensor('float32', padTail(o.data as Float32Array, t.dims, p), [...t.dims]);
    });
  };
  return Object.assign(download, { release: () => sessions.release() });
}
