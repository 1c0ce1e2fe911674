// The pure parts of statewise bench: percentiles, the edits a typing session sends, the options, the
// save part's workspace plan and how it reads the server's log lines and statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultSettings } from '../../server/shared/settings';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { benchOptions } from '../../server/cli/bench';
import { engineTable, ingestFeedText, type BenchRow } from '../../server/cli/benchEngine';
import { ratiosOf, type SessionRow } from '../../server/cli/benchLsp';
import {
  foldedFiles,
  parseStateLines,
  planWorkspace,
  progressTotalOf,
  saveTable,
  transitions,
  type SaveBenchReport,
} from '../../server/cli/benchSave';
import { formatTable, ms, percentile, ratio, stats } from '../../server/cli/benchStats';
import {
  advance,
  cycle,
  DEFAULT_KEYSTROKES,
  endPosition,
  longLineDocument,
  midLineCursor,
  TYPED_TEXT,
  typeAt,
  TYPING_KINDS,
  typingScript,
} from '../../server/cli/benchTyping';
import { UsageError } from '../../server/cli/args';
import { shouldSkipAutoTrigger } from '../../server/lsp/completion/policy';
import { buildContext } from '../../server/lsp/completion/context';
import { nestSettings } from '../../server/cli/lspClient';

test('bench stats: nearest-rank percentiles, max, mean; empty and non-finite samples', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.deepEqual(stats(xs), { n: 10, p50: 5, p95: 10, max: 10, mean: 5.5 });
  assert.deepEqual(stats([]), { n: 0, p50: 0, p95: 0, max: 0, mean: 0 });
  assert.deepEqual(stats([2.26, Number.NaN, Infinity]), { n: 1, p50: 2.3, p95: 2.3, max: 2.3, mean: 2.3 });
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 51), 3);
  assert.equal(
    percentile(
      Array.from({ length: 20 }, (_, i) => i + 1),
      95,
    ),
    19,
  );
  assert.equal(ratio(300, 150), 2);
  assert.equal(ratio(1, 0), null);
  assert.equal(ms(12.345), '12.3');
  assert.equal(ms(1234.5), '1235');
  assert.equal(ms(undefined), '-');
  assert.equal(formatTable(['a', 'bb'], [['100', '1']]), '  a  bb\n100   1');
});

/** Applies a script's edits one by one as an editor's document would, checking each cursor. */
function replay(text: string, kind: (typeof TYPING_KINDS)[number], count: number) {
  const script = typingScript(text, kind, count);
  let doc = TextDocument.create('file:///t.js', 'javascript', 1, text);
  script.edits.forEach((e, i) => {
    assert.deepEqual(e.range.start, e.range.end, 'a keystroke inserts');
    assert.equal([...e.text].length, 1, 'one character per keystroke');
    doc = TextDocument.update(doc, [e], doc.version + 1);
    const cursor = script.cursors[i]!;
    assert.equal(
      doc.getText().slice(doc.offsetAt(script.start), doc.offsetAt(cursor)),
      script.typed.slice(0, i + 1),
      `cursor after keystroke ${i + 1}`,
    );
  });
  const typed = doc.getText();
  doc = TextDocument.update(doc, [script.revert], doc.version + 1);
  assert.equal(doc.getText(), text, 'the revert edit restores the document');
  return { script, typed };
}

const DOC = ['function a() {', '  return 1;', '}', 'const x = compute(alpha, beta);', 'let y;', 'log(y);', 'export default x'].join('\n');

test('bench typing: a new line presses Enter at the end of the document, then types the statement', () => {
  const { script, typed } = replay(DOC, 'newLine', DEFAULT_KEYSTROKES);
  assert.deepEqual(script.start, { line: 6, character: 16 });
  assert.equal(script.typed, '\n  const totalK = 1;');
  assert.equal(typed, `${DOC}\n  const totalK = 1;`);
  assert.deepEqual(script.cursors[0], { line: 7, character: 0 });
  assert.deepEqual(script.cursors[script.cursors.length - 1], { line: 7, character: 19 });
  assert.equal(DEFAULT_KEYSTROKES, 20);
});

