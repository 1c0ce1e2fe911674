import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageBand, orderByRelevance, sharedFolderDepth } from '../../server/workspace/order';
import type { WorkspaceFile } from '../../server/workspace/types';

const NOW = Date.UTC(2026, 0, 15);
const DAY = 86_400_000;

function file(path: string, bytes = 10, ageMs = 400 * DAY): WorkspaceFile {
  return { path, absPath: `/ws/${path}`, bytes, mtimeMs: NOW - ageMs, text: 'x'.repeat(bytes) };
}
const paths = (fs: WorkspaceFile[]) => fs.map((f) => f.path);

test('order: least relevant first; recent files last, in recentPaths order; active file left out', () => {
  const files = [file('src/app/main.ts'), file('src/app/util.ts'), file('lib/x.ts'), file('docs/guide.md'), file('z.ts')];
  const { kept, dropped } = orderByRelevance(
    files,
    { activePath: 'src/app/main.ts', recentPaths: ['docs/guide.md', 'src/app/main.ts', 'lib/x.ts'], now: NOW },
    1e9,
  );
  assert.deepEqual(dropped, []);
  assert.deepEqual(paths(kept), ['z.ts', 'src/app/util.ts', 'docs/guide.md', 'lib/x.ts']);
});

test('order: same folder as the active file, then longer shared folder prefix', () => {
  const files = [
    file('a/b/c/sibling.ts'),
    file('a/b/c/d/child.ts'),
    file('a/b/cousin.ts'),
    file('a/other/far.ts'),
    file('root.ts'),
    file('q/r/s/t.ts'),
  ];
  const { kept } = orderByRelevance(files, { activePath: 'a/b/c/active.ts', now: NOW }, 1e9);
  assert.deepEqual(paths(kept), ['root.ts', 'q/r/s/t.ts', 'a/other/far.ts', 'a/b/cousin.ts', 'a/b/c/d/child.ts', 'a/b/c/sibling.ts']);
});

test('order: newer mtime is more relevant; source before docs before config before lock files in one age band', () => {
  const files = [
    file('old.ts', 10, 3 * 365 * DAY),
    file('fresh.md', 10, 60_000),
    file('package-lock.json', 10, 2 * DAY),
    file('tsconfig.json', 10, 2 * DAY),
    file('notes.md', 10, 2 * DAY),
    file('week.ts', 10, 2 * DAY + 5000),
    file('week2.ts', 10, 2 * DAY),
  ];
  const { kept } = orderByRelevance(files, { now: NOW }, 1e9);
  assert.deepEqual(paths(kept), ['old.ts', 'package-lock.json', 'tsconfig.json', 'notes.md', 'week.ts', 'week2.ts', 'fresh.md']);
});

test('order: ties break by path, whatever the input order', () => {
  const files = [file('b.ts'), file('a.ts'), file('c.ts')];
  const one = orderByRelevance(files, { now: NOW }, 1e9);
  const two = orderByRelevance([...files].reverse(), { now: NOW }, 1e9);
  assert.deepEqual(paths(one.kept), ['c.ts', 'b.ts', 'a.ts']);
  assert.deepEqual(paths(two.kept), paths(one.kept));
});

test('order: the byte cap drops the least relevant files first', () => {
  const files = [file('r1.ts', 100), file('r2.ts', 50), file('other.ts', 10), file('older.ts', 10, 1000 * DAY)];
  const hints = { recentPaths: ['r2.ts', 'r1.ts'], now: NOW };
  const { kept, dropped } = orderByRelevance(files, hints, 160);
  assert.deepEqual(paths(kept), ['other.ts', 'r2.ts', 'r1.ts']);
  assert.deepEqual(paths(dropped), ['older.ts']);
  const tight = orderByRelevance(files, hints, 120);
  assert.deepEqual(paths(tight.kept), ['r1.ts']);
  assert.deepEqual(paths(tight.dropped), ['older.ts', 'other.ts', 'r2.ts']);
  assert.deepEqual(orderByRelevance(files, hints, 0).kept, []);
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
