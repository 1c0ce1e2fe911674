// The incremental workspace fold on the real model: a checkpoint after each file, keyed by the chain
// of paths and content hashes; a new file list restores the longest prefix (memory, else disk) and
// folds only the files after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import type { WorkspaceParams } from '../../server/protocol/ipc';
import { completeUsingModule, FOLD_LOAD, foldEngine, moduleFiles, never, type Files } from '../helpers/fold';
import { assertSameState, relDiff, rootState } from '../helpers/state';

function edit(list: Files, k: number, text: (t: string) => string): Files {
  return list.map((f, i) => (i === k ? { ...f, text: text(f.text) } : f));
}

async function fold(e: Engine, list: Files, persistDir?: string, extra: Partial<WorkspaceParams> = {}) {
  const progress: number[] = [];
  const r = await e.setWorkspace({ fingerprint: 'label', files: list, ...(persistDir ? { persistDir } : {}), ...extra }, never, (d) =>
    progress.push(d),
  );
  return { ...r, progress };
}

/** The completion and the first-token distribution after the root: the root as the model uses it. */
const answer = (e: Engine) => completeUsingModule(e, 3, 20);

const assertSameRoot = (a: Engine, b: Engine, what: string): void => assertSameState(rootState(a), rootState(b), what);

test('fold: changing file k of n re-folds files k..n only; the root equals a fresh full fold', async () => {
  const n = 6;
  const list = moduleFiles(n);
  const e = await foldEngine();
  const first = await fold(e, list);
  assert.deepEqual([first.refoldedFiles, first.restoredFiles, first.restored], [n, 0, false]);
  assert.deepEqual(first.progress, [1, 2, 3, 4, 5, 6]);
  assert.equal(e.info().foldCheckpoints, n, 'one checkpoint per file boundary (they all fit)');

  const k = 2; // the third file
  const changed = edit(list, k, (t) => t.replace('module 2', 'module two, edited'));
  const second = await fold(e, changed);
  assert.deepEqual([second.refoldedFiles, second.restoredFiles, second.restored], [n - k, k, false]);
  assert.deepEqual(second.progress, [2, 3, 4, 5, 6], 'restored files reported at once, then one per folded file');
  assert.notEqual(second.key, first.key);

  const fresh = await foldEngine();
  const full = await fold(fresh, changed);
  assert.equal(full.refoldedFiles, n);
  assert.equal(full.tokens, second.tokens);
  assert.equal(full.key, second.key);
  assertSameRoot(fresh, e, 'incremental vs full fold');
  const [x, y] = [await answer(e), await answer(fresh)];
  assert.deepEqual(x.completions, y.completions);
  x.top!.forEach((t, i) => {
    assert.equal(t.text, y.top![i]!.text);
    assert.ok(Math.abs(t.p - y.top![i]!.p) < 0.02, `${t.p} vs ${y.top![i]!.p}`);
  });

  const last = await fold(
    e,
    edit(changed, n - 1, (t) => `${t}// appended\n`),
  );
  assert.deepEqual([last.refoldedFiles, last.restoredFiles], [1, n - 1], 'the last file: only itself');
  const again = await fold(
    e,
    edit(changed, n - 1, (t) => `${t}// appended\n`),
  );
  assert.deepEqual([again.refoldedFiles, again.restoredFiles, again.restored], [0, n, true], 'nothing changed: nothing folded');
  const back = await fold(e, changed);
  assert.deepEqual([back.refoldedFiles, back.restoredFiles], [1, n - 1], 'undoing the edit re-folds the last file only');
});

test('fold: a stale checkpoint is never used (same path and size, different content)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fold-'));
  const list = moduleFiles(4);
  const e = await foldEngine();
  await fold(e, list, dir);
  const same = edit(list, 1, (t) => t.replace('= 10;', '= 11;')); // file 2: same path, same length
  assert.equal(same[1]!.text.length, list[1]!.text.length);
  assert.notEqual(same[1]!.text, list[1]!.text);
  const r = await fold(e, same, dir);
  assert.deepEqual([r.refoldedFiles, r.restoredFiles], [3, 1]);
  // after a restart the disk holds checkpoints of both lists: the stale one is not used either
  const e2 = await foldEngine();
  const r2 = await fold(
    e2,
    edit(list, 1, (t) => t.replace('= 10;', '= 12;')),
    dir,
  );
  assert.deepEqual([r2.refoldedFiles, r2.restoredFiles], [3, 1]);
  const fresh = await foldEngine();
  await fold(
    fresh,
    edit(list, 1, (t) => t.replace('= 10;', '= 12;')),
  );
  assertSameRoot(fresh, e2, 'after a same-size edit');
});

