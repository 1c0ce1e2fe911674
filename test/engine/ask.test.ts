// Ask on the real model in process: the answer ends at <|end|> or maxTokens and streams; the second
// question on the same file feeds only the question (and its excerpt); an edit invalidates;
// cancellation is partial; the model's manifest (ask.layout) decides whether the excerpt goes in,
// and with it a window of the file instead of the whole file (productContext).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { productContext } from '../../server/engine/ask';
import { WINDOW_TOKENS } from '../../server/engine/askPrompt';
import { Engine } from '../../server/engine/engine';
import { cpuLoad } from '../helpers/engineRequests';
import { modelDir, REPO } from '../helpers/models';

const load = cpuLoad(modelDir('hawk'));
const PATH = 'server/engine/model.ts';
const text = readFileSync(join(REPO, PATH), 'utf8');
const never = () => false;

async function engine(): Promise<Engine> {
  const e = new Engine(() => {});
  await e.load(load);
  return e;
}

test('ask: the answer streams and ends at <|end|>, <|endoftext|> or maxTokens', async () => {
  const e = await engine();
  const partials: { text: string; tokens: number }[] = [];
  const r = await e.ask({ path: PATH, text, question: 'What does stateBytes return?', maxTokens: 12 }, never, (t, n) =>
    partials.push({ text: t, tokens: n }),
  );
  assert.ok(['end', 'endoftext', 'maxTokens'].includes(r.stop), r.stop);
  if (r.stop === 'maxTokens') assert.equal(r.generatedTokens, 12);
  else assert.ok(r.generatedTokens < 12);
  assert.equal(r.cancelled, false);
  assert.equal(partials.length, r.generatedTokens);
  for (let i = 1; i < partials.length; i++) assert.ok(partials[i]!.text.startsWith(partials[i - 1]!.text), 'each partial extends the last');
  assert.equal(partials.at(-1)?.text ?? '', r.answer);
  assert.ok(r.fileTokens > 500 && r.promptTokens > r.fileTokens, JSON.stringify(r));
  assert.equal(r.cachedTokens, 0, 'nothing cached before the first question');
  assert.ok(r.firstTokenMs > 0 && r.firstTokenMs <= r.latencyMs);
  assert.equal(r.arch, 'hawk');
  assert.equal(r.ep, 'cpu');
  const def = await e.ask({ path: 'a.ts', text: 'x', question: 'q?' }, never, () => {});
  assert.ok(def.generatedTokens <= 64 && (def.stop !== 'maxTokens' || def.generatedTokens === 64), 'default maxTokens: answerMaxTokens');
});

test('ask: a second question on the unchanged file starts from the cached file state and is faster to first token', async (t) => {
  const e = await engine();
  const first = await e.ask({ path: PATH, text, question: 'What does stateBytes return?', maxTokens: 4 }, never, () => {});
  const second = await e.ask({ path: PATH, text, question: 'Which parameters does createSession take?', maxTokens: 4 }, never, () => {});
  assert.equal(second.fileTokens, first.fileTokens);
  assert.ok(second.cachedTokens >= second.fileTokens, `cached ${second.cachedTokens} of ${second.fileTokens} file tokens`);
  assert.ok(
    second.firstTokenMs < first.firstTokenMs / 2,
    `first token ${first.firstTokenMs.toFixed(0)} ms, then ${second.firstTokenMs.toFixed(0)} ms`,
  );
  t.diagnostic(
    `ask ${PATH} (${first.fileTokens} file tokens): first token ${first.firstTokenMs.toFixed(0)} ms, second question ${second.firstTokenMs.toFixed(0)} ms`,
  );
  // An open document with the same path and text is the same token stream: its checkpoints are shared.
  e.openDocument({ uri: 'file:///m.ts', path: PATH, text, version: 1 });
  const open = await e.ask(
    { uri: 'file:///m.ts', version: 1, path: PATH, question: 'What does zeroState return?', maxTokens: 2 },
    never,
    () => {},
  );
  assert.ok(open.cachedTokens >= open.fileTokens);
});

