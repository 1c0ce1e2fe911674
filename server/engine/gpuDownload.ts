// Bringing 'gpu-buffer' tensors back to the CPU (issue 17). onnxruntime-node 1.30 / 1.31 cannot
// download one (Tensor.getData on it aborts the process), but a session can read one as an input and
// return its outputs on the CPU. So a download is one call of an identity graph — input i passes
// unchanged to output i — on the provider that made the tensors, every output left on the CPU.
// The graph is written here (a few bytes of ONNX protobuf, one per list of element types), so it
// needs no file and fits any model's state.
import * as ort from 'onnxruntime-node';
import type { Downloader, StateTensorLike } from './deviceState';

/** ONNX TensorProto.DataType of the element types a state may have. */
const ELEM_TYPE: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 };

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A protobuf field: a varint (wire type 0) or bytes / a message (wire type 2). */
function field(no: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint(no << 3), ...varint(value)];
  const bytes = typeof value === 'string' ? [...Buffer.from(value, 'utf8')] : value;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
}

/** An ONNX model (opset 17) whose output `out<i>` is Identity(`in<i>`), input i of element type
 *  types[i] and any shape. */
export function identityModel(types: readonly string[]): Uint8Array {
  const graph: number[] = [];
  const valueInfo = (name: string, t: string): number[] => {
    const elem = ELEM_TYPE[t];
    if (elem === undefined) throw new Error(`identityModel: no ONNX element type for "${t}"`);
    // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1 } } }: no shape, any rank
    return [...field(1, name), ...field(2, field(1, field(1, elem)))];
  };
  types.forEach((_, i) => {
    // NodeProto { input = 1; output = 2; name = 3; op_type = 4 }
    graph.push(...field(1, [...field(1, `in${i}`), ...field(2, `out${i}`), ...field(3, `id${i}`), ...field(4, 'Identity')]));
  });
  graph.push(...field(2, 'statewise-download'));
  types.forEach((t, i) => graph.push(...field(11, valueInfo(`in${i}`, t))));
  types.forEach((t, i) => graph.push(...field(12, valueInfo(`out${i}`, t))));
  // ModelProto { ir_version = 1; graph = 7; opset_import = 8 { domain = 1; version = 2 } }
  return Uint8Array.from([...field(1, 8), ...field(7, graph), ...field(8, [...field(1, ''), ...field(2, 17)])]);
}

/** A Downloader running an identity session on `ep` (sessions cached per list of element types). */
export function sessionDownloader(ep: string): Downloader & { release(): Promise<void> } {
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const download = async (tensors: readonly StateTensorLike[]): Promise<readonly StateTensorLike[]> => {
    const types = tensors.map((t) => t.type);
    const key = types.join(',');
    let s = sessions.get(key);
    if (!s) {
      s = ort.InferenceSession.create(identityModel(types), {
        executionProviders: ep === 'cpu' ? ['cpu'] : [ep as 'webgpu', 'cpu'],
        graphOptimizationLevel: 'disabled',
      });
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    const feeds = Object.fromEntries(tensors.map((t, i) => [`in${i}`, t as unknown as ort.Tensor]));
    const out = await (await s).run(feeds);
    return tensors.map((_, i) => out[`out${i}`]!);
  };
  return Object.assign(download, {
    async release() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map(async (p) => (await p).release().catch(() => {})));
    },
  });
}
