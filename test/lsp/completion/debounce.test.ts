import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Debouncer } from '../../../server/lsp/completion/debounce';
import { FakeTimers, flush } from '../../helpers/fakeTimers';

/** Records when a promise settles, to check it has not settled yet. */
function watch<T>(p: Promise<T>): { settled: boolean; value?: T } {
  const w: { settled: boolean; value?: T } = { settled: false };
  void p.then((v) => Object.assign(w, { settled: true, value: v }));
  return w;
}

test('debounce: resolves true once the delay has passed', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  const w = watch(d.wait());
  timers.advance(59);
  await flush();
  assert.equal(w.settled, false);
  timers.advance(1);
  await flush();
  assert.deepEqual(w, { settled: true, value: true });
});

test('debounce: a newer wait supersedes the older at once', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  const first = watch(d.wait());
  timers.advance(30);
  const second = watch(d.wait());
  await flush();
  assert.deepEqual(first, { settled: true, value: false });
  assert.equal(timers.count, 1, 'the older timer is cleared');
  timers.advance(30);
  await flush();
  assert.equal(second.settled, false, 'the delay restarts with the newer wait');
  timers.advance(30);
  await flush();
  assert.deepEqual(second, { settled: true, value: true });
});

test('debounce: abort resolves false and clears the timer', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  const ac = new AbortController();
  const w = watch(d.wait(ac.signal));
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  ac.abort();
  await flush();
  assert.deepEqual(w, { settled: true, value: false });
  assert.equal(timers.count, 0);
});

test('debounce: an already aborted signal resolves false without a timer', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  assert.equal(await d.wait(AbortSignal.abort()), false);
  assert.equal(timers.count, 0);
});

test('debounce: aborting after it resolved changes nothing', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(10, timers);
  const ac = new AbortController();
  const p = d.wait(ac.signal);
  timers.advance(10);
  assert.equal(await p, true);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listener removed');
  ac.abort();
  const next = watch(d.wait());
  await flush();
  assert.equal(next.settled, false, 'a stale abort does not cancel a later wait');
});

test('debounce: setDelay applies to the next wait; negative counts as 0', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  d.setDelay(200);
  assert.equal(d.delay, 200);
  const w = watch(d.wait());
  timers.advance(199);
  await flush();
  assert.equal(w.settled, false);
  timers.advance(1);
  await flush();
  assert.equal(w.value, true);
  d.setDelay(-5);
  assert.equal(d.delay, 0);
});

test('debounce: cancel resolves the pending wait with false', async () => {
  const timers = new FakeTimers();
  const d = new Debouncer(60, timers);
  const p = d.wait();
  d.cancel();
  assert.equal(await p, false);
  assert.equal(timers.count, 0);
});

test('debounce: real timers by default', async () => {
  const d = new Debouncer(1);
  const [a, b] = await Promise.all([d.wait(), d.wait()]);
  assert.deepEqual([a, b], [false, true]);
});
