// onnxruntime-node behind a line protocol, for export_onnx.py on machines without Python onnxruntime
// (the CPU machine): one JSON request per stdin line {model, dir, feeds: {name: {dims, type, file}}, threads},
// one JSON reply per stdout line {outputs: {name: {dims, file}}, outputNames} or {error}; tensors are raw
// little-endian files (outputs written into `dir`), so their size is not bounded by a string's. Sessions are cached.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const ort = require('onnxruntime-node');
const sessions = new Map();
const Typed = { float32: Float32Array, int64: BigInt64Array };

async function handle(req) {
  let s = sessions.get(req.model);
  if (!s) {
    s = await ort.InferenceSession.create(req.model, { intraOpNumThreads: req.threads ?? 2, executionProviders: ['cpu'] });
    sessions.set(req.model, s);
  }
  const feeds = {};
  for (const [name, f] of Object.entries(req.feeds)) {
    const buf = readFileSync(f.file);
    const T = Typed[f.type];
    const data = new T(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    feeds[name] = new ort.Tensor(f.type, data, f.dims);
  }
  const out = await s.run(feeds);
  const outputs = {};
  s.outputNames.forEach((name, i) => {
    const t = out[name];
    const file = path.join(req.dir, `out${i}.bin`);
    writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    outputs[name] = { dims: t.dims, file };
  });
  return { outputs, outputNames: s.outputNames };
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let reply;
  try { reply = await handle(JSON.parse(line)); } catch (e) { reply = { error: String(e?.stack ?? e) }; }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
