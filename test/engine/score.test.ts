// The engine's score request on the real model: scoring only a suffix (scoreLastTokens), and the loss
// by position in the file (byPosition).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { firstScoredIndex, POSITION_BUCKETS, positionBucket, positionRows } from '../../server/engine/score';
import { CodeTokenizer } from '../../server/engine/tokenizer';
import { cpuLoad } from '../helpers/engineRequests';
import { modelDir } from '../helpers/models';

const dir = modelDir('hawk');
const load = cpuLoad(dir);
const never = () => false;
const tok = CodeTokenizer.fromFile(join(dir, 'tokenizer.json'));

const A = 'export function area(width: number, height: number): number {\n  return width * height;\n}\n';
const B =
  'export class Grid {\n  constructor(private readonly cells: number[][]) {}\n  get rows(): number {\n    return this.cells.length;\n  }\n}\n';

test('firstScoredIndex: the whole content, or its last N tokens (clamped)', () => {
  assert.equal(firstScoredIndex(3, 10, undefined), 3);
  assert.equal(firstScoredIndex(3, 10, 4), 9);
  assert.equal(firstScoredIndex(3, 10, 0), 13);
  assert.equal(firstScoredIndex(3, 10, 99), 3);
});

test('positionBucket and positionRows: [from, to) buckets of content positions, empty ones left out', () => {
  assert.deepEqual(POSITION_BUCKETS, [0, 16, 64, 256, 1024, 2048, 8192]);
  assert.deepEqual([0, 15, 16, 63, 64, 255, 256, 2047, 2048, 8191, 8192, 1e6].map(positionBucket), [0, 0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6]);
  const n = POSITION_BUCKETS.map(() => 0);
  const k = POSITION_BUCKETS.map(() => 0);
  n[0] = 6;
  k[0] = 3;
  n[6] = 1;
  k[6] = 4;
  assert.deepEqual(positionRows(n, k), [
    { from: 0, to: 16, tokens: 3, natsPerToken: 2 },
    { from: 8192, to: null, tokens: 4, natsPerToken: 0.25 },
  ]);
});

test('score: byPosition splits the same loss by where each predicted token sits in its file', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  const text = Array.from({ length: 12 }, () => B).join('');
  const r = await e.score({ files: [{ path: 'grid.ts', text }] }, never);
  assert.ok(r.tokens > 256, `${r.tokens} tokens`);
  assert.deepEqual(
    r.byPosition.map((b) => [b.from, b.to]),
    [
      [0, 16],
      [16, 64],
      [64, 256],
      [256, 1024],
    ],
  );
  assert.equal(
    r.byPosition.reduce((a, b) => a + b.tokens, 0),
    r.tokens,
  );
  const nats = r.byPosition.reduce((a, b) => a + b.natsPerToken * b.tokens, 0);
  assert.ok(Math.abs(nats - r.nats) < 1e-6 * r.nats, `${nats} vs ${r.nats}`);
  assert.equal(r.byPosition[0]!.tokens, 16);
  // the class repeated: far cheaper once the state has seen it than in its first 16 tokens
  assert.ok(r.byPosition[3]!.natsPerToken < r.byPosition[0]!.natsPerToken / 2, JSON.stringify(r.byPosition));
  // scoreLastTokens: the positions are still those in the file
  const last = await e.score({ files: [{ path: 'grid.ts', text, scoreLastTokens: 10 }] }, never);
  assert.deepEqual(
    last.byPosition.map((b) => [b.from, b.tokens]),
    [[256, 10]],
  );
});

test('score: scoreLastTokens scores exactly the last N tokens, and the text before them is context', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  const n = tok.encode(B).length;
  // A + B tokenizes as A's tokens then B's (no token spans a line start)
  assert.deepEqual(tok.encode(A + B).slice(-n), tok.encode(B));
  const bytesB = Buffer.byteLength(B);

  const alone = await e.score({ files: [{ path: 'grid.ts', text: B }] }, never);
  const suffix = await e.score({ files: [{ path: 'grid.ts', text: A + B, scoreLastTokens: n }] }, never);
  assert.equal(suffix.tokens, n);
  assert.equal(suffix.bytes, bytesB);
  assert.equal(alone.tokens, n);

  // Context that contains the scored text verbatim makes it far cheaper: the state carries it.
  const repeated = await e.score({ files: [{ path: 'grid.ts', text: B + B, scoreLastTokens: n }] }, never);
  assert.equal(repeated.tokens, n);
  assert.ok(repeated.nats < alone.nats * 0.8, `repeat ${repeated.nats} vs alone ${alone.nats}`);

  // All of it (N >= content) is the plain score, up to chunking of the int8 graphs.
  const all = await e.score({ files: [{ path: 'grid.ts', text: A + B }] }, never);
  const allByN = await e.score({ files: [{ path: 'grid.ts', text: A + B, scoreLastTokens: 10_000 }] }, never);
  assert.equal(allByN.tokens, all.tokens);
  assert.ok(Math.abs(allByN.nats - all.nats) < 0.01 * all.nats, `${allByN.nats} vs ${all.nats}`);
  assert.ok(all.nats > suffix.nats);

  // Context files come first behind their headers: the same tokens scored, cheaper when they hold them.
  const withContext = await e.score(
    { files: [{ path: 'grid.ts', text: B, scoreLastTokens: n, context: [{ path: 'copy.ts', text: B }] }] },
    never,
  );
  assert.equal(withContext.tokens, n);
  assert.ok(withContext.nats < alone.nats * 0.95, `context ${withContext.nats} vs alone ${alone.nats}`);
  const unrelated = await e.score({ files: [{ path: 'grid.ts', text: B, context: [{ path: 'area.ts', text: A }] }] }, never);
  assert.equal(unrelated.tokens, n);
  assert.ok(Math.abs(unrelated.nats - alone.nats) < 0.5 * alone.nats);

  const none = await e.score({ files: [{ path: 'grid.ts', text: A + B, scoreLastTokens: 0 }] }, never);
  assert.deepEqual([none.tokens, none.bytes, none.nats], [0, 0, 0]);
  await assert.rejects(e.score({ files: [{ path: 'x.ts', text: A, scoreLastTokens: -1 }] }, never), /scoreLastTokens/);
  await assert.rejects(e.score({ files: [{ path: 'x.ts', text: A, scoreLastTokens: 1.5 }] }, never), /scoreLastTokens/);
});
