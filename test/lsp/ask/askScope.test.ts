// statewise/ask: which files it may read from disk (issue 16 items 4, 7, 8), through the LSP harness.
// Untrusted workspace: open documents only. Trusted: open documents, and files on disk whose real
// path lies inside a workspace folder. A FIFO is refused without blocking. Malformed params are
// InvalidParams (-32602) with a message, never a raw TypeError (-32603).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResponseError } from 'vscode-languageserver/node';
import { checkAskParams, diskFileInScope } from '../../../server/lsp/ask/handler';
import type { AskResult } from '../../../server/protocol/lsp';
import { DEFAULT_ARCH } from '../../helpers/models';
import { fileUri, startServer, waitFor, workspace } from '../../helpers/lspHarness';

const posix = process.platform !== 'win32';
const INVALID_PARAMS = -32602;

/** A file outside every workspace folder, like /etc/passwd. */
function outsideFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-outside-'));
  writeFileSync(join(dir, 'secret.txt'), 'root:x:0:0:secret\n');
  return join(dir, 'secret.txt');
}

async function askError(p: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await p;
  } catch (err) {
    return err as ResponseError<unknown>;
  }
  assert.fail('the request succeeded');
}

test('ask in a trusted workspace: files inside are read from disk; outside, or through a link out, refused', async (t) => {
  const secret = outsideFile();
  const ws = workspace({ 'src/a.ts': 'const a = 1;\n' });
  symlinkSync(secret, join(ws, 'src', 'link.ts'));
  const h = await startServer({ workspaceDir: ws, initializationOptions: { trusted: true } });
  t.after(() => h.dispose());
  const ask = (uri: string) => h.client.sendRequest('statewise/ask', { askId: 'x', uri, question: 'q' }) as Promise<AskResult>;

  assert.equal((await ask(fileUri(join(ws, 'src/a.ts')))).answer, 'fake answer');
  assert.equal(h.engine.callsOf('ask').at(-1)!.text, 'const a = 1;\n');
  const before = h.engine.callsOf('ask').length;
  for (const uri of [
    fileUri(secret),
    fileUri(join(ws, 'src', 'link.ts')),
    fileUri(join(ws, '..', 'x', '..', secret.slice(tmpdir().length + 1))),
  ]) {
    const err = await askError(ask(uri));
    assert.equal(err.code, INVALID_PARAMS, uri);
    assert.match(err.message, /outside the workspace folders/, uri);
    assert.doesNotMatch(err.message, /root:x/, 'nothing of the file is echoed');
  }
  assert.equal(h.engine.callsOf('ask').length, before, 'nothing reached the engine');
  // An open document is always askable, wherever it lives.
  h.open(fileUri(secret), 'the editor text\n', 'plaintext');
  await waitFor(() => h.engine.callsOf('openDocument').length > 0, 'open');
  await ask(fileUri(secret));
  assert.equal(h.engine.callsOf('ask').at(-1)!.text, 'the editor text\n');
});

test('ask in an untrusted workspace reads only open documents', async (t) => {
  const secret = outsideFile();
  const ws = workspace({ 'src/a.ts': 'const a = 1;\n' });
  const h = await startServer({ workspaceDir: ws, initializationOptions: { trusted: false } });
  t.after(() => h.dispose());
  const ask = (uri: string) => h.client.sendRequest('statewise/ask', { askId: 'x', uri, question: 'q' }) as Promise<AskResult>;
  for (const uri of [fileUri(secret), fileUri(join(ws, 'src/a.ts')), 'file:///etc/passwd']) {
    const err = await askError(ask(uri));
    assert.equal(err.code, INVALID_PARAMS);
    assert.match(err.message, /not trusted \(Restricted Mode\): Ask reads only files open in the editor/);
  }
  assert.equal(h.engine.callsOf('ask').length, 0);
  const uri = fileUri(join(ws, 'src/a.ts'));
  h.open(uri, 'const a = 2;\n');
  await waitFor(() => h.engine.callsOf('openDocument').length > 0, 'open');
  assert.equal((await ask(uri)).answer, 'fake answer');
  assert.equal(h.engine.callsOf('ask')[0]!.text, 'const a = 2;\n');
});

test('ask without a workspace folder reads only open documents', async (t) => {
  const secret = outsideFile();
  const h = await startServer({});
  t.after(() => h.dispose());
  const err = await askError(h.client.sendRequest('statewise/ask', { askId: 'x', uri: fileUri(secret), question: 'q' }));
  assert.match(err.message, /no workspace folder is open/);
});

