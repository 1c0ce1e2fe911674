import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageBand, byFoldOrder, orderByRelevance, sharedFolderDepth } from '../../../server/lsp/workspace/order';
import type { WorkspaceFile } from '../../../server/lsp/workspace/types';

const NOW = Date.UTC(2026, 0, 15);
const DAY = 86_400_000;

function file(path: string, bytes = 10, ageMs = 400 * DAY): WorkspaceFile {
  return { path, absPath: `/ws/${path}`, bytes, mtimeMs: NOW - ageMs, text: 'x'.repeat(bytes) };
}
const paths = (fs: WorkspaceFile[]) => fs.map((f) => f.path);
/** All files ranked least relevant first: with a cap of 0 every file is dropped, in relevance order. */
const relevance = (files: WorkspaceFile[], hints: Parameters<typeof orderByRelevance>[1]) =>
  paths(orderByRelevance(files, hints, 0).dropped);

test('order: kept files are folded oldest mtime first, then by path; the active file stays in', () => {
  const files = [
    file('new.ts', 10, 1000),
    file('b.ts', 10, 5 * DAY),
    file('a.ts', 10, 5 * DAY),
    file('old.md', 10, 900 * DAY),
    file('main.ts', 10, 3 * DAY),
  ];
  const { kept, dropped } = orderByRelevance(files, { activePath: 'main.ts', recentPaths: ['old.md'], now: NOW }, 1e9);
  assert.deepEqual(dropped, []);
  assert.deepEqual(paths(kept), ['old.md', 'a.ts', 'b.ts', 'main.ts', 'new.ts']);
  assert.deepEqual(paths([...files].sort(byFoldOrder)), paths(kept));
});

test('order: switching the active file or the recent files does not change the fold', () => {
  const files = [
    file('src/app/main.ts', 10, 2 * DAY),
    file('src/app/util.ts', 10, 3 * DAY),
    file('lib/x.ts', 10, DAY),
    file('docs/guide.md'),
    file('z.ts', 10, 60_000),
  ];
  const one = orderByRelevance(files, { activePath: 'src/app/main.ts', recentPaths: ['docs/guide.md'], now: NOW }, 1e9);
  const two = orderByRelevance(files, { activePath: 'lib/x.ts', recentPaths: ['src/app/util.ts', 'z.ts'], now: NOW }, 1e9);
  const none = orderByRelevance([...files].reverse(), { now: NOW + DAY }, 1e9);
  assert.deepEqual(paths(one.kept), ['docs/guide.md', 'src/app/util.ts', 'src/app/main.ts', 'lib/x.ts', 'z.ts']);
  assert.deepEqual(paths(two.kept), paths(one.kept));
  assert.deepEqual(paths(none.kept), paths(one.kept));
});

test('order: a file just saved (newest mtime) moves to the end; the others keep their order', () => {
  const files = [file('a.ts', 10, 9 * DAY), file('b.ts', 10, 8 * DAY), file('c.ts', 10, 7 * DAY), file('d.ts', 10, 6 * DAY)];
  const before = orderByRelevance(files, { now: NOW }, 1e9);
  const saved = files.map((f) => (f.path === 'b.ts' ? { ...f, mtimeMs: NOW, bytes: 11 } : f));
  const after = orderByRelevance(saved, { activePath: 'b.ts', now: NOW }, 1e9);
  assert.deepEqual(paths(before.kept), ['a.ts', 'b.ts', 'c.ts', 'd.ts']);
  assert.deepEqual(paths(after.kept), ['a.ts', 'c.ts', 'd.ts', 'b.ts']);
});

test('order: relevance (which files are kept): active file, then recent files in recentPaths order, then the rest', () => {
  const files = [file('src/app/main.ts'), file('src/app/util.ts'), file('lib/x.ts'), file('docs/guide.md'), file('z.ts')];
  const ranked = relevance(files, {
    activePath: 'src/app/main.ts',
    recentPaths: ['docs/guide.md', 'src/app/main.ts', 'lib/x.ts'],
    now: NOW,
  });
  assert.deepEqual(ranked, ['z.ts', 'src/app/util.ts', 'docs/guide.md', 'lib/x.ts', 'src/app/main.ts']);
});

