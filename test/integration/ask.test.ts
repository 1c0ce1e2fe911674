// Ask end to end with the real engine child and the real hawk model: EngineClient streaming and
// cancellation over IPC, the statewise/ask LSP round trip with statewise/askProgress notifications,
// and `statewise ask --json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import type { AskParams, AskProgressParams, AskResult } from '../../server/protocol/lsp';
import { cpuLoad } from '../helpers/engineRequests';
import { fileUri, waitFor } from '../helpers/lspHarness';
import { CLI_JS, MODELS_DIR, readyServer, REPO, realEngine, requireBuild } from '../helpers/realEngine';
import { DEFAULT_ARCH } from '../helpers/models';

const TEXT = readFileSync(join(REPO, 'server', 'engine', 'sampler.ts'), 'utf8');

test('integration ask: EngineClient streams partial answers over IPC; an abort returns the partial answer', async (t) => {
  const { engine, hawk } = realEngine();
  t.after(() => engine.dispose());
  await engine.request('load', cpuLoad(hawk, { checkpointInterval: 256 }));
  const partials: string[] = [];
  const r = await engine.ask({ path: 'sampler.ts', text: TEXT, question: 'What does argmax return?', maxTokens: 6 }, (text) =>
    partials.push(text),
  );
  assert.ok(r.generatedTokens >= 1);
  assert.equal(partials.length, r.generatedTokens);
  assert.equal(partials.at(-1), r.answer);
  const abort = new AbortController();
  let n = 0;
  const cancelled = await engine.ask(
    { path: 'sampler.ts', text: TEXT, question: 'What does sample return?', maxTokens: 400 },
    () => {
      if (++n === 2) abort.abort();
    },
    abort.signal,
  );
  assert.equal(cancelled.cancelled, true);
  assert.ok(cancelled.generatedTokens >= 2 && cancelled.generatedTokens < 400, `${cancelled.generatedTokens} tokens`);
  assert.ok(cancelled.cachedTokens >= cancelled.fileTokens);
});

test('integration ask: statewise/ask over LSP streams statewise/askProgress, caches the file, cancels, reads files from disk', async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'sw-ask-ws-'));
  writeFileSync(join(ws, 'disk.ts'), TEXT);
  writeFileSync(join(ws, 'blob.bin'), Buffer.from([1, 2, 0, 3]));
  // hawk never learned the Ask turns, so its answers run to maxTokens: what a cancellation mid-stream
  // needs (the default model answers these questions in a token or two and stops)
  const { h } = await readyServer(t, {
    workspaceDir: ws,
    config: { engine: { executionProvider: 'cpu' }, workspace: { enable: false }, model: { architecture: 'hawk' } },
  });
  const progress: AskProgressParams[] = [];
  h.client.onNotification('statewise/askProgress', (p: AskProgressParams) => void progress.push(p));
  const uri = fileUri(join(ws, 'open.ts'));
  h.open(uri, TEXT);
  const ask = (p: Partial<AskParams>, token?: CancellationTokenSource): Promise<AskResult> => {
    const params = { askId: 'a1', uri, question: 'What does argmax return?', maxTokens: 5, ...p };
    return token ? h.client.sendRequest('statewise/ask', params, token.token) : h.client.sendRequest('statewise/ask', params);
  };

  const first = await ask({});
  assert.equal(first.cancelled, false);
  assert.ok(first.generatedTokens >= 1 && first.fileTokens > 300, JSON.stringify(first));
  await waitFor(() => progress.filter((p) => p.askId === 'a1').length === first.generatedTokens, 'progress notifications');
  assert.equal(progress.at(-1)!.text, first.answer);
  assert.equal(progress.at(-1)!.tokens, first.generatedTokens);
  const second = await ask({ askId: 'a2', question: 'Which parameters does sample take?' });
  assert.ok(second.cachedTokens >= second.fileTokens, `cached ${second.cachedTokens} of ${second.fileTokens}`);
  assert.ok(second.firstTokenMs < first.firstTokenMs, `first token ${first.firstTokenMs} ms then ${second.firstTokenMs} ms`);
  t.diagnostic(
    `lsp ask (${first.fileTokens} file tokens): first token ${first.firstTokenMs.toFixed(0)} ms, second ${second.firstTokenMs.toFixed(0)} ms`,
  );

  const source = new CancellationTokenSource();
  h.client.onNotification('statewise/askProgress', (p: AskProgressParams) => {
    if (p.askId === 'c' && p.tokens === 2) source.cancel();
  });
  const cancelled = await ask({ askId: 'c', question: 'What does seededRng return?', maxTokens: 400 }, source);
  assert.equal(cancelled.cancelled, true);
  assert.ok(cancelled.generatedTokens >= 2 && cancelled.generatedTokens < 400);

  const disk = await ask({ askId: 'd', uri: fileUri(join(ws, 'disk.ts')) });
  assert.ok(Math.abs(disk.fileTokens - first.fileTokens) <= 2, 'a file only on disk is read (same text, another path header)');
  assert.ok((await ask({ askId: 'd2', uri: fileUri(join(ws, 'disk.ts')) })).cachedTokens >= disk.fileTokens, 'and cached too');
  await assert.rejects(ask({ askId: 'b', uri: fileUri(join(ws, 'blob.bin')) }), /binary/);
  await assert.rejects(ask({ askId: 'm', uri: fileUri(join(ws, 'missing.ts')) }), /cannot read/);
  await assert.rejects(ask({ askId: 'e', question: '' }), /question/);
});

test('integration cli: ask --json prints answer, latency and token counts; plain ask streams the answer', () => {
  requireBuild();
  const env = { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR };
  const r = spawnSync(
    process.execPath,
    [CLI_JS, 'ask', 'server/engine/sampler.ts', 'What does argmax return?', '--ep', 'cpu', '--max-tokens', '4', '--json'],
    { cwd: REPO, encoding: 'utf8', env, timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const key of [
    'answer',
    'latencyMs',
    'fileTokens',
    'context',
    'excerptChars',
    'cachedTokens',
    'firstTokenMs',
    'promptTokens',
    'arch',
    'ep',
  ])
    assert.ok(key in out, key);
  assert.equal(typeof out.answer, 'string');
  assert.deepEqual([out.arch, out.ep], [DEFAULT_ARCH, 'cpu']);
  // the default model (trained with excerpts) reads the window of the file that ends at argmax's
  // definition, with the excerpt in the question
  assert.equal(out.context, 'window');
  assert.ok((out.excerptChars as number) > 0);
  assert.ok((out.fileTokens as number) > 10 && (out.fileTokens as number) <= 1024 + 20, `${out.fileTokens as number} file tokens`);
  assert.ok((out.promptTokens as number) > (out.fileTokens as number));
  const plain = spawnSync(
    process.execPath,
    [CLI_JS, 'ask', 'server/engine/sampler.ts', 'What does argmax return?', '--ep', 'cpu', '--max-tokens', '4'],
    { cwd: REPO, encoding: 'utf8', env, timeout: 120_000 },
  );
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, `${out.answer}\n`, 'greedy: the same answer');
  const bad = spawnSync(process.execPath, [CLI_JS, 'ask', 'server/engine/sampler.ts'], { cwd: REPO, encoding: 'utf8', env });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Usage: statewise ask/);
});
