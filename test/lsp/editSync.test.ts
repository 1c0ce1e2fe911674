// Server and engine hold the same text after hostile didChange ranges (issue 16 item 5): reversed,
// past the end, negative, fractional, CRLF formed across an edit's edge, surrogate pairs split.
// The server's TextDocument is the reference; what the server forwards (server/lsp/editSync.ts) is
// applied to an EngineDocument (the engine's copy, server/engine/document.ts), and both texts are
// compared ("\r\n" and "\r" read as "\n", the engine's line model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { EngineDocument } from '../../server/engine/document';
import type { EditParams, TextEdit } from '../../server/protocol/ipc';
import { applyChanges } from '../../server/lsp/editSync';
import { startServer, waitFor } from '../helpers/lspHarness';

type Change = { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string };

/** Any encoder: the text is what is compared, not tokens. */
const enc = { encode: (s: string) => Array.from(s, (c) => c.codePointAt(0)!) };
const asEngineSees = (text: string) => text.replace(/\r\n?/g, '\n');
const r = (sl: number, sc: number, el: number, ec: number, text: string): Change => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  text,
});

const START = 'const a = 1;\r\nconst b = "😀x";\nlet c;\r\n\r\nlast line';

/** Edits after which two line breaks are one ("\r" meets "\n" across the edit's edge). */
const MERGES: Change[][] = [
  [r(0, 2, 0, 2, '\r')], // "\r" before an existing "\n" (on 'ab\ncd\r\nef\rgh')
  [r(0, 1, 0, 2, 'x\r')], // text ending in "\r" before a "\n" (on 'ab\ncd')
  [r(1, 0, 1, 0, '\n')], // "\n" right after a lone "\r" (on 'ab\rcd')
  [r(1, 0, 1, 1, '')], // deleting what stood between a "\r" and a "\n" (on 'a\rX\nb')
];

/** Hostile edits, each applied after the ones before it. */
const HOSTILE: Change[][] = [
  [r(1, 8, 0, 2, 'REV')], // reversed across lines
  [r(0, 5, 0, 1, '')], // reversed on one line
  [r(99, 0, 120, 4, '\nappended')], // past the end
  [r(2, 50, 2, 80, '!')], // characters past the line's end
  [r(-3, 2, 0, 3, '<neg>')], // negative line
  [r(1, -4, 1, 2, '')], // negative character
  [r(1, 12, 1, 13, '')], // deletes half of the surrogate pair 😀
  [r(1, 11, 1, 11, '\ud83d')], // inserts a lone high surrogate
  [r(0, 3, 0, 3, 'x\r\ny\rz\n')], // CRLF and lone CR inside the text
  // line breaks merging across an edit's edge ("\r" meets "\n"): sent as the whole text
  [{ text: 'ab\ncd\r\nef\rgh' }],
  MERGES[0]!,
  [{ text: 'ab\ncd' }],
  MERGES[1]!,
  [{ text: 'ab\rcd' }],
  MERGES[2]!,
  [{ text: 'a\rX\nb' }],
  MERGES[3]!,
  [r(0, 2, 1, 0, ''), r(5, 3, 4, 1, 'two in one batch'), r(0, 0, 0, 0, '\u00e9')],
  [r(0.5, 1.7, 1, Number.NaN, 'frac'), r(2, Infinity, -Infinity, 0, 'inf')],
  [{ text: 'full\r\nreplace\rment' }, r(1, 2, 1, 4, '\r\n')],
  [r(0, 0, 999, 999, '')], // everything deleted
  [r(0, 0, 0, 0, 'a\r'), r(0, 2, 0, 2, '\nb')], // CR then LF in two changes of one batch
];

