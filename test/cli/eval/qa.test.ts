// Scoring and sampling of `statewise eval qa` (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../server/engine/sampler';
import {
  baselineAnswer,
  bucketOf,
  containsMatch,
  exactMatch,
  normalizeAnswer,
  parseQaLayouts,
  qaRequestOptions,
  qaTable,
  sampleByBucket,
  scoresOf,
  type QaSample,
} from '../../../server/cli/eval/qa';

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

test('parseQaLayouts: default product,plain,baseline; order kept, duplicates dropped, unknown refused', () => {
  assert.deepEqual(parseQaLayouts(undefined), ['product', 'plain', 'baseline']);
  assert.deepEqual(parseQaLayouts('baseline, product,baseline'), ['baseline', 'product']);
  assert.throws(() => parseQaLayouts('product,fim'), /unknown "fim"/);
  assert.throws(() => parseQaLayouts(' , '), /at least one/);
  assert.deepEqual(parseQaLayouts('product,window-256,excerpt-only,window-256'), ['product', 'window-256', 'excerpt-only']);
  assert.deepEqual(parseQaLayouts('window-512'), ['window-512']);
  assert.throws(() => parseQaLayouts('window-0'), /unknown "window-0"/);
});

test('qaRequestOptions: what each model layout changes in the Ask request', () => {
  assert.deepEqual(qaRequestOptions('product'), {});
  assert.deepEqual(qaRequestOptions('plain'), { excerpt: false });
  assert.deepEqual(qaRequestOptions('window'), { context: 'window' });
  assert.deepEqual(qaRequestOptions('window-256'), { context: 'window', windowTokens: 256 });
  assert.deepEqual(qaRequestOptions('excerpt-only'), { context: 'none' });
});

const PY =
  'import os\r\n\r\nclass Store:\r\n    """Doc."""\r\n\r\n    def get(self, key):\r\n        return key\r\n\r\nSTORE = Store()\r\n';

test("baselineAnswer: the first line of the excerpt's last block (a definition line), trimmed", () => {
  assert.equal(baselineAnswer(PY, 'What kind of thing is Store?'), 'class Store:');
  assert.equal(baselineAnswer(PY, 'Show the definition of get.'), 'def get(self, key):', 'a trained kind names its subject');
  assert.equal(baselineAnswer(PY, 'how does get work?'), '', 'in a free-form question "get" is a question word');
  assert.equal(baselineAnswer(PY, 'What is the value of STORE?'), 'STORE = Store()');
  // a use's block starts at the line opening its enclosing definition
  assert.equal(baselineAnswer(PY, 'Which parameters does key take?'), 'class Store:');
  assert.equal(baselineAnswer(PY, 'What is missing?'), '');
  assert.ok(exactMatch(baselineAnswer(PY, 'Show the definition of Store.'), 'class Store:'));
});

test('scoresOf and qaTable: each layout over the same samples, by bucket and kind', () => {
  const sample = (bucket: string, kind: string, product: boolean, baseline: boolean): QaSample => ({
    path: 'p',
    kind,
    question: 'q',
    answer: 'a',
    bucket,
    fileTokens: 1,
    excerptChars: 0,
    got: '',
    exact: product,
    contains: product,
    byLayout: { product: { got: '', exact: product, contains: product }, baseline: { got: '', exact: false, contains: baseline } },
  });
  const xs = [sample('1k', 'kind', true, false), sample('1k', 'defined', false, true), sample('16k', 'kind', false, true)];
  const product = scoresOf(xs, 'product');
  assert.deepEqual(
    [product.samples, product.exactMatch, product.buckets['1k']!.exactMatch, product.buckets['2k']!.samples],
    [3, 1 / 3, 0.5, 0],
  );
  assert.deepEqual(Object.keys(product.kinds), ['defined', 'kind']);
  const baseline = scoresOf(xs, 'baseline');
  assert.deepEqual([baseline.exactMatch, baseline.containsMatch, baseline.kinds['kind']!.containsMatch], [0, 2 / 3, 0.5]);
  assert.equal(scoresOf(xs, 'plain').samples, 0, 'a layout not run has no samples');
  const table = qaTable(['product', 'baseline'], { product, baseline }).split('\n');
  assert.match(table[0]!, /product exact \/ contains +baseline exact \/ contains/);
  assert.deepEqual(
    table.map((r) => r.split(/ {2,}/)[0]),
    ['', '1k tokens', '16k tokens', 'defined', 'kind', 'all'],
  );
  assert.match(table.at(-1)!, /^all +3 +33\.3% \/ 33\.3% +0\.0% \/ 66\.7%$/);
});
