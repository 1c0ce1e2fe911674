// intraOpThreads: the engine's thread count per onnxruntime session (server/engine/threads.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intraOpThreads, MAX_DEFAULT_THREADS } from '../../server/engine/threads';

test('a set engine.threads is used as it is', () => {
  assert.equal(intraOpThreads(2, 2), 2);
  assert.equal(intraOpThreads(12, 4), 12);
});

test('engine.threads 0: half the cores, at least one, at most MAX_DEFAULT_THREADS', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 8, 16, 64].map((cores) => intraOpThreads(0, cores)),
    [1, 1, 1, 2, 4, MAX_DEFAULT_THREADS, MAX_DEFAULT_THREADS],
  );
  assert.equal(MAX_DEFAULT_THREADS, 4);
  assert.equal(intraOpThreads(0, 0), 1); // a machine that reports no cores still gets a thread
});
