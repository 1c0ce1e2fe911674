// The graph onnxruntime-node actually runs (CPU provider, all optimizations: constant folding of
// the fp16 weight Casts, fusions), written to OUT for node counts:
//   node models/python/ort_optimized.mjs MODEL.onnx OUT.onnx [basic|extended|all]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const ort = require('onnxruntime-node');
const [model, out, level] = process.argv.slice(2);
await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: level ?? 'all',
  optimizedModelFilePath: path.resolve(out),
});
