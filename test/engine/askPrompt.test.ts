// The Ask prompt builder against models/ask-parity.json (input -> pieces -> ids), the layout of
// models/ask-format.json; the engine's document-token path gives the same ids. The fixture is the
// plain layout (excerpt: false); the excerpt layout (the default) is the selection template filled
// with askExcerpt.ts's lines, checked below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ASK_FORMAT,
  askPieces,
  askTokens,
  encodePieces,
  fileContextOf,
  filePieces,
  questionText,
  fillTemplate,
  specialIdOf,
  type AskInput,
  type Piece,
} from '../../server/engine/askPrompt';
import { excerptOf } from '../../server/engine/askExcerpt';
import { EngineDocument } from '../../server/engine/document';
import { readManifest } from '../../server/engine/manifest';
import { CodeTokenizer } from '../../server/engine/tokenizer';
import { modelDir, MODELS_DIR, shippedArchs } from '../helpers/models';

interface Case {
  name: string;
  input: AskInput;
  pieces: Piece[];
  ids: number[];
}
const raw = JSON.parse(readFileSync(join(MODELS_DIR, 'ask-parity.json'), 'utf8')) as { tokenizer: string; cases: Case[] };
/** The fixture's inputs in the plain layout (the excerpt layout is built from it: tests below). */
const fixture = { ...raw, cases: raw.cases.map((c) => ({ ...c, input: { ...c.input, excerpt: false } })) };
const hawk = modelDir('hawk');
const tok = CodeTokenizer.fromFile(join(hawk, 'tokenizer.json'));
const specialId = specialIdOf(ASK_FORMAT, readManifest(hawk).specialTokens);
const encode = (s: string) => tok.encode(s);

test('ask-parity: the builder gives the fixture pieces for every case', () => {
  assert.ok(fixture.cases.length >= 5);
  for (const c of fixture.cases) assert.deepEqual(askPieces(ASK_FORMAT, c.input), c.pieces, c.name);
});

test('ask-parity: pieces encode to the fixture ids (special tokens are single ids)', () => {
  for (const c of fixture.cases) assert.deepEqual(encodePieces(c.pieces, encode, specialId), c.ids, c.name);
});

test('ask-parity: the engine path (document line tokens + cached parts) gives the same ids', () => {
  for (const c of fixture.cases) {
    const doc = new EngineDocument('u', c.input.path, c.input.text, 1, tok);
    const t = askTokens(ASK_FORMAT, { ...c.input, textTokens: doc.tokensBeforeLine(doc.lineCount) }, encode, specialId);
    assert.deepEqual([...t.file, ...t.history, ...t.question], c.ids, c.name);
    assert.equal(t.file[0], specialId('<|file|>'));
    assert.equal(t.question[0], specialId('<|question|>'));
    assert.equal(t.question[t.question.length - 1], specialId('<|answer|>'));
    assert.equal(t.history.filter((id) => id === specialId('<|end|>')).length, c.input.history?.length ?? 0);
  }
});

test('ask-format special tokens are special tokens of every shipped model, with the same ids', () => {
  for (const arch of shippedArchs()) {
    const m = readManifest(modelDir(arch));
    const added = JSON.parse(readFileSync(join(modelDir(arch), m.tokenizer), 'utf8')).added_tokens as { id: number; content: string }[];
    for (const [name, str] of Object.entries(ASK_FORMAT.specialTokens)) {
      assert.ok(Number.isInteger(m.specialTokens[name]), `${arch}: manifest special ${name}`);
      assert.equal(added.find((a) => a.content === str)?.id, m.specialTokens[name], `${arch}: ${str}`);
    }
  }
});

test('fillTemplate: placeholders with their trailing literal are one piece; unknown placeholders throw', () => {
  const sp = new Set(['<|a|>']);
  assert.deepEqual(fillTemplate('<|a|>{x}\n{y}!', { x: 'X', y: '' }, sp), [{ special: '<|a|>' }, { text: 'X\n' }, { text: '!' }]);
  assert.deepEqual(fillTemplate('{x}<|a|>', { x: '' }, sp), [{ special: '<|a|>' }]);
  assert.throws(() => fillTemplate('{z}', {}, sp), /unknown placeholder/);
  assert.throws(() => specialIdOf(ASK_FORMAT, {})('<|file|>'), /no special token/);
});

const FILE = 'export function area(w: number, h: number): number {\n  return w * h;\n}\n\nconst big = area(3, 4);\n';
const EXCERPT = 'const big = area(3, 4);\n...\nexport function area(w: number, h: number): number {\n  return w * h;\n}';

