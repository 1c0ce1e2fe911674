// Token healing: which fragment is re-generated, and which tokens may produce it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedTokens, restrict, splitHealTail } from '../../server/engine/heal';

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