test('ask: an edit to the file invalidates the cached file state (checkpoints before the edit still count)', async () => {
  const e = await engine();
  const uri = 'file:///m.ts';
  e.openDocument({ uri, path: PATH, text, version: 1 });
  const q = { uri, path: PATH, question: 'What does stateBytes return?', maxTokens: 2 };
  const before = await e.ask({ ...q, version: 1 }, never, () => {});
  assert.ok((await e.ask({ ...q, version: 1 }, never, () => {})).cachedTokens >= before.fileTokens);
  e.editDocument({
    uri,
    version: 2,
    changes: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// edited\n' }],
  });
  const top = await e.ask({ ...q, version: 2 }, never, () => {});
  assert.ok(top.fileTokens > before.fileTokens);
  assert.ok(top.cachedTokens < 16, `an edit at the top leaves nothing but the header cached (${top.cachedTokens})`);
  const lines = text.split('\n').length;
  e.editDocument({
    uri,
    version: 3,
    changes: [{ range: { start: { line: lines - 2, character: 0 }, end: { line: lines - 2, character: 0 } }, text: '// near the end\n' }],
  });
  const bottom = await e.ask({ ...q, version: 3 }, never, () => {});
  assert.ok(
    bottom.cachedTokens < bottom.fileTokens && bottom.cachedTokens >= bottom.fileTokens - 200,
    `cached ${bottom.cachedTokens} of ${bottom.fileTokens}`,
  );
  // A stale version without text is refused.
  await assert.rejects(
    e.ask({ ...q, version: 1 }, never, () => {}),
    /not open at version/,
  );
});

test('ask: cancellation returns the partial answer with cancelled: true', async () => {
  const e = await engine();
  let seen = 0;
  let last = '';
  const r = await e.ask(
    { path: PATH, text, question: 'What does stateBytes return?', maxTokens: 40 },
    () => seen >= 3,
    (t) => {
      seen++;
      last = t;
    },
  );
  assert.equal(r.cancelled, true);
  assert.equal(r.stop, 'cancelled');
  assert.equal(r.generatedTokens, 3);
  assert.equal(r.answer, last);
  // Cancelled while the file is fed: an empty answer, and the checkpoints fed so far stay cached.
  let calls = 0;
  const early = await e.ask(
    { path: 'other.ts', text, question: 'q?' },
    () => ++calls > 3,
    () => {},
  );
  assert.deepEqual([early.cancelled, early.answer, early.generatedTokens], [true, '', 0]);
  const after = await e.ask({ path: 'other.ts', text, question: 'q?', maxTokens: 1 }, never, () => {});
  assert.ok(after.cachedTokens > 0 && after.cachedTokens < after.fileTokens, `cached ${after.cachedTokens}`);
});

test('ask: a follow-up feeds only the newest turn; a selection is part of the question', async () => {
  const e = await engine();
  const a1 = await e.ask({ path: PATH, text, question: 'What does stateBytes return?', maxTokens: 3 }, never, () => {});
  const history = [{ question: 'What does stateBytes return?', answer: a1.answer }];
  const a2 = await e.ask({ path: PATH, text, question: 'And zeroState?', history, maxTokens: 3 }, never, () => {});
  assert.ok(a2.cachedTokens >= a2.fileTokens);
  const a3 = await e.ask({ path: PATH, text, question: 'And release?', history, maxTokens: 3 }, never, () => {});
  assert.ok(a3.cachedTokens > a3.fileTokens, 'the state after the history is cached too');
  const sel = await e.ask(
    { path: PATH, text, question: 'What does this do?', selection: 'export function stateBytes(s: State): number {', maxTokens: 1 },
    never,
    () => {},
  );
  assert.ok(sel.promptTokens - sel.fileTokens > 15, 'the selection is in the prompt');
  assert.equal(sel.excerptChars, 0, 'a selection replaces the excerpt');
  // hawk was not trained with excerpts (its manifest has no ask.layout): plain unless asked for
  assert.equal(a1.excerptChars, 0, 'a model without ask.layout "excerpt" gets the plain question');
  const withExcerpt = await e.ask(
    { path: PATH, text, question: 'What does stateBytes return?', excerpt: true, maxTokens: 1 },
    never,
    () => {},
  );
  assert.ok(withExcerpt.excerptChars! > 0 && withExcerpt.promptTokens > a1.promptTokens + 10, 'excerpt: true puts it in the prompt');
  await assert.rejects(
    e.ask({ path: PATH, text, question: '  ' }, never, () => {}),
    { name: 'BadRequestError' },
  );
});

