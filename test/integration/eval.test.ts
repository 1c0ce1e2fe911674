// statewise eval lines / recall / extrapolation / qa through the CLI bundle with the real engine and
// model, on the committed held-out sample (models/eval/), kept small: short files (--max-bytes) and
// few samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_JS, MODELS_DIR, REPO, requireBuild } from '../helpers/realEngine';

const SHORT = ['--max-bytes', '6000'];
function evalJson<T>(...args: string[]): T {
  requireBuild();
  const r = spawnSync(process.execPath, [CLI_JS, 'eval', ...args, '--ep', 'cpu', '--json'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}
const inUnit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;

test('the held-out eval sets are committed and small', () => {
  for (const f of ['heldout.jsonl.gz', 'qa.jsonl.gz']) assert.ok(existsSync(join(REPO, 'models', 'eval', f)), f);
});

test('eval lines: every method on the same cursors, by kind, per sample on request, deterministic', () => {
  type Score = { exactMatch: number; editSimilarity: number; shown: number; samples: number };
  type Out = {
    metric: string;
    arch: string;
    methods: string[];
    productLayout: string;
    samples: number;
    exactMatch: number;
    overall: Record<string, Score>;
    byKind: Record<string, Record<string, Score>>;
    perSample: { kind: string; truth: string; got: Record<string, string>; productLayout: string }[];
  };
  const args = ['lines', '--arch', 'hawk', '--samples', '7', '--seed', '7', '--layout', 'product,fim', '--per-sample', ...SHORT];
  const out = evalJson<Out>(...args);
  assert.equal(out.metric, 'lines');
  assert.equal(out.arch, 'hawk');
  assert.deepEqual(out.methods, ['product', 'fim', 'baseline']);
  assert.equal(out.productLayout, 'plain', "the layout hawk's manifest names");
  assert.equal(out.samples, 7);
  assert.equal(out.exactMatch, out.overall.product!.exactMatch, 'the top level is the first method');
  assert.deepEqual(Object.keys(out.byKind), ['newline', 'dot', 'call', 'assign', 'return', 'ident', 'mid']);
  for (const m of out.methods) {
    const o = out.overall[m]!;
    assert.ok(inUnit(o.exactMatch) && inUnit(o.editSimilarity) && inUnit(o.shown), `${m}: ${JSON.stringify(o)}`);
    assert.equal(
      Object.values(out.byKind).reduce((a, k) => a + k[m]!.samples, 0),
      7,
    );
  }
  assert.equal(out.perSample.length, 7);
  for (const s of out.perSample) {
    assert.deepEqual(Object.keys(s.got).sort(), ['baseline', 'fim', 'product']);
    assert.ok(!s.got.product!.includes('\n'), 'one line');
  }
  const again = evalJson<Out>(...args);
  assert.deepEqual(again.perSample, out.perSample);
});

test('eval recall: accuracy (and --logprob) per variant per distance, distances at least as asked', () => {
  type Cell = { accuracy: number; editSimilarity: number; samples: number; meanDistance: number; valueLogProb: number };
  const out = evalJson<{ metric: string; distances: number[]; variants: string[]; results: Record<string, Record<string, Cell>> }>(
    'recall',
    '--arch',
    'hawk',
    '--distances',
    '32,160',
    '--samples',
    '1',
    '--logprob',
    ...SHORT,
  );
  assert.equal(out.metric, 'recall');
  assert.deepEqual(out.distances, [32, 160]);
  assert.deepEqual(Object.keys(out.results).sort(), ['control', 'cross', 'same']);
  for (const v of ['same', 'cross', 'control']) {
    for (const d of [32, 160]) {
      const c = out.results[v][d];
      assert.equal(c.samples, 1);
      assert.ok(inUnit(c.accuracy) && inUnit(c.editSimilarity), JSON.stringify(c));
      assert.ok(c.meanDistance >= d && c.meanDistance < d + 400, `${v} ${d}: ${c.meanDistance}`);
      assert.ok(Number.isFinite(c.valueLogProb) && c.valueLogProb < 0, `${v} ${d}: log-prob ${c.valueLogProb}`);
    }
  }
  assert.equal(out.results.control[32].accuracy, 0, 'nothing to recall without the definition');
});

test("eval recall: a value inside Griffin's attention window comes through the product path intact (issue 14)", () => {
  // Griffin copies through its local attention (manifest config.window tokens); beyond it the state
  // carries nothing of the value (issue 14). Inside it, a miss would be the path's fault: token
  // healing at the quote, the completion filters, or the scoring.
  type Cell = { accuracy: number };
  const d = 64;
  const out = evalJson<{ results: Record<string, Record<string, Cell>> }>(
    'recall',
    '--arch',
    'griffin',
    '--distances',
    String(d),
    '--samples',
    '3',
    ...SHORT,
  );
  assert.ok(out.results.same[d].accuracy >= 2 / 3, `same: ${JSON.stringify(out.results.same)}`);
  assert.ok(out.results.cross[d].accuracy >= 2 / 3, `cross: ${JSON.stringify(out.results.cross)}`);
  assert.equal(out.results.control[d].accuracy, 0);
});

test('eval recall: beyond the window the product feeds the definition and types the value; the state alone does not', () => {
  type Cell = { accuracy: number };
  const d = 1024;
  const out = evalJson<{
    methods: string[];
    results: Record<string, Record<string, Cell>>;
    byMethod: Record<string, Record<string, Record<string, Cell>>>;
  }>('recall', '--arch', 'griffin', '--distances', String(d), '--samples', '2', ...SHORT);
  assert.deepEqual(out.methods, ['product', 'no-defs']);
  assert.deepEqual(out.results, out.byMethod.product);
  const p = out.byMethod.product!;
  assert.ok(p.same![d]!.accuracy >= 1 / 2 && p.cross![d]!.accuracy >= 1 / 2, JSON.stringify(p));
  assert.equal(p.control![d]!.accuracy, 0);
  const alone = out.byMethod['no-defs']!;
  assert.ok(alone.same![d]!.accuracy < p.same![d]!.accuracy, JSON.stringify(alone));
});

test('eval extrapolation: every window scores the same tokens; bits per byte plausible', () => {
  type W = { factor: number; windowTokens: number; bitsPerByte: number; tokens: number; bytes: number };
  const out = evalJson<{ metric: string; trainLength: number; regions: number; scoredTokens: number; windows: W[] }>(
    'extrapolation',
    '--arch',
    'hawk',
    '--train-length',
    '48',
    '--max-windows',
    '2',
    ...SHORT,
  );
  assert.equal(out.metric, 'extrapolation');
  assert.equal(out.trainLength, 48);
  assert.equal(out.regions, 2);
  assert.deepEqual(
    out.windows.map((w) => w.factor),
    [1, 2, 4, 8],
  );
  for (const w of out.windows) {
    assert.equal(w.tokens, out.scoredTokens, `factor ${w.factor}`);
    assert.equal(w.bytes, out.windows[0].bytes, `factor ${w.factor}`);
    assert.ok(
      w.windowTokens <= w.factor * 48 && w.windowTokens >= (w.factor === 1 ? 24 : 0.9 * 48 * w.factor) - 48,
      `factor ${w.factor}: ${w.windowTokens}`,
    );
    assert.ok(w.bitsPerByte > 0.1 && w.bitsPerByte < 4, `factor ${w.factor}: ${w.bitsPerByte}`);
  }
  // the manifest's training length (2048) is the default; short files hold no 8 x 2048 window
  const none = evalJson<{ trainLength: number; regions: number }>('extrapolation', '--arch', 'hawk', ...SHORT);
  assert.deepEqual([none.trainLength, none.regions], [2048, 0]);
  const r = spawnSync(process.execPath, [CLI_JS, 'eval', 'extrapolation', '--max-windows', '1', '--max-bytes', '100', '--ep', 'cpu'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no eval file of at most 100 bytes/);
});

test('eval qa: exact and contains match by bucket, every layout on the same questions', () => {
  type Rate = { samples: number; exactMatch: number; containsMatch: number };
  const out = evalJson<{
    metric: string;
    samples: number;
    exactMatch: number;
    containsMatch: number;
    buckets: Record<string, Rate>;
    layouts: Record<string, Rate & { buckets: Record<string, Rate>; kinds: Record<string, Rate> }>;
    perSample: {
      question: string;
      answer: string;
      got: string;
      exact: boolean;
      contains: boolean;
      byLayout: Record<string, { got: string }>;
    }[];
  }>('qa', '--arch', 'hawk', '--samples', '1', '--per-sample', ...SHORT);
  assert.equal(out.metric, 'qa');
  assert.deepEqual(Object.keys(out.buckets), ['1k', '2k', '4k', '8k', '16k']);
  assert.ok(out.samples >= 1 && out.samples <= 2, `${out.samples}`);
  assert.ok(inUnit(out.exactMatch) && inUnit(out.containsMatch));
  assert.ok(out.containsMatch >= out.exactMatch);
  for (const s of out.perSample) assert.ok(s.question.length > 0 && s.answer.length > 0 && typeof s.got === 'string');
  assert.deepEqual(Object.keys(out.layouts), ['product', 'plain', 'baseline']);
  assert.deepEqual(out.layouts.product!.buckets, out.buckets, 'the top level is the first layout');
  for (const l of Object.values(out.layouts)) assert.equal(l.samples, out.samples);
  for (const s of out.perSample) assert.equal(s.byLayout.product!.got, s.got);
});
