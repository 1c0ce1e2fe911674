import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { EngineError } from '../../server/protocol/errors';
import { fakeModels, FakeEngine, fileUri, startServer, waitFor, workspace } from '../helpers/lspHarness';
import { DEFAULT_ARCH } from '../helpers/models';

const FAST = { completion: { debounceMs: 0 } };

test('lsp: advertises incremental sync and inline completions; status goes loading → ready', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  assert.equal(h.init.capabilities.inlineCompletionProvider, true);
  assert.deepEqual(h.init.capabilities.textDocumentSync, { openClose: true, change: 2 });
  await waitFor(() => h.lastStatus()?.state === 'ready', 'ready');
  assert.ok(h.statuses.some((s) => s.state === 'loading' && s.arch === DEFAULT_ARCH && s.message === `loading ${DEFAULT_ARCH}…`));
  assert.deepEqual({ arch: h.lastStatus()?.arch, ep: h.lastStatus()?.ep }, { arch: DEFAULT_ARCH, ep: 'cpu' });
  const load = h.engine.callsOf('load')[0]!;
  assert.equal(load.ep, 'auto');
  assert.ok(load.modelDir.endsWith(DEFAULT_ARCH), load.modelDir);
});

test('lsp: documents are opened, edited (ranges exactly as received) and closed in the engine', async (t) => {
  const ws = workspace({ 'src/a.ts': 'export const a = 1;\n' });
  const h = await startServer({ config: FAST, workspaceDir: ws });
  t.after(() => h.dispose());
  const uri = fileUri(path.join(ws, 'src', 'a.ts'));
  const outside = fileUri(path.join(path.dirname(ws), 'elsewhere', 'b.py'));
  h.open(uri, 'let x = 1;\nlet y = 2;\n');
  h.open(outside, 'print(1)\n', 'python');
  const changes = [
    { range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, text: 'xx' },
    { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '// hi\n' },
  ];
  h.change(uri, 2, changes);
  h.change(uri, 3, [{ text: 'whole\n' }]);
  h.close(outside);
  await waitFor(() => h.engine.callsOf('closeDocument').length === 1, 'close');
  const opens = h.engine.callsOf('openDocument');
  assert.deepEqual(
    opens.map((o) => o.path),
    ['src/a.ts', 'b.py'],
  );
  assert.deepEqual(opens[0], { uri, path: 'src/a.ts', text: 'let x = 1;\nlet y = 2;\n', version: 1 });
  assert.deepEqual(h.engine.callsOf('editDocument'), [
    { uri, version: 2, changes },
    { uri, version: 3, changes: [{ text: 'whole\n' }] },
  ]);
  assert.deepEqual(h.engine.callsOf('closeDocument'), [{ uri: outside }]);
  assert.equal(h.server.documents.get(uri)?.getText(), 'whole\n');
  assert.ok(
    h.engine.callsOf('warm').some((w) => w.uri === uri),
    'warmed on open',
  );
});

test('lsp: a completion is an item at the cursor, with a request log line', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  const uri = 'file:///tmp/x/main.ts';
  h.open(uri, 'const v = ');
  const items = await h.complete(uri, 0, 10);
  assert.deepEqual(items, [{ insertText: 'fake()', range: { start: { line: 0, character: 10 }, end: { line: 0, character: 10 } } }]);
  const req = h.engine.callsOf('complete')[0]!;
  assert.deepEqual(
    { ...req, temperature: undefined },
    {
      uri,
      version: 1,
      position: { line: 0, character: 10 },
      singleLine: false,
      maxTokens: 64,
      suffixMaxTokens: 48,
      temperature: undefined,
      topP: 0.95,
      n: 1,
    },
  );
  await waitFor(() => h.requestLogs.length === 1, 'request log');
  assert.equal(h.requestLogs[0]!.outcome, 'ok');
  assert.equal(h.requestLogs[0]!.promptTokens, 10);
  assert.equal(h.requestLogs[0]!.arch, 'hawk');
  await waitFor(() => h.lastStatus()?.lastLatencyMs !== undefined, 'latency in status');
});

test('lsp: a switched-off language gets nothing and the engine is not asked', async (t) => {
  const h = await startServer({ config: { ...FAST, enable: { '*': true, rust: false } } });
  t.after(() => h.dispose());
  h.open('file:///r.rs', 'fn main() {', 'rust');
  h.open('file:///n.md', '# Title\n', 'markdown'); // markdown is off by default
  assert.deepEqual(await h.complete('file:///r.rs', 0, 11), []);
  assert.deepEqual(await h.complete('file:///n.md', 1, 0), []);
  assert.equal(h.engine.callsOf('complete').length, 0);
  await waitFor(() => h.requestLogs.length === 2, 'request logs');
  assert.deepEqual(
    h.requestLogs.map((l) => l.outcome),
    ['empty', 'empty'],
  );
});

