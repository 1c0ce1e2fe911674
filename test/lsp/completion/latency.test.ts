import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyWindow } from '../../../server/lsp/completion/latency';

test('latency: empty window', () => {
  assert.deepEqual(new LatencyWindow().summary(), { count: 0, last: undefined, p50: undefined, p95: undefined, slow: false });
});

test('latency: p50 and p95 (nearest rank)', () => {
  const w = new LatencyWindow();
  for (const ms of [...Array(100).keys()].map((i) => 100 - i)) w.record(ms); // 100..1, order must not matter
  assert.equal(w.p50, 50);
  assert.equal(w.p95, 95);
  assert.equal(w.last, 1);
  assert.equal(w.percentile(100), 100);
  assert.equal(w.percentile(0), 1);
});

test('latency: the window keeps the newest N', () => {
  const w = new LatencyWindow({ size: 3 });
  for (const ms of [1, 2, 3, 100, 200]) w.record(ms);
  assert.equal(w.count, 3);
  assert.deepEqual(w.recent(), [3, 100, 200]);
  assert.deepEqual(w.recent(2), [100, 200]);
  assert.equal(w.p50, 100);
});

test('latency: slow when the mean of the last 10 exceeds 1500 ms', () => {
  const w = new LatencyWindow();
  for (let i = 0; i < 20; i++) w.record(100);
  assert.equal(w.slow, false);
  for (let i = 0; i < 9; i++) w.record(1600);
  w.record(700); // mean of the last 10: (9 * 1600 + 700) / 10 = 1510
  assert.equal(w.slow, true);
  w.record(500); // (8 * 1600 + 700 + 500) / 10 = 1400
  assert.equal(w.slow, false);
});

test('latency: exactly 1500 ms is not slow', () => {
  const w = new LatencyWindow();
  for (let i = 0; i < 10; i++) w.record(1500);
  assert.equal(w.slow, false);
});

test('latency: one slow first request does not set the flag', () => {
  const w = new LatencyWindow();
  w.record(5000);
  assert.equal(w.slow, false);
  w.record(3000);
  assert.equal(w.slow, false);
  w.record(2000);
  assert.equal(w.slow, true);
});

test('latency: bad values are ignored', () => {
  const w = new LatencyWindow();
  for (const ms of [NaN, -1, Infinity, 20]) w.record(ms);
  assert.deepEqual(w.recent(), [20]);
});
