// A minimal reproduction for issue 17's "state kept on the device": does onnxruntime-node keep a
// recurrent state on the GPU between calls (WebGPU, preferredOutputLocation 'gpu-buffer') and take
// it back as an input? Earlier, the engine's step graph with preferredOutputLocation 'gpu-buffer'
// aborted the process ("terminate called after throwing an instance of 'char const*'").
//
// The model is a toy step (written as ONNX by hand below, no Python needed): y = x + s,
// s_out = 0.5 * s + x, shapes [1, N]. Every variant runs in its own child process, so an abort is
// reported (signal, stderr) and the next variant still runs:
//   cpu            CPU EP, outputs on the CPU (the reference)
//   webgpu         WebGPU EP, outputs copied to the CPU (what the engine does today)
//   gpu-all        preferredOutputLocation 'gpu-buffer' for every output; s_out fed back 8 times
//   gpu-state      only s_out on the GPU (y read on the CPU); s_out fed back 8 times
//   gpu-state-2s   as gpu-state, two sessions of the graph taking turns (the engine's prefill and step
//                  sessions pass the state to each other)
//   gpu-all-noread every output on the GPU, y never read (is reading a GPU output what aborts?)
// The GPU variants also read the last state back to the CPU (a checkpoint written to disk).
// Each prints the y it computed (8 steps) so the variants can be compared with the reference.
//
//   node scripts/gpu-state-repro.mjs [--n 1024] [--variants cpu,webgpu,gpu-all,gpu-state] [--ort DIR]
// --ort DIR: a node_modules folder holding another onnxruntime-node version to try (default: the
// project's).
// On the GPU machine: source .devkit/setup.sh first (scripts/gpu-bench.sh setup).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const STEPS = 8;

// --- a tiny ONNX protobuf writer: just enough for a graph of Add and Mul on float tensors ---------
function varint(n) {
  const out = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const bytes = (s) => [...Buffer.from(s, 'utf8')];
const field = (no, wire, payload) => [...varint((no << 3) | wire), ...payload];
const str = (no, s) => field(no, 2, [...varint(bytes(s).length), ...bytes(s)]);
const msg = (no, parts) => field(no, 2, [...varint(parts.length), ...parts]);
const int = (no, v) => field(no, 0, varint(v));

function node(op, inputs, outputs) {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(4, op)];
}
function valueInfo(name, n) {
  // ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1 (float), shape=2: {dim=1: {dim_value=1}}}}}
  const dims = [...msg(1, int(1, 1)), ...msg(1, int(1, n))];
  return [...str(1, name), ...msg(2, msg(1, [...int(1, 1), ...msg(2, dims)]))];
}
function halfTensor(name) {
  // TensorProto{dims=1 (none: scalar), data_type=2 (float)=1, float_data=4, name=8}
  return [...int(2, 1), ...field(4, 5, [...new Uint8Array(new Float32Array([0.5]).buffer)]), ...str(8, name)];
}
function toyModel(n) {
  const graph = [
    ...msg(1, node('Add', ['x', 's'], ['y'])),
    ...msg(1, node('Mul', ['s', 'half'], ['s_half'])),
    ...msg(1, node('Add', ['s_half', 'x'], ['s_out'])),
    ...str(2, 'toy_step'),
    ...msg(5, halfTensor('half')),
    ...msg(11, valueInfo('x', n)),
    ...msg(11, valueInfo('s', n)),
    ...msg(12, valueInfo('y', n)),
    ...msg(12, valueInfo('s_out', n)),
  ];
  // ModelProto{ir_version=1: 8, producer_name=2, graph=7, opset_import=8: {domain='', version=17}}
  return Uint8Array.from([...int(1, 8), ...str(2, 'statewise-repro'), ...msg(7, graph), ...msg(8, [...str(1, ''), ...int(2, 17)])]);
}

// --- one variant, in this process ---------------------------------------------------------------
async function runVariant(variant, file, n, ortDir) {
  const ort = ortDir
    ? await import(pathToFileURL(createRequire(join(ortDir, 'x.js')).resolve('onnxruntime-node')).href)
    : await import('onnxruntime-node');
  const ep = variant === 'cpu' ? 'cpu' : 'webgpu';
  const opts = { executionProviders: [ep] };
  if (variant === 'gpu-all' || variant === 'gpu-all-noread') opts.preferredOutputLocation = 'gpu-buffer';
  if (variant.startsWith('gpu-state')) opts.preferredOutputLocation = { y: 'cpu', s_out: 'gpu-buffer' };
  const sessions = [await ort.InferenceSession.create(file, opts)];
  if (variant === 'gpu-state-2s') sessions.push(await ort.InferenceSession.create(file, opts));
  let s = new ort.Tensor('float32', new Float32Array(n), [1, n]);
  const ys = [];
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: n }, (_, j) => (i + 1) * 0.001 * ((j % 7) + 1)),
      [1, n],
    );
    const out = await sessions[i % sessions.length].run({ x, s });
    if (variant === 'gpu-all-noread') {
      ys.push(null);
      out.y.dispose();
    } else {
      const y = out.y.location === 'cpu' ? out.y.data : await out.y.getData(true);
      ys.push(Number(y[n - 1].toFixed(6)));
    }
    const prev = s;
    s = out.s_out;
    if (i > 0 && prev.location !== 'cpu') prev.dispose();
  }
  const ms = performance.now() - t0;
  const last = s.location === 'cpu' ? s.data : await s.getData(true);
  const stateLast = Number(last[n - 1].toFixed(6));
  const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? '?';
  console.log(JSON.stringify({ variant, ep, ort: version, stateLocation: s.location, stateLast, ys, msPerStep: +(ms / STEPS).toFixed(3) }));
}

// --- the driver ---------------------------------------------------------------------------------
async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const ortDir = opt('ort');
  if (opt('child')) return runVariant(opt('child'), opt('file'), Number(opt('n')), ortDir);
  const n = Number(opt('n', '1024'));
  const variants = opt('variants', 'cpu,webgpu,gpu-all,gpu-state,gpu-state-2s,gpu-all-noread').split(',');
  const file = join(mkdtempSync(join(tmpdir(), 'sw-repro-')), 'toy_step.onnx');
  writeFileSync(file, toyModel(n));
  const results = [];
  for (const v of variants) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', v, '--file', file, '--n', String(n), ...(ortDir ? ['--ort', ortDir] : [])],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const line = (r.stdout ?? '')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop();
    const res = line ? JSON.parse(line) : { variant: v };
    res.n = n;
    res.exit = r.status;
    res.signal = r.signal;
    if (r.status !== 0) res.stderrTail = (r.stderr ?? '').trim().split('\n').slice(-6).join('\n');
    results.push(res);
    console.log(JSON.stringify(res));
  }
  const ref = results.find((r) => r.variant === 'cpu' && r.ys);
  for (const r of results)
    if (ref && r.ys && r !== ref)
      console.log(
        `${r.variant}: ${r.ys.every((y, i) => y === null || Math.abs(y - ref.ys[i]) < 1e-5) ? 'same y as cpu' : 'DIFFERENT y'}, ` +
          `${Math.abs(r.stateLast - ref.stateLast) < 1e-5 ? 'same last state' : 'DIFFERENT last state'}`,
      );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