test('bench typing: end of line appends to the last line; mid-line types inside a call in the middle', () => {
  const end = replay(DOC, 'endOfLine', 3);
  assert.equal(end.typed, `${DOC}${TYPED_TEXT.endOfLine.slice(0, 3)}`);
  const mid = replay(DOC, 'midLine', 5);
  assert.deepEqual(mid.script.start, { line: 3, character: 29 }, 'before the ) of compute(alpha, beta);');
  assert.ok(mid.typed.includes('compute(alpha, beta + op);'), mid.typed);
  // every cursor of the session is one the server completes at (not skipped as "inside code")
  const lines = mid.typed.split('\n');
  const at = mid.script.cursors[4]!;
  const offset = lines.slice(0, at.line).reduce((n, l) => n + l.length + 1, 0) + at.character;
  assert.equal(shouldSkipAutoTrigger(buildContext(mid.typed, offset, 'javascript')), false);
});

test('bench typing: keystrokes beyond the text cycle it; the middle line is the fallback', () => {
  assert.equal(cycle('abc', 7), 'abcabca');
  assert.equal(cycle('abc', 0), '');
  const s = typeAt({ line: 0, character: 0 }, 'a\n', 4, 'newLine');
  assert.equal(s.typed, 'a\na\n');
  assert.deepEqual(s.cursors, [
    { line: 0, character: 1 },
    { line: 1, character: 0 },
    { line: 1, character: 1 },
    { line: 2, character: 0 },
  ]);
  assert.deepEqual(advance({ line: 2, character: 3 }, 'x'), { line: 2, character: 4 });
  assert.deepEqual(midLineCursor('a\nbb\nccc'), { line: 1, character: 2 });
  // no call near the middle (an export list): after the middle line's expression, before its comma
  const list = Array.from({ length: 60 }, (_, i) => `  name${i}: () => name${i},`);
  list[2] = 'init(a, b);';
  assert.deepEqual(midLineCursor(list.join('\n')), { line: 30, character: 22 });
  assert.deepEqual(midLineCursor('f(a);\n}\n\n// note\n}\n}'), { line: 0, character: 3 }, 'a call within 20 lines');
  assert.deepEqual(midLineCursor('}\n// x\n  x = 1;\n}'), { line: 2, character: 7 });
  assert.deepEqual(endPosition('a\nbb\n'), { line: 2, character: 0 });
  for (const kind of TYPING_KINDS) assert.equal(typingScript(DOC, kind, 7).edits.length, 7);
});

test('bench typing: the long line is one line of the asked size that ends in code', () => {
  const line = longLineDocument('function f(a) {\n  return a;\n}\n', 5000);
  assert.equal(line.length, 5000);
  assert.ok(!line.includes('\n'));
  assert.ok(/^[\x20-\x7e]+$/.test(line));
  assert.notEqual(line[line.length - 1], ' ');
});

test('bench options: defaults, --quick, --only, and bad values', () => {
  const d = benchOptions([]);
  assert.deepEqual(d.parts, ['engine', 'lsp', 'save']);
  assert.deepEqual(d.sizes, [1000, 10000, 100000]);
  assert.equal(d.lspKeystrokes, 20);
  assert.equal(d.engineKeystrokes, 20);
  assert.equal(d.longLineBytes, 100000);
  assert.equal(d.workspaceFiles, 250);
  assert.equal(d.ep, 'auto', 'the default of the editor (server/cli/options.ts)');
  assert.deepEqual(d.gpuState, [true], 'statewise.engine.gpuState defaults on');
  assert.deepEqual(benchOptions(['--gpu-state', 'on,off']).gpuState, [true, false]);
  assert.deepEqual(benchOptions(['--gpu-state', 'off, off']).gpuState, [false]);
  assert.equal(d.maxMemoryMB, undefined, "the setting's default unless asked");
  assert.equal(benchOptions(['--max-memory-mb', '8192']).maxMemoryMB, 8192);
  const q = benchOptions(['--quick', '--only', 'lsp,save']);
  assert.deepEqual(q.parts, ['lsp', 'save']);
  assert.deepEqual(q.sizes, [1000, 10000]);
  assert.ok(q.workspaceFiles < 250);
  const o = benchOptions(['--only', 'lsp', '--sizes', '1000', '--keystrokes', '3', '--long-line-bytes', '0', '--workspace-files', '12']);
  assert.deepEqual([o.sizes, o.lspKeystrokes, o.engineKeystrokes, o.longLineBytes, o.workspaceFiles], [[1000], 3, 3, 0, 12]);
  assert.equal(o.globalStorage, undefined);
  assert.equal(benchOptions(['--global-storage', 'gs']).globalStorage, path.resolve('gs'));
  for (const bad of [
    ['--only', 'gpu'],
    ['--keystrokes', 'x'],
    ['--keystrokes', '0'],
    ['--sizes', '1k'],
    ['--long-line-bytes', '-1'],
    ['--arch', 'gpt'],
    ['--ep', 'tpu'],
    ['--gpu-state', 'yes'],
    ['--max-memory-mb', '8193'],
    ['--max-memory-mb', '8'],
    ['--max-memory-mb', 'lots'],
  ]) {
    assert.throws(() => benchOptions(bad), UsageError, bad.join(' '));
  }
});