test('lsp: a position past the end of the document or negative gets nothing, never an error', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  const uri = 'file:///p.ts';
  h.open(uri, 'ab\r\ncd');
  assert.deepEqual(await h.complete(uri, 0, 3), [], 'past the end of line 0');
  assert.deepEqual(await h.complete(uri, 2, 0), [], 'past the last line');
  assert.deepEqual(await h.complete(uri, -1, 0), []);
  assert.deepEqual(await h.complete(uri, 0, -2), []);
  assert.deepEqual(await h.complete('file:///never-opened.ts', 0, 0), []);
  assert.equal(h.engine.callsOf('complete').length, 0);
  assert.equal((await h.complete(uri, 1, 2)).length, 1, 'the real end of the document still works');
});

test('lsp: typing the start of a shown completion is served from the cache', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  h.engine.handlers.complete = () => ({
    completions: ['computeValue(1);'],
    promptTokens: 1,
    cachedTokens: 0,
    generatedTokens: 4,
    latencyMs: 1,
    timings: { prefixMs: 0, suffixMs: 0, decodeMs: 1 },
    ep: 'cpu',
    arch: 'hawk',
    layout: 'plain',
  });
  const uri = 'file:///c.ts';
  h.open(uri, 'let x = ');
  assert.equal((await h.complete(uri, 0, 8))[0]?.insertText, 'computeValue(1);');
  h.change(uri, 2, [{ range: { start: { line: 0, character: 8 }, end: { line: 0, character: 8 } }, text: 'comp' }]);
  const items = await h.complete(uri, 0, 12);
  assert.equal(items[0]?.insertText, 'uteValue(1);');
  assert.equal(h.engine.callsOf('complete').length, 1, 'the engine was asked once');
  await waitFor(() => h.requestLogs.length === 2, 'logs');
  assert.equal(h.requestLogs[1]!.outcome, 'cache');
});

test('lsp: a manual trigger asks for 3 alternatives and dedupes them', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  h.engine.handlers.complete = (p) => ({
    completions: p.n === 3 ? ['a + b;', 'a + b;  ', 'a - b;'] : ['x'],
    promptTokens: 1,
    cachedTokens: 0,
    generatedTokens: 4,
    latencyMs: 1,
    timings: { prefixMs: 0, suffixMs: 0, decodeMs: 1 },
    ep: 'cpu',
    arch: 'hawk',
    layout: 'plain',
  });
  h.open('file:///m.ts', 'return ');
  const items = await h.complete('file:///m.ts', 0, 7, 1);
  assert.deepEqual(
    items.map((i) => i.insertText),
    ['a + b;', 'a - b;'],
  );
  const req = h.engine.callsOf('complete')[0]!;
  assert.equal(req.n, 3);
  assert.equal(req.singleLine, true);
  assert.equal(req.maxTokens, 24);
});

test('lsp: cancelling the LSP request aborts the engine request', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  let seen: AbortSignal | undefined;
  h.engine.handlers.complete = (_p, signal) =>
    new Promise((_, reject) => {
      seen = signal;
      signal?.addEventListener('abort', () => reject(new EngineError('CancelledError', 'cancelled')), { once: true });
    });
  h.open('file:///k.ts', 'const k = ');
  const source = new CancellationTokenSource();
  const pending = h.complete('file:///k.ts', 0, 10, 2, source);
  await waitFor(() => seen !== undefined, 'engine request');
  source.cancel();
  assert.deepEqual(await pending, [], 'a cancelled request answers with no items');
  await waitFor(() => seen?.aborted === true, 'engine signal aborted');
  await waitFor(() => h.requestLogs.some((l) => l.outcome === 'cancelled'), 'cancelled log');
});

test('lsp: a newer automatic request wins over one waiting in the debounce', async (t) => {
  const h = await startServer({ config: { completion: { debounceMs: 50 } } });
  t.after(() => h.dispose());
  h.open('file:///d.ts', 'let a = 1;\nlet b = ');
  const first = h.complete('file:///d.ts', 1, 8);
  const second = h.complete('file:///d.ts', 1, 8);
  assert.deepEqual(await first, []);
  assert.equal((await second).length, 1);
  assert.equal(h.engine.callsOf('complete').length, 1);
  await waitFor(() => h.requestLogs.length === 2, 'logs');
  assert.deepEqual(h.requestLogs.map((l) => l.outcome).sort(), ['cancelled', 'ok']);
});

