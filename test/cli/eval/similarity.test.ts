// Edit similarity and the line normalization used by `statewise eval lines`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editSimilarity, levenshtein, normalizeLine } from '../../../server/cli/eval/similarity';

test('levenshtein: insertions, deletions, substitutions, symmetric', () => {
  assert.equal(levenshtein('', ''), 0);
  assert.equal(levenshtein('abc', ''), 3);
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('sitting', 'kitten'), 3);
  assert.equal(levenshtein('return a + b;', 'return a - b;'), 1);
  assert.equal(levenshtein('flaw', 'lawn'), 2);
});

test('editSimilarity: 1 - distance / longer length, in [0, 1]', () => {
  assert.equal(editSimilarity('', ''), 1);
  assert.equal(editSimilarity('abc', 'abc'), 1);
  assert.equal(editSimilarity('abc', ''), 0);
  assert.equal(editSimilarity('abc', 'xyz'), 0);
  assert.equal(editSimilarity('kitten', 'sitting'), 1 - 3 / 7);
  assert.equal(editSimilarity('ab', 'abcd'), 0.5);
});

test('normalizeLine drops trailing whitespace only', () => {
  assert.equal(normalizeLine('  x = 1;  \t'), '  x = 1;');
  assert.equal(normalizeLine(''), '');
});
