// Pure engine parts: document edits, the checkpoint store, the sampler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { CheckpointStore, StreamHash } from '../../server/engine/checkpoints';
import { EngineDocument } from '../../server/engine/document';
import { argmax, sample, seededRng, topTokens } from '../../server/engine/sampler';

const charEncoder = { encode: (s: string) => [...s].map((c) => c.codePointAt(0)!) };

test('document edits apply in order with UTF-16 positions, and only touched lines re-tokenize', () => {
  const d = new EngineDocument('u', 'a.ts', 'abc\ndef\nghi', 1, charEncoder);
  const before = d.tokensOfLine(2);
  d.apply([{ range: { start: { line: 0, character: 1 }, end: { line: 1, character: 2 } }, text: 'X\nY' }], 2);
  assert.equal(d.text(), 'aX\nYf\nghi');
  assert.equal(d.tokensOfLine(2), before, 'untouched line keeps its cached tokens');
  d.apply([{ range: { start: { line: 2, character: 3 }, end: { line: 2, character: 3 } }, text: '\n😀' }], 3);
  assert.equal(d.text(), 'aX\nYf\nghi\n😀');
  d.apply([{ text: 'new\r\nbody' }], 4);
  assert.equal(d.text(), 'new\nbody');
  assert.equal(d.version, 4);
  assert.deepEqual(d.tokensBeforeLine(1), charEncoder.encode('new'));
  assert.deepEqual(d.linePrefixTokens({ line: 1, character: 2 }), charEncoder.encode('\nbo'));
  assert.equal(d.suffixText({ line: 0, character: 1 }, 100), 'ew\nbody');
});

test('positions outside the document are rejected', () => {
  const d = new EngineDocument('u', 'a.ts', 'ab\nc', 1, charEncoder);
  assert.ok(d.contains({ line: 1, character: 1 }));
  assert.ok(!d.contains({ line: 1, character: 2 }));
  assert.ok(!d.contains({ line: 2, character: 0 }));
  assert.ok(!d.contains({ line: -1, character: 0 }));
  assert.ok(!d.contains({ line: 0.5, character: 0 }));
});

const st = (v: number, n = 256) => new Map([['h', new ort.Tensor('float32', new Float32Array(n).fill(v), [1, n])]]);

test('checkpoint store finds the longest cached prefix of a stream and only of the same stream', () => {
  const store = new CheckpointStore(1 << 20);
  const seed = StreamHash.of('root-1');
  const toks = [5, 6, 7, 8, 9, 10];
  const h = seed.clone();
  toks.forEach((t, i) => {
    h.push(t);
    if (i + 1 === 2 || i + 1 === 4) store.put(h.key(i + 1), i + 1, st(i + 1));
  });
  const hit = store.longestPrefix(seed, toks);
  assert.equal(hit?.n, 4);
  assert.equal((hit!.state.get('h')!.data as Float32Array)[0], 4);
  assert.equal(store.longestPrefix(seed, [5, 6, 99, 8, 9])?.n, 2, 'an edit after token 2 invalidates the later checkpoint');
  assert.equal(store.longestPrefix(StreamHash.of('root-2'), toks), undefined, 'another root state matches nothing');
});

test('checkpoint store evicts least recently used entries over its memory cap', () => {
  const store = new CheckpointStore(3 * 1024);
  const seed = StreamHash.of('r');
  for (let i = 1; i <= 5; i++) {
    const h = seed.clone();
    h.push(i);
    store.put(h.key(1), 1, st(i));
  }
  assert.ok(store.bytes <= 3 * 1024);
  assert.equal(store.size, 3);
  const h1 = seed.clone();
  h1.push(1);
  assert.equal(store.get(h1.key(1)), undefined);
  const h5 = seed.clone();
  h5.push(5);
  assert.ok(store.get(h5.key(1)));
});

