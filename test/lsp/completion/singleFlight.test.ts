import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, SingleFlight, isAbortError } from '../../../server/lsp/completion/singleFlight';
import { flush } from '../../helpers/fakeTimers';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
/** A generation that stops when its signal aborts. */
const cooperative = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

test('singleFlight: returns what fn returns', async () => {
  const sf = new SingleFlight();
  assert.equal(await sf.run(async () => 42), 42);
  assert.equal(sf.busy, false);
});

test('singleFlight: a newer run aborts the older, which rejects with AbortError', async () => {
  const sf = new SingleFlight();
  let firstSignal: AbortSignal | undefined;
  const first = sf.run((signal) => ((firstSignal = signal), cooperative(signal)));
  const second = sf.run(async () => 'new');
  await assert.rejects(first, (e: unknown) => isAbortError(e) && e instanceof AbortError);
  assert.equal(firstSignal?.aborted, true);
  assert.equal(await second, 'new');
});

test('singleFlight: the superseded run rejects at once even if its fn finishes later with a value', async () => {
  const sf = new SingleFlight();
  const slow = deferred<string>();
  const first = sf.run(() => slow.promise); // ignores its signal
  let firstOutcome: unknown;
  first.catch((e: unknown) => (firstOutcome = e));
  void sf.run(async () => 'new');
  await flush();
  assert.ok(isAbortError(firstOutcome));
  slow.resolve('old');
});

test('singleFlight: one fn at a time — the next starts after the aborted one settles', async () => {
  const sf = new SingleFlight();
  const slow = deferred<string>();
  const events: string[] = [];
  const first = sf.run(async () => {
    events.push('first start');
    const v = await slow.promise;
    events.push('first end');
    return v;
  });
  first.catch(() => {});
  const second = sf.run(async () => {
    events.push('second start');
    return 'second';
  });
  await flush();
  assert.deepEqual(events, ['first start']);
  slow.resolve('late');
  assert.equal(await second, 'second');
  assert.deepEqual(events, ['first start', 'first end', 'second start']);
});

test('singleFlight: a run superseded while waiting never calls its fn', async () => {
  const sf = new SingleFlight();
  const slow = deferred<void>();
  const calls: string[] = [];
  sf.run(async () => (calls.push('a'), slow.promise)).catch(() => {});
  const b = sf.run(async () => (calls.push('b'), 'b'));
  const c = sf.run(async () => (calls.push('c'), 'c'));
  await assert.rejects(b, { name: 'AbortError' });
  slow.resolve();
  assert.equal(await c, 'c');
  assert.deepEqual(calls, ['a', 'c']);
});

test('singleFlight: errors from fn pass through', async () => {
  const sf = new SingleFlight();
  await assert.rejects(
    sf.run(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  await assert.rejects(
    sf.run(() => {
      throw new TypeError('sync');
    }),
    TypeError,
  );
  assert.equal(await sf.run(async () => 'still works'), 'still works');
});

test('singleFlight: abort() cancels the current run', async () => {
  const sf = new SingleFlight();
  const p = sf.run(cooperative);
  assert.equal(sf.busy, true);
  sf.abort();
  assert.equal(sf.busy, false);
  await assert.rejects(p, { name: 'AbortError' });
});

test('isAbortError', () => {
  assert.equal(isAbortError(new AbortError()), true);
  assert.equal(isAbortError(AbortSignal.abort().reason), true);
  assert.equal(isAbortError(new Error('x')), false);
  assert.equal(isAbortError(undefined), false);
});
