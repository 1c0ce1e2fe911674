// A state's shift-register caches crossing between the CPU and a GPU whole or as their filled slots
// (issue 17, "copy only what changed"; server/engine/stateWindows.ts): on a GPU machine, for a model
// whose manifest declares windows (ALiBi: 16 caches of 2,048 slots, 48 MiB), times the engine's own
// download (gpuDownload.ts) of a state left on the GPU after n tokens, whole and as parts, and a
// 1-token prefill call given that state from the CPU, uploaded whole by onnxruntime or as parts padded
// on the GPU (gpuUpload.ts); each pair alternated, and checked to give the same values and logits.
//   printf "export * from './server/engine/gpuDownload';\nexport * from './server/engine/gpuUpload';\n%s\n" \
//     "export * from './server/engine/stateWindows';" | npx esbuild --bundle --platform=node --format=esm \
//     --external:onnxruntime-node --sourcefile=lib.ts --outfile=.gpuprobe/transfer-lib.mjs
//   node scripts/gpu-transfer-bench.mjs MODEL_DIR --lib .gpuprobe/transfer-lib.mjs [--ep webgpu]
//     [--fills 16,256,1024,2000] [--reps 9] [--out FILE.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const dir = args[0];
const ep = opt('ep', 'webgpu');
const reps = Number(opt('reps', '9'));
const fills = opt('fills', '16,256,1024,2000').split(',').map(Number);
const lib = await import(pathToFileURL(resolve(opt('lib', '.gpuprobe/transfer-lib.mjs'))).href);
const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const windows = lib.windowedEntries(m);
if (windows.length === 0) throw new Error(`${dir}: the manifest declares no windowed state entries`);
const where = { [m.outputs.logits]: 'cpu', ...Object.fromEntries(m.state.map((s) => [s.output, 'gpu-buffer'])) };
const prefill = await ort.InferenceSession.create(join(dir, m.graphs.prefill.file), {
  executionProviders: [ep, 'cpu'],
  ...(ep === 'cpu' ? {} : { preferredOutputLocation: where }), // --ep cpu: a check of this script
});
const max = m.graphs.prefill.maxTokens;
const down = lib.sessionDownloader(ep);
const up = lib.sessionUploader(ep, ep === 'cpu' ? 'cpu' : 'gpu-buffer');
const zero = () =>
  new Map(m.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]));
const ids = (n, from) => Array.from({ length: n }, (_, i) => 100 + (((from + i) * 37) % 5000));
const dispose = (st) => {
  for (const t of st.values()) if (t.location === 'gpu-buffer') t.dispose();
};
async function call(ids_, st, replace = new Map()) {
  const feeds = { [m.inputs.tokens]: new ort.Tensor('int64', BigInt64Array.from(ids_, BigInt), [1, ids_.length]) };
  for (const s of m.state) feeds[s.input] = replace.get(s.name) ?? st.get(s.name);
  const out = await prefill.run(feeds);
  return { logits: out[m.outputs.logits].data, state: new Map(m.state.map((s) => [s.name, out[s.output]])) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const same = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
const names = m.state.map((s) => s.name);
const rows = [];
for (const n of fills) {
  let st = zero();
  for (let fed = 0; fed < n;) {
    const c = Math.min(max, n - fed);
    const r = await call(ids(c, fed), st);
    dispose(st);
    st = r.state;
    fed += c;
  }
  const filled = new Map(windows.map((w) => [w.valid, n]));
  const parts = lib.partsWorthIt(windows, filled);
  const partList = names.map((k) => parts?.get(k));
  const tensors = names.map((k) => st.get(k));
  const t = { downWhole: [], downParts: [], upWhole: [], upParts: [], fromGpu: [] };
  let equal = true;
  let logitsEqual = true;
  let cpuState;
  for (let i = 0; i <= reps; i++) {
    let t0 = performance.now();
    const whole = await down(tensors);
    const dw = performance.now() - t0;
    t0 = performance.now();
    const part = await down(tensors, parts ? partList : undefined);
    const dp = performance.now() - t0;
    if (i === 0) equal = whole.every((x, j) => same(x.data, part[j].data));
    cpuState = new Map(names.map((k, j) => [k, whole[j]]));
    // a 1-token call from the state on the GPU, then from its CPU copy uploaded whole, then as parts
    t0 = performance.now();
    const g = await call([42], st);
    const tg = performance.now() - t0;
    dispose(g.state);
    t0 = performance.now();
    const a = await call([42], cpuState);
    const uw = performance.now() - t0;
    dispose(a.state);
    t0 = performance.now();
    const padded = parts ? await up([...parts].map(([k, p]) => ({ data: cpuState.get(k).data, dims: cpuState.get(k).dims, part: p }))) : [];
    const b = await call([42], cpuState, new Map([...(parts?.keys() ?? [])].map((k, j) => [k, padded[j]])));
    const up_ = performance.now() - t0;
    for (const x of padded) if (x.location === 'gpu-buffer') x.dispose();
    dispose(b.state);
    if (i === 0) logitsEqual = same(a.logits, b.logits) && same(a.logits, g.logits);
    if (i === 0) continue; // the first of each: sessions created, kernels compiled
    t.downWhole.push(dw);
    t.downParts.push(dp);
    t.fromGpu.push(tg);
    t.upWhole.push(uw);
    t.upParts.push(up_);
  }
  dispose(st);
  const row = {
    tokens: n,
    parts: parts ? `${parts.size} entries, ${[...parts.values()][0].keep} of ${windows[0].slots} slots` : 'none (not worth it)',
    stateMiB: +(m.state.reduce((a, s) => a + 4 * s.shape.reduce((x, y) => x * y, 1), 0) / 2 ** 20).toFixed(1),
    sameValues: equal,
    sameLogits: logitsEqual,
    ms: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, +median(v).toFixed(2)])),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const res = { dir, ep, ort: ort.env.versions?.common ?? 'unknown', reps, rows };
if (opt('out')) writeFileSync(opt('out'), JSON.stringify(res, null, 1));
await down.release();
await up.release();
await prefill.release();