test('bench lsp: the ratio is p50 at the largest size over p50 at the smallest, per kind', () => {
  const row = (targetTokens: number, kind: SessionRow['kind'], p50: number) =>
    ({ targetTokens, kind, ms: { n: 1, p50, p95: p50, max: p50, mean: p50 } }) as SessionRow;
  const rows = [row(1000, 'newLine', 100), row(100000, 'newLine', 250), row(1000, 'midLine', 50), row(100000, 'midLine', 50)];
  const r = ratiosOf(rows, [1000, 10000, 100000]);
  assert.deepEqual(
    r.map((x) => [x.kind, x.p50Ratio]),
    [
      ['newLine', 2.5],
      ['endOfLine', null],
      ['midLine', 1],
    ],
  );
  assert.deepEqual(
    ratiosOf(rows, [1000]).map((x) => x.p50Ratio),
    [null, null, null],
  );
});

test('bench lsp client: settings are reported nested, as VS Code returns a section', () => {
  assert.deepEqual(nestSettings({ 'completion.debounceMs': 0, 'engine.executionProvider': 'cpu', enable: { '*': true } }), {
    completion: { debounceMs: 0 },
    engine: { executionProvider: 'cpu' },
    enable: { '*': true },
  });
});

test('bench save: the workspace plan, the state log lines, rebuilds from statuses', () => {
  const candidates = [
    { path: 'server/a.ts', text: 'a' },
    { path: 'server/b.ts', text: 'b' },
  ];
  const plan = planWorkspace(candidates, 'const x = 1;\n'.repeat(2000), 5);
  assert.equal(plan.length, 5);
  assert.deepEqual(
    plan.slice(-2).map((f) => f.path),
    ['server/a.ts', 'server/b.ts'],
    'repository files last (newest)',
  );
  assert.ok(plan.slice(0, 3).every((f) => f.path.startsWith('gen/') && f.text.length > 1000 && f.text.length <= 4000));
  assert.deepEqual(
    planWorkspace(candidates, 'x', 1).map((f) => f.path),
    ['server/a.ts'],
  );

  const s = parseStateLines([
    'workspace state: 21 files, 2 folded, 19 restored from memory; 21 checkpoints in memory (1.3 MiB)',
    'workspace state: 21 files, 32175 tokens, 102903 bytes in 691 ms',
  ]);
  assert.deepEqual([s.files, s.tokens, s.bytes, s.engineMs, s.folded, s.restored], [21, 32175, 102903, 691, 2, false]);
  const old = parseStateLines(['workspace state: 250 files, 300000 tokens, 1000000 bytes, restored from disk in 40 ms']);
  assert.deepEqual([old.files, old.folded, old.restored], [250, undefined, true]);
  assert.equal(parseStateLines(['workspace state: 9 files re-folded']).folded, 9);

  assert.deepEqual(transitions(['ready', 'indexing', 'indexing', 'ready']), { started: 1, finished: 1 });
  assert.deepEqual(transitions(['ready', 'indexing']), { started: 1, finished: 0 });
  assert.deepEqual(transitions(['ready']), { started: 0, finished: 0 });
  assert.equal(progressTotalOf(['indexing 0% (scanning files)', 'indexing 50% (1/2 files)', 'indexing 100% (2/2 files)']), 2);
  assert.equal(progressTotalOf(['indexing 0% (scanning files)']), undefined);
});

