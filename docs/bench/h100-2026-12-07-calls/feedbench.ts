// A measurement script, not part of the product: what an ingest call costs on a provider, and the
// workspace fold cut in runs of several sizes, on the engine's own ModelRunner (its feed, the state kept
// on the GPU between calls), then the WebGPU floor (floor_graphs.py) and session creation times.
// Bundled on this machine, carried to the GPU machine with the device kit and run from the repository root:
//   node_modules/.bin/esbuild docs/bench/h100-2026-12-07-calls/feedbench.ts --bundle --platform=node \
//     --format=cjs --external:onnxruntime-node --outfile=.gpuprobe/feed/feedbench.js
//   (cd .gpuprobe/feed && python3 ../../docs/bench/h100-2026-12-07-calls/floor_graphs.py)
//   node .gpuprobe/feed/feedbench.js MODEL_DIR/griffin [VARIANT_DIR/griffin ...]   (feed-run.sh)
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../../../server/engine/manifest';
import { ModelRunner, type State } from '../../../server/engine/model';
import { CodeTokenizer } from '../../../server/engine/tokenizer';
import { fileHeader } from '../../../server/engine/document';
import { release } from '../../../server/engine/deviceState';
import { repositorySources } from '../../../server/cli/benchSave';
import { foldRuns } from '../../../server/engine/folds';

const args = process.argv.slice(2);
const repo = process.cwd();
const setting = (process.env.EP ?? 'webgpu') as 'webgpu' | 'auto';
const t00 = performance.now();
const now = () => (performance.now() - t00).toFixed(0);
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