test('lsp: changing architecture or provider reloads the model without a restart', async (t) => {
  const models = fakeModels('hawk', 'griffin');
  let config: Record<string, unknown> = FAST;
  const h = await startServer({ modelsDir: models, config: () => config });
  t.after(() => h.dispose());
  h.open('file:///s.ts', 'let s = ');
  await h.complete('file:///s.ts', 0, 8);
  config = { ...FAST, model: { architecture: 'hawk' }, engine: { executionProvider: 'webgpu' } };
  h.configChanged();
  await waitFor(() => h.engine.callsOf('load').length === 2, 'reload');
  const reload = h.engine.callsOf('load')[1]!;
  assert.equal(reload.modelDir, path.join(models, 'hawk'));
  assert.equal(reload.ep, 'webgpu');
  await waitFor(() => h.lastStatus()?.arch === 'hawk' && h.lastStatus()?.state === 'ready', 'hawk ready');
  assert.equal(h.lastStatus()?.ep, 'webgpu');
  // The documents are replayed into the reloaded engine and the next completion uses it.
  assert.equal(h.engine.callsOf('openDocument').filter((o) => o.uri === 'file:///s.ts').length, 2);
  h.change('file:///s.ts', 2, [{ range: { start: { line: 0, character: 8 }, end: { line: 0, character: 8 } }, text: ' ' }]);
  assert.equal((await h.complete('file:///s.ts', 0, 9)).length, 1);
  assert.equal(h.engine.callsOf('complete').length, 2);
  // A change that does not shape the load does not reload.
  config = { ...config, completion: { debounceMs: 0, maxTokens: 10 } };
  h.configChanged();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.engine.callsOf('load').length, 2);
});

test('lsp: a missing model gives an error status and empty completions, without asking the engine', async (t) => {
  const h = await startServer({ modelsDir: fakeModels('hawk'), config: { ...FAST, model: { architecture: 'based' } } });
  t.after(() => h.dispose());
  await waitFor(() => h.lastStatus()?.state === 'error', 'error status');
  assert.match(h.lastStatus()!.message, /model 'based' not found in /);
  assert.equal(h.engine.callsOf('load').length, 0);
  h.open('file:///e.ts', 'let e = ');
  assert.deepEqual(await h.complete('file:///e.ts', 0, 8), []);
  assert.equal(h.engine.callsOf('complete').length, 0);
  assert.equal(h.engine.callsOf('openDocument').length, 0, 'nothing is forwarded without a model');
});

test("lsp: an engine load error (corrupt model) is shown with the engine's message", async (t) => {
  const engine = new FakeEngine();
  engine.handlers.load = () => {
    throw new EngineError('ModelCorruptError', 'weights-0.bin is truncated');
  };
  const h = await startServer({ engine, config: FAST });
  t.after(() => h.dispose());
  await waitFor(() => h.lastStatus()?.state === 'error', 'error status');
  assert.match(h.lastStatus()!.message, /weights-0\.bin is truncated/);
});

test('lsp: invalid settings fall back to defaults, with one warning shown', async (t) => {
  const h = await startServer({ config: { completion: { debounceMs: -5 } } });
  t.after(() => h.dispose());
  h.configChanged();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.server.settings.settings['completion.debounceMs'], 60);
  const warnings = h.shown.filter((m) => m.type === 2 && m.message.includes('statewise.completion.debounceMs'));
  assert.equal(warnings.length, 1);
});

test('lsp: initializationOptions.settings apply before workspace/configuration', async (t) => {
  const h = await startServer({
    capabilities: {},
    initializationOptions: { settings: { 'completion.maxTokens': 7, 'completion.debounceMs': 0 } },
  });
  t.after(() => h.dispose());
  assert.equal(h.server.settings.settings['completion.maxTokens'], 7);
  h.open('file:///i.ts', '');
  await h.complete('file:///i.ts', 0, 0);
  assert.equal(h.engine.callsOf('complete')[0]?.maxTokens, 7);
});

test('lsp: after an engine restart the model, documents and workspace are replayed', async (t) => {
  const ws = workspace({ 'a.ts': 'export const a = 1;\n' });
  const h = await startServer({ config: FAST, workspaceDir: ws });
  t.after(() => h.dispose());
  const uri = fileUri(path.join(ws, 'main.ts'));
  h.open(uri, 'let m = ');
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'first workspace');
  h.engine.calls.length = 0;
  h.engine.restart();
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'workspace replayed');
  assert.deepEqual(
    h.engine.calls.map((c) => c.method).filter((m) => m !== 'warm'),
    ['load', 'openDocument', 'setWorkspace'],
  );
  assert.equal(h.engine.callsOf('openDocument')[0]!.text, 'let m = ');
  assert.equal((await h.complete(uri, 0, 8)).length, 1);
});

