// Cursor sampling for `statewise eval lines` (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../server/engine/sampler';
import { cursorDocument, eligibleLines, pickCursors, summarize } from '../../server/cli/eval/lines';

const files = [
  { text: 'import x from "y";\n\nfunction add(a, b) {\n  return a + b;\n}\n' },
  { text: 'def f(x):\n    return x * 2\n\n# ok\n' },
];

test('eligibleLines: lines with 4+ non-blank characters', () => {
  assert.deepEqual(eligibleLines(files[0].text), [0, 2, 3]);
  assert.deepEqual(eligibleLines(files[1].text), [0, 1, 3]);
});

test('pickCursors: deterministic, sorted, start after the indentation or strictly inside the code', () => {
  const a = pickCursors(files, 40, seededRng(3));
  assert.deepEqual(a, pickCursors(files, 40, seededRng(3)));
  assert.notDeepEqual(a, pickCursors(files, 40, seededRng(4)));
  assert.equal(a.length, 40);
  for (let i = 1; i < a.length; i++) assert.ok(a[i - 1].file < a[i].file || (a[i - 1].file === a[i].file && a[i - 1].line <= a[i].line));
  for (const c of a) {
    const line = files[c.file].text.split('\n')[c.line];
    const indent = line.length - line.trimStart().length;
    if (c.kind === 'start') assert.equal(c.character, indent);
    else assert.ok(c.character > indent && c.character < line.trimEnd().length, JSON.stringify(c));
    assert.equal(c.truth, line.slice(c.character).trimEnd());
    assert.ok(c.truth.length > 0);
  }
  assert.ok(a.some((c) => c.kind === 'start') && a.some((c) => c.kind === 'mid'));
  assert.deepEqual(pickCursors([{ text: '\n  \n' }], 5, seededRng(1)), []);
});

test('cursorDocument: the rest of the cursor line is gone, the other lines stay', () => {
  const text = files[0].text;
  const d = cursorDocument(text, { file: 0, line: 3, character: 9, kind: 'mid', truth: 'a + b;' });
  assert.equal(d.text, 'import x from "y";\n\nfunction add(a, b) {\n  return \n}\n');
  assert.equal(d.text.slice(0, d.offset), 'import x from "y";\n\nfunction add(a, b) {\n  return ');
  const first = cursorDocument(text, { file: 0, line: 0, character: 0, kind: 'start', truth: '' });
  assert.equal(first.offset, 0);
  assert.ok(first.text.startsWith('\n\nfunction'));
});

test('summarize: rates over samples', () => {
  const s = (exact: boolean, similarity: number) => ({ path: 'p', line: 1, character: 1, kind: 'mid' as const, truth: '', completion: '', exact, similarity });
  assert.deepEqual(summarize([s(true, 1), s(false, 0.5)]), { exactMatch: 0.5, editSimilarity: 0.75, samples: 2 });
  assert.deepEqual(summarize([]), { exactMatch: 0, editSimilarity: 0, samples: 0 });
});
