// EngineClient against the real engine child (dist/engine.js) and the real hawk model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { CancelledError, EngineCrashedError } from '../../server/lsp/engineClient';
import { completeParams as params, cpuLoad, PATTERN_DOC, PATTERN_PATH, PATTERN_URI as URI } from '../helpers/engineRequests';
import { realEngine } from '../helpers/realEngine';

/** A generation long enough to interrupt: 512 tokens, no single-line stop. */
const LONG = params({ singleLine: false, maxTokens: 512, temperature: 1 });

async function loaded() {
  const r = realEngine();
  const load = cpuLoad(r.hawk);
  const result = await r.engine.request('load', load);
  await r.engine.request('openDocument', { uri: URI, path: PATTERN_PATH, text: PATTERN_DOC, version: 1 });
  return { ...r, load, result };
}

test('integration: the real engine loads hawk and completes', async (t) => {
  const { engine, result } = await loaded();
  t.after(() => engine.dispose());
  assert.equal(result.arch, 'hawk');
  const r = await engine.request('complete', params());
  assert.equal(r.completions.length, 1);
  assert.ok(r.generatedTokens > 0);
  assert.ok(r.promptTokens > 20);
  const info = await engine.request('info', {});
  assert.ok(info.rssBytes > 0);
});

test('integration: an aborted request is cancelled by the real engine between decode steps', async (t) => {
  const { engine } = await loaded();
  t.after(() => engine.dispose());
  await engine.request('complete', params()); // warm
  const ac = new AbortController();
  const started = Date.now();
  const pending = engine.request('complete', LONG, ac.signal);
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(pending, (e: Error) => e instanceof CancelledError);
  const cancelledAfter = Date.now() - started;
  const full = Date.now();
  await engine.request('complete', LONG);
  assert.ok(cancelledAfter < Date.now() - full, `cancelled after ${cancelledAfter} ms, a full run takes ${Date.now() - full} ms`);
});

test('integration: killing the engine mid-request rejects it, restarts the child, and it works again', async (t) => {
  const { engine, load } = await loaded();
  t.after(() => engine.dispose());
  const pid = engine.pid!;
  const pending = engine.request('complete', LONG);
  const restarted = once(engine, 'restarted');
  setTimeout(() => process.kill(pid, 'SIGKILL'), 20);
  await assert.rejects(pending, (e: Error) => e instanceof EngineCrashedError);
  await restarted;
  assert.equal(engine.restarts, 1);
  assert.notEqual(engine.pid, pid);
  // The owner replays its state into the new child.
  await engine.request('load', load);
  await engine.request('openDocument', { uri: URI, path: PATTERN_PATH, text: PATTERN_DOC, version: 1 });
  const r = await engine.request('complete', params());
  assert.equal(r.completions.length, 1);
});
