// Pure parts of the incremental fold: which file boundaries keep a checkpoint, and the byte-capped store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import {
  FoldStore,
  foldPlan,
  foldRunChars,
  RUN_CHUNKS,
  foldRuns,
  PROVISIONAL_MIN_EXTRA_CHARS,
  provisionalFiles,
  provisionalKey,
  runPlan,
  type FoldCheckpoint,
} from '../../server/engine/folds';
import { contentHash, foldChainKeys } from '../../server/shared/fingerprint';

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

test('foldPlan: every boundary when they fit; else the last ones and some spread out; the root always', () => {
  assert.deepEqual(sorted(foldPlan(5, 10)), [1, 2, 3, 4, 5]);
  assert.deepEqual(sorted(foldPlan(5, 5)), [1, 2, 3, 4, 5]);
  assert.deepEqual(sorted(foldPlan(0, 10)), []);
  assert.deepEqual(sorted(foldPlan(100, 0)), [], 'no room: no checkpoint (the root is held on its own)');
  assert.deepEqual(sorted(foldPlan(100, 1)), [100]);
  assert.deepEqual(sorted(foldPlan(100, 2)), [99, 100]);
  const ten = sorted(foldPlan(100, 10));
  assert.equal(ten.length, 10);
  assert.deepEqual(ten.slice(-5), [96, 97, 98, 99, 100], 'the last files (the newest) each keep one');
  assert.deepEqual(ten.slice(0, 5), [16, 32, 48, 63, 79], 'the rest spread evenly over the earlier boundaries');
  for (const [n, slots] of [
    [238, 30],
    [7, 6],
    [3, 2],
    [1000, 3],
  ] as const) {
    const plan = foldPlan(n, slots);
    assert.ok(plan.size <= slots && plan.has(n) && [...plan].every((i) => i >= 1 && i <= n), `${n}/${slots}`);
  }
});

test('foldRuns: a run closes once it holds runChars characters, and at the end; 0 gives every file its own run', () => {
  assert.deepEqual(foldRuns([100, 200, 300], 0), [1, 2, 3]);
  assert.deepEqual(foldRuns([400, 700, 100, 900, 50, 20], 1000), [2, 4, 6]);
  assert.deepEqual(foldRuns([5000, 10, 10], 1000), [1, 3], 'a large file closes its run alone; the rest end at n');
  assert.deepEqual(foldRuns([], 1000), []);
  // a prefix shared with another list has the same run ends up to where the two differ
  const a = foldRuns([300, 300, 500, 200, 900, 100, 100], 800);
  const b = foldRuns([300, 300, 500, 200, 900, 10, 2000, 5], 800);
  assert.deepEqual(a.slice(0, 2), b.slice(0, 2));
});

test('runPlan: foldPlan over the run ends, as file boundaries; foldRunChars: 0 on prefill, else RUN_CHUNKS chunks in characters', () => {
  const ends = foldRuns(
    Array.from({ length: 100 }, () => 250),
    1000,
  );
  assert.equal(ends.length, 25);
  assert.deepEqual(sorted(runPlan(ends, 100)), ends, 'every run end when they fit');
  const three = sorted(runPlan(ends, 3));
  assert.equal(three.length, 3);
  assert.ok(three.every((i) => ends.includes(i)) && three.includes(100), three.join(','));
  assert.deepEqual(sorted(runPlan([1, 2, 3, 4, 5], 10)), sorted(foldPlan(5, 10)));
  assert.equal(foldRunChars({ graph: 'prefill', file: 'prefill.onnx', tokens: 256, provider: 'cpu' }), 0);
  assert.equal(foldRunChars({ graph: 'ingest', file: 'ingest.onnx', tokens: 2048, provider: 'webgpu' }), 2048 * 4 * RUN_CHUNKS);
});

function cp(key: string, floats: number): FoldCheckpoint {
  return { key, files: 1, tokens: 1, state: new Map([['h', new ort.Tensor('float32', new Float32Array(floats), [floats])]]) };
}

