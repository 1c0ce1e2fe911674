// Which nodes of a model's graphs onnxruntime places on the CPU under WebGPU, and where a call's time
// goes (issue 17). Verbose session logging lists the placement ("Node(s) placed on
// [CPUExecutionProvider]"), captured here from stderr by running each graph in a child process; the
// same child times the graph (median per call, T tokens) and, with --profile, summarises
// onnxruntime's profile of a few calls: time per op type, the top nodes, the Memcpy nodes, the gap
// between the sum of the nodes and the call (per-call overhead), and the GPU's own kernel times
// (WebGPU timestamp queries, the profile's "Api" events) where the device has them.
//   node scripts/gpu-placement.mjs MODEL_DIR [--ep webgpu,cpu] [--reps 10] [--tokens 1,16,256,1024,4096]
//        [--profile] [--profile-tokens 16,256] [--io] [--ort DIR] [--out FILE.json] [--graphs step,prefill]
// --graphs: the manifest's graphs to place and time (default step,prefill; ingest times like prefill).
// Prefill is timed at T <= 256 first, then profiled, then timed at the larger T; a child prints what it
// has after each stage, so one stopped by --timeout (s, default 240) still reports the earlier ones.
// --io (with the first --ep, WebGPU): the step graph per call, each variant in its own child (an abort is
//   reported, the rest still runs) and checked against a plain WebGPU session (same 8 steps, logits
//   compared): plain; state (preferredOutputLocation 'gpu-buffer' for the state outputs, the logits read
//   back, each call's state outputs fed to the next); all (every output on the GPU, logits read with
//   getData); novalid (validationMode 'disabled'); gc-cpu, gc-state, gc-all: WebGPU graph capture (session
//   config ep.webgpuexecutionprovider.enableGraphCapture) with the I/O on the CPU, the state on the GPU,
//   all on the GPU. --io-ep cpu runs every variant as plain CPU (checks this script without a GPU).
// --ort DIR: a node_modules folder holding another onnxruntime-node version (as in gpu-state-repro.mjs).
//   node scripts/gpu-placement.mjs --fill-weights MODEL_DIR
// writes the weights files that the graphs' external data names (sizes from MODEL_DIR/weights.json) with
// small deterministic values of each tensor's type: the graphs travel to a GPU machine without weights.
// This file owns the command line and the child processes; the parts live in scripts/gpu/: timing.mjs
// (the placement/timing child), profile.mjs (profile summary), io-variants.mjs (the --io child),
// placement-log.mjs (reading the verbose log), weights.mjs (--fill-weights), ort.mjs, stats.mjs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { childIo, IO } from './gpu/io-variants.mjs';
import { placement } from './gpu/placement-log.mjs';
import { childTime } from './gpu/timing.mjs';
import { fillWeights } from './gpu/weights.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const has = (k) => args.includes(`--${k}`);
const list = (k, d) => opt(k, d).split(',').filter(Boolean);

// --- the driver ---------------------------------------------------------------------------------
function spawnChild(extra, timeoutS) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 29,
    timeout: timeoutS * 1000,
  });
  const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const line = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  const tail = (r.stderr ?? '')
    .replaceAll(String.fromCharCode(27), '')
    .split('\n')
    .filter((l) => l.trim() && !/\[[IV]:onnxruntime/.test(l) && !/^\s+at /.test(l)) // no verbose log, no stack
    .slice(-6)
    .join('\n');
  return { r, log, res: line ? JSON.parse(line) : null, tail };
}

async function main() {
  if (opt('fill-weights')) return fillWeights(opt('fill-weights'));
  const reps = Number(opt('reps', '10'));
  const ortDir = opt('ort');
  const ortArgs = ortDir ? ['--ort', ortDir] : [];
  if (opt('child'))
    return childTime(opt('dir'), opt('child'), opt('ep', 'webgpu'), reps, ortDir, {
      tokens: list('tokens', '1,16,256,1024,4096').map(Number),
      profileTokens: list('profile-tokens', '16,256').map(Number),
      profile: has('profile'),
    });
  if (opt('io-child')) return childIo(opt('dir'), opt('graph', 'step'), opt('io-child'), reps, ortDir, opt('io-ep', 'webgpu'));
  const valued = new Set(['ep', 'reps', 'tokens', 'profile-tokens', 'ort', 'out', 'timeout', 'io-variants', 'io-reps', 'io-ep']);
  const dir = args.find((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1].slice(2))));
  const timeout = Number(opt('timeout', '240'));
  const results = [];
  const report = (x) => {
    results.push(x);
    console.log(JSON.stringify(x));
    if (opt('out')) writeFileSync(opt('out'), JSON.stringify({ dir, results }, null, 1));
  };
  const pass = [
    '--reps',
    String(reps),
    '--tokens',
    opt('tokens', '1,16,256,1024,4096'),
    '--profile-tokens',
    opt('profile-tokens', '16,256'),
    ...(has('profile') ? ['--profile'] : []),
  ];
  for (const ep of list('ep', 'webgpu')) {
    for (const graph of list('graphs', 'step,prefill')) {
      const t0 = performance.now();
      const { r, log, res, tail } = spawnChild(['--child', graph, '--dir', dir, '--ep', ep, ...pass, ...ortArgs], timeout);
      report({
        graph,
        ep,
        exit: r.status,
        signal: r.signal,
        childS: +((performance.now() - t0) / 1000).toFixed(1),
        ...placement(log),
        ...(res ?? { graph, ep }),
        ...(r.status !== 0 ? { tail } : {}),
      });
    }
    if (has('io') && ep === list('ep', 'webgpu')[0])
      for (const variant of list('io-variants', Object.keys(IO).join(','))) {
        const { r, res, tail } = spawnChild(
          [
            '--io-child',
            variant,
            '--dir',
            dir,
            '--graph',
            'step',
            '--reps',
            opt('io-reps', '30'),
            '--io-ep',
            opt('io-ep', 'webgpu'),
            ...ortArgs,
          ],
          Math.min(timeout, 90),
        );
        report({
          graph: 'step',
          io: variant,
          exit: r.status,
          signal: r.signal,
          ...(res ?? {}),
          ...(r.status !== 0 || !res ? { tail } : {}),
        });
      }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
