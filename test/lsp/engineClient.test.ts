import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as path from 'node:path';
import { CancelledError, EngineClient, EngineCrashedError, type LogLevel } from '../../server/lsp/engineClient';
import { isEngineError } from '../../server/protocol/errors';
import type { CompleteParams } from '../../server/protocol/ipc';

const FAKE = path.join(__dirname, '..', 'fixtures', 'fakeEngine.mjs');

function client(extra: ConstructorParameters<typeof EngineClient>[0] = {}) {
  const lines: { level: LogLevel; message: string }[] = [];
  const c = new EngineClient({
    enginePath: FAKE,
    logger: (level, message) => lines.push({ level, message }),
    restartDelayMs: 10,
    ...extra,
  });
  c.start();
  return { c, lines };
}

const completeParams = (maxTokens: number): CompleteParams => ({
  uri: 'file:///a.ts',
  version: 1,
  position: { line: 0, character: 0 },
  singleLine: true,
  maxTokens,
  suffixMaxTokens: 0,
  temperature: 0,
  topP: 1,
  n: 1,
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('engineClient: request/response, progress, log lines and child output go to the logger', async (t) => {
  const { c, lines } = client();
  t.after(() => c.dispose());
  assert.ok(c.pid);
  const load = await c.request('load', { modelDir: '/m/hawk', ep: 'cpu', threads: 0, maxStateMB: 16, checkpointInterval: 64 });
  assert.equal(load.arch, 'fake');
  const progress: number[] = [];
  const ws = await c.request(
    'setWorkspace',
    {
      fingerprint: 'f',
      files: [
        { path: 'a', text: 'a' },
        { path: 'b', text: 'b' },
      ],
    },
    undefined,
    (p) => progress.push(p.done),
  );
  assert.equal(ws.files, 2);
  assert.deepEqual(progress, [1, 2]);
  const info = await c.request('info', {});
  assert.ok(info.rssBytes > 0);
  await until(
    () => lines.some((l) => l.message.includes('fake engine stdout')) && lines.some((l) => l.message.includes('fake engine stderr')),
  );
  assert.ok(lines.some((l) => l.level === 'info' && l.message === 'loading /m/hawk'));
});

test("engineClient: engine errors reject with the engine's name and message", async (t) => {
  const { c } = client();
  t.after(() => c.dispose());
  await assert.rejects(
    c.request('load', { modelDir: '/m/corrupt', ep: 'cpu', threads: 0, maxStateMB: 16, checkpointInterval: 64 }),
    (e: Error) => e.name === 'ModelCorruptError' && /corrupt/.test(e.message),
  );
  await assert.rejects(c.request('warm', { uri: 'x' }), (e: Error) => isEngineError(e, 'BadRequestError'));
});

test('engineClient: an aborted signal sends cancel and the request rejects with CancelledError', async (t) => {
  const { c } = client();
  t.after(() => c.dispose());
  const ac = new AbortController();
  const started = Date.now();
  const p = c.request('complete', completeParams(400), ac.signal);
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(p, (e: Error) => e instanceof CancelledError && e.name === 'CancelledError');
  assert.ok(Date.now() - started < 1000, 'cancelled well before the 2 s generation would end');
  // An already aborted signal rejects at once; the next request still works.
  await assert.rejects(c.request('complete', completeParams(1), AbortSignal.abort()), CancelledError);
  const ok = await c.request('complete', completeParams(2));
  assert.equal(ok.completions[0], 'xx');
});

test('engineClient: a crash rejects in-flight requests, restarts the child and emits restarted', async (t) => {
  const { c, lines } = client();
  t.after(() => c.dispose());
  const firstPid = c.pid;
  const inFlight = c.request('complete', completeParams(1000));
  const restarted = once(c, 'restarted');
  await c.request('crash', { afterMs: 20 });
  await assert.rejects(inFlight, (e: Error) => e instanceof EngineCrashedError && e.name === 'EngineCrashedError');
  // Between the exit and the restart, requests fail fast instead of hanging.
  await assert.rejects(c.request('info', {}), EngineCrashedError);
  const [count] = await restarted;
  assert.equal(count, 1);
  assert.equal(c.restarts, 1);
  assert.notEqual(c.pid, firstPid);
  const ok = await c.request('complete', completeParams(1));
  assert.equal(ok.completions[0], 'x');
  assert.ok(lines.some((l) => l.level === 'error' && /exited unexpectedly \(code 3\)/.test(l.message)));
});

test('engineClient: gives up after maxRestartsPerMinute crashes', async (t) => {
  const { c } = client({ maxRestartsPerMinute: 1 });
  t.after(() => c.dispose());
  const failed = once(c, 'failed');
  await c.request('crash', { afterMs: 0 });
  await once(c, 'restarted');
  await c.request('crash', { afterMs: 0 });
  const [message] = await failed;
  assert.match(String(message), /not restarting/);
  await assert.rejects(c.request('info', {}), (e: Error) => e instanceof EngineCrashedError && /not restarting/.test(e.message));
  assert.equal(c.pid, undefined);
});

test('engineClient: dispose kills the child and rejects what is pending; no restart', async () => {
  const { c } = client();
  const pid = c.pid!;
  const inFlight = c.request('complete', completeParams(1000));
  await new Promise((r) => setTimeout(r, 20));
  c.dispose();
  await assert.rejects(inFlight, EngineCrashedError);
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  assert.equal(c.restarts, 0);
  await assert.rejects(c.request('info', {}), EngineCrashedError);
});

test('engineClient: a missing engine bundle fails with a clear message', async (t) => {
  const c = new EngineClient({ enginePath: path.join(__dirname, 'no-such-engine.js') });
  t.after(() => c.dispose());
  c.on('failed', () => {});
  await assert.rejects(c.request('info', {}), (e: Error) => e instanceof EngineCrashedError && /engine bundle is missing/.test(e.message));
});
