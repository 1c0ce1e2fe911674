// The language server in process (real LSP client over a stream pair) with the real engine child
// and the real hawk model.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { waitFor } from '../helpers/lspHarness';
import { PATTERN_DOC, PATTERN_END, PATTERN_URI as URI } from '../helpers/engineRequests';
import { readyServer } from '../helpers/realEngine';
import { DEFAULT_ARCH } from '../helpers/models';

const CONFIG = { engine: { executionProvider: 'cpu' }, completion: { debounceMs: 0 } };

const start = (t: TestContext, config: Record<string, unknown> = CONFIG) => readyServer(t, { config });

test('integration lsp: an inline completion comes from the real model', async (t) => {
  const { h } = await start(t);
  assert.equal(h.lastStatus()?.arch, DEFAULT_ARCH);
  h.open(URI, PATTERN_DOC);
  const items = await h.complete(URI, PATTERN_END.line, PATTERN_END.character, 1);
  assert.ok(items.length >= 1, 'at least one item');
  assert.ok(typeof items[0]!.insertText === 'string' && items[0]!.insertText.length > 0);
  await waitFor(() => h.requestLogs.some((l) => l.outcome === 'ok' && l.generatedTokens > 0), 'request log');
  const info = (await h.client.sendRequest('statewise/info')) as { engine?: { pid: number; rssBytes: number } };
  assert.ok(info.engine && info.engine.pid > 0 && info.engine.rssBytes > 0);
});

test('integration lsp: cancelling the request stops the real generation', async (t) => {
  // Long multi-line generations (512 tokens, sampled): cancel one almost at once.
  const { h } = await start(t, { ...CONFIG, completion: { debounceMs: 0, multiline: 'always', maxTokens: 512, temperature: 1 } });
  h.open(URI, 'function main() {\n');
  const source = new CancellationTokenSource();
  const pending = h.complete(URI, 1, 0, 2, source);
  setTimeout(() => source.cancel(), 10);
  assert.deepEqual(await pending, []);
  await waitFor(() => h.requestLogs.some((l) => l.outcome === 'cancelled'), 'cancelled log');
  // The next request still gets an answer.
  h.open('file:///work/src/p.ts', PATTERN_DOC);
  await h.complete('file:///work/src/p.ts', PATTERN_END.line, PATTERN_END.character, 1);
  await waitFor(() => h.requestLogs.some((l) => l.outcome === 'ok' || l.outcome === 'empty'), 'answer after cancel');
});

test('integration lsp: killing the engine mid-request restarts it, replays state, and the next request works', async (t) => {
  const { h, engine } = await start(t);
  h.open(URI, PATTERN_DOC);
  const pid = engine.pid!;
  const loadingsBefore = h.statuses.filter((s) => s.state === 'loading').length;
  const restarted = once(engine, 'restarted');
  const pending = h.complete(URI, PATTERN_END.line, PATTERN_END.character, 1);
  setTimeout(() => process.kill(pid, 'SIGKILL'), 5);
  assert.ok(Array.isArray(await pending), 'the request in flight answers (empty) instead of failing');
  await restarted;
  await waitFor(() => h.statuses.filter((s) => s.state === 'loading').length > loadingsBefore, 'reloading after restart', 10_000);
  await waitFor(() => h.lastStatus()?.state === 'ready', 'ready again', 60_000);
  const items = await h.complete(URI, PATTERN_END.line, PATTERN_END.character, 1);
  assert.ok(
    items.length >= 1,
    `completes after the restart (documents replayed): ${JSON.stringify(h.requestLogs)} ${h.logs.slice(-15).join('\n')}`,
  );
  assert.equal(engine.restarts, 1);
});
