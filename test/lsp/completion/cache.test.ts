import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionCache, fnv1a, remainderAfterTyped, type CacheKey } from '../../../server/lsp/completion/cache';

const P = 'function f() {\n  ';
const key = (prefix: string, over: Partial<CacheKey> = {}): CacheKey => ({
  uri: 'file:///a.ts',
  prefix,
  suffix: '\n}\n',
  contextVersion: 'v1',
  ...over,
});

test('fnv1a: known values and ranges', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('xaby', 1, 3), fnv1a('ab'));
});

const typing: [name: string, completion: string, typed: string, want: string | undefined][] = [
  ['nothing typed', 'foo(bar)', '', 'foo(bar)'],
  ['typed a prefix', 'foo(bar)', 'fo', 'o(bar)'],
  ['typed all of it', 'foo(bar)', 'foo(bar)', ''],
  ['typed something else', 'foo(bar)', 'fx', undefined],
  ['typed past the end', 'foo', 'foo(', undefined],
  ['Enter, editor indented like the completion', 'if (x) {\n  y();\n}', 'if (x) {\n  ', 'y();\n}'],
  ['Enter, editor did not indent', 'if (x) {\n  y();\n}', 'if (x) {\n', '  y();\n}'],
  ['Enter, editor indented less', 'if (x) {\n    y();\n}', 'if (x) {\n  ', '  y();\n}'],
  ['Enter, editor indented deeper', 'if (x) {\n  y();\n}', 'if (x) {\n    ', 'y();\n}'],
  ['Enter, editor indented with a tab', 'if (x) {\n  y();\n}', 'if (x) {\n\t', 'y();\n}'],
  ['Enter as CRLF', 'if (x) {\n  y();\n}', 'if (x) {\r\n  ', 'y();\n}'],
  ['CRLF completion, LF typed', 'a\r\n  b', 'a\n  ', 'b'],
  ['typed on after another indentation', 'if (x) {\n  y();\n}', 'if (x) {\n\ty(', ');\n}'],
  ['a line break the completion does not have', 'foo bar', 'foo\n', undefined],
  ['unicode', '😀 done', '😀', ' done'],
];
for (const [name, completion, typed, want] of typing) {
  test(`remainderAfterTyped: ${name}`, () => assert.equal(remainderAfterTyped(completion, typed), want));
}

test('cache: exact hit, type-through, miss when typing departs, undefined when all typed', () => {
  const cache = new CompletionCache();
  cache.set(key(P), 'return foo(1);');
  assert.equal(cache.get(key(P)), 'return foo(1);');
  assert.equal(cache.get(key(P + 'ret')), 'urn foo(1);');
  assert.equal(cache.get(key(P + 'return foo(1)')), ';');
  assert.equal(cache.get(key(P + 'return foo(1);')), undefined);
  assert.equal(cache.get(key(P + 'rex')), undefined);
  assert.equal(cache.get(key('function g() {\n  ret')), undefined);
});

test('cache: type-through across Enter and auto-indent', () => {
  const cache = new CompletionCache();
  cache.set(key('if (x) {'), '\n  y();\n  z();');
  assert.equal(cache.get(key('if (x) {\n  ')), 'y();\n  z();');
  assert.equal(cache.get(key('if (x) {\n  y();\n  ')), 'z();');
});

const other: [string, Partial<CacheKey>][] = [
  ['uri', { uri: 'file:///b.ts' }],
  ['suffix', { suffix: '\n}\n\n' }],
  ['suffix of the same length', { suffix: '\n)\n' }],
  ['contextVersion', { contextVersion: 'v2' }],
];
for (const [name, over] of other) {
  test(`cache: another ${name} misses`, () => {
    const cache = new CompletionCache();
    cache.set(key(P), 'x');
    assert.equal(cache.get(key(P, over)), undefined);
    assert.equal(cache.get(key(P)), 'x');
  });
}

test('cache: entries expire after ttl', () => {
  let now = 1000;
  const cache = new CompletionCache(10, 500, () => now);
  cache.set(key(P), 'x');
  now += 500;
  assert.equal(cache.get(key(P)), 'x');
  now += 1;
  assert.equal(cache.get(key(P)), undefined);
  assert.equal(cache.size, 0);
});

test('cache: least recently used goes first', () => {
  const cache = new CompletionCache(2);
  cache.set(key('a'), '1');
  cache.set(key('b'), '2');
  assert.equal(cache.get(key('a')), '1'); // a is now the most recent
  cache.set(key('c'), '3');
  assert.equal(cache.size, 2);
  assert.equal(cache.get(key('b')), undefined);
  assert.equal(cache.get(key('a')), '1');
  assert.equal(cache.get(key('c')), '3');
});

test('cache: set for the same key replaces; empty completions are not stored', () => {
  const cache = new CompletionCache();
  cache.set(key(P), 'a1');
  cache.set(key(P), 'b2');
  cache.set(key(P + 'z'), '');
  assert.equal(cache.size, 1);
  assert.equal(cache.get(key(P)), 'b2');
  cache.clear();
  assert.equal(cache.get(key(P)), undefined);
});

for (const order of ['shorter first', 'longer first']) {
  test(`cache: the entry stored at the longest prefix wins (${order})`, () => {
    const cache = new CompletionCache();
    const sets: [string, string][] = [
      [P, 'abcdef'],
      [P + 'abc', 'XYZ'],
    ];
    for (const [prefix, completion] of order === 'shorter first' ? sets : sets.reverse()) cache.set(key(prefix), completion);
    assert.equal(cache.get(key(P + 'abc')), 'XYZ');
    assert.equal(cache.get(key(P + 'ab')), 'cdef');
  });
}

test('cache: long prefixes (hash of the last 2 KiB plus the length)', () => {
  const long = 'x'.repeat(10_000) + '\nconst a = ';
  const cache = new CompletionCache();
  cache.set(key(long), '42;');
  assert.equal(cache.get(key(long + '4')), '2;');
  assert.equal(cache.get(key('y' + long)), undefined, 'one more character earlier changes the length');
  assert.equal(cache.get(key(long.slice(0, -2) + '= ')), '42;', 'same text');
  assert.equal(cache.get(key(long.slice(0, -3) + '== ')), undefined, 'different last line');
});
