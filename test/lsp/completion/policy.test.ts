import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideMode, endsWithOpener, shouldSkipAutoTrigger } from '../../../server/lsp/completion/policy';
import { at } from './helpers';

const modes: { name: string; doc: string[]; lang?: string; want: 'single' | 'multi' }[] = [
  { name: 'blank line', doc: ['function f() {', '  ║', '}'], want: 'multi' },
  { name: 'empty document', doc: ['║'], want: 'multi' },
  { name: 'after {', doc: ['function f() {║', '}'], want: 'multi' },
  { name: 'after { with trailing space', doc: ['if (x) { ║'], want: 'multi' },
  { name: 'after { with } right of the cursor', doc: ['function f() {║}'], want: 'multi' },
  { name: 'after ( with ); right of the cursor', doc: ['foo(║);'], want: 'multi' },
  { name: 'after [ with ] right of the cursor', doc: ['const a = [║]'], want: 'multi' },
  { name: 'after =>', doc: ['const f = () =>║'], want: 'multi' },
  { name: 'after =', doc: ['const x =║'], want: 'multi' },
  { name: 'after == is a comparison', doc: ['if (a ==║'], want: 'single' },
  { name: 'after >= is a comparison', doc: ['if (a >=║'], want: 'single' },
  { name: 'python: after :', doc: ['def f(x):║'], lang: 'python', want: 'multi' },
  { name: 'python: blank line in a body', doc: ['def f(x):', '    ║'], lang: 'python', want: 'multi' },
  { name: 'typescript: : is not an opener', doc: ['const o = { a:║'], want: 'single' },
  { name: 'mid-statement', doc: ['const x = foo║'], want: 'single' },
  { name: 'code right of the cursor', doc: ['  ║foo();'], want: 'single' },
  { name: 'after ( with an argument right of the cursor', doc: ['foo(║x)'], want: 'single' },
  { name: 'quotes right of the cursor count as empty', doc: ['  ║"`\';'], want: 'multi' },
];
for (const c of modes) {
  test(`decideMode auto: ${c.name} → ${c.want}`, () => {
    assert.equal(decideMode(at(c.doc, c.lang), 'auto'), c.want);
  });
}

test('decideMode: always and never override auto', () => {
  assert.equal(decideMode(at(['const x = foo║']), 'always'), 'multi');
  assert.equal(decideMode(at(['function f() {║']), 'never'), 'single');
});

test('endsWithOpener', () => {
  assert.equal(endsWithOpener('  items.map((x) =>  ', 'typescript'), true);
  assert.equal(endsWithOpener('if x:', 'typescript'), false);
  assert.equal(endsWithOpener('if x:', 'python'), true);
  assert.equal(endsWithOpener('a !=', 'typescript'), false);
  assert.equal(endsWithOpener('', 'typescript'), false);
});

const skips: { name: string; line: string; want: boolean }[] = [
  { name: 'end of line', line: 'foo(║', want: false },
  { name: 'closers only', line: 'foo(bar(║)));', want: false },
  { name: 'many closers and quotes', line: 'x = [f("║")])]}]}]}', want: false },
  { name: 'exactly 8 characters', line: 'x = ║abcdefgh', want: false },
  { name: '9 characters', line: 'x = ║abcdefghi', want: true },
  { name: 'whitespace does not count', line: 'x = ║a b c d e f g h', want: false },
  { name: 'code in a call', line: 'foo(║bar, baz, qux)', want: true },
  { name: 'unicode counts characters, not code units', line: 'x = ║😀😀😀😀😀', want: false },
];
for (const c of skips) {
  test(`shouldSkipAutoTrigger: ${c.name} → ${c.want}`, () => {
    assert.equal(shouldSkipAutoTrigger(at(c.line)), c.want);
  });
}
