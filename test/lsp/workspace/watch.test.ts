import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RebuildScheduler } from '../../../server/lsp/workspace/watch';
import { FakeTimers, flush } from '../../helpers/fakeTimers';

/** A rebuild whose runs finish when the test says so. */
function controlledRebuild() {
  const finishers: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const rebuild = () => {
    active++;
    maxActive = Math.max(maxActive, active);
    return new Promise<void>((resolve) =>
      finishers.push(() => {
        active--;
        resolve();
      }),
    );
  };
  return { rebuild, finishers, runs: () => finishers.length, maxActive: () => maxActive };
}

test('watch: a rebuild runs delayMs after the last change', async () => {
  const timers = new FakeTimers();
  const r = controlledRebuild();
  const s = new RebuildScheduler(100, r.rebuild, timers);
  s.notifyChanged('a.ts');
  timers.advance(60);
  s.notifyChanged('b.ts');
  timers.advance(60);
  assert.equal(r.runs(), 0);
  timers.advance(40);
  assert.equal(r.runs(), 1);
  assert.equal(s.busy, true);
  r.finishers[0]!();
  await flush();
  assert.equal(s.busy, false);
  timers.advance(1000);
  assert.equal(r.runs(), 1);
});

test('watch: changes during a rebuild give exactly one more, after it finishes', async () => {
  const timers = new FakeTimers();
  const r = controlledRebuild();
  const s = new RebuildScheduler(100, r.rebuild, timers);
  s.notifyChanged('a.ts');
  timers.advance(100);
  assert.equal(r.runs(), 1);
  s.notifyChanged('b.ts');
  timers.advance(100);
  s.notifyChanged('c.ts');
  timers.advance(100);
  assert.equal(r.runs(), 1, 'no second rebuild while one runs');
  r.finishers[0]!();
  await flush();
  assert.equal(r.runs(), 2);
  r.finishers[1]!();
  await flush();
  assert.equal(r.runs(), 2);
  assert.equal(r.maxActive(), 1);
});

test('watch: a change during a rebuild whose delay has not ended waits for its delay', async () => {
  const timers = new FakeTimers();
  const r = controlledRebuild();
  const s = new RebuildScheduler(100, r.rebuild, timers);
  s.notifyChanged('a.ts');
  timers.advance(100);
  s.notifyChanged('b.ts');
  timers.advance(50);
  r.finishers[0]!();
  await flush();
  assert.equal(r.runs(), 1);
  timers.advance(50);
  assert.equal(r.runs(), 2);
});

test('watch: a failing rebuild is reported and later changes still rebuild', async () => {
  const timers = new FakeTimers();
  const errors: unknown[] = [];
  let calls = 0;
  const s = new RebuildScheduler(
    10,
    async () => {
      calls++;
      throw new Error('boom');
    },
    timers,
    (e) => errors.push(e),
  );
  s.notifyChanged('a.ts');
  timers.advance(10);
  await flush();
  s.notifyChanged('a.ts');
  timers.advance(10);
  await flush();
  assert.equal(calls, 2);
  assert.equal(errors.length, 2);
});

test('watch: dispose cancels a pending rebuild and the one queued behind a running rebuild', async () => {
  const timers = new FakeTimers();
  const r = controlledRebuild();
  const s = new RebuildScheduler(100, r.rebuild, timers);
  s.notifyChanged('a.ts');
  timers.advance(100);
  s.notifyChanged('b.ts');
  timers.advance(100);
  s.dispose();
  assert.equal(timers.count, 0);
  r.finishers[0]!();
  await flush();
  s.notifyChanged('c.ts');
  timers.advance(1000);
  assert.equal(r.runs(), 1);
});
