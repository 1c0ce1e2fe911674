// A crashing engine is stopped for a while, never for good: EngineClient against the fake engine
// child (test/fixtures/fakeEngine.mjs), with an injected clock for the crash window; and the
// server's statewise/restartEngine request and settings-change retry against the in-process fake.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as path from 'node:path';
import { EngineClient, EngineCrashedError } from '../../server/lsp/engineClient';
import { RestartEngineRequest, type RestartEngineResult } from '../../server/protocol/lsp';
import { startServer, waitFor } from '../helpers/lspHarness';
import { restartMessage } from '../../extension/format';

const FAKE = path.join(__dirname, '..', 'fixtures', 'fakeEngine.mjs');
const LOAD = { modelDir: '/m/hawk', ep: 'cpu' as const, threads: 0, maxStateMB: 16, checkpointInterval: 64 };

function client(extra: ConstructorParameters<typeof EngineClient>[0] = {}) {
  const lines: string[] = [];
  const c = new EngineClient({ enginePath: FAKE, logger: (level, m) => lines.push(`${level}: ${m}`), restartDelayMs: 5, ...extra });
  c.start();
  // A stopped engine's retry timer is unref'd (it keeps no CLI alive); the language server's
  // connection keeps its process up, this keeps the test's up while it waits for the retry.
  const keepAlive = setInterval(() => {}, 1000);
  const dispose = c.dispose.bind(c);
  c.dispose = () => {
    clearInterval(keepAlive);
    dispose();
  };
  return { c, lines };
}

/** Makes the running child crash and waits until the client has handled its exit. */
async function crash(c: EngineClient): Promise<void> {
  const crashed = once(c, 'crashed');
  await c.request('crash', { afterMs: 0 });
  await crashed;
}

test('engineRestart: after too many crashes the engine stops, and starts again by itself after the back-off', async (t) => {
  const { c, lines } = client({ maxRestartsPerMinute: 2, stoppedRetryMs: 150 });
  t.after(() => c.dispose());
  for (let i = 1; i <= 2; i++) {
    const restarted = once(c, 'restarted');
    await crash(c);
    await restarted;
  }
  const failed = once(c, 'failed');
  await crash(c);
  const [message] = await failed;
  assert.match(String(message), /crashed 3 times within 60 s; not restarting it for 150 ms/);
  assert.match(String(message), /Statewise: Restart Engine/);
  assert.equal(c.pid, undefined);
  assert.ok(c.stopped);
  await assert.rejects(c.request('info', {}), (e: Error) => e instanceof EngineCrashedError && /not restarting it for/.test(e.message));
  const started = Date.now();
  const [count] = await once(c, 'restarted');
  assert.ok(Date.now() - started >= 100, 'waited for the back-off');
  assert.equal(count, 3);
  assert.equal(c.stopped, undefined);
  assert.ok((await c.request('info', {})).rssBytes > 0);
  assert.ok(lines.some((l) => /engine restarted after the back-off/.test(l)));
});

test('engineRestart: the back-off doubles with each stop in a row', async (t) => {
  const { c } = client({ maxRestartsPerMinute: 0, stoppedRetryMs: 40 });
  t.after(() => c.dispose());
  const waits: string[] = [];
  c.on('failed', (m: string) => waits.push(/for (\d+ ms)/.exec(m)![1]!));
  for (let i = 0; i < 3; i++) {
    const restarted = once(c, 'restarted');
    await crash(c);
    await restarted;
  }
  assert.deepEqual(waits, ['40 ms', '80 ms', '160 ms']);
});

test('engineRestart: crashes older than the window are forgotten', async (t) => {
  let clock = 1_000_000;
  const { c } = client({ maxRestartsPerMinute: 1, now: () => clock, stoppedRetryMs: 3_600_000 });
  t.after(() => c.dispose());
  const failures: string[] = [];
  c.on('failed', (m: string) => failures.push(m));
  let restarted = once(c, 'restarted');
  await crash(c);
  await restarted;
  clock += 61_000; // the first crash is now out of the window
  restarted = once(c, 'restarted');
  await crash(c);
  await restarted;
  assert.deepEqual(failures, [], 'one crash in the window: restarted, not stopped');
  clock += 1_000; // a second crash within the window of the last one: stopped
  const failed = once(c, 'failed');
  await crash(c);
  await failed;
  assert.ok(c.stopped);
});