test('excerpt layout (the default): the new question carries the lines it names as its selection', () => {
  const input: AskInput = {
    path: 'g.ts',
    text: FILE,
    question: 'What does area return?',
    history: [{ question: 'What is big?', answer: '12' }],
  };
  const q = 'What does area return?\n```\n' + EXCERPT + '\n```';
  assert.equal(questionText(ASK_FORMAT, input.question, EXCERPT), q);
  const pieces = askPieces(ASK_FORMAT, input);
  assert.deepEqual(pieces.slice(-3), [{ special: '<|question|>' }, { text: q }, { special: '<|answer|>' }]);
  // the file and the earlier turns are the plain layout's: only the new question changes
  assert.deepEqual(pieces.slice(0, -3), askPieces(ASK_FORMAT, { ...input, excerpt: false }).slice(0, -3));
  assert.deepEqual(askPieces(ASK_FORMAT, { ...input, excerpt: false }).at(-2), { text: input.question });
  const doc = new EngineDocument('u', input.path, FILE, 1, tok);
  const t = askTokens(ASK_FORMAT, { ...input, textTokens: doc.tokensBeforeLine(doc.lineCount) }, encode, specialId);
  assert.deepEqual([...t.file, ...t.history, ...t.question], encodePieces(pieces, encode, specialId));
  assert.equal(t.excerptChars, EXCERPT.length);
});

test('excerpt layout: a selection, the plain layout or a question naming nothing in the file carry no excerpt', () => {
  const base = { path: 'g.ts', text: FILE, textTokens: [] as number[] };
  const chars = (over: Partial<AskInput>) =>
    askTokens(ASK_FORMAT, { ...base, question: 'What does area return?', ...over }, encode, specialId).excerptChars;
  assert.equal(chars({ selection: 'w * h' }), 0);
  assert.equal(chars({ excerpt: false }), 0);
  assert.equal(chars({ question: 'What does this file do?' }), 0);
  assert.deepEqual(askPieces(ASK_FORMAT, { ...base, question: 'What does this file do?' }).at(-2), { text: 'What does this file do?' });
  assert.deepEqual(askPieces(ASK_FORMAT, { ...base, question: 'What is area?', selection: 'w * h' }).at(-2), {
    text: 'What is area?\n```\nw * h\n```',
  });
});

// 40 small functions, then `area` (the excerpt's definition), then its use.
const LONG = [...Array.from({ length: 40 }, (_, i) => `export function f${i}(x: number): number {\n  return x + ${i};\n}\n`), FILE].join(
  '\n',
);

test("file context 'window': the file part is the file's tokens ending at the excerpt's definition, at most windowTokens", () => {
  const base = { path: 'g.ts', text: LONG, question: 'What does area return?' };
  const whole = askTokens(ASK_FORMAT, { ...base, textTokens: () => encode(LONG) }, encode, specialId);
  assert.equal(whole.context, 'file');
  assert.deepEqual(whole.file, askTokens(ASK_FORMAT, { ...base, context: 'file', textTokens: encode(LONG) }, encode, specialId).file);
  const ctx = fileContextOf({ ...base, context: 'window', windowTokens: 60 }, excerptOf(LONG, base.question), encode);
  assert.equal(ctx.context, 'window');
  // ends with the definition's block (not the use after it), starts at a line of the file
  assert.ok(ctx.text!.endsWith('export function area(w: number, h: number): number {\n  return w * h;\n}'), ctx.text);
  assert.ok(LONG.includes(ctx.text!) && LONG.split('\n').includes(ctx.text!.split('\n')[0]!));
  assert.ok(encode(ctx.text!).length <= 60 + 2, `${encode(ctx.text!).length} tokens`);
  assert.ok(encode(ctx.text!).length > 40, 'filled up to the budget');
  const t = askTokens(
    ASK_FORMAT,
    { ...base, context: 'window', windowTokens: 60, textTokens: () => assert.fail('not the whole file') },
    encode,
    specialId,
  );
  assert.equal(t.context, 'window');
  assert.deepEqual(t.file, encodePieces(filePieces(ASK_FORMAT, 'g.ts', ctx.text!), encode, specialId));
  assert.deepEqual(t.question, whole.question, 'the question and its excerpt are the same');
  // a budget smaller than the definition keeps its last line
  assert.equal(fileContextOf({ ...base, context: 'window', windowTokens: 1 }, excerptOf(LONG, base.question), encode).text, '}');
});

test("file context 'none': the path header alone; 'window'/'none' fall back to the whole file without an excerpt", () => {
  const base = { path: 'g.ts', text: LONG, textTokens: encode(LONG), question: 'What does area return?' };
  const none = askTokens(ASK_FORMAT, { ...base, context: 'none' }, encode, specialId);
  assert.equal(none.context, 'none');
  assert.deepEqual(none.file, encodePieces(filePieces(ASK_FORMAT, 'g.ts', ''), encode, specialId));
  const whole = askTokens(ASK_FORMAT, base, encode, specialId).file;
  for (const context of ['window', 'none'] as const) {
    for (const over of [{ excerpt: false }, { selection: 'w * h' }, { question: 'What does this file do?' }]) {
      const t = askTokens(ASK_FORMAT, { ...base, context, ...over }, encode, specialId);
      assert.equal(t.context, 'file', `${context} ${JSON.stringify(over)}`);
      assert.deepEqual(t.file, whole);
    }
  }
});
