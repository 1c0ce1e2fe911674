// The bundled server (dist/server.js --stdio) as an editor starts it, with the real engine and model:
// nothing but LSP may reach stdout (the engine child's output included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection,
  InlineCompletionRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type { StatusParams } from '../../server/protocol/lsp';
import { waitFor } from '../helpers/lspHarness';
import { PATTERN_DOC, PATTERN_END } from '../helpers/engineRequests';
import { MODELS_DIR, REPO, requireBuild } from '../helpers/realEngine';

test('integration stdio: statewise-server --stdio answers inline completions', async (t) => {
  requireBuild();
  const child = spawn(process.execPath, [join(REPO, 'dist', 'server.js'), '--stdio'], {
    env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const statuses: StatusParams[] = [];
  client.onNotification('statewise/status', (p: StatusParams) => void statuses.push(p));
  client.onRequest('workspace/configuration', (p: { items: unknown[] }) =>
    p.items.map(() => ({ engine: { executionProvider: 'cpu' }, completion: { debounceMs: 0 } })),
  );
  client.listen();
  t.after(() => {
    client.dispose();
    child.kill();
  });
  const init = (await client.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { configuration: true } },
  })) as { capabilities: { inlineCompletionProvider?: unknown } };
  assert.equal(init.capabilities.inlineCompletionProvider, true);
  await client.sendNotification('initialized', {});
  await waitFor(() => statuses.some((s) => s.state === 'ready' || s.state === 'error'), 'ready', 60_000);
  assert.equal(statuses[statuses.length - 1]!.state, 'ready', `${JSON.stringify(statuses)}\n${stderr}`);
  const uri = 'file:///work/limits.ts';
  await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: PATTERN_DOC } });
  const items = await client.sendRequest(InlineCompletionRequest.type, {
    textDocument: { uri },
    position: PATTERN_END,
    context: { triggerKind: 1 },
  });
  const list = Array.isArray(items) ? items : (items?.items ?? []);
  assert.ok(list.length >= 1, `an item from the real model (stderr: ${stderr})`);
  await client.sendRequest('shutdown');
});
