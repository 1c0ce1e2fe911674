// session creation on webgpu, one process per order: node create.cjs DIR graph1,graph2,...
const ort = require(require('path').resolve('node_modules/onnxruntime-node'));
const [dir, order] = process.argv.slice(2);
const m = JSON.parse(require('fs').readFileSync(dir + '/manifest.json', 'utf8'));
const where = { [m.outputs.logits]: 'cpu', ...Object.fromEntries(m.state.map((s) => [s.output, 'gpu-buffer'])) };
(async () => {
  const t0 = performance.now();
  const out = [];
  for (const g of order.split(',')) {
    const [name, ep] = g.split(':');
    const t = performance.now();
    const opts = { executionProviders: ep === 'cpu' ? ['cpu'] : ['webgpu', 'cpu'], graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: 4 };
    if (ep !== 'cpu') opts.preferredOutputLocation = where;
    await ort.InferenceSession.create(dir + '/' + m.graphs[name].file, opts);
    out.push(`${g} ${(performance.now() - t).toFixed(0)}`);
  }
  console.log(`${order}: ${out.join(', ')}; total ${(performance.now() - t0).toFixed(0)} ms`);
})().catch((e) => { console.log('error', e.message); process.exit(1); });