test('engineRestart: restart() starts a stopped engine at once and forgets the crashes', async (t) => {
  const { c } = client({ maxRestartsPerMinute: 0, stoppedRetryMs: 3_600_000 });
  t.after(() => c.dispose());
  const failed = once(c, 'failed');
  await crash(c);
  await failed;
  assert.equal(c.pid, undefined);
  const restarted = once(c, 'restarted');
  c.restart();
  const [count] = await restarted;
  assert.equal(count, 1);
  assert.ok(c.pid);
  assert.equal(c.stopped, undefined);
  assert.equal((await c.request('load', LOAD)).arch, 'fake');
  // A running engine is replaced: what it was doing rejects, the new one answers.
  const oldPid = c.pid;
  const inFlight = c.request('complete', {
    uri: 'file:///a.ts',
    version: 1,
    position: { line: 0, character: 0 },
    singleLine: true,
    maxTokens: 1000,
    suffixMaxTokens: 0,
    temperature: 0,
    topP: 1,
    n: 1,
  });
  c.restart();
  await assert.rejects(inFlight, (e: Error) => e instanceof EngineCrashedError && /restarted/.test(e.message));
  assert.notEqual(c.pid, oldPid);
  assert.ok((await c.request('info', {})).rssBytes > 0);
});

test('engineRestart: a model load restarts a stopped engine (a settings change)', async (t) => {
  const { c } = client({ maxRestartsPerMinute: 0, stoppedRetryMs: 3_600_000 });
  t.after(() => c.dispose());
  const failed = once(c, 'failed');
  await crash(c);
  await failed;
  await assert.rejects(c.request('info', {}), EngineCrashedError, 'other requests still fail fast');
  const load = await c.request('load', LOAD);
  assert.equal(load.arch, 'fake');
  assert.ok(c.pid);
  assert.equal(c.stopped, undefined);
});

test('engineRestart: statewise/restartEngine restarts the engine and loads the model again', async (t) => {
  const h = await startServer({ config: { completion: { debounceMs: 0 } } });
  t.after(() => h.dispose());
  h.engine.emit('failed', 'the engine crashed 6 times within 60 s; not restarting it for 60 s');
  await waitFor(() => h.lastStatus()?.state === 'error', 'error status');
  const loads = h.engine.callsOf('load').length;
  const r = (await h.client.sendRequest(RestartEngineRequest.method)) as RestartEngineResult;
  assert.equal(h.engine.restarts, 1);
  assert.equal(r.restarts, 1);
  assert.equal(r.pid, 4242);
  assert.equal(r.error, undefined);
  assert.equal(h.engine.callsOf('load').length, loads + 1);
  assert.notEqual(r.state, 'error');
  assert.match(restartMessage(r), /^Statewise: engine restarted \(pid 4242\)/);
});

test('engineRestart: after the engine stopped, a settings change loads the model again', async (t) => {
  let maxTokens = 64;
  const h = await startServer({ config: () => ({ completion: { debounceMs: 0, maxTokens } }) });
  t.after(() => h.dispose());
  h.engine.emit('failed', 'the engine crashed 6 times within 60 s; not restarting it for 60 s');
  await waitFor(() => h.lastStatus()?.state === 'error', 'error status');
  const loads = h.engine.callsOf('load').length;
  maxTokens = 32; // a setting that alone would not reload a running model
  h.configChanged();
  await waitFor(() => h.engine.callsOf('load').length === loads + 1, 'a load after the settings change');
  await waitFor(() => h.lastStatus()?.state !== 'error', 'no error status');
});