test('lsp: indexing scans the workspace, reports progress and persists per architecture', async (t) => {
  const ws = workspace({
    'src/a.ts': 'export const a = 1;\n',
    'src/b.ts': 'export const b = 2;\n',
    'gen/x.ts': 'x\n',
    'big.ts': 'y'.repeat(3000),
  });
  const storage = path.join(ws, '..', `${path.basename(ws)}-storage`);
  const h = await startServer({
    config: { ...FAST, workspace: { maxFileBytes: 2048 } },
    filesExclude: { '**/gen': true },
    workspaceDir: ws,
    initializationOptions: { storagePath: storage },
    capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
  });
  t.after(() => h.dispose());
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'setWorkspace');
  const set = h.engine.callsOf('setWorkspace')[0]!;
  assert.deepEqual(set.files.map((f) => f.path).sort(), ['src/a.ts', 'src/b.ts']);
  assert.equal(set.persistDir, path.join(storage, 'workspace-state', DEFAULT_ARCH));
  assert.match(set.fingerprint, /^[0-9a-f]{64}$/);
  await waitFor(() => h.lastStatus()?.state === 'ready', 'ready after indexing');
  const indexing = h.statuses.filter((s) => s.state === 'indexing');
  assert.ok(
    indexing.some((s) => s.progress === 100 && /2\/2 files/.test(s.message)),
    JSON.stringify(indexing),
  );
  assert.ok(h.logs.some((l) => /skipped big\.ts: 3000 bytes > maxFileBytes 2048/.test(l)));
  await waitFor(() => h.progress.some((p) => p.kind === 'end'), 'work-done progress end');
  assert.deepEqual(
    h.progress.map((p) => p.kind),
    ['begin', 'report', 'report', 'end'],
  );
  assert.equal(h.progress[2]!.percentage, 100);
});

test('lsp: an untrusted workspace is not indexed, and says why', async (t) => {
  const ws = workspace({ 'a.ts': 'a\n' });
  const h = await startServer({ config: FAST, workspaceDir: ws, initializationOptions: { trusted: false } });
  t.after(() => h.dispose());
  await waitFor(() => h.logs.some((l) => /not trusted/.test(l)), 'log line');
  assert.equal(h.engine.callsOf('setWorkspace').length, 0);
});

test('lsp: statewise/rebuildWorkspace drops the persisted state and builds again', async (t) => {
  const ws = workspace({ 'a.ts': 'export const a = 1;\n' });
  const storage = `${ws}-storage`;
  const h = await startServer({ config: FAST, workspaceDir: ws, initializationOptions: { storagePath: storage } });
  t.after(() => h.dispose());
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'first build');
  const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
  const stateDir = path.join(storage, 'workspace-state', DEFAULT_ARCH);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, 'workspace-state.bin'), 'old');
  const result = await h.client.sendRequest('statewise/rebuildWorkspace');
  assert.deepEqual(result, { files: 1, bytes: 20 });
  assert.equal(existsSync(path.join(stateDir, 'workspace-state.bin')), false);
  const sets = h.engine.callsOf('setWorkspace');
  assert.equal(sets.length, 3, "an empty workspace clears the engine's copy, then the real build");
  assert.equal(sets[1]!.files.length, 0);
  assert.equal(sets[2]!.fingerprint, sets[0]!.fingerprint);
});

test('lsp: file watchers are registered dynamically and changes rebuild after the delay', async (t) => {
  const ws = workspace({ 'a.ts': 'a\n' });
  const h = await startServer({
    config: { ...FAST, workspace: { rebuildDelayMs: 20 } },
    workspaceDir: ws,
    capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } } },
  });
  t.after(() => h.dispose());
  assert.match(JSON.stringify(h.registrations), /workspace\/didChangeWatchedFiles/);
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'first build');
  void h.client.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: fileUri(path.join(ws, 'node_modules', 'x.js')), type: 2 }],
  });
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.engine.callsOf('setWorkspace').length, 1, 'changes in skipped folders are ignored');
  void h.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(path.join(ws, 'a.ts')), type: 2 }] });
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 2, 'rebuild');
});

