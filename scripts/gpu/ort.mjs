// Running a model's graphs for scripts/gpu-placement.mjs: which onnxruntime-node to load (--ort DIR or
// the project's own), the execution-provider list for an --ep name, and a graph's inputs (zero state,
// deterministic token ids) as named by the model's manifest.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const loadOrt = async (dir) =>
  dir ? import(pathToFileURL(createRequire(join(dir, 'x.js')).resolve('onnxruntime-node')).href) : import('onnxruntime-node');

export const epOf = (ep) => (ep === 'webgpu-novalid' ? [{ name: 'webgpu', validationMode: 'disabled' }] : [ep]);

export function feeder(ort, m) {
  const state = () =>
    Object.fromEntries(
      m.state.map((st) => {
        const n = st.shape.reduce((a, b) => a * b, 1);
        const f16 = st.dtype === 'float16';
        return [
          st.input ?? `state_in.${st.name}`,
          new ort.Tensor(f16 ? 'float16' : 'float32', f16 ? new Uint16Array(n) : new Float32Array(n), st.shape),
        ];
      }),
    );
  const ids = (T, at = 0) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: T }, (_, i) => BigInt(100 + ((at + i) % 1000))),
      [1, T],
    );
  return { state, ids, tokens: m.inputs.tokens, logits: m.outputs.logits };
}
