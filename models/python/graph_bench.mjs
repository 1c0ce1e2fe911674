// Median call times of the graphs of model folders side by side (onnxruntime-node, the engine's
// session options aside), alternating folders every repetition:
//   node models/python/graph_bench.mjs [--reps N] [--threads N] [--ep cpu|webgpu|cuda]
//        [--cases step:1,prefill:16,prefill:256,ingest:2048] DIR_A/ARCH DIR_B/ARCH ...
// A case names a graph of the manifest and a call length; each call starts from the zero state.
// The first call of each case is printed apart: on a GPU it includes compiling the graph's kernels
// for that call length (a length never seen before costs that again).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const ort = require('onnxruntime-node');
const args = process.argv.slice(2);
const str = (k, d) => { const i = args.indexOf(k); if (i < 0) return d; const v = args[i + 1]; args.splice(i, 2); return v; };
const opt = (k, d) => Number(str(k, d));
const reps = opt('--reps', 15), threads = opt('--threads', 2), ep = str('--ep', 'cpu');
const cases = str('--cases', 'step:1,prefill:16,prefill:256').split(',').map((c) => { const [g, n] = c.split(':'); return [g, Number(n)]; });
const folders = [];
for (const dir of args) {
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const so = { executionProviders: [ep], intraOpNumThreads: threads };
  const f = { dir, m, t: {}, first: {} };
  for (const g of new Set(cases.map(([g]) => g))) {
    if (!m.graphs[g]) throw new Error(`${dir}: the manifest names no ${g} graph`);
    f[g] = await ort.InferenceSession.create(path.join(dir, m.graphs[g].file), so);
  }
  folders.push(f);
}
function feeds(m, n) {
  const f = { [m.inputs.tokens]: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(100 + ((i * 37) % 5000))), [1, n]) };
  for (const s of m.state) f[s.input] = new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape);
  return f;
}
for (let r = -2; r < reps; r++) {
  for (const f of folders) {
    for (const [g, n] of cases) {
      const x = feeds(f.m, n);
      const t0 = process.hrtime.bigint();
      await f[g].run(x);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= 0) (f.t[`${g}(${n})`] ??= []).push(ms);
      else if (r === -2) f.first[`${g}(${n})`] = ms;
    }
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
console.log(`median ms over ${reps} calls, ${threads} threads, ${ep}`);
console.log(['folder', ...cases.map(([g, n]) => `${g}(${n})`)].join('\t'));
for (const f of folders) console.log([f.dir, ...cases.map(([g, n]) => med(f.t[`${g}(${n})`]).toFixed(2))].join('\t'));
console.log('first call of each case, ms');
for (const f of folders) console.log([f.dir, ...cases.map(([g, n]) => f.first[`${g}(${n})`].toFixed(2))].join('\t'));