test('ask about a FIFO in the workspace fails at once with a clear message', { skip: !posix }, async (t) => {
  const ws = workspace({ 'src/a.ts': 'const a = 1;\n' });
  execFileSync('mkfifo', [join(ws, 'src', 'pipe.ts')]);
  const h = await startServer({ workspaceDir: ws });
  t.after(() => h.dispose());
  const started = Date.now();
  const err = await askError(h.client.sendRequest('statewise/ask', { askId: 'x', uri: fileUri(join(ws, 'src/pipe.ts')), question: 'q' }));
  assert.equal(err.code, INVALID_PARAMS);
  assert.match(err.message, /src\/pipe\.ts: .* is a FIFO \(named pipe\), not a regular file/);
  assert.ok(Date.now() - started < 2000);
  // and the server still reads ordinary files
  await h.client.sendRequest('statewise/ask', { askId: 'y', uri: fileUri(join(ws, 'src/a.ts')), question: 'q' });
});

test('statewise/ask with malformed params answers InvalidParams with a message', async (t) => {
  const ws = workspace({ 'a.ts': 'x\n' });
  const h = await startServer({ workspaceDir: ws });
  t.after(() => h.dispose());
  const uri = fileUri(join(ws, 'a.ts'));
  h.open(uri, 'x\n');
  await waitFor(() => h.engine.callsOf('openDocument').length > 0, 'open');
  const good = { askId: 'x', uri, question: 'q' };
  const cases: [unknown, RegExp][] = [
    [undefined, /needs params/],
    [null, /needs params/],
    ['text', /needs params/],
    [42, /needs params/],
    [{ ...good, selection: 'all' }, /selection must be a range/],
    [{ ...good, selection: { start: 0, end: 1 } }, /selection must be a range/],
    [{ ...good, selection: { start: { line: 0, character: 0 } } }, /selection must be a range/],
    [{ ...good, selection: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } }, /selection must be a range/],
    [{ ...good, selection: { start: { line: 0.5, character: 0 }, end: { line: 0, character: 0 } } }, /selection must be a range/],
    [{ ...good, uri: 7 }, /uri must be/],
    [{ ...good, askId: undefined }, /askId/],
    [{ ...good, question: ['q'] }, /question/],
    [{ ...good, history: 'no' }, /history/],
    [{ ...good, history: [null] }, /history/],
    [{ ...good, maxTokens: '5' }, /maxTokens/],
  ];
  for (const [params, message] of cases) {
    const err = await askError(
      params === undefined ? h.client.sendRequest('statewise/ask') : h.client.sendRequest('statewise/ask', params),
    );
    assert.equal(err.code, INVALID_PARAMS, `${JSON.stringify(params)}: ${err.message}`);
    assert.match(err.message, message, JSON.stringify(params));
  }
  assert.equal(h.engine.callsOf('ask').length, 0);
  // a well-formed selection (reversed or past the end is the editor's business) still works
  await h.client.sendRequest('statewise/ask', { ...good, selection: { start: { line: 9, character: 0 }, end: { line: 0, character: 0 } } });
  assert.equal(h.engine.callsOf('ask')[0]!.selection, 'x\n');
});

test('checkAskParams and diskFileInScope, pure and direct', async () => {
  assert.equal(checkAskParams({ askId: 'a', uri: 'u', question: 'q', selection: null }), undefined);
  assert.match(checkAskParams({ askId: 'a', uri: 'u', question: 'q', selection: [] })!, /selection/);
  const ws = workspace({ 'a.ts': 'x' });
  assert.deepEqual(await diskFileInScope(join(ws, 'a.ts'), { trusted: true, roots: [ws] }), { ok: true, path: join(ws, 'a.ts') });
  assert.match(
    ((await diskFileInScope(join(ws, 'nope.ts'), { trusted: true, roots: [ws] })) as { reason: string }).reason,
    /cannot read .*ENOENT/,
  );
  assert.match(
    ((await diskFileInScope(ws, { trusted: true, roots: [ws] })) as { reason: string }).reason,
    /outside/,
    'the folder itself is not a file inside it',
  );
  assert.match(((await diskFileInScope(join(ws, 'a.ts'), { trusted: false, roots: [ws] })) as { reason: string }).reason, /not trusted/);
});

test('statewise/info and statewise/rebuildWorkspace: no params or {} work, anything else is InvalidParams', async (t) => {
  const h = await startServer({});
  t.after(() => h.dispose());
  assert.equal(((await h.client.sendRequest('statewise/info')) as { arch: string }).arch, DEFAULT_ARCH);
  assert.equal(((await h.client.sendRequest('statewise/info', {})) as { arch: string }).arch, DEFAULT_ARCH);
  assert.deepEqual(await h.client.sendRequest('statewise/rebuildWorkspace', null), { files: 0, bytes: 0 });
  for (const method of ['statewise/info', 'statewise/rebuildWorkspace']) {
    const err = await askError(h.client.sendRequest(method, 'x'));
    assert.equal(err.code, INVALID_PARAMS);
    assert.match(err.message, /takes no params/);
  }
});
