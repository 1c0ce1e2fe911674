import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RebuildScheduler, type Timers } from '../../../server/lsp/workspace/watch';

/** Timers driven by `advance`, so the tests never wait on the clock. */
class FakeTimers implements Timers {
  now = 0;
  private nextId = 1;
  private pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get count(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

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
