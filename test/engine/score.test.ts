// The engine's score request on the real model: scoring only a suffix (scoreLastTokens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { firstScoredIndex } from '../../server/engine/score';
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