test('fold: after a restart the persisted checkpoints give the same state and nothing is re-folded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fold-'));
  const list = moduleFiles(5);
  const e = await foldEngine();
  const built = await fold(e, list, dir);
  assert.equal(readdirSync(dir).filter((f) => /^fold-[0-9a-f]{64}\.bin$/.test(f)).length, 5);
  const e2 = await foldEngine();
  const restored = await fold(e2, list, dir);
  assert.deepEqual(
    [restored.refoldedFiles, restored.restoredFiles, restored.restored, restored.tokens, restored.key],
    [0, 5, true, built.tokens, built.key],
  );
  assert.deepEqual(restored.progress, [5]);
  assert.equal(relDiff(rootState(e), rootState(e2)), 0, 'a float32 round trip is exact');

  // nothing foldable changed: no fold and no file rewritten
  const before = readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]);
  const noop = await fold(e2, list, dir);
  assert.equal(noop.refoldedFiles, 0);
  assert.deepEqual(
    readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]),
    before,
  );

  // a save of the last file after a restart: the checkpoint before it comes from disk
  const e3 = await foldEngine();
  const saved = await fold(
    e3,
    edit(list, 4, (t) => `${t}// saved\n`),
    dir,
  );
  assert.deepEqual([saved.refoldedFiles, saved.restoredFiles], [1, 4]);
});

test('fold: a corrupt or old-format persisted file is ignored with a log line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fold-'));
  const list = moduleFiles(4);
  const e = await foldEngine();
  const built = await fold(e, list, dir);
  const rootFile = join(dir, `fold-${built.key}.bin`);
  const bytes = readFileSync(rootFile);
  bytes[bytes.length - 3]! ^= 0x01;
  writeFileSync(rootFile, bytes);
  writeFileSync(join(dir, 'workspace-state.bin'), 'a format-1 state');
  const logs: string[] = [];
  const e2 = await foldEngine((m) => logs.push(m));
  const r = await fold(e2, list, dir);
  assert.deepEqual([r.refoldedFiles, r.restoredFiles], [1, 3], 'the corrupt root is not used; the checkpoint before it is');
  assert.ok(
    logs.some((l) => /checksum mismatch/.test(l)),
    logs.join('\n'),
  );
  assert.ok(
    logs.some((l) => /workspace-state\.bin: an old format/.test(l)),
    logs.join('\n'),
  );
  const fresh = await foldEngine();
  await fold(fresh, list);
  assertSameRoot(fresh, e2, 'rebuilt after a corrupt file');
  assert.ok(readdirSync(dir).includes(`fold-${built.key}.bin`), 'the root is written again');
});

test('fold: a cancelled build keeps its checkpoints; rebuild folds everything; the byte cap bounds memory', async () => {
  const list = moduleFiles(6);
  const e = await foldEngine();
  let done = 0;
  await assert.rejects(
    e.setWorkspace(
      { fingerprint: 'x', files: list },
      () => done >= 3,
      (d) => {
        done = d;
      },
    ),
    { name: 'CancelledError' },
  );
  const resumed = await fold(e, list);
  assert.deepEqual([resumed.refoldedFiles, resumed.restoredFiles], [3, 3]);
  const rebuilt = await fold(e, list, undefined, { rebuild: true });
  assert.deepEqual([rebuilt.refoldedFiles, rebuilt.restoredFiles], [6, 0]);

  // hawk states are 64 KiB; a 256 KiB budget leaves 128 KiB to fold checkpoints: the last two boundaries
  const small = new Engine(() => {});
  await small.load({ ...FOLD_LOAD, maxStateMB: 0.25 });
  await fold(small, list);
  assert.equal(small.info().foldCheckpoints, 2);
  assert.ok(small.info().foldCacheBytes! <= 128 * 1024);
  const last = await fold(
    small,
    edit(list, 5, (t) => `${t}//\n`),
  );
  assert.equal(last.refoldedFiles, 1);
  const middle = await fold(
    small,
    edit(list, 2, (t) => `${t}//\n`),
  );
  assert.equal(middle.refoldedFiles, 6, 'no checkpoint kept that early');
});
