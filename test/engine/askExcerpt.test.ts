// The Ask excerpt against models/ask-excerpt-parity.json (written by excerpt.py, its Python twin),
// and a few behaviours directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { excerpt, MAX_CHARS, MAX_LINE, questionNames } from '../../server/engine/askExcerpt';
import { MODELS_DIR } from '../helpers/models';

interface Fixture {
  files: Record<string, string>;
  cases: { path: string; question: string; excerpt: string }[];
}
const fixture = JSON.parse(readFileSync(join(MODELS_DIR, 'ask-excerpt-parity.json'), 'utf8')) as Fixture;

test('ask-excerpt-parity: excerpt gives the fixture excerpt for every case', () => {
  assert.ok(fixture.cases.length >= 80);
  assert.ok(fixture.cases.some((c) => c.excerpt === '') && fixture.cases.some((c) => c.excerpt !== ''));
  for (const c of fixture.cases) {
    const text = fixture.files[c.path];
    assert.equal(typeof text, 'string', c.path);
    assert.equal(excerpt(text!, c.question), c.excerpt, `${c.path}: ${c.question}`);
  }
});

const TS = `import { x } from './x';

export function total(items: number[]): number {
  let sum = 0;
  for (const i of items) sum += i;
  return sum;
}

class Cart {
  items: number[] = [];
  price() {
    if (this.items.length) {
      return total(this.items);
    }
    return 0;
  }
}
`;

test('excerpt: the definition last, a use with the line opening its function, "..." between gaps', () => {
  assert.equal(
    excerpt(TS, 'What does total return?'),
    [
      '  price() {',
      '...',
      '      return total(this.items);',
      '...',
      'export function total(items: number[]): number {',
      '  let sum = 0;',
      '  for (const i of items) sum += i;',
      '  return sum;',
      '}',
    ].join('\n'),
  );
});

test('questionNames: question words and one-letter names are not names; only names the file has; at most 3', () => {
  assert.deepEqual(questionNames('What does total return? Where is Cart used, and x?', TS), ['total', 'Cart']);
  assert.deepEqual(questionNames('what is missingName', TS), []);
  assert.equal(excerpt(TS, 'What does this file do?'), '');
  assert.deepEqual(questionNames('a1 b2 c3 d4', 'a1 b2 c3 d4'), ['a1', 'b2', 'c3']);
  assert.deepEqual(questionNames('is $x or $ or _y here', 'f($x, _y)'), ['$x', '_y']);
});

test('excerpt: at most MAX_CHARS of lines; lines over MAX_LINE UTF-16 units are never hits', () => {
  const many = Array.from({ length: 200 }, (_, i) => `function f${i}() {\n  return usedEverywhere(${i}) + ${'1 + '.repeat(20)}0;\n}`).join(
    '\n',
  );
  const e = excerpt(`const usedEverywhere = (n) => n;\n${many}`, 'Where is usedEverywhere used?');
  const kept = e.split('\n').filter((l) => l !== '...'); // the budget counts the file's lines, not the "..." rows
  assert.ok(kept.length > 4 && kept.reduce((n, l) => n + l.length + 1, 0) <= MAX_CHARS);
  const astral = `const big = '${'\u{1F600}'.repeat(10)}${'x'.repeat(MAX_LINE - 30)}';`; // < MAX_LINE code points, > in UTF-16
  assert.equal(excerpt(astral, 'What is big?'), '');
  assert.equal(excerpt(astral.slice(0, -40) + "';", 'What is big?'), astral.slice(0, -40) + "';");
});

test('a question in a trained kind names its subject, even a stop word', () => {
  const text = 'def value(a, b):\n    return a + b\n\n\nx = value(1, 2)\n';
  assert.deepEqual(questionNames('Which parameters does value take?', text), ['value']);
  assert.ok(excerpt(text, 'Which parameters does value take?').endsWith('def value(a, b):\n    return a + b'));
  assert.deepEqual(questionNames('What does missing return?', text), []);
  assert.deepEqual(questionNames('what does value do?', text), [], 'free form: the stop list applies');
});
