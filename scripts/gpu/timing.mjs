// The placement child of gpu-placement.mjs (--child GRAPH): creates one session of a graph with verbose
// logging (the parent reads the node placement from stderr), then times the graph (median ms per call
// at T tokens; the step graph at T = 1) and, with --profile, summarises onnxruntime's profile of a few
// calls (profile.mjs). Prefill is timed at T <= 256 first, then profiled, then timed at the larger T;
// the results so far are printed after each stage, so a child killed by its timeout still reports them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epOf, feeder, loadOrt } from './ort.mjs';
import { summarise } from './profile.mjs';
import { logitStats, median } from './stats.mjs';

// tokens, profileTokens: the T lists of prefill (--tokens, --profile-tokens); profile: --profile
export async function childTime(dir, graph, ep, reps, ortDir, { tokens, profileTokens, profile }) {
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
  const Ts = graph === 'step' ? [1] : tokens;
  // a graph's own limit (prefill 256, ingest 2048): longer calls are not what it was exported for
  const max = m.graphs[graph].maxTokens ?? Infinity;
  for (const T of Ts.filter((t) => t <= 256 && t <= max)) await time(T);
  if (profile) {
    res.profile = {};
    const tmp = mkdtempSync(join(tmpdir(), 'sw-prof-'));
    for (const T of graph === 'step' ? [1] : profileTokens.filter((t) => t <= max)) {
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
  for (const T of Ts.filter((t) => t > 256 && t <= max)) await time(T);
  await s.release?.();
}
