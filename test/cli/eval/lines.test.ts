// `statewise eval lines`: cursor kinds and sampling (cursors.ts), the trivial baseline (baseline.ts),
// scoring and options (lines.ts). Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../server/engine/sampler';
import { copyEarlierLine } from '../../../server/cli/eval/baseline';
import { CURSOR_KINDS, cursorDocument, eligibleLines, pickCursors, positionsOf } from '../../../server/cli/eval/cursors';
import { parseKinds, parseMethods, summarize, type LineSample } from '../../../server/cli/eval/lines';

const files = [
  { text: 'import x from "y";\n\nfunction add(a, b) {\n  const sum = a + b;\n  return this.total(sum).value;\n}\n' },
  { text: 'def f(x):\n    y = x.real\n    return g(x, y) * 2\n\n# ok\n' },
];

test('eligibleLines: lines with 4+ non-blank characters', () => {
  assert.deepEqual(eligibleLines(files[0]!.text), [0, 2, 3, 4]);
  assert.deepEqual(eligibleLines(files[1]!.text), [0, 1, 2, 4]);
});

test('positionsOf: each kind stands where a user would wait for that completion', () => {
  const line = '  return this.total(sum).value;';
  const at = (kind: Parameters<typeof positionsOf>[1]) => positionsOf(line, kind).map((i) => `${line.slice(0, i)}║`);
  assert.deepEqual(at('newline'), ['  ║']);
  assert.deepEqual(at('return'), ['  return ║']);
  assert.deepEqual(at('dot'), ['  return this.║', '  return this.total(sum).║']);
  assert.deepEqual(at('call'), ['  return this.total(║']);
  assert.deepEqual(at('assign'), []);
  assert.deepEqual(
    positionsOf('  const sum = a + b;', 'assign').map((i) => i),
    [14],
  );
  assert.deepEqual(positionsOf('if (a == b) x = 1;', 'assign'), [16], '== is not an assignment');
  assert.deepEqual(positionsOf('a += 1; b => c', 'assign'), [], 'compound assignments and arrows are not');
  const ident = positionsOf('  sum = a', 'ident');
  assert.deepEqual(ident, [3, 4], 'inside "sum": one letter typed, one left');
  const mid = positionsOf(line, 'mid');
  assert.equal(mid[0], 3);
  assert.equal(mid.at(-1), line.length - 1);
  assert.deepEqual(positionsOf('   ', 'newline'), []);
  assert.deepEqual(positionsOf('  return;', 'return'), [], 'nothing left to complete but ";"');
});

test('pickCursors: deterministic, sorted, every kind, the truth is the rest of the line', () => {
  const a = pickCursors(files, 3, seededRng(3));
  assert.deepEqual(a, pickCursors(files, 3, seededRng(3)));
  assert.notDeepEqual(a, pickCursors(files, 3, seededRng(4)));
  for (let i = 1; i < a.length; i++)
    assert.ok(a[i - 1]!.file < a[i]!.file || (a[i - 1]!.file === a[i]!.file && a[i - 1]!.line <= a[i]!.line));
  for (const c of a) {
    const line = files[c.file]!.text.split('\n')[c.line]!;
    assert.ok(positionsOf(line, c.kind).includes(c.character), JSON.stringify(c));
    assert.equal(c.truth, line.slice(c.character).trimEnd());
    assert.ok(c.truth.length > 0);
  }
  const keys = a.map((c) => `${c.file}:${c.line}:${c.character}`);
  assert.equal(new Set(keys).size, keys.length, 'no cursor twice');
  const count = (k: string) => a.filter((c) => c.kind === k).length;
  const available = (k: (typeof CURSOR_KINDS)[number]) =>
    files.flatMap((f) =>
      f.text
        .split('\n')
        .filter((l) => eligibleLines(l).length > 0)
        .flatMap((l) => positionsOf(l, k)),
    ).length;
  for (const k of CURSOR_KINDS) assert.equal(count(k), Math.min(3, available(k)), `${k}: 3 asked, or every position there is`);
  assert.equal(available('return'), 2);
  assert.deepEqual(pickCursors([{ text: '\n  \n' }], 5, seededRng(1)), []);
  assert.deepEqual(
    pickCursors(files, 2, seededRng(1), ['return']).map((c) => c.kind),
    ['return', 'return'],
  );
});

test('cursorDocument: the rest of the cursor line is gone, the other lines stay', () => {
  const text = files[0]!.text;
  const d = cursorDocument(text, { line: 4, character: 9 });
  assert.equal(d.text, 'import x from "y";\n\nfunction add(a, b) {\n  const sum = a + b;\n  return \n}\n');
  assert.equal(d.text.slice(0, d.offset), 'import x from "y";\n\nfunction add(a, b) {\n  const sum = a + b;\n  return ');
  const first = cursorDocument(text, { line: 0, character: 0 });
  assert.equal(first.offset, 0);
  assert.ok(first.text.startsWith('\n\nfunction'));
});

test('copyEarlierLine: the rest of the nearest earlier line that starts with what is typed', () => {
  const above = 'class A {\n  a = 1;\n  get(x) {\n    return this.a;\n  }\n  set(x) {\n';
  assert.equal(copyEarlierLine(above + '    ret'), 'urn this.a;');
  assert.equal(copyEarlierLine(above + '    '), 'return this.a;', 'a new line copies the nearest line at its indentation');
  assert.equal(copyEarlierLine(above + '  '), 'set(x) {');
  assert.equal(copyEarlierLine(above + '  a'), ' = 1;');
  assert.equal(copyEarlierLine(above + '      return this.'), 'a;', 'another indentation when none matches at this one');
  assert.equal(copyEarlierLine(above + '  zzz'), '');
  assert.equal(copyEarlierLine('first line'), '', 'nothing above');
});

test('summarize: rates per method over samples; shown counts non-empty completions', () => {
  const s = (truth: string, product: string): LineSample => ({
    path: 'p',
    line: 1,
    character: 1,
    kind: 'mid',
    truth,
    got: { product, baseline: '' },
  });
  const r = summarize([s('a', 'a'), s('abcd', 'abxx'), s('q', '')], 'product');
  assert.equal(r.samples, 3);
  assert.equal(r.exactMatch, 1 / 3);
  assert.ok(Math.abs(r.editSimilarity - (1 + 0.5 + 0) / 3) < 1e-12);
  assert.equal(r.shown, 2 / 3);
  assert.equal(summarize([s('a', 'a')], 'baseline').exactMatch, 0);
  assert.deepEqual(summarize([], 'product'), { exactMatch: 0, editSimilarity: 0, shown: 0, samples: 0 });
});

test('parseMethods / parseKinds: defaults, the baseline always, unknown names refused', () => {
  assert.deepEqual(parseMethods(undefined), ['product', 'no-defs', 'plain', 'baseline']);
  assert.deepEqual(parseMethods('no-defs'), ['no-defs', 'baseline']);
  assert.deepEqual(parseMethods('fim, product,fim'), ['fim', 'product', 'baseline']);
  assert.throws(() => parseMethods('psm'), /unknown "psm"/);
  assert.throws(() => parseMethods(','), /at least one/);
  assert.deepEqual(parseKinds(undefined), [...CURSOR_KINDS]);
  assert.deepEqual(parseKinds('dot,newline'), ['dot', 'newline']);
  assert.throws(() => parseKinds('start'), /unknown "start"/);
});
