// Does a WebGPU session in the process slow the CPU's decode steps? node stepnoise.cjs DIR MODE
//   cpu:    the CPU step session alone
//   gpu:    plus the WebGPU ingest and blocked ingest sessions (intra-op 4, as the engine opens them), one call each
//   gpu1:   the same with the WebGPU sessions at intra-op 1 and no spinning
//   gpurel: gpu, then the WebGPU sessions released before the steps are timed
const path = require('path');
const ort = require(path.resolve('node_modules/onnxruntime-node'));
const [dir, mode] = process.argv.slice(2);
const m = JSON.parse(require('fs').readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const zero = () => Object.fromEntries(m.state.map((s) => [s.input, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]));
const ids = (n) => new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt((100 + i) % m.vocabSize)), [1, n]);
const opts = (ep, intra, spin) => {
  const o = { executionProviders: ep === 'cpu' ? ['cpu'] : ['webgpu', 'cpu'], graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: intra };
  if (!spin) o.extra = { session: { intra_op: { allow_spinning: '0' } } };
  if (ep !== 'cpu') o.preferredOutputLocation = { [m.outputs.logits]: 'cpu', ...Object.fromEntries(m.state.map((s) => [s.output, 'gpu-buffer'])) };
  return o;
};
(async () => {
  const step = await ort.InferenceSession.create(path.join(dir, m.graphs.step.file), opts('cpu', 4, true));
  let feeds = { ...zero(), [m.inputs.tokens]: ids(1) };
  const one = async () => {
    const out = await step.run(feeds);
    feeds = { [m.inputs.tokens]: ids(1), ...Object.fromEntries(m.state.map((s) => [s.input, out[s.output]])) };
  };
  for (let i = 0; i < 30; i++) await one();
  const gpu = [];
  if (mode !== 'cpu') {
    for (const g of ['ingest', 'ingestBlocked']) {
      const s = await ort.InferenceSession.create(path.join(dir, m.graphs[g].file), mode === 'gpu1' ? opts('webgpu', 1, false) : opts('webgpu', 4, true));
      const n = g === 'ingest' ? 2048 : 8192;
      const out = await s.run({ ...zero(), [m.inputs.tokens]: ids(n) });
      for (const s2 of m.state) out[s2.output].dispose();
      gpu.push(s);
    }
    if (mode === 'gpurel') for (const s of gpu.splice(0)) await s.release();
  }
  const med = [];
  for (let b = 0; b < 3; b++) {
    const t = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await one();
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    med.push(`${t[150].toFixed(2)} (p10 ${t[30].toFixed(2)}, p90 ${t[270].toFixed(2)})`);
  }
  console.log(`${mode.padEnd(6)} step ms, 3 blocks of 300: ${med.join('; ')}`);
})().catch((e) => { console.log(mode, 'error', e.message.split('\n')[0]); process.exit(1); });