test('order: relevance: same folder as the active file, then longer shared folder prefix', () => {
  const files = [
    file('a/b/c/sibling.ts'),
    file('a/b/c/d/child.ts'),
    file('a/b/cousin.ts'),
    file('a/other/far.ts'),
    file('root.ts'),
    file('q/r/s/t.ts'),
  ];
  const ranked = relevance(files, { activePath: 'a/b/c/active.ts', now: NOW });
  assert.deepEqual(ranked, ['root.ts', 'q/r/s/t.ts', 'a/other/far.ts', 'a/b/cousin.ts', 'a/b/c/d/child.ts', 'a/b/c/sibling.ts']);
});

test('order: relevance: newer mtime first; source before docs before config before lock files in one age band', () => {
  const files = [
    file('old.ts', 10, 3 * 365 * DAY),
    file('fresh.md', 10, 60_000),
    file('package-lock.json', 10, 2 * DAY),
    file('tsconfig.json', 10, 2 * DAY),
    file('notes.md', 10, 2 * DAY),
    file('week.ts', 10, 2 * DAY + 5000),
    file('week2.ts', 10, 2 * DAY),
  ];
  assert.deepEqual(relevance(files, { now: NOW }), [
    'old.ts',
    'package-lock.json',
    'tsconfig.json',
    'notes.md',
    'week.ts',
    'week2.ts',
    'fresh.md',
  ]);
});

test('order: ties break by path, whatever the input order', () => {
  const files = [file('b.ts'), file('a.ts'), file('c.ts')];
  const one = orderByRelevance(files, { now: NOW }, 1e9);
  const two = orderByRelevance([...files].reverse(), { now: NOW }, 1e9);
  assert.deepEqual(paths(one.kept), ['a.ts', 'b.ts', 'c.ts']);
  assert.deepEqual(paths(two.kept), paths(one.kept));
  assert.deepEqual(relevance(files, { now: NOW }), ['c.ts', 'b.ts', 'a.ts']);
});

test('order: the byte cap drops the least relevant files first', () => {
  const files = [file('r1.ts', 100, 5 * DAY), file('r2.ts', 50, 6 * DAY), file('other.ts', 10, 7 * DAY), file('older.ts', 10, 1000 * DAY)];
  const hints = { recentPaths: ['r2.ts', 'r1.ts'], now: NOW };
  const { kept, dropped } = orderByRelevance(files, hints, 160);
  assert.deepEqual(paths(kept), ['other.ts', 'r2.ts', 'r1.ts']);
  assert.deepEqual(paths(dropped), ['older.ts']);
  const tight = orderByRelevance(files, hints, 120);
  assert.deepEqual(paths(tight.kept), ['r1.ts']);
  assert.deepEqual(paths(tight.dropped), ['older.ts', 'other.ts', 'r2.ts']);
  assert.deepEqual(orderByRelevance(files, hints, 0).kept, []);
  assert.deepEqual(
    paths(orderByRelevance(files, { activePath: 'older.ts', now: NOW }, 10).kept),
    ['older.ts'],
    'the active file is the most relevant',
  );
});

test('order helpers: shared folder depth and age bands', () => {
  assert.equal(sharedFolderDepth('a/b/x.ts', 'a/b/y.ts'), 2);
  assert.equal(sharedFolderDepth('a/bc/x.ts', 'a/b/y.ts'), 1);
  assert.equal(sharedFolderDepth('x.ts', 'y.ts'), 0);
  assert.equal(ageBand(NOW - 1000, NOW), 5);
  assert.equal(ageBand(NOW + 1000, NOW), 5);
  assert.equal(ageBand(NOW - 2 * DAY, NOW), 3);
  assert.equal(ageBand(NOW - 2 * 365 * DAY, NOW), 0);
});
