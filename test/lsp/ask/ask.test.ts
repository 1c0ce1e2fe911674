// statewise/ask in the language server with a fake engine (what the handler sends and forwards),
// and the pure helpers: parameter checks, selected text, the file verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { askFileText } from '../../../server/lsp/ask/askFile';
import { checkAskParams, selectedText } from '../../../server/lsp/ask/handler';
import type { AskProgressParams, AskResult } from '../../../server/protocol/lsp';
import { fileUri, startServer, waitFor, workspace } from '../../helpers/lspHarness';

test('askFileText refuses binary, non-UTF-8 and over-size bytes', () => {
  assert.deepEqual(askFileText(Buffer.from('ok\n')), { ok: true, text: 'ok\n' });
  assert.match((askFileText(Buffer.from([104, 0, 105])) as { reason: string }).reason, /binary/);
  assert.match((askFileText(Buffer.from([0xff, 0xfe, 0x41])) as { reason: string }).reason, /not UTF-8/);
  assert.match((askFileText(Buffer.from('abcdef'), 4) as { reason: string }).reason, /too large/);
});

test('checkAskParams and selectedText', () => {
  assert.equal(checkAskParams({ askId: 'a', uri: 'file:///x', question: 'q' }), undefined);
  assert.match(checkAskParams({ askId: 'a', uri: 'file:///x', question: ' ' })!, /question/);
  assert.match(checkAskParams({ askId: 'a', uri: 'file:///x', question: 'q', history: [{ question: 'q' }] })!, /history/);
  assert.match(checkAskParams({ askId: 'a', uri: 'file:///x', question: 'q', maxTokens: 0 })!, /maxTokens/);
  assert.match(checkAskParams(null)!, /params/);
  assert.equal(selectedText('ab\ncd\nef', { start: { line: 0, character: 1 }, end: { line: 1, character: 1 } }), 'b\nc');
  assert.equal(selectedText('ab', undefined), undefined);
});

test('statewise/ask sends the open document, its selection and history to the engine and forwards progress', async (t) => {
  const ws = workspace({ 'src/a.ts': 'const a = 1;\nconst b = a + 1;\n' });
  const h = await startServer({ workspaceDir: ws });
  t.after(() => h.dispose());
  const progress: AskProgressParams[] = [];
  h.client.onNotification('statewise/askProgress', (p: AskProgressParams) => void progress.push(p));
  const uri = fileUri(join(ws, 'src/a.ts'));
  h.open(uri, 'const a = 1;\nconst b = a + 2;\n');
  await waitFor(() => h.engine.callsOf('openDocument').length > 0, 'open');
  const r = (await h.client.sendRequest('statewise/ask', {
    askId: 'x',
    uri,
    question: 'What is b?',
    history: [{ question: 'a?', answer: '1' }],
    selection: { start: { line: 1, character: 0 }, end: { line: 1, character: 16 } },
  })) as AskResult;
  assert.equal(r.answer, 'fake answer');
  const sent = h.engine.callsOf('ask')[0]!;
  assert.deepEqual(
    { uri: sent.uri, version: sent.version, path: sent.path, text: sent.text, selection: sent.selection, history: sent.history },
    {
      uri,
      version: 1,
      path: 'src/a.ts',
      text: 'const a = 1;\nconst b = a + 2;\n',
      selection: 'const b = a + 2;',
      history: [{ question: 'a?', answer: '1' }],
    },
  );
  await waitFor(() => progress.length === 2, 'progress');
  assert.deepEqual(progress, [
    { askId: 'x', text: 'fake', tokens: 1 },
    { askId: 'x', text: 'fake answer', tokens: 2 },
  ]);
  // Not open: read from disk, without uri/version.
  h.close(uri);
  await waitFor(() => h.engine.callsOf('closeDocument').length > 0, 'close');
  await h.client.sendRequest('statewise/ask', { askId: 'z', uri, question: 'q' });
  const fromDisk = h.engine.callsOf('ask').at(-1)!;
  assert.deepEqual([fromDisk.uri, fromDisk.text], [undefined, 'const a = 1;\nconst b = a + 1;\n']);
  // Engine errors become request errors.
  h.engine.askHandler = () => {
    throw Object.assign(new Error('boom'), { name: 'EngineError' });
  };
  await assert.rejects(h.client.sendRequest('statewise/ask', { askId: 'w', uri, question: 'q' }), /Ask failed: boom/);
});
