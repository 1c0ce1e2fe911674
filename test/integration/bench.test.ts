// statewise bench's LSP part in its quickest form, through dist/cli.js with the real server, engine
// and model: the JSON has every (size, kind) row with finite, positive times. No timing thresholds:
// performance figures live in the benchmark's output, not in tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_JS, MODELS_DIR, REPO, requireBuild } from '../helpers/realEngine';
import { DEFAULT_ARCH } from '../helpers/models';

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

test('integration bench: --only lsp runs typing sessions through the real server over stdio', () => {
  requireBuild();
  const out = join(mkdtempSync(join(tmpdir(), 'sw-bench-')), 'bench.json');
  const r = spawnSync(
    process.execPath,
    [
      CLI_JS,
      'bench',
      '--only',
      'lsp',
      '--sizes',
      '1000',
      '--keystrokes',
      '3',
      '--long-line-bytes',
      '2000',
      '--long-line-keystrokes',
      '2',
      '--ep',
      'cpu',
      '--out',
      out,
    ],
    { cwd: REPO, encoding: 'utf8', env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR }, timeout: 300_000 },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /language server over stdio/);
  assert.match(r.stdout, /new line/);

  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    engine?: unknown;
    save?: unknown;
    lsp: {
      startupMs: number;
      server: { arch: string; ep: string };
      firstCompletion: { targetTokens: number; docTokens: number; ms: number }[];
      sessions: {
        targetTokens: number;
        kind: string;
        docTokens: number;
        typed: string;
        warmupMs: number;
        ms: { n: number; p50: number; p95: number; max: number; mean: number };
        samples: { ms: number; outcome: string }[];
      }[];
      ratios: { kind: string; p50Ratio: number | null }[];
      longLine: { bytes: number; samples: { ms: number; outcome: string }[]; ms: { n: number; p50: number } };
    };
  };
  assert.equal(report.engine, undefined, '--only lsp runs no other part');
  assert.equal(report.save, undefined);
  const { lsp } = report;
  assert.deepEqual([lsp.server.arch, lsp.server.ep], [DEFAULT_ARCH, 'cpu']);
  assert.ok(positive(lsp.startupMs));
  assert.equal(lsp.firstCompletion.length, 1);
  assert.ok(positive(lsp.firstCompletion[0]!.ms) && lsp.firstCompletion[0]!.docTokens > 500, JSON.stringify(lsp.firstCompletion));
  assert.deepEqual(lsp.sessions.map((s) => `${s.targetTokens}:${s.kind}`).sort(), ['1000:endOfLine', '1000:midLine', '1000:newLine']);
  for (const s of lsp.sessions) {
    assert.equal(s.samples.length, 3, s.kind);
    assert.equal(s.ms.n, 3, s.kind);
    assert.equal([...s.typed].length, 3, s.kind);
    for (const x of s.samples) {
      assert.ok(positive(x.ms), `${s.kind}: ${JSON.stringify(x)}`);
      assert.ok(['ok', 'empty', 'cache'].includes(x.outcome), `${s.kind}: ${JSON.stringify(x)}`);
    }
    for (const k of ['p50', 'p95', 'max', 'mean'] as const) assert.ok(positive(s.ms[k]), `${s.kind} ${k}`);
    assert.ok(s.ms.p50 <= s.ms.p95 && s.ms.p95 <= s.ms.max);
    assert.ok(positive(s.warmupMs));
  }
  assert.equal(lsp.sessions.find((s) => s.kind === 'newLine')!.typed, '\n  ');
  assert.deepEqual(
    lsp.ratios.map((x) => x.p50Ratio),
    [null, null, null],
    'one size: no ratio',
  );
  assert.equal(lsp.longLine.bytes, 2000);
  assert.equal(lsp.longLine.samples.length, 2);
  for (const x of lsp.longLine.samples) assert.ok(positive(x.ms) && x.outcome !== 'unknown', JSON.stringify(x));
});

test('integration bench: --ep webgpu where WebGPU cannot initialise prints the CPU table and records the fallback', (t) => {
  requireBuild();
  const out = join(mkdtempSync(join(tmpdir(), 'sw-bench-')), 'bench.json');
  const r = spawnSync(
    process.execPath,
    [CLI_JS, 'bench', '--only', 'engine', '--sizes', '1000', '--keystrokes', '2', '--ep', 'webgpu', '--out', out],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR },
      timeout: 300_000,
    },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    machine: { gpu: string | null };
    options: { ep: string };
    engine: {
      requestedEp: string;
      ep: string;
      epReason: string;
      providers: Record<string, string>;
      devices: Record<string, string>;
      rows: { engineMs: { p50: number } }[];
    };
  };
  const { engine } = report;
  assert.equal(report.options.ep, 'webgpu');
  assert.equal(engine.requestedEp, 'webgpu');
  if (engine.ep !== 'cpu') return t.skip(`WebGPU initialised here (${engine.ep})`);
  assert.deepEqual(engine.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.match(engine.epReason, /^webgpu requested but unavailable \(.+\); cpu runs every job$/);
  assert.deepEqual(Object.keys(engine.devices), ['cpu']);
  assert.equal(engine.rows.length, 2);
  for (const row of engine.rows) assert.ok(positive(row.engineMs.p50));
  // the same table as the CPU bench, titled with what ran and why
  assert.match(
    r.stdout,
    new RegExp(`^engine alone \\(${DEFAULT_ARCH} on cpu \\[cpu: .+\\]\\): one keystroke at the end of the document$`, 'm'),
  );
  assert.match(r.stdout, /^provider: webgpu requested but unavailable/m);
  assert.match(
    r.stdout,
    /tokens\s+workspace\s+doc tok\s+ws tok\s+warm ms\s+engine p50\s+p95\s+wall p50\s+p95\s+cached %\s+gen\s+RSS\s+state cache/,
  );
});
