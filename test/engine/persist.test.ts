import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { listCheckpoints, loadCheckpoint, loadState, saveCheckpoint, saveState, type PersistMeta } from '../../server/engine/persist';
import { checkpointFile, deleteState, pruneCheckpoints, STATE_FILE } from '../../server/shared/stateFiles';
import { FORMAT_VERSION } from '../../server/engine/stateformat';
import { makeTree } from '../helpers/fixtures';

const META: PersistMeta = {
  modelId: 'hawk',
  modelVersion: '1.2.0',
  fingerprint: 'f'.repeat(64),
  tokens: 1234,
  createdAt: '2026-01-15T00:00:00.000Z',
  files: 3,
  bytes: 999,
};
const EXPECT = { modelId: 'hawk', modelVersion: '1.2.0', fingerprint: 'f'.repeat(64) };
const TENSORS = [
  { name: 'h0', dims: [2, 3], data: new Float32Array([1, -2.5, 3, Math.PI, -0, 1e-30]) },
  { name: 'empty', dims: [0, 4], data: new Float32Array(0) },
  { name: 'conv', dims: [1, 4, 2], data: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 3.4e38]) },
];

/** Saves the state into a fresh folder, lets `corrupt` change the file, then loads it back. */
async function roundTrip(corrupt?: (file: string) => void, expect = EXPECT) {
  const { root: dir, cleanup } = makeTree({});
  try {
    await saveState(dir, META, TENSORS);
    const file = path.join(dir, STATE_FILE);
    corrupt?.(file);
    const lines: string[] = [];
    const loaded = await loadState(dir, expect, (l) => lines.push(l));
    return { loaded, lines, exists: fs.existsSync(file), leftovers: fs.readdirSync(dir).filter((n) => n !== STATE_FILE) };
  } finally {
    cleanup();
  }
}

async function assertRejected(corrupt: ((file: string) => void) | undefined, reason: RegExp, expect = EXPECT) {
  const { loaded, lines, exists } = await roundTrip(corrupt, expect);
  assert.equal(loaded, undefined);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, reason);
  assert.equal(exists, false, 'the bad file is deleted');
}

test('persist: round trip keeps meta and tensors; no temp files are left', async () => {
  const { loaded, lines, leftovers, exists } = await roundTrip();
  assert.deepEqual(lines, []);
  assert.deepEqual(leftovers, []);
  assert.ok(exists);
  assert.ok(loaded);
  assert.deepEqual(loaded.meta, META);
  assert.deepEqual(
    loaded.tensors.map((t) => [t.name, t.dims]),
    TENSORS.map((t) => [t.name, t.dims]),
  );
  loaded.tensors.forEach((t, i) => {
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(Array.from(t.data), Array.from(TENSORS[i]!.data));
  });
});

test('persist: file layout is magic, version, header length, JSON header, aligned float32 payload', async () => {
  const { root: dir, cleanup } = makeTree({});
  try {
    await saveState(dir, META, TENSORS);
    const buf = fs.readFileSync(path.join(dir, STATE_FILE));
    assert.equal(buf.toString('latin1', 0, 4), 'SWST');
    assert.equal(buf.readUInt32LE(4), 2);
    const headerLength = buf.readUInt32LE(8);
    assert.equal((12 + headerLength) % 4, 0);
    const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength));
    assert.equal(header.meta.modelId, 'hawk');
    assert.deepEqual(header.tensors[0], { name: 'h0', dims: [2, 3], byteOffset: 0, byteLength: 24 });
    assert.match(header.payloadSha256, /^[0-9a-f]{64}$/);
    assert.equal(buf.length, 12 + headerLength + (6 + 0 + 8) * 4);
    assert.equal(buf.readFloatLE(12 + headerLength + 4), -2.5);
  } finally {
    cleanup();
  }
});

test('persist: saving replaces the previous state', async () => {
  const { root: dir, cleanup } = makeTree({});
  try {
    await saveState(dir, META, TENSORS);
    await saveState(dir, { ...META, tokens: 7 }, [TENSORS[0]!]);
    const loaded = await loadState(dir, EXPECT, () => {});
    assert.equal(loaded?.meta.tokens, 7);
    assert.equal(loaded?.tensors.length, 1);
    await deleteState(dir);
    assert.equal(await loadState(dir, EXPECT, () => assert.fail('no log for a missing file')), undefined);
  } finally {
    cleanup();
  }
});

test('persist: saving rejects tensors whose dims do not match their data', async () => {
  const { root: dir, cleanup } = makeTree({});
  try {
    await assert.rejects(saveState(dir, META, [{ name: 'x', dims: [3], data: new Float32Array(2) }]), /dims/);
  } finally {
    cleanup();
  }
});

