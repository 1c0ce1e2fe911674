// Just enough of ONNX's protobuf to write the small transfer graphs the engine builds at run time
// (gpuDownload.ts, gpuUpload.ts): a few nodes over inputs of any shape, no initializers, opset 17.

/** ONNX TensorProto.DataType of the element types a state may have. */
export const ELEM_TYPE: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 };

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

/** A graph input or output: a tensor of element type `type`, any rank and shape. */
export interface Value {
  name: string;
  type: string;
}

/** A node: `op` over `inputs` into `outputs`. */
export interface Node {
  op: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

function valueInfo(v: Value, what: string): number[] {
  const elem = ELEM_TYPE[v.type];
  if (elem === undefined) throw new Error(`${what}: no ONNX element type for "${v.type}"`);
  // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1 } } }: no shape, any rank
  return [...field(1, v.name), ...field(2, field(1, field(1, elem)))];
}

/** A serialized ModelProto (opset 17) of one graph; `what` names it in errors. */
export function onnxModel(what: string, nodes: readonly Node[], inputs: readonly Value[], outputs: readonly Value[]): Uint8Array {
  const graph: number[] = [];
  // NodeProto { input = 1; output = 2; name = 3; op_type = 4 }
  for (const n of nodes)
    graph.push(
      ...field(1, [
        ...n.inputs.flatMap((i) => field(1, i)),
        ...n.outputs.flatMap((o) => field(2, o)),
        ...field(3, n.name),
        ...field(4, n.op),
      ]),
    );
  graph.push(...field(2, what));
  for (const v of inputs) graph.push(...field(11, valueInfo(v, what)));
  for (const v of outputs) graph.push(...field(12, valueInfo(v, what)));
  // ModelProto { ir_version = 1; graph = 7; opset_import = 8 { domain = 1; version = 2 } }
  return Uint8Array.from([...field(1, 8), ...field(7, graph), ...field(8, [...field(1, ''), ...field(2, 17)])]);
}
