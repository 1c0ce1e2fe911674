// The provisional root on the real model: a save of an early file (which moves it to the end of the
// fold order) first folds only that file on top of the current root, so completions see the edit at
// once; the clean fold of the new list runs in the background and then replaces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../server/engine/engine';
import type { State } from '../../server/engine/model';
import type { CompleteResult, WorkspaceResult } from '../../server/protocol/ipc';
import { completeUsingModule, foldEngine, moduleFiles, never, type Files } from '../helpers/fold';
import { assertSameState, rootState } from '../helpers/state';

const PROVISIONAL = /^workspace state provisional: /;

/** A save of file k: new content, and (the newest mtime) it moves to the end of the fold order. */
function save(list: Files, k: number, text: (t: string) => string): Files {
  return [...list.filter((_, i) => i !== k), { ...list[k]!, text: text(list[k]!.text) }];
}

const edit0 = (t: string): string =>
  t
    .replace('return x * 2;', 'return x * 2 + offset0;')
    .replace('// module 0', '// module 0: twice0 adds offset0\nexport const offset0 = 41;');
const edit1 = (t: string): string => `${t}export function half1(x: number): number {\n  return x / 2;\n}\n`;

async function fold(e: Engine, list: Files, progress: number[] = []): Promise<WorkspaceResult> {
  return e.setWorkspace({ fingerprint: 'label', files: list }, never, (d) => progress.push(d));
}

/** A completion that uses file 0: what the root knows about it shows in the first-token distribution. */
const answer = (e: Engine): Promise<CompleteResult> => completeUsingModule(e, 0, 24);

function assertSameAnswer(x: CompleteResult, y: CompleteResult, what: string): void {
  assert.deepEqual(x.completions, y.completions, what);
  x.top!.forEach((t, i) => {
    assert.equal(t.text, y.top![i]!.text, what);
    assert.ok(Math.abs(t.p - y.top![i]!.p) < 0.02, `${what}: ${t.p} vs ${y.top![i]!.p}`);
  });
}

/** Largest difference of the probability of a token in both top lists. */
function topShift(x: CompleteResult, y: CompleteResult): number {
  let d = 0;
  for (const t of x.top!) {
    const u = y.top!.find((v) => v.text === t.text);
    d = Math.max(d, u ? Math.abs(t.p - u.p) : t.p);
  }
  return d;
}