test('persist: truncated file', async () => {
  await assertRejected((f) => fs.truncateSync(f, fs.statSync(f).size - 5), /truncated payload/);
  await assertRejected((f) => fs.truncateSync(f, 40), /truncated header/);
  await assertRejected((f) => fs.truncateSync(f, 6), /truncated/);
});

test('persist: wrong magic, unknown version', async () => {
  await assertRejected((f) => {
    const b = fs.readFileSync(f);
    b.write('XXXX', 0, 'latin1');
    fs.writeFileSync(f, b);
  }, /bad magic/);
  await assertRejected((f) => {
    const b = fs.readFileSync(f);
    b.writeUInt32LE(99, 4);
    fs.writeFileSync(f, b);
  }, /format version 99/);
});

test('persist: wrong model, model version or fingerprint', async () => {
  await assertRejected(undefined, /model hawk, expected griffin/, { ...EXPECT, modelId: 'griffin' });
  await assertRejected(undefined, /model version 1\.2\.0, expected 2\.0\.0/, { ...EXPECT, modelVersion: '2.0.0' });
  await assertRejected(undefined, /fingerprint/, { ...EXPECT, fingerprint: '0'.repeat(64) });
});

test('persist: flipped payload byte fails the checksum', async () => {
  await assertRejected((f) => {
    const b = fs.readFileSync(f);
    b[b.length - 3]! ^= 0x01;
    fs.writeFileSync(f, b);
  }, /checksum/);
});

test('persist: broken JSON header, malformed header, trailing bytes, a folder in the way', async () => {
  await assertRejected((f) => {
    const b = fs.readFileSync(f);
    b.write('}', 12, 'latin1');
    fs.writeFileSync(f, b);
  }, /not valid JSON/);
  await assertRejected((f) => {
    const header = Buffer.from(JSON.stringify({ meta: { modelId: 'hawk' } }));
    const prefix = Buffer.alloc(12);
    prefix.write('SWST', 0, 'latin1');
    prefix.writeUInt32LE(FORMAT_VERSION, 4);
    prefix.writeUInt32LE(header.length, 8);
    fs.writeFileSync(f, Buffer.concat([prefix, header]));
  }, /header malformed/);
  await assertRejected((f) => fs.appendFileSync(f, Buffer.from([1, 2, 3, 4])), /unexpected bytes/);
  const { root: dir, cleanup } = makeTree({});
  try {
    fs.mkdirSync(path.join(dir, STATE_FILE));
    const lines: string[] = [];
    assert.equal(await loadState(dir, EXPECT, (l) => lines.push(l)), undefined);
    assert.equal(lines.length, 1);
  } finally {
    cleanup();
  }
});

test('persist: fold checkpoints, one file per chain key; listed, loaded by key, pruned; an old state file is ignored and deleted', async () => {
  const { root: dir, cleanup } = makeTree({});
  try {
    const k1 = '1'.repeat(64);
    const k2 = '2'.repeat(64);
    await saveCheckpoint(dir, { ...META, fingerprint: k1, files: 1 }, TENSORS);
    await saveCheckpoint(dir, { ...META, fingerprint: k2, files: 2 }, TENSORS);
    fs.writeFileSync(path.join(dir, STATE_FILE), 'a format-1 state');
    const lines: string[] = [];
    const keys = await listCheckpoints(dir, (l) => lines.push(l));
    assert.deepEqual([...keys].sort(), [k1, k2]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /old format/);
    assert.equal(fs.existsSync(path.join(dir, STATE_FILE)), false);
    const loaded = await loadCheckpoint(dir, { ...EXPECT, fingerprint: k2 }, () => assert.fail('no log'));
    assert.equal(loaded?.meta.files, 2);
    // a file renamed to another key is refused: the header names the key
    fs.copyFileSync(path.join(dir, checkpointFile(k1)), path.join(dir, checkpointFile('3'.repeat(64))));
    const bad: string[] = [];
    assert.equal(await loadCheckpoint(dir, { ...EXPECT, fingerprint: '3'.repeat(64) }, (l) => bad.push(l)), undefined);
    assert.match(bad[0]!, /fingerprint mismatch/);
    await pruneCheckpoints(dir, new Set([k2]));
    assert.deepEqual([...(await listCheckpoints(dir, () => {}))], [k2]);
    await deleteState(dir);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.throws(() => checkpointFile('../x'), /not a fold chain key/);
  } finally {
    cleanup();
  }
});
