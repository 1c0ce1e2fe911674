// Server and engine hold the same document text after hostile didChange ranges (issue 16 item 5),
// with the real engine child: the engine's copy is read back through the `documentText` test hook
// (server/protocol/ipc.ts) and compared with the server's TextDocument ("\r\n" and "\r" as "\n").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/lspHarness';
import { readyServer } from '../helpers/realEngine';

const r = (sl: number, sc: number, el: number, ec: number, text: string) => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  text,
});

test('integration: after hostile edits the engine document equals the server document', async (t) => {
  const { h, engine } = await readyServer(t, {
    config: { engine: { executionProvider: 'cpu' }, workspace: { enable: false }, model: { architecture: 'hawk' } },
  });
  const uri = 'file:///w/hostile.ts';
  h.open(uri, 'const a = 1;\r\nconst b = "😀x";\nlet c;\r\n\r\nlast line');
  const batches = [
    [r(1, 8, 0, 2, 'REV')],
    [r(99, 0, 120, 4, '\nappended')],
    [r(-3, 2, 0, 3, '<neg>')],
    [r(1, 12, 1, 13, '')],
    [r(0, 3, 0, 3, 'x\r\ny\rz\n')],
    [r(0, 1, 0, 1, '\r')],
    [r(1, 0, 1, 0, '\n')],
    [r(2, 40, 1, 2, 'rev+past')],
    [r(0, 0, 0, 0, 'a\r'), r(1, 0, 1, 0, '\nb'), r(5, 5, 5, 5, '😀')],
  ];
  batches.forEach((b, i) => h.change(uri, i + 2, b));
  const version = batches.length + 1;
  await waitFor(() => h.server.documents.get(uri)?.version === version, 'server version');
  const held = await engine.request('documentText', { uri });
  const server = h.server.documents.get(uri)!.getText();
  assert.deepEqual(held, { text: server.replace(/\r\n?/g, '\n'), version });
  assert.equal(await engine.request('documentText', { uri: 'file:///w/not-open.ts' }), null);
});
