// Does the product's way back from the GPU work on a real one (issue 17)? onnxruntime-node cannot
// download a 'gpu-buffer' tensor (getData aborts the process), so server/engine/gpuDownload.ts runs an
// identity graph on the GPU's provider with outputs on the CPU. This runs a model's step and prefill
// graphs on WebGPU with the state kept on the GPU, brings the state back through that code (bundled
// from the source: --downloader FILE, see below) and compares it with the CPU's after the same calls;
// then feeds the downloaded state to a CPU session, as `auto` does when it splits jobs.
//   npx esbuild server/engine/gpuDownload.ts --bundle --platform=node --format=esm \
//     --external:onnxruntime-node --outfile=.gpuprobe/gpuDownload.mjs
//   node scripts/gpu-download-check.mjs MODEL_DIR --downloader .gpuprobe/gpuDownload.mjs [--ep webgpu]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const dir = args[0];
const ep = opt('ep', 'webgpu');
const { sessionDownloader } = await import(pathToFileURL(resolve(opt('downloader', '.gpuprobe/gpuDownload.mjs'))).href);
const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const gpuWhere = { [m.outputs.logits]: 'cpu', ...Object.fromEntries(m.state.map((s) => [s.output, 'gpu-buffer'])) };
const open = (graph, where, provider = where ? ep : 'cpu') =>
  ort.InferenceSession.create(join(dir, m.graphs[graph].file), {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    ...(where ? { preferredOutputLocation: where } : {}),
  });
const zero = () =>
  new Map(m.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]));
async function call(sess, ids, state) {
  const feeds = { [m.inputs.tokens]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) };
  for (const s of m.state) feeds[s.input] = state.get(s.name);
  const out = await sess.run(feeds);
  return { logits: out[m.outputs.logits].data, state: new Map(m.state.map((s) => [s.name, out[s.output]])) };
}
const maxDiff = (a, b) => a.reduce((d, x, i) => Math.max(d, Math.abs(x - b[i])), 0);
const report = (o) => console.log(JSON.stringify(o));

const cpu = { step: await open('step'), prefill: await open('prefill') };
const gpu = { step: await open('step', gpuWhere), prefill: await open('prefill', gpuWhere) };
// the same provider with every output read back by onnxruntime: what the download must reproduce exactly
const plain = { step: await open('step', undefined, ep), prefill: await open('prefill', undefined, ep) };
const download = sessionDownloader(ep);
for (const [name, ids] of [
  ['prefill 256, then 8 steps', Array.from({ length: 256 }, (_, i) => 100 + ((i * 37) % 5000))],
  ['prefill 16, then 8 steps', Array.from({ length: 16 }, (_, i) => 300 + i)],
]) {
  try {
    let c = await call(cpu.prefill, ids, zero());
    let g = await call(gpu.prefill, ids, zero());
    let p = await call(plain.prefill, ids, zero());
    const steps = [5, 17, 99, 1000, 42, 7, 3000, 11];
    for (const id of steps) {
      c = await call(cpu.step, [id], c.state);
      p = await call(plain.step, [id], p.state);
      const prev = g.state;
      g = await call(gpu.step, [id], prev);
      for (const t of prev.values()) if (t.location !== 'cpu') t.dispose();
    }
    const where = [...new Set([...g.state.values()].map((t) => t.location))].join(',');
    const t0 = performance.now();
    const names = [...g.state.keys()];
    const back = await download(names.map((k) => g.state.get(k)));
    const ms = performance.now() - t0;
    const t1 = performance.now();
    for (let r = 0; r < 5; r++) await download(names.map((k) => g.state.get(k)));
    const msWarm = (performance.now() - t1) / 5;
    const downloaded = new Map(names.map((k, i) => [k, back[i]]));
    const stateDiff = Math.max(...names.map((k) => maxDiff(downloaded.get(k).data, p.state.get(k).data)));
    const cpuDiff = Math.max(...names.map((k) => maxDiff(downloaded.get(k).data, c.state.get(k).data)));
    // the downloaded state fed to a CPU session, as `auto` does: the next logits against the CPU's own
    const nc = await call(cpu.step, [123], c.state);
    const nd = await call(cpu.step, [123], downloaded);
    report({
      case: name,
      ep,
      stateLocationBefore: where,
      stateLocationAfter: [...new Set(back.map((t) => t.location))].join(','),
      tensors: names.length,
      downloadMsFirst: +ms.toFixed(2),
      downloadMsWarm: +msWarm.toFixed(2),
      maxStateDiffVsSameProviderReadBack: stateDiff,
      maxStateDiffVsCpuProvider: cpuDiff,
      maxLogitDiffGpuVsCpu: maxDiff(g.logits, c.logits),
      maxNextLogitDiffCpuFedDownloaded: maxDiff(nd.logits, nc.logits),
      ok: where === 'gpu-buffer' && back.every((t) => t.location === 'cpu') && stateDiff === 0,
    });
  } catch (e) {
    report({ case: name, ep, error: String(e?.message ?? e).split('\n')[0] });
  }
}
await download.release();
