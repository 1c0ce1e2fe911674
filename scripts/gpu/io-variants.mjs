// The I/O variants of gpu-placement.mjs --io (--io-child VARIANT): the step graph per call with its
// outputs in different places, each variant in its own child, checked against a plain session of the
// same EP (8 steps, logits compared): plain; state (the state outputs stay on the GPU, the logits read
// back, each call's state fed to the next); all (every output on the GPU, logits read with getData);
// novalid (WebGPU validationMode 'disabled'); gc-cpu, gc-state, gc-all: WebGPU graph capture with the
// I/O on the CPU, the state on the GPU, all on the GPU. --io-ep cpu runs every variant as plain CPU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { feeder, loadOrt } from './ort.mjs';
import { logitStats, median } from './stats.mjs';

export const IO = {
  plain: { loc: 'cpu' },
  state: { loc: 'state' },
  all: { loc: 'all' },
  novalid: { loc: 'cpu', ep: [{ name: 'webgpu', validationMode: 'disabled' }] },
  'gc-cpu': { loc: 'cpu', capture: true },
  'gc-state': { loc: 'state', capture: true },
  'gc-all': { loc: 'all', capture: true },
};
// one variant in this child: the reference run, then CHECK + reps calls of the variant; prints one JSON line
export async function childIo(dir, graph, variant, reps, ortDir, ep) {
  const ort = await loadOrt(ortDir);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const file = join(dir, m.graphs[graph].file);
  const f = feeder(ort, m);
  const v = IO[variant];
  const T = graph === 'step' ? 1 : 16;
  const CHECK = 8;
  // the reference: plain WebGPU, everything read back to the CPU
  const ref = await ort.InferenceSession.create(file, { executionProviders: [ep], logSeverityLevel: 3 });
  const refLogits = [];
  let st = f.state();
  for (let i = 0; i < CHECK; i++) {
    const out = await ref.run({ [f.tokens]: f.ids(T, i * T), ...st });
    refLogits.push(out[f.logits].data);
    st = Object.fromEntries(m.state.map((x) => [x.input, out[x.output]]));
  }
  await ref.release?.();
  console.error(`=== reference done, ${variant} ===`);
  // --io-ep cpu checks this driver on a machine without a GPU: every variant runs as plain CPU
  const loc = ep === 'cpu' ? 'cpu' : v.loc;
  const opts = { executionProviders: ep === 'cpu' ? ['cpu'] : (v.ep ?? [ep]), logSeverityLevel: 3 };
  if (loc === 'state')
    opts.preferredOutputLocation = { [f.logits]: 'cpu', ...Object.fromEntries(m.state.map((x) => [x.output, 'gpu-buffer'])) };
  if (loc === 'all') opts.preferredOutputLocation = 'gpu-buffer';
  if (v.capture) opts.extra = { 'ep.webgpuexecutionprovider.enableGraphCapture': '1' };
  const s = await ort.InferenceSession.create(file, opts);
  console.error('=== session created ===');
  st = f.state();
  let maxDiff = 0;
  const ms = [];
  const steps = CHECK + reps;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const out = await s.run({ [f.tokens]: f.ids(T, (i % CHECK) * T), ...st });
    const lg = out[f.logits];
    const data = lg.location === 'cpu' ? lg.data : await lg.getData(true);
    if (i >= CHECK) ms.push(performance.now() - t0);
    if (i < CHECK) for (let j = 0; j < data.length; j++) maxDiff = Math.max(maxDiff, Math.abs(data[j] - refLogits[i][j]));
    const prev = st;
    st = Object.fromEntries(m.state.map((x) => [x.input, out[x.output]]));
    for (const t of Object.values(prev)) if (t.location !== 'cpu') t.dispose();
    if (i === 0) console.error('=== first call done ===');
  }
  const first = Object.values(st)[0];
  console.log(
    JSON.stringify({
      graph,
      io: variant,
      ort: ort.env?.versions?.node ?? '?',
      tokens: T,
      stateLocation: first.location,
      maxAbsDiffVsPlain: +maxDiff.toExponential(3),
      refAbsMax: logitStats(refLogits[CHECK - 1]).absMax,
      msPerCall: median(ms),
      msPerCallMin: +Math.min(...ms).toFixed(3),
    }),
  );
}