test('lsp: statewise/info reports the model, workspace and engine', async (t) => {
  const ws = workspace({ 'a.ts': 'export const a = 1;\n' });
  const h = await startServer({ config: FAST, workspaceDir: ws });
  t.after(() => h.dispose());
  await waitFor(() => h.server.indexer?.summary !== undefined, 'workspace');
  const info = (await h.client.sendRequest('statewise/info')) as Record<string, unknown>;
  assert.equal(info.arch, DEFAULT_ARCH);
  assert.equal(info.ep, 'cpu');
  assert.equal(info.state, 'ready');
  assert.deepEqual(info.workspace, { files: 1, tokens: 10, bytes: 20, restored: false });
  assert.deepEqual(info.engine, { pid: 4242, rssBytes: 1000, stateCacheBytes: 200, restarts: 0 });
});

test('lsp: an automatic trigger in the middle of code is skipped; a manual one is not', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  h.open('file:///mid.ts', 'const total = computeTotal(items, options);');
  assert.deepEqual(await h.complete('file:///mid.ts', 0, 14), []);
  assert.equal(h.engine.callsOf('complete').length, 0);
  await h.complete('file:///mid.ts', 0, 14, 1);
  assert.equal(h.engine.callsOf('complete').length, 1);
});

test('lsp: status turns slow when completions are slow, with the last latency', async (t) => {
  let clock = 0;
  const h = await startServer({ config: FAST, now: () => (clock += 2000) });
  t.after(() => h.dispose());
  h.open('file:///slow.ts', 'let s = ');
  for (let i = 0; i < 3; i++) await h.complete('file:///slow.ts', 0, 8, 1);
  await waitFor(() => h.lastStatus()?.state === 'slow', 'slow status');
  assert.equal(h.lastStatus()?.lastLatencyMs, 2000);
  assert.match(h.lastStatus()!.message, new RegExp(`slow: completions take ~2000 ms \\(${DEFAULT_ARCH} on cpu\\)`));
});

test('lsp: a document that becomes active again is warmed at the cursor line', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  h.open('file:///one.ts', 'let a = 1;\nlet b = ');
  h.open('file:///two.ts', 'let c = ');
  await h.complete('file:///two.ts', 0, 8);
  const before = h.engine.callsOf('warm').length;
  await h.complete('file:///one.ts', 1, 8);
  const warms = h.engine.callsOf('warm').slice(before);
  assert.deepEqual(warms, [{ uri: 'file:///one.ts', line: 1 }]);
});

test('lsp: workspace.persist false (or no storage path) keeps the state in memory only', async (t) => {
  const ws = workspace({ 'a.ts': 'a\n' });
  const h = await startServer({
    config: { ...FAST, workspace: { persist: false } },
    workspaceDir: ws,
    initializationOptions: { storagePath: `${ws}-storage` },
  });
  t.after(() => h.dispose());
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'build');
  assert.equal(h.engine.callsOf('setWorkspace')[0]!.persistDir, undefined);
});

test('lsp: an engine that keeps crashing gives an error status', async (t) => {
  const h = await startServer({ config: FAST });
  t.after(() => h.dispose());
  h.engine.emit('failed', 'the engine crashed 6 times within a minute; not restarting it');
  await waitFor(() => h.lastStatus()?.state === 'error', 'error status');
  assert.match(h.lastStatus()!.message, /the engine stopped: .*not restarting/);
  h.open('file:///f.ts', 'let f = ');
  assert.deepEqual(await h.complete('file:///f.ts', 0, 8), []);
  assert.equal(h.engine.callsOf('complete').length, 0);
});

test('lsp: a client without a statewise section (null) keeps initializationOptions.settings', async (t) => {
  const h = await startServer({
    config: () => null as unknown as Record<string, unknown>,
    initializationOptions: { settings: { 'completion.maxTokens': 9 } },
  });
  t.after(() => h.dispose());
  h.configChanged();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.server.settings.settings['completion.maxTokens'], 9);
});

test('lsp: a client that pushes settings in didChangeConfiguration is followed', async (t) => {
  const h = await startServer({ capabilities: {}, initializationOptions: { settings: { 'completion.maxTokens': 9 } } });
  t.after(() => h.dispose());
  void h.client.sendNotification('workspace/didChangeConfiguration', { settings: { other: 1 } });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.server.settings.settings['completion.maxTokens'], 9, 'no statewise section: unchanged');
  void h.client.sendNotification('workspace/didChangeConfiguration', { settings: { statewise: { completion: { maxTokens: 5 } } } });
  await waitFor(() => h.server.settings.settings['completion.maxTokens'] === 5, 'pushed settings');
});