test('ask: a model whose manifest says ask.layout "excerpt" gets the excerpt by default', async () => {
  const e = new Engine(() => {});
  await e.load(cpuLoad(modelDir('griffin')));
  const q = { path: PATH, text, question: 'What does stateBytes return?', maxTokens: 1 };
  const byDefault = await e.ask(q, never, () => {});
  const plain = await e.ask({ ...q, excerpt: false }, never, () => {});
  assert.ok(byDefault.excerptChars! > 0, 'griffin is asked with the excerpt');
  assert.equal(plain.excerptChars, 0, 'excerpt: false overrides the manifest');
  assert.ok(byDefault.promptTokens - byDefault.fileTokens > plain.promptTokens - plain.fileTokens + 10);
  // after a window of the file (productContext); the plain question after the whole file
  assert.equal(byDefault.context, 'window');
  assert.equal(plain.context, 'file');
  assert.ok(byDefault.fileTokens <= WINDOW_TOKENS + 16 && byDefault.fileTokens < plain.fileTokens, JSON.stringify(byDefault));
  const whole = await e.ask({ ...q, context: 'file' }, never, () => {});
  assert.deepEqual([whole.context, whole.fileTokens, whole.excerptChars], ['file', plain.fileTokens, byDefault.excerptChars]);
  await assert.rejects(
    e.ask({ ...q, context: 'all' as never }, never, () => {}),
    { name: 'BadRequestError' },
  );
});

test('productContext: a window of the file for a model trained with excerpts, else the whole file', () => {
  assert.equal(productContext({ ask: { layout: 'excerpt' } }), 'window');
  assert.equal(productContext({ ask: { layout: 'plain' } }), 'file');
  assert.equal(productContext({}), 'file');
});

test('ask: on a long file of near-identical functions the product answers from the window, not the whole file', async () => {
  // test/e2e/long-file.mjs: ~2,100 lines, ~33k tokens; the whole file's state pulls griffin's answer to
  // the first function's question towards its many look-alikes (a Math.min variant)
  const generator = pathToFileURL(join(REPO, 'test', 'e2e', 'long-file.mjs')).href;
  const { longFileText } = (await import(generator)) as { longFileText: () => string };
  const long = longFileText();
  const e = new Engine(() => {});
  await e.load(cpuLoad(modelDir('griffin')));
  const r = await e.ask({ path: 'src/inventory.ts', text: long, question: 'What does totalPriceOfWidgets0 return?' }, never, () => {});
  assert.equal(r.answer, 'items.reduce((sum, it) => sum + it.price, 0)');
  assert.equal(r.context, 'window');
  assert.ok(r.fileTokens < 1200, `${r.fileTokens} file tokens fed, not the whole file`);
  const late = await e.ask({ path: 'src/inventory.ts', text: long, question: 'What does maxStockOfWidgets250 return?' }, never, () => {});
  assert.equal(late.answer, 'items.reduce((m, it) => Math.max(m, it.stock), -Infinity)');
});

test("ask: a question in a user's words is asked in its kind's template (askedAs); canonical: false sends it as typed", async () => {
  const e = await engine();
  const q = { path: PATH, text, question: 'who calls stateBytes?', maxTokens: 1 };
  const put = await e.ask(q, never, () => {});
  const typed = await e.ask({ ...q, canonical: false }, never, () => {});
  assert.equal(put.askedAs, 'Which functions call stateBytes?');
  assert.equal(typed.askedAs, undefined);
  assert.notEqual(put.promptTokens, typed.promptTokens);
  const template = await e.ask({ ...q, question: 'Which functions call stateBytes?' }, never, () => {});
  assert.equal(template.askedAs, undefined, 'a template is left as it is');
  assert.equal(template.promptTokens, put.promptTokens, 'the same prompt as the template');
});
