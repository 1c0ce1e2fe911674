// Scoring and sampling of `statewise eval qa` (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../server/engine/sampler';
import { bucketOf, containsMatch, exactMatch, normalizeAnswer, sampleByBucket } from '../../../server/cli/eval/qa';

test('normalizeAnswer: case, quotes/backticks, trailing ; or ., whitespace', () => {
  assert.equal(normalizeAnswer('  `Foo(a,  b)`;  '), 'foo(a, b)');
  assert.equal(normalizeAnswer('```ts\nconst x = 1;\n```'), 'const x = 1');
  assert.ok(exactMatch('A Function.', 'a function'));
  assert.ok(!exactMatch('a function call', 'a function'));
  assert.ok(containsMatch('It returns a + b here', 'a + b'));
  assert.ok(!containsMatch('anything', ''));
});

test('bucketOf: token bounds 1.5k/3k/6k/12k', () => {
  assert.deepEqual([100, 1499, 1500, 2999, 5999, 6000, 11999, 12000, 90000].map(bucketOf), [
    '1k',
    '1k',
    '2k',
    '2k',
    '4k',
    '8k',
    '8k',
    '16k',
    '16k',
  ]);
});

test('sampleByBucket: at most n per bucket, deterministic, grouped by file', () => {
  const items = Array.from({ length: 30 }, (_, i) => ({ path: `f${i % 6}`, bucket: ['1k', '2k', '16k'][i % 3] }));
  const s = sampleByBucket(items, 4, seededRng(2));
  assert.equal(s.length, 12);
  for (const b of ['1k', '2k', '16k']) assert.equal(s.filter((x) => x.bucket === b).length, 4);
  assert.deepEqual(s, sampleByBucket(items, 4, seededRng(2)));
  assert.deepEqual(
    s.map((x) => x.path),
    [...s.map((x) => x.path)].sort(),
  );
});
