// Token healing: which fragment is re-generated, and which tokens may produce it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedTokens, banLeadingBlank, isBlankFragment, restrict, splitHealTail } from '../../server/engine/heal';

test('the trailing word or punctuation run (with its leading space) is the fragment', () => {
  const cases: [string, string, string][] = [
    ['    cons', '    ', 'cons'],
    ['  get loade', '  get', ' loade'],
    ['foo(bar, ', 'foo(bar,', ' '],
    ['    ', '    ', ''],
    ['x =  ', 'x =', '  '],
    ['x = a.', 'x = a', '.'],
    ['if (a ==', 'if (a', ' =='],
    ['naïve_var', '', 'naïve_var'],
    ['', '', ''],
    ['a'.repeat(40), 'a'.repeat(40), ''],
  ];
  for (const [line, kept, tail] of cases) assert.deepEqual(splitHealTail(line), { kept, tail }, line);
});

test('allowed tokens are those consistent with the remaining fragment bytes', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const vocab = ['', 'c', 'co', 'cons', 'const', 'x', 'constant', 'n'].map(enc);
  assert.deepEqual(allowedTokens(vocab, enc('cons'), new Set()), [1, 2, 3, 4, 6]);
  assert.deepEqual(allowedTokens(vocab, enc('cons'), new Set([4])), [1, 2, 3, 6]);
  assert.deepEqual(allowedTokens(vocab, enc('n'), new Set()), [7]);
  const r = restrict(new Float32Array([1, 2, 3]), [1]);
  assert.deepEqual([...r], [-Infinity, 2, -Infinity]);
});

test('a typed space or tab run is the whole gap: no token may add whitespace after it', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const vocab = ['', ' ', '  ', '   ', ' this', '  this', ' \t', '\t', '\tx'].map(enc);
  assert.deepEqual(allowedTokens(vocab, enc(' '), new Set()), [1, 4], '" " and " this", not "  " or "  this"');
  assert.deepEqual(allowedTokens(vocab, enc('  '), new Set()), [1, 2, 5], 'partial covers allowed; "   " would add one');
  assert.deepEqual(allowedTokens(vocab, enc('\t'), new Set()), [7, 8]);
  assert.deepEqual(allowedTokens(vocab, enc(' x'), new Set()), [1], 'a word fragment: only its own bytes matter');
});

test('after a blank fragment produced exactly, tokens starting with a space or tab are banned once', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const vocab = ['', ' this', 'this', '\tx', '('].map(enc);
  assert.deepEqual([...banLeadingBlank(new Float32Array([0, 5, 1, 4, 2]), vocab)], [0, -Infinity, 1, -Infinity, 2]);
  assert.ok(isBlankFragment(enc(' \t ')));
  assert.ok(!isBlankFragment(enc(' x')));
  assert.ok(!isBlankFragment(enc('')));
});
