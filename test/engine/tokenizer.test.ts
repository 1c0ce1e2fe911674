// Tokenizer parity with the Python tokenizer (fixture written at export), and the line-split property
// the document model relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeTokenizer, StreamDecoder } from '../../server/engine/tokenizer';
import { modelDir, shippedArchs } from '../helpers/models';

const dir = modelDir('hawk');
const tok = CodeTokenizer.fromFile(join(dir, 'tokenizer.json'));
const fixture = JSON.parse(readFileSync(join(dir, 'tokenizer-parity.json'), 'utf8')) as { cases: { text: string; ids: number[] }[] };

test('every shipped model uses the same tokenizer as hawk', () => {
  const hawk = readFileSync(join(dir, 'tokenizer.json'), 'utf8');
  for (const arch of shippedArchs()) assert.equal(readFileSync(join(modelDir(arch), 'tokenizer.json'), 'utf8'), hawk, arch);
});

test('TypeScript ids equal the Python tokenizer ids on every fixture case', () => {
  assert.ok(fixture.cases.length >= 10);
  for (const c of fixture.cases) assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text.slice(0, 80)));
});

test('decode inverts encode, unicode included', () => {
  for (const c of fixture.cases) assert.equal(tok.decode(c.ids), c.text);
});

test('special-token strings in text stay plain text', () => {
  const ids = tok.encode('x = "<|fim_end|><|file|>"');
  for (const id of ids) assert.ok(!tok.specialIds.has(id), `special id ${id} produced from plain text`);
  assert.equal(tok.decode(ids), 'x = "<|fim_end|><|file|>"');
});

test('encoding line by line ("\\n" + line) equals encoding the whole text', () => {
  const samples = [
    ...fixture.cases.map((c) => c.text),
    readFileSync(join(__dirname, '..', '..', 'server', 'engine', 'engine.ts'), 'utf8'),
    'a  \n\n   \n\tb\r\n  c   \n',
  ];
  for (const text of samples) {
    const lines = text.split('\n');
    const byLine = lines.flatMap((l, i) => tok.encode(i === 0 ? l : '\n' + l));
    assert.deepEqual(byLine, tok.encode(text));
  }
});

test('the stream decoder holds back split UTF-8 sequences', () => {
  const ids = tok.encode('日本語 😀 ok');
  const d = new StreamDecoder(tok);
  for (const id of ids) d.push(id);
  assert.equal(d.text, '日本語 😀 ok');
  assert.ok(!d.text.includes('\ufffd'));
});

test('the Split + ByteLevel fast path (pieces cached as split) gives the generic pre-tokenizer’s ids', () => {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { pre_tokenizer: { pretokenizers: unknown[] } };
  const [split, byteLevel] = json.pre_tokenizer.pretokenizers;
  // the same two stages, nested so that the fast path does not recognise them
  const generic = new CodeTokenizer({
    ...json,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Sequence', pretokenizers: [split] }, byteLevel] },
  });
  const hasStages = (t: CodeTokenizer) => (t as unknown as { stages?: unknown }).stages !== undefined;
  assert.ok(hasStages(tok), 'the shipped tokenizer takes the fast path');
  assert.ok(!hasStages(generic));
  const repo = join(__dirname, '..', '..');
  const samples = [
    ...fixture.cases.map((c) => c.text),
    readFileSync(join(repo, 'server', 'engine', 'engine.ts'), 'utf8'),
    readFileSync(join(repo, 'README.md'), 'utf8'),
    'naïve café — “quotes” 日本語 😀 \u0000\u0007 \r\n\t  x',
  ];
  for (const text of samples) {
    // twice: the second from the cache
    for (let r = 0; r < 2; r++) assert.deepEqual(tok.encode(text), generic.encode(text), JSON.stringify(text.slice(0, 60)));
  }
});