test('provisional: saving an early file folds only it on top at once; the clean fold replaces it', async () => {
  const n = 8;
  const list = moduleFiles(n);
  let onProvisional = (): void => {};
  const logs: string[] = [];
  const e = await foldEngine((m) => {
    logs.push(m);
    if (PROVISIONAL.test(m)) onProvisional();
  });
  const first = await fold(e, list);
  assert.equal(first.provisional, undefined, 'a first fold has no root to build on');
  const before = await answer(e);

  const saved = save(list, 0, edit0);
  const progress: number[] = [];
  let seen: { progress: number; state: State; info: ReturnType<Engine['info']>; answer: Promise<CompleteResult> } | undefined;
  onProvisional = () => {
    // the provisional root is in place: a completion now runs before the clean fold goes on
    seen = { progress: progress.length, state: rootState(e), info: e.info(), answer: answer(e) };
  };
  const clean = await fold(e, saved, progress);
  assert.ok(seen, logs.join('\n'));
  const provisionalAnswer = await seen.answer;

  // the provisional root: the old root and the saved file, before any file of the clean fold
  assert.equal(seen.progress, 0, 'no file of the clean fold was folded before it');
  assert.equal(seen.info.workspace!.files, n + 1);
  assert.match(seen.info.workspace!.key!, /^provisional-/);
  assert.ok(seen.info.checkpoints === 0, 'document checkpoints of the old root were dropped');
  assert.deepEqual([clean.provisional?.files, clean.refoldedFiles, clean.restoredFiles], [1, n, 0]);
  assert.ok(clean.provisional!.ms < clean.ms);
  assert.equal(seen.info.workspace!.tokens, first.tokens + clean.provisional!.tokens);
  assert.ok(
    logs.some((l) =>
      /^workspace state provisional: 1 changed file \(src\/mod0\.ts\) folded on top in \d+ ms; clean fold of 8 files in the background$/.test(
        l,
      ),
    ),
    logs.join('\n'),
  );
  assert.ok(
    logs.some((l) => /^workspace state: 8 files, 8 folded, 0 restored; .*replaces the provisional root$/.test(l)),
    logs.join('\n'),
  );

  // ... equals a direct fold of the old list and the saved file, and completions see the edit
  const direct = await foldEngine();
  await fold(direct, [...list, saved[n - 1]!]);
  assertSameState(seen.state, rootState(direct), 'provisional root vs a fold of root + file');
  assertSameAnswer(provisionalAnswer, await answer(direct), 'provisional vs direct');
  assert.ok(topShift(provisionalAnswer, before) > 0.01, 'the edit shows in the first-token distribution');

  // the clean root equals a fresh full fold of the new list
  const fresh = await foldEngine();
  const full = await fold(fresh, saved);
  assert.equal(full.provisional, undefined);
  assert.deepEqual([clean.key, clean.tokens, clean.files], [full.key, full.tokens, full.files]);
  assertSameState(rootState(e), rootState(fresh), 'clean root vs a fresh full fold');
  assert.equal(e.info().workspace!.key, full.key);

  // document checkpoints made under the provisional root are never used under the clean root
  assert.equal(e.info().checkpoints, 0, 'the clean root starts without document checkpoints');
  const after = await answer(e);
  assert.equal(after.cachedTokens, clean.tokens, 'nothing of the document came from a checkpoint');
  assertSameAnswer(after, await answer(fresh), 'clean vs fresh');

  // saving the newest file re-folds only itself: no provisional root; nothing changed: nothing at all
  const lines = logs.length;
  const last = await fold(
    e,
    save(saved, n - 2, (t) => `${t}// saved\n`),
  );
  assert.deepEqual([last.provisional, last.refoldedFiles], [undefined, 2]);
  const again = await fold(
    e,
    save(saved, n - 2, (t) => `${t}// saved\n`),
  );
  assert.deepEqual([again.provisional, again.refoldedFiles, again.restored], [undefined, 0, true]);
  assert.ok(!logs.slice(lines).some((l) => PROVISIONAL.test(l)), logs.slice(lines).join('\n'));
});

test('provisional: a newer setWorkspace cancels the background fold and builds on the provisional root', async () => {
  const n = 8;
  const list = moduleFiles(n);
  let onProvisional = (): void => {};
  const e = await foldEngine((m) => {
    if (PROVISIONAL.test(m)) onProvisional();
  });
  await fold(e, list);

  const a = save(list, 0, edit0);
  const b = save(a, 0, edit1); // then file 1 (now first) is saved too
  const progressA: number[] = [];
  const progressB: number[] = [];
  let second: Promise<WorkspaceResult> | undefined;
  onProvisional = () => {
    onProvisional = () => {};
    second = fold(e, b, progressB);
  };
  await assert.rejects(fold(e, a, progressA), { name: 'CancelledError' });
  assert.ok(second);
  assert.deepEqual(progressA, [], 'the superseded clean fold stopped before its first file');
  const rb = await second;
  assert.deepEqual([rb.provisional?.files, rb.refoldedFiles], [1, n], 'only file 1 is new to the provisional root it built on');

  const fresh = await foldEngine();
  const full = await fold(fresh, b);
  assert.equal(rb.key, full.key);
  assertSameState(rootState(e), rootState(fresh), 'after supersession vs a fresh full fold');
  assertSameAnswer(await answer(e), await answer(fresh), 'after supersession');
});