async function main() {
  // the workspace: this repository's sources up to 1 MiB, path order
  let files = repositorySources(repo);
  let bytes = 0;
  files = files.filter((f) => (bytes += Buffer.byteLength(f.text)) <= Number(process.env.MAXBYTES ?? 1 << 20));
  {
    const dir = args[0]!;
    const m = readManifest(dir);
    for (let rep = 0; rep < 2; rep++) {
      const tl = performance.now();
      const r = await ModelRunner.load(dir, m, 'auto', 0, (s) => console.log(`  auto load log +${(performance.now() - tl).toFixed(0)} ms: ${s.slice(0, 300)}`));
      console.log(`== auto load ${rep}: ${(performance.now() - tl).toFixed(0)} ms`);
      await r.release();
    }
  }
  for (const dir of args) {
    const m = readManifest(dir);
    const tok = CodeTokenizer.fromFile(path.join(dir, m.tokenizer));
    const fileIds = files.map((f) => [...fileHeader(m.specialTokens.file, tok, f.path), ...tok.encode(f.text)]);
    const total = fileIds.reduce((a, b) => a + b.length, 0);
    const tl = performance.now();
    const model = await ModelRunner.load(dir, m, setting, 0, (s) => console.log(`  [${now()}] ${s.slice(0, 400)}`));
    console.log(`== ${dir}: loaded (${setting}) in ${(performance.now() - tl).toFixed(0)} ms; ${files.length} files, ${total} tokens; chunk ${JSON.stringify(model.ingestChunk)}`);
    const c = model.ingestChunk;
    const zero = model.zeroState();
    const ids = (n: number, salt = 0) => Array.from({ length: n }, (_, i) => 100 + ((i * 37 + salt) % 5000));
    const call = async (n: number, salt = 0) => {
      const t0 = performance.now();
      const r = await model.feed(ids(n, salt), zero, { background: true });
      // the state stays on the GPU; read one logit to be sure the call finished
      const ms = performance.now() - t0;
      release(r.state);
      return ms;
    };
    const sizes = [256, 1024, 2048, 4096, 8192, 16384, 32768].filter((n) => n <= c.tokens);
    const row: Record<string, number> = {};
    for (const n of sizes) {
      await call(n);
      const t: number[] = [];
      for (let r = 0; r < 5; r++) t.push(await call(n));
      row[n] = +med(t).toFixed(1);
    }
    console.log(`  blocked call ms (median of 5, state on the GPU): ${JSON.stringify(row)}`);
    const tails: Record<string, number> = {};
    for (const n of [1, 37, 100, 255]) {
      if (n === 1) continue;
      await call(n);
      const t: number[] = [];
      for (let r = 0; r < 5; r++) t.push(await call(n));
      tails[n] = +med(t).toFixed(1);
    }
    console.log(`  tail call ms (ingest graph): ${JSON.stringify(tails)}`);
    const fresh: number[] = [];
    for (const k of [3, 5, 7, 9, 11, 13]) if (k * 256 <= c.tokens) fresh.push(+(await call(k * 256 + 256 * 0)).toFixed(1));
    const freshT: number[] = [];
    for (const n of [11, 53, 97, 131, 177, 211]) freshT.push(+(await call(n)).toFixed(1));
    console.log(`  first calls of new lengths: blocked 768..3328 ${JSON.stringify(fresh)}; tails 11..211 ${JSON.stringify(freshT)}`);
    const again: number[] = [];
    for (const k of [3, 5, 7, 9, 11, 13]) if (k * 256 <= c.tokens) again.push(+(await call(k * 256)).toFixed(1));
    console.log(`  the same lengths again: ${JSON.stringify(again)}`);

    {
      let st: State = zero;
      const t: number[] = [];
      for (let r = 0; r < 60; r++) {
        const t0 = performance.now();
        const o = await model.feed([100 + r], st);
        t.push(performance.now() - t0);
        if (st !== zero) release(st);
        st = o.state;
      }
      const k: number[] = [];
      for (let r = 0; r < 20; r++) {
        const t0 = performance.now();
        const o = await model.feed(ids(16, r), st);
        k.push(performance.now() - t0);
        release(st);
        st = o.state;
      }
      if (st !== zero) release(st);
      console.log(`  step (1 tok, state kept): median ${med(t.slice(10)).toFixed(2)} ms, min ${Math.min(...t.slice(10)).toFixed(2)}; keystroke (16 tok): median ${med(k.slice(5)).toFixed(2)} ms`);
    }
    const pattern = async (name: string, runs: number[][]) => {
      const before = model.graphCalls().ingest;
      const t0 = performance.now();
      let state: State = zero;
      for (const run of runs) {
        for (let at = 0; at < run.length; at += c.tokens) {
          const r = await model.feed(run.slice(at, at + c.tokens), state, { background: true });
          if (state !== zero) release(state);
          state = r.state;
        }
      }
      const ms = performance.now() - t0;
      if (state !== zero) release(state);
      const after = model.graphCalls().ingest;
      console.log(`  ${name}: ${runs.length} runs, ${after.calls - before.calls} calls, ${(ms).toFixed(0)} ms (graphs ${(after.ms - before.ms).toFixed(0)}), ${((total / ms) * 1000 / 1e3).toFixed(0)}k tok/s`);
    };
    const chars = files.map((f) => f.text.length);
    for (const rep of [1, 2]) {
      for (const runTokens of [...new Set([8192, 16384, 32768, 65536, c.tokens])]) {
        const ends = foldRuns(chars, runTokens * 4);
        let s = 0;
        const runs = ends.map((e) => { const r = fileIds.slice(s, e).flat(); s = e; return r; });
        await pattern(`runs of >= ${runTokens} tok (chars/4), rep ${rep}`, runs);
      }
      await pattern(`one stream, rep ${rep}`, [fileIds.flat()]);
    }
    await model.release();
  }
  // the WebGPU floor: a one-Add graph and a 300-Add chain on [1, 512], output kept on the GPU and fed back
  for (const f of ['floor1.onnx', 'chain300.onnx']) {
    const p = path.join(repo, '.gpuprobe/feed', f); // floor_graphs.py's output
    for (const loc of ['cpu', 'gpu-buffer'] as const) {
      const s = await ort.InferenceSession.create(p, { executionProviders: ['webgpu'], preferredOutputLocation: { y: loc } });
      let x: ort.Tensor = new ort.Tensor('float32', new Float32Array(512), [1, 512]);
      const t: number[] = [];
      for (let r = 0; r < 60; r++) {
        const t0 = performance.now();
        const o = await s.run({ x });
        t.push(performance.now() - t0);
        if (loc === 'gpu-buffer') { if (r > 0) x.dispose(); x = o.y!; }
      }
      console.log(`  floor ${f} out=${loc}: median ${med(t.slice(10)).toFixed(3)} ms, min ${Math.min(...t.slice(10)).toFixed(3)}`);
      await s.release();
    }
  }
  // session creation: each graph of the first folder, sequential then all at once
  const dir = args[0]!;
  const m = readManifest(dir);
  const graphs = Object.values(m.graphs).map((g) => g.file).filter((f) => f !== 'score.onnx');
  for (const ep of ['cpu', 'webgpu']) {
    const seq: string[] = [];
    const ts = performance.now();
    for (const g of graphs) {
      const t0 = performance.now();
      const s = await ort.InferenceSession.create(path.join(dir, g), { executionProviders: [ep as 'webgpu'], graphOptimizationLevel: 'all' });
      seq.push(`${g} ${(performance.now() - t0).toFixed(0)}`);
      await s.release();
    }
    const seqMs = performance.now() - ts;
    const tp = performance.now();
    const all = await Promise.all(graphs.map((g) => ort.InferenceSession.create(path.join(dir, g), { executionProviders: [ep as 'webgpu'], graphOptimizationLevel: 'all' })));
    const parMs = performance.now() - tp;
    await Promise.all(all.map((s) => s.release()));
    console.log(`  create on ${ep}: ${seq.join(', ')}; sequential ${seqMs.toFixed(0)} ms, Promise.all ${parMs.toFixed(0)} ms`);
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
