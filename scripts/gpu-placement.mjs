// Which nodes of a model's graphs onnxruntime places on the CPU under WebGPU, and where a call's time
// goes (issue 17). Verbose session logging lists the placement ("Node(s) placed on
// [CPUExecutionProvider]"), captured here from stderr by running each graph in a child process; the
// same child times the graph (median per call, T tokens) and, with --profile, summarises
// onnxruntime's profile of a few calls: time per op type, the top nodes, the Memcpy nodes, the gap
// between the sum of the nodes and the call (per-call overhead), and the GPU's own kernel times
// (WebGPU timestamp queries, the profile's "Api" events) where the device has them.
//   node scripts/gpu-placement.mjs MODEL_DIR [--ep webgpu,cpu] [--reps 10] [--tokens 1,16,256,1024,4096]
//        [--profile] [--profile-tokens 16,256] [--io] [--ort DIR] [--out FILE.json]
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
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const has = (k) => args.includes(`--${k}`);
const list = (k, d) => opt(k, d).split(',').filter(Boolean);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[s.length >> 1].toFixed(3) : null;
};
const loadOrt = async (dir) =>
  dir ? import(pathToFileURL(createRequire(join(dir, 'x.js')).resolve('onnxruntime-node')).href) : import('onnxruntime-node');

// --- external data of a graph: a tiny protobuf reader (ModelProto.graph -> initializers, subgraphs) ---
function* fields(b, pos, end) {
  const varint = () => {
    let v = 0;
    for (let m = 1; ; m *= 128) {
      const x = b[pos++];
      v += (x & 127) * m;
      if (x < 128) return v;
    }
  };
  while (pos < end) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield [no, varint()];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const n = varint();
      yield [no, [pos, pos + n]];
      pos += n;
    } else throw new Error(`protobuf wire type ${wire}`);
  }
}
function externalTensors(b) {
  const out = [];
  const str = ([s, e]) => b.toString('utf8', s, e);
  const tensor = ([s, e]) => {
    const t = { dtype: 0, name: '', ext: {} };
    for (const [no, v] of fields(b, s, e)) {
      if (no === 2) t.dtype = v;
      else if (no === 8) t.name = str(v);
      else if (no === 13) {
        const kv = {};
        for (const [k, x] of fields(b, ...v)) kv[k] = str(x);
        t.ext[kv[1]] = kv[2];
      }
    }
    if (t.ext.location)
      out.push({ name: t.name, dtype: t.dtype, file: t.ext.location, offset: Number(t.ext.offset ?? 0), length: Number(t.ext.length) });
  };
  const graph = ([s, e]) => {
    for (const [no, v] of fields(b, s, e)) {
      if (no === 5) tensor(v);
      else if (no === 1)
        for (const [nf, nv] of fields(b, ...v))
          if (nf === 5)
            for (const [af, av] of fields(b, ...nv)) {
              if (af === 5 || af === 10) tensor(av);
              if (af === 6 || af === 11) graph(av);
            }
    }
  };
  for (const [no, v] of fields(b, 0, b.length)) if (no === 7) graph(v);
  return out;
}

