import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excludeMatcher, globToRegExp } from '../../../server/lsp/workspace/glob';

const matches = (glob: string, path: string) => globToRegExp(glob).test(path);

test('glob: * and ? stay within one path segment', () => {
  assert.ok(matches('*.ts', 'a.ts'));
  assert.ok(!matches('*.ts', 'src/a.ts'));
  assert.ok(matches('src/?.ts', 'src/a.ts'));
  assert.ok(!matches('src/?.ts', 'src/ab.ts'));
  assert.ok(!matches('a?b', 'a/b'));
});

test('glob: ** spans any number of segments, including none', () => {
  assert.ok(matches('**/*.log', 'a.log'));
  assert.ok(matches('**/*.log', 'x/y/z.log'));
  assert.ok(matches('src/**/gen.ts', 'src/gen.ts'));
  assert.ok(matches('src/**/gen.ts', 'src/a/b/gen.ts'));
  assert.ok(!matches('src/**/gen.ts', 'lib/gen.ts'));
  assert.ok(matches('src/**', 'src'));
  assert.ok(matches('src/**', 'src/a/b.ts'));
  assert.ok(!matches('src/**', 'srcx/a.ts'));
});

test('glob: {a,b} alternatives, nested, and [abc] classes', () => {
  assert.ok(matches('**/*.{js,map}', 'a/b.map'));
  assert.ok(matches('**/*.{js,map}', 'b.js'));
  assert.ok(!matches('**/*.{js,map}', 'b.ts'));
  assert.ok(matches('{a,b{c,d}}.txt', 'bd.txt'));
  assert.ok(!matches('{a,b{c,d}}.txt', 'b.txt'));
  assert.ok(matches('file[0-9].txt', 'file7.txt'));
  assert.ok(!matches('file[0-9].txt', 'filex.txt'));
  assert.ok(matches('[!a]*.md', 'b.md'));
  assert.ok(!matches('[!a]*.md', 'a.md'));
  assert.ok(matches('x[ab]', 'xb'));
});

test('glob: regex characters are literal; unclosed braces and brackets too', () => {
  assert.ok(matches('a+b(1).ts', 'a+b(1).ts'));
  assert.ok(!matches('a.ts', 'abts'));
  assert.ok(matches('a{b', 'a{b'));
  assert.ok(matches('a[b', 'a[b'));
  assert.ok(matches('./src/*.ts', 'src/a.ts'));
});

test('excludeMatcher: true keys only, and a matched folder excludes its subtree', () => {
  const ex = excludeMatcher({ '**/.DS_Store': true, '**/gen': true, 'docs/*.md': true, '**/*.ts': false });
  assert.ok(ex('.DS_Store'));
  assert.ok(ex('a/b/.DS_Store'));
  assert.ok(ex('x/gen'));
  assert.ok(ex('x/gen/deep/file.ts'));
  assert.ok(ex('docs/a.md'));
  assert.ok(!ex('docs/sub/a.md'));
  assert.ok(!ex('src/a.ts'));
  assert.ok(!excludeMatcher(undefined)('anything'));
});

test('excludeMatcher: ignoreCase', () => {
  assert.ok(!excludeMatcher({ '**/*.LOG': true })('a.log'));
  assert.ok(excludeMatcher({ '**/*.LOG': true }, true)('a.log'));
});