test('applyChanges: the engine copy equals the server copy after every hostile edit', () => {
  const server = TextDocument.create('file:///w/a.ts', 'typescript', 1, START);
  const reference = TextDocument.create('file:///w/a.ts', 'typescript', 1, START);
  const engine = new EngineDocument('file:///w/a.ts', 'a.ts', START, 1, enc);
  let version = 1;
  const wholeText: Change[][] = [];
  for (const batch of HOSTILE) {
    version++;
    const edits = applyChanges(server, batch, version);
    if (batch.every((c) => c.range) && edits.length === 1 && !edits[0]!.range) wholeText.push(batch);
    engine.apply(edits, version);
    assert.equal(asEngineSees(engine.text()), asEngineSees(server.getText()), `after ${JSON.stringify(batch)}`);
    assert.equal(server.version, version);
    for (const e of edits) {
      if (!e.range) continue;
      const { start, end } = e.range;
      assert.ok(start.line < end.line || (start.line === end.line && start.character <= end.character), 'ordered');
      for (const p of [start, end])
        assert.ok(Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0, 'in bounds');
    }
    // the server's own text is what TextDocument makes of the raw change (integer ranges)
    if (
      batch.every((c) => !c.range || [c.range.start, c.range.end].every((p) => Number.isInteger(p.line) && Number.isInteger(p.character)))
    ) {
      TextDocument.update(reference, batch, version);
      assert.equal(server.getText(), reference.getText(), `server text as TextDocument reads ${JSON.stringify(batch)}`);
    } else {
      TextDocument.update(reference, [{ text: server.getText() }], version);
    }
  }
  assert.deepEqual(wholeText, MERGES, 'exactly the batches that merged line breaks went as the whole text');
});

test('EngineDocument.apply reads raw hostile ranges as TextDocument does (no line-break merges)', () => {
  const raw: Change[][] = HOSTILE.filter((b) =>
    b.every(
      (c) =>
        !/[\r\n]/.test(c.text) &&
        (!c.range ||
          (Number.isFinite(c.range.start.line + c.range.start.character + c.range.end.line + c.range.end.character) &&
            Number.isInteger(c.range.start.line))),
    ),
  );
  const START_LF = asEngineSees(START);
  const td = TextDocument.create('u', 'ts', 1, START_LF);
  const engine = new EngineDocument('u', 'u', START_LF, 1, enc);
  for (const batch of raw) {
    TextDocument.update(td, batch, 2);
    engine.apply(batch as TextEdit[], 2);
    assert.equal(engine.text(), td.getText(), JSON.stringify(batch));
  }
  assert.ok(raw.length >= 8);
  assert.throws(() => engine.apply([r(0, Number.NaN, 0, 1, 'x') as TextEdit], 3), /not integers/);
  assert.throws(() => engine.apply([{ text: 5 } as unknown as TextEdit], 3), /without text/);
});

test('applyChanges, seeded fuzz: 3000 random hostile edits keep both copies equal', () => {
  let seed = 0x5eed;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const coord = () => pick([0, 1, 2, 3, 5, 8, 40, -1, -7, 1e9, Math.floor(rand() * 12)]);
  const texts = ['', 'a', 'xy', '\n', '\r', '\r\n', '\n\r', 'a\r', '\nb', '😀', '\ud83d', '\ude00', 'é', '\t  ', 'k\r\nl\rm\n'];
  const server = TextDocument.create('u', 'ts', 0, 'seed\r\ntext\rwith\nbreaks');
  const engine = new EngineDocument('u', 'u', server.getText(), 0, enc);
  for (let v = 1; v <= 3000; v++) {
    const batch = Array.from({ length: 1 + Math.floor(rand() * 3) }, (): Change =>
      rand() < 0.02 ? { text: pick(texts) } : r(coord(), coord(), coord(), coord(), pick(texts)),
    );
    engine.apply(applyChanges(server, batch, v), v);
    assert.equal(asEngineSees(engine.text()), asEngineSees(server.getText()), `edit ${v}: ${JSON.stringify(batch)}`);
    if (server.getText().length > 4000) engine.apply(applyChanges(server, [{ text: 'reset\n' }], v), v);
  }
});

test('through the LSP server: the edits forwarded to the engine rebuild the server text', async (t) => {
  const h = await startServer({});
  t.after(() => h.dispose());
  const uri = 'file:///w/hostile.ts';
  h.open(uri, START);
  await waitFor(() => h.engine.callsOf('openDocument').length === 1, 'open');
  const engine = new EngineDocument(uri, 'hostile.ts', h.engine.callsOf('openDocument')[0]!.text, 1, enc);
  HOSTILE.forEach((batch, i) => h.change(uri, i + 2, batch));
  await waitFor(() => h.engine.callsOf('editDocument').length === HOSTILE.length, 'edits');
  for (const e of h.engine.callsOf('editDocument') as EditParams[]) engine.apply(e.changes, e.version);
  const server = h.server.documents.get(uri)!;
  assert.equal(server.version, HOSTILE.length + 1);
  assert.equal(asEngineSees(engine.text()), asEngineSees(server.getText()));
});