test('FoldStore: capped by bytes; unprotected (old chain) entries go first, least recently used first', () => {
  const s = new FoldStore(3 * 400);
  s.put(cp('old1', 100));
  s.put(cp('old2', 100));
  s.put(cp('new1', 100), new Set(['new1', 'new2']));
  assert.equal(s.bytes, 1200);
  s.get('old1'); // old1 becomes the most recently used: old2 goes first
  s.put(cp('new2', 100), new Set(['new1', 'new2']));
  assert.deepEqual(s.keys().sort(), ['new1', 'new2', 'old1']);
  s.retainOnly(new Set(['new2']));
  assert.deepEqual(s.keys(), ['new2']);
  assert.equal(s.bytes, 400);
  s.put(cp('new2', 200));
  assert.equal(s.bytes, 800, 'a put under the same key replaces the entry');
  s.setCap(100);
  assert.equal(s.size, 0);
});

test('provisionalFiles: the files the root has not seen, when the clean fold re-folds many others', () => {
  const list = Array.from({ length: 10 }, (_, i) => ({ path: `f${i}.ts`, text: `const x${i} = ${i};\n` }));
  const seenAll = new Map(list.map((f) => [f.path, contentHash(f.text)]));
  const plan = (files: typeof list, start: number, seen = seenAll) =>
    provisionalFiles(
      files,
      files.map((f) => contentHash(f.text)),
      start,
      seen,
    );
  // the first file saved: it moves to the end, the clean fold re-folds all 10
  const early = [...list.slice(1), { ...list[0]!, text: 'const x0 = 100;\n' }];
  assert.deepEqual(plan(early, 0), [9]);
  // the last file saved: the clean fold re-folds only it
  const late = [...list.slice(0, 9), { ...list[9]!, text: 'const x9 = 100;\n' }];
  assert.equal(plan(late, 9), undefined);
  // two files besides the changed one (small ones): not worth it; a long one is
  assert.equal(plan(late, 7), undefined);
  const long = list.map((f, i) => (i === 8 ? { ...f, text: 'x'.repeat(PROVISIONAL_MIN_EXTRA_CHARS) } : f));
  assert.deepEqual(plan([...long.slice(0, 9), late[9]!], 8, new Map(long.map((f) => [f.path, contentHash(f.text)]))), [9]);
  // nothing new to the root (a touched file, a removed one): no provisional root
  assert.equal(plan([...list.slice(1), list[0]!], 0), undefined);
  assert.equal(plan(list.slice(1), 0), undefined);
  // a new path counts as changed; changed files longer than the rest: no provisional root
  assert.deepEqual(plan([...list, { path: 'new.ts', text: 'n' }], 0), [10]);
  assert.equal(
    plan([...list.slice(0, 5), ...list.slice(5).map((f) => ({ ...f, text: `${f.text}// edited, now longer than before\n` }))], 0),
    undefined,
  );
  assert.equal(plan(early, 0, new Map()), undefined, 'no root content: everything is new');
});

test('provisionalKey: never a clean chain key; depends on the base and on the appended files', () => {
  const files = [
    { path: 'a.ts', text: 'a' },
    { path: 'b.ts', text: 'b' },
  ];
  const keys = foldChainKeys('seed', files);
  const k = provisionalKey(keys[1]!, [{ path: 'b.ts', sha: contentHash('b') }]);
  assert.ok(!keys.includes(k));
  assert.match(k, /^provisional-[0-9a-f]{64}$/);
  assert.equal(k, provisionalKey(keys[1]!, [{ path: 'b.ts', sha: contentHash('b') }]));
  assert.notEqual(k, provisionalKey(keys[0]!, [{ path: 'b.ts', sha: contentHash('b') }]));
  assert.notEqual(k, provisionalKey(keys[1]!, [{ path: 'b.ts', sha: contentHash('c') }]));
});
