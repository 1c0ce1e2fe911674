// Pure parts of the incremental fold: which file boundaries keep a checkpoint, and the byte-capped store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { FoldStore, foldPlan, type FoldCheckpoint } from '../../server/engine/folds';

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
  for (const [n, slots] of [[238, 30], [7, 6], [3, 2], [1000, 3]] as const) {
    const plan = foldPlan(n, slots);
    assert.ok(plan.size <= slots && plan.has(n) && [...plan].every((i) => i >= 1 && i <= n), `${n}/${slots}`);
  }
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