test('checkpoint store keeps the most recent state when it alone is over the cap, and reports each such put', () => {
  const over: { bytes: number; capBytes: number }[] = [];
  const store = new CheckpointStore(3 * 1024, (o) => over.push(o));
  const key = (i: number) => {
    const h = StreamHash.of('r');
    h.push(i);
    return h.key(1);
  };
  store.put(key(1), 1, st(1));
  store.put(key(2), 1, st(2));
  assert.deepEqual(over, []);
  store.put(key(3), 1, st(3, 1024)); // 4 KiB, over the 3 KiB cap
  assert.deepEqual(over, [{ bytes: 4096, capBytes: 3072 }]);
  assert.equal(store.size, 1, 'the older checkpoints make room');
  assert.equal(store.bytes, 4096, 'over the cap by that one state');
  assert.ok(store.get(key(3)), 'kept: the next keystroke starts from it');
  store.setCap(2 * 1024);
  assert.ok(store.has(key(3)), 'a smaller cap keeps the most recent state too');
  store.put(key(4), 1, st(4));
  assert.ok(!store.has(key(3)) && store.has(key(4)), 'once not the most recent, the large state goes');
  assert.equal(store.bytes, 1024);
  assert.equal(over.length, 1);
});

test('sampler: greedy is argmax; sampling respects top-p and bans', () => {
  const logits = new Float32Array([0, 5, 1, 4.9, -3]);
  assert.equal(argmax(logits), 1);
  assert.equal(sample(logits, 0, 1, seededRng(1)), 1);
  assert.equal(sample(logits, 0, 1, seededRng(1), new Set([1])), 3);
  const seen = new Set<number>();
  const rng = seededRng(7);
  for (let i = 0; i < 200; i++) seen.add(sample(logits, 1, 0.9, rng));
  assert.deepEqual([...seen].sort(), [1, 3], 'top-p 0.9 keeps only the two likely tokens');
  for (let i = 0; i < 50; i++) assert.notEqual(sample(logits, 1, 1, rng, new Set([1, 3])), 1);
});

test('topTokens: the k most likely with softmax probabilities, most likely first', () => {
  const top = topTokens(new Float32Array([0, Math.log(3), -Infinity, Math.log(2)]), 2);
  assert.deepEqual(
    top.map((t) => t.id),
    [1, 3],
  );
  assert.ok(Math.abs(top[0]!.p - 3 / 6) < 1e-6 && Math.abs(top[1]!.p - 2 / 6) < 1e-6, JSON.stringify(top));
  assert.equal(topTokens(new Float32Array([1, 2]), 5).length, 2);
});

test('line-start hashes match hashing the whole stream, and edits invalidate only later lines', () => {
  const d = new EngineDocument('u', 'a.ts', 'ab\ncd\nef\ngh', 1, charEncoder);
  const header = [1, 2];
  const whole = (line: number) => {
    const h = StreamHash.of('seed');
    const toks = [...header, ...d.tokensBeforeLine(line)];
    for (const t of toks) h.push(t);
    return h.key(toks.length);
  };
  const key = (line: number) => {
    const s = d.lineStart(line, 'seed', header);
    return s.hash.key(s.pos);
  };
  assert.equal(key(3), whole(3));
  const before2 = key(2);
  d.apply([{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: 'X' }], 2);
  assert.equal(key(2), before2, 'an edit below keeps the line-start hash');
  d.apply([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'Y' }], 3);
  assert.notEqual(key(2), before2);
  assert.equal(key(2), whole(2));
  assert.notEqual(d.lineStart(2, 'other-seed', header).hash.key(0), d.lineStart(2, 'seed', header).hash.key(0));
});

test('log-softmax loss is stable and exact', async () => {
  const { logSoftmaxLoss } = await import('../../server/engine/score');
  assert.ok(Math.abs(logSoftmaxLoss(new Float32Array([0, 0]), 1) - Math.LN2) < 1e-9);
  assert.ok(Math.abs(logSoftmaxLoss(new Float32Array([1000, 0]), 0)) < 1e-9);
  assert.ok(Math.abs(logSoftmaxLoss(new Float32Array([1000, 0]), 1) - 1000) < 1e-6);
});
