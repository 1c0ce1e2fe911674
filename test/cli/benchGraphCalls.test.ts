// The bench's reading of the engine's graph-call counts around a fold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphCallsSince, graphCallsText } from '../../server/cli/benchGraphCalls';
import type { GraphCalls } from '../../server/protocol/ipc';

const calls = (ingest: [number, number, number], step: [number, number, number] = [0, 0, 0]): GraphCalls => ({
  ingest: { calls: ingest[0], tokens: ingest[1], ms: ingest[2] },
  keystroke: { calls: 0, tokens: 0, ms: 0 },
  step: { calls: step[0], tokens: step[1], ms: step[2] },
});

test('the calls between two readings, and their share of the wall time', () => {
  const d = graphCallsSince(calls([3, 600, 40], [5, 5, 20]), calls([52, 99923, 1245.04], [5, 5, 20]))!;
  assert.deepEqual(d.ingest, { calls: 49, tokens: 99323, ms: 1205 });
  assert.deepEqual(d.step, { calls: 0, tokens: 0, ms: 0 });
  assert.equal(graphCallsText(d, 4400), 'graphs 1205 ms of 4400 (27 %): ingest 49 calls / 99323 tokens / 1205 ms');
});

test('no counts (an engine that does not report them) give no text; no calls say so', () => {
  assert.equal(graphCallsSince(undefined, calls([1, 1, 1])), undefined);
  assert.equal(graphCallsText(undefined, 100), '');
  assert.equal(graphCallsText(calls([0, 0, 0]), 0), 'graphs 0 ms of 0: no calls');
});