// small deterministic values: floats in ±0.03 (scales 0.002..0.01), 8-bit weights spread around 128
function fillWeights(dir) {
  const sizes = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const bufs = Object.fromEntries(Object.entries(sizes).map(([f, n]) => [f, Buffer.alloc(n)]));
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32; // [0,1)
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const half = (x) => {
    f32[0] = x;
    const u = u32[0];
    const e = ((u >>> 23) & 255) - 127 + 15;
    return ((u >>> 16) & 0x8000) | (e <= 0 ? 0 : (e << 10) | ((u >>> 13) & 1023));
  };
  const seen = new Set();
  let n = 0;
  for (const g of Object.values(m.graphs)) {
    let b;
    try {
      b = readFileSync(join(dir, g.file));
    } catch {
      continue; // a graph left behind (score)
    }
    for (const t of externalTensors(b)) {
      const key = `${t.file}:${t.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const buf = bufs[t.file];
      if (!buf || t.offset + t.length > buf.length) throw new Error(`${t.name}: ${t.file} ${t.offset}+${t.length} outside the file`);
      const v = buf.subarray(t.offset, t.offset + t.length);
      const scale = /scale/i.test(t.name);
      const fl = () => (scale ? 0.002 + 0.008 * rnd() : (rnd() - 0.5) * 0.06);
      if (t.dtype === 1) for (let i = 0; i + 4 <= v.length; i += 4) v.writeFloatLE(fl(), i);
      else if (t.dtype === 10) for (let i = 0; i + 2 <= v.length; i += 2) v.writeUInt16LE(half(fl()), i);
      else if (t.dtype === 2 && /zero_point/i.test(t.name)) v.fill(128);
      else if (t.dtype === 2 || t.dtype === 3) for (let i = 0; i < v.length; i++) v[i] = 128 + Math.floor((rnd() - 0.5) * 64);
      // other types (integers that may be indices or shapes) stay zero
      n++;
    }
  }
  for (const [f, buf] of Object.entries(bufs)) writeFileSync(join(dir, f), buf);
  console.log(JSON.stringify({ fillWeights: dir, tensors: n, files: sizes }));
}

// --- a graph's inputs ---------------------------------------------------------------------------
function feeder(ort, m) {
  const state = () =>
    Object.fromEntries(
      m.state.map((st) => {
        const n = st.shape.reduce((a, b) => a * b, 1);
        const f16 = st.dtype === 'float16';
        return [
          st.input ?? `state_in.${st.name}`,
          new ort.Tensor(f16 ? 'float16' : 'float32', f16 ? new Uint16Array(n) : new Float32Array(n), st.shape),
        ];
      }),
    );
  const ids = (T, at = 0) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: T }, (_, i) => BigInt(100 + ((at + i) % 1000))),
      [1, T],
    );
  return { state, ids, tokens: m.inputs.tokens, logits: m.outputs.logits };
}
const epOf = (ep) => (ep === 'webgpu-novalid' ? [{ name: 'webgpu', validationMode: 'disabled' }] : [ep]);
const logitStats = (x) => {
  let bad = 0;
  let absMax = 0;
  for (const v of x) {
    if (Number.isFinite(v)) absMax = Math.max(absMax, Math.abs(v));
    else bad++;
  }
  return { nonFinite: bad, absMax: +absMax.toFixed(4) };
};

// --- profile summary ----------------------------------------------------------------------------
function summarise(file, wallMs) {
  const ev = JSON.parse(readFileSync(file, 'utf8'));
  const runs = ev.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const kept = runs.slice(1); // the first call is the warm-up
  const nodes = ev.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const opOf = new Map(nodes.map((e) => [e.name.replace(/_kernel_time$/, ''), e.args?.op_name]));
  const byOp = {};
  const byNode = {};
  const byProvider = {};
  const perRun = kept.map((r, i) => {
    const inRun = nodes.filter((e) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
    const sum = inRun.reduce((a, e) => a + e.dur, 0);
    const memcpy = inRun.filter((e) => /^Memcpy/.test(e.args?.op_name ?? ''));
    for (const e of inRun) {
      const op = e.args?.op_name ?? '?';
      const p = (e.args?.provider ?? '?').replace('ExecutionProvider', '');
      (byOp[op] ??= { count: 0, us: 0, provider: p }).count++;
      byOp[op].us += e.dur;
      if (byOp[op].provider !== p && !byOp[op].provider.includes(p)) byOp[op].provider += `+${p}`;
      (byNode[e.name] ??= { op, provider: p, us: 0 }).us += e.dur;
      (byProvider[p] ??= { count: 0, us: 0 }).count++;
      byProvider[p].us += e.dur;
    }
    return {
      runUs: r.dur,
      nodes: inRun.length,
      nodeSumUs: sum,
      gapUs: r.dur - sum,
      memcpy: memcpy.length,
      memcpyUs: memcpy.reduce((a, e) => a + e.dur, 0),
      ...(wallMs[i + 1] != null ? { wallUs: Math.round(wallMs[i + 1] * 1000) } : {}),
    };
  });
  const k = Math.max(kept.length, 1);
  const per = (o) =>
    Object.fromEntries(
      Object.entries(o).map(([n, v]) => [n, { ...v, count: v.count != null ? v.count / k : undefined, us: Math.round(v.us / k) }]),
    );
  const sortUs = (o, n) =>
    Object.fromEntries(
      Object.entries(per(o))
        .sort((a, b) => b[1].us - a[1].us)
        .slice(0, n),
    );
  // the GPU's own kernel times: one "Api" event per dispatch, not aligned with the CPU clock; split in
  // equal chunks per call when they divide, the first (warm-up) dropped
  const api = ev.filter((e) => e.cat === 'Api');
  let gpu = null;
  if (api.length) {
    const chunk = api.length % runs.length === 0 ? api.length / runs.length : 0;
    const use = chunk ? api.slice(chunk) : api;
    const calls = chunk ? runs.length - 1 : runs.length;
    const ops = {};
    const kernels = {};
    for (const e of use) {
      const node = e.name;
      const op = opOf.get(node) ?? (e.args?.cache_key ?? node).split(/[;:|]/)[0];
      (ops[op] ??= { count: 0, us: 0 }).count++;
      ops[op].us += e.dur;
      (kernels[node] ??= { op, count: 0, us: 0 }).count++;
      kernels[node].us += e.dur;
    }
    const perCall = (o, n) =>
      Object.fromEntries(
        Object.entries(o)
          .sort((a, b) => b[1].us - a[1].us)
          .slice(0, n)
          .map(([x, v]) => [x, { ...v, count: v.count / calls, us: Math.round(v.us / calls) }]),
      );
    gpu = {
      dispatchesPerCall: use.length / calls,
      kernelUsPerCall: Math.round(use.reduce((a, e) => a + e.dur, 0) / calls),
      chunked: !!chunk,
      byOp: perCall(ops, 40),
      topKernels: perCall(kernels, 15),
    };
  }
  return {
    calls: kept.length,
    median: {
      wallUs: median(perRun.map((r) => r.wallUs).filter((x) => x != null)),
      runUs: median(perRun.map((r) => r.runUs)),
      nodeSumUs: median(perRun.map((r) => r.nodeSumUs)),
      gapUs: median(perRun.map((r) => r.gapUs)),
      nodes: median(perRun.map((r) => r.nodes)),
      memcpy: median(perRun.map((r) => r.memcpy)),
      memcpyUs: median(perRun.map((r) => r.memcpyUs)),
    },
    perRun,
    byProvider: per(byProvider),
    byOp: sortUs(byOp, 60),
    topNodes: sortUs(byNode, 15),
    gpu,
  };
}

// --- child: placement (verbose log), timing, profile ------------------------------------------
async function childTime(dir, graph, ep, reps, ortDir) {
  const ort = await loadOrt(ortDir);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const file = join(dir, m.graphs[graph].file);
  const f = feeder(ort, m);
  let t0 = performance.now();
  const verbose = await ort.InferenceSession.create(file, { executionProviders: epOf(ep), logSeverityLevel: 0, logVerbosityLevel: 0 });
  const res = {
    graph,
    ep,
    ort: ort.env?.versions?.node ?? '?',
    createMs: +(performance.now() - t0).toFixed(1),
    medianMsByTokens: {},
    firstMsByTokens: {},
    logits: {},
  };
  await verbose.release?.();
  console.error('=== placement logged ===');
  // each stage prints the results so far: a child killed by its timeout still reports the earlier ones
  const emit = () => console.log(JSON.stringify(res));
  emit();
  const s = await ort.InferenceSession.create(file, { executionProviders: epOf(ep), logSeverityLevel: 3 });
  const time = async (T) => {
    const feeds = { [f.tokens]: f.ids(T), ...f.state() };
    t0 = performance.now();
    let out;
    try {
      out = await s.run(feeds);
    } catch (e) {
      res.medianMsByTokens[T] = `error: ${String(e.message ?? e).slice(0, 200)}`;
      return emit();
    }
    res.firstMsByTokens[T] = +(performance.now() - t0).toFixed(2);
    res.logits[T] = logitStats(out[f.logits].data);
    const ms = [];
    const n = T >= 1024 ? Math.max(2, Math.round(reps / (T / 256))) : reps;
    for (let r = 0; r < n; r++) {
      t0 = performance.now();
      await s.run(feeds);
      ms.push(performance.now() - t0);
    }
    res.medianMsByTokens[T] = median(ms);
    emit();
  };
  const Ts = graph === 'step' ? [1] : list('tokens', '1,16,256,1024,4096').map(Number);
  for (const T of Ts.filter((t) => t <= 256)) await time(T);
  if (has('profile')) {
    res.profile = {};
    const tmp = mkdtempSync(join(tmpdir(), 'sw-prof-'));
    for (const T of graph === 'step' ? [1] : list('profile-tokens', '16,256').map(Number)) {
      const prefix = join(tmp, `${graph}-${T}`);
      try {
        const p = await ort.InferenceSession.create(file, {
          executionProviders: epOf(ep),
          logSeverityLevel: 3,
          enableProfiling: true,
          profileFilePrefix: prefix,
        });
        const feeds = { [f.tokens]: f.ids(T), ...f.state() };
        const wall = [];
        for (let r = 0; r < (graph === 'step' ? 6 : 4); r++) {
          t0 = performance.now();
          await p.run(feeds);
          wall.push(performance.now() - t0);
        }
        p.endProfiling();
        await p.release?.();
        const pf = readdirSync(tmp).find((x) => x.startsWith(`${graph}-${T}`) && x.endsWith('.json'));
        res.profile[T] = pf ? summarise(join(tmp, pf), wall) : { error: `no profile file in ${tmp}` };
      } catch (e) {
        res.profile[T] = { error: String(e.stack ?? e).slice(0, 400) };
      }
      emit();
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const T of Ts.filter((t) => t > 256)) await time(T);
  await s.release?.();
}

// --- child: one I/O variant of a graph on WebGPU (state on the GPU, graph capture) -------------
const IO = {
  plain: { loc: 'cpu' },
  state: { loc: 'state' },
  all: { loc: 'all' },
  novalid: { loc: 'cpu', ep: [{ name: 'webgpu', validationMode: 'disabled' }] },
  'gc-cpu': { loc: 'cpu', capture: true },
  'gc-state': { loc: 'state', capture: true },
  'gc-all': { loc: 'all', capture: true },
};
async function childIo(dir, graph, variant, reps, ortDir, ep) {
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

function placement(log) {
  const placed = [...log.matchAll(/(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
  // the node list follows the CPU header: " OpType (name)" lines
  const cpuAt = log.indexOf('placed on [CPUExecutionProvider]');
  const cpuOps = {};
  const cpuNodes = [];
  if (cpuAt >= 0 && !/All nodes placed on \[CPU/.test(log))
    for (const line of log.slice(cpuAt).split('\n').slice(1, 4000)) {
      const plain = line.replaceAll(String.fromCharCode(27), '').replace(/\[[0-9;]*m/g, ''); // no terminal colours
      const mm = /^\s+(\w+) \((.*)\)\s*$/.exec(plain.replace(/^.*?\] /, ' '));
      if (!mm) {
        if (/placed on \[/.test(line) || /=== placement logged ===/.test(line)) break;
        continue;
      }
      cpuOps[mm[1]] = (cpuOps[mm[1]] ?? 0) + 1;
      if (cpuNodes.length < 120) cpuNodes.push(`${mm[1]} ${mm[2]}`);
    }
  return { placed, cpuOps, cpuNodes };
}

async function main() {
  if (opt('fill-weights')) return fillWeights(opt('fill-weights'));
  const reps = Number(opt('reps', '10'));
  const ortDir = opt('ort');
  const ortArgs = ortDir ? ['--ort', ortDir] : [];
  if (opt('child')) return childTime(opt('dir'), opt('child'), opt('ep', 'webgpu'), reps, ortDir);
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
    for (const graph of ['step', 'prefill']) {
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
