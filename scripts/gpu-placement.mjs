// Which nodes of a model's graphs onnxruntime places on the CPU under WebGPU, and what a call costs
// (issue 17). Verbose session logging lists the placement ("Node(s) placed on [CPUExecutionProvider]"),
// captured here from stderr by running each graph in a child process.
//   node scripts/gpu-placement.mjs MODEL_DIR [--ep webgpu] [--reps 10]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};

async function child(dir, graph, ep, reps) {
  const ort = await import('onnxruntime-node');
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const s = await ort.InferenceSession.create(join(dir, m.graphs[graph].file), {
    executionProviders: [ep],
    logSeverityLevel: 0,
    logVerbosityLevel: 0,
  });
  const state = () =>
    Object.fromEntries(
      m.state.map((st) => {
        const n = st.shape.reduce((a, b) => a * b, 1);
        const data = st.dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
        return [`state_in.${st.name}`, new ort.Tensor(st.dtype === 'float16' ? 'float16' : 'float32', data, st.shape)];
      }),
    );
  const times = {};
  for (const T of graph === 'step' ? [1] : [1, 16, 256]) {
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: T }, (_, i) => BigInt(100 + i)),
      [1, T],
    );
    const feeds = { [m.inputs.tokens]: ids, ...state() };
    await s.run(feeds);
    const ms = [];
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      await s.run(feeds);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    times[T] = +ms[ms.length >> 1].toFixed(2);
  }
  console.log(JSON.stringify({ graph, ep, medianMsByTokens: times }));
}

if (opt('child')) {
  await child(opt('dir'), opt('child'), opt('ep', 'webgpu'), Number(opt('reps', '10')));
} else {
  const dir = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1]?.startsWith('--') !== true) ?? args[0];
  const ep = opt('ep', 'webgpu');
  for (const graph of ['step', 'prefill']) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', graph, '--dir', dir, '--ep', ep, '--reps', opt('reps', '10')],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
        timeout: 300_000,
      },
    );
    const log = `${r.stdout}\n${r.stderr}`;
    const placed = [...log.matchAll(/(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
    // the node list follows the CPU header: " OpType (name)" lines
    const cpuAt = log.indexOf('placed on [CPUExecutionProvider]');
    const cpuOps = {};
    if (cpuAt >= 0)
      for (const line of log.slice(cpuAt).split('\n').slice(1, 4000)) {
        const plain = line.replaceAll(String.fromCharCode(27), '').replace(/\[[0-9;]*m/g, ''); // no terminal colours
        const mm = /^\s+(\w+) \(/.exec(plain.replace(/^.*?\] /, ' '));
        if (!mm) {
          if (/placed on \[/.test(line)) break;
          continue;
        }
        cpuOps[mm[1]] = (cpuOps[mm[1]] ?? 0) + 1;
      }
    const res = log.split('\n').find((l) => l.startsWith('{"graph"'));
    console.log(JSON.stringify({ graph, exit: r.status, signal: r.signal, placed, cpuOps, ...(res ? JSON.parse(res) : {}) }));
    if (r.status !== 0) console.log(log.split('\n').slice(-8).join('\n'));
  }
}