test('bench save: the files it saves are among those the server folds, oldest first, under maxTotalBytes', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'statewise-folded-'));
  try {
    const now = Date.now() / 1000;
    // a.ts oldest … d.ts newest, 1,000 bytes each; a cap of 2,500 bytes keeps the newest two
    ['a.ts', 'b.ts', 'c.ts', 'd.ts'].forEach((name, i) => {
      mkdirSync(path.join(root, 'src'), { recursive: true });
      writeFileSync(path.join(root, 'src', name), 'x'.repeat(999) + '\n');
      utimesSync(path.join(root, 'src', name), now - 100 + i, now - 100 + i);
    });
    const settings = { ...defaultSettings(), 'workspace.maxTotalBytes': 2500 };
    assert.deepEqual(await foldedFiles(root, settings), ['src/c.ts', 'src/d.ts']);
    assert.deepEqual(await foldedFiles(root, defaultSettings()), ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bench save table: the first index, each save, then the reopened workspace where it was measured', () => {
  const state = parseStateLines(['workspace state: 3 files, 900 tokens, 3000 bytes, 3 folded, 0 restored in 40 ms']);
  const reopened = parseStateLines(['workspace state: 3 files, 900 tokens, 3000 bytes, 0 folded, 3 restored in 8 ms']);
  const r: SaveBenchReport = {
    method: '',
    workspace: { files: 3, bytes: 3000, fromRepository: 3, synthetic: 0, rebuildDelayMs: 2000 },
    watcherRegistered: true,
    firstIndexMs: 7841,
    firstIndex: state,
    firstIndexTimeline: [],
    cases: [],
    ignored: [],
    server: { devices: {} },
  };
  const rows = (t: string) => t.split('\n').filter((l) => /first index|reopen/.test(l));
  assert.equal(rows(saveTable(r)).length, 1);
  const withReopen = rows(saveTable({ ...r, reopenMs: 1360, reopen: reopened }));
  assert.equal(withReopen.length, 2);
  assert.match(withReopen[1]!, /reopen \(same storage\)\s+3 files\s+1360\s+1360\s+-\s+-\s+3\s+900\s+0$/);
});

test('bench engine table: a state column only when the state was on the GPU or gpuState on and off are compared', () => {
  const p = { p50: 1, p95: 2, mean: 1 };
  const row = (extra: Partial<BenchRow>): BenchRow => ({
    targetTokens: 1000,
    workspace: false,
    docChars: 1,
    docTokens: 1,
    workspaceFiles: 0,
    workspaceTokens: 0,
    warmMs: 1,
    keystrokes: 1,
    engineMs: p,
    wallMs: p,
    prefixMs: p,
    decodeMs: p,
    cachedTokensMean: 1,
    promptTokensMean: 1,
    generatedTokensMean: 1,
    rssBytes: 0,
    stateCacheBytes: 0,
    checkpoints: 0,
    ...extra,
  });
  const cpu = engineTable([row({ gpuState: 'on', stateLocation: 'cpu' })]);
  assert.match(cpu.split('\n')[0]!, /^\s*tokens/, 'the CPU table is as before');
  const both = engineTable([row({ gpuState: 'on', stateLocation: 'gpu-buffer' }), row({ gpuState: 'off', stateLocation: 'cpu' })]).split(
    '\n',
  );
  assert.match(both[0]!, /^\s*state\s+tokens/);
  assert.match(both[1]!, /^\s*gpu-buffer\s+~1k/);
  assert.match(both[2]!, /^\s*cpu \(gpuState off\)\s+~1k/);
});

test('bench engine: the ingest job’s graph and chunk length, and the checkpoints that cut a warm’s chunks', () => {
  const gpu = { graph: 'ingest' as const, file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' };
  assert.equal(ingestFeedText(gpu), 'ingestion: ingest.onnx on webgpu, chunks of up to 2048 tokens');
  assert.equal(
    ingestFeedText(gpu, 256),
    'ingestion: ingest.onnx on webgpu, chunks of up to 2048 tokens, cut at the checkpoints every 256 tokens',
  );
  const cpu = { graph: 'prefill' as const, file: 'prefill.onnx', tokens: 256, provider: 'cpu' };
  assert.equal(ingestFeedText(cpu, 256), 'ingestion: prefill.onnx on cpu, chunks of up to 256 tokens');
  assert.equal(ingestFeedText(undefined), 'ingestion chunks not reported by the engine');
  const blocked = {
    graph: 'ingestBlocked' as const,
    file: 'ingest-blocked.onnx',
    tokens: 8192,
    provider: 'webgpu',
    multipleOf: 1024,
    tail: { graph: 'ingest' as const, file: 'ingest.onnx', tokens: 2048 },
  };
  assert.equal(
    ingestFeedText(blocked, 8192),
    'ingestion: ingest-blocked.onnx on webgpu, chunks of up to 8192 tokens (multiples of 1024; tails through ingest.onnx)',
  );
});
