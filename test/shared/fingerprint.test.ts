import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash, foldChainKeys, foldSeed, workspaceFingerprint } from '../../server/shared/fingerprint';

const files = [
  { path: 'a.ts', bytes: 10, mtimeMs: 1000 },
  { path: 'b/c.ts', bytes: 20, mtimeMs: 2000.5 },
];

test('fingerprint: stable for equal inputs, sha256 hex', () => {
  const fp = workspaceFingerprint(files, 'hawk@1');
  assert.match(fp, /^[0-9a-f]{64}$/);
  assert.equal(
    workspaceFingerprint(
      files.map((f) => ({ ...f, text: 'ignored' })),
      'hawk@1',
    ),
    fp,
  );
});

test('fingerprint: changes with order, size, mtime, path, file set and model', () => {
  const fp = workspaceFingerprint(files, 'hawk@1');
  const variants = [
    workspaceFingerprint([...files].reverse(), 'hawk@1'),
    workspaceFingerprint([{ ...files[0]!, bytes: 11 }, files[1]!], 'hawk@1'),
    workspaceFingerprint([{ ...files[0]!, mtimeMs: 1001 }, files[1]!], 'hawk@1'),
    workspaceFingerprint([{ ...files[0]!, path: 'A.ts' }, files[1]!], 'hawk@1'),
    workspaceFingerprint(files.slice(1), 'hawk@1'),
    workspaceFingerprint(files, 'griffin@1'),
    workspaceFingerprint([], 'hawk@1'),
  ];
  assert.equal(new Set([fp, ...variants]).size, variants.length + 1);
});

test('contentHash: sha256 of the UTF-8 text', () => {
  assert.equal(contentHash(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.notEqual(contentHash('a'), contentHash('b'));
});

test('fold chain keys: a change of file k changes keys k.. only; seeded by the model', () => {
  const seed = foldSeed('hawk/hawk-22m', '1.0.0');
  const files = ['a', 'b', 'c', 'd'].map((p) => ({ path: `${p}.ts`, text: `export const ${p} = 1;\n` }));
  const keys = foldChainKeys(seed, files);
  assert.equal(keys.length, 5);
  assert.equal(keys[0], seed);
  assert.equal(new Set(keys).size, 5);
  assert.deepEqual(foldChainKeys(seed, files), keys, 'stable');
  const edited = foldChainKeys(
    seed,
    files.map((f, i) => (i === 2 ? { ...f, text: f.text.replace('1', '2') } : f)),
  );
  assert.deepEqual(edited.slice(0, 3), keys.slice(0, 3));
  assert.ok(edited.slice(3).every((k, i) => k !== keys[3 + i]));
  const renamed = foldChainKeys(
    seed,
    files.map((f, i) => (i === 1 ? { ...f, path: 'B.ts' } : f)),
  );
  assert.deepEqual(renamed.slice(0, 2), keys.slice(0, 2));
  assert.notEqual(renamed[2], keys[2]);
  assert.notEqual(foldChainKeys(foldSeed('hawk/hawk-22m', '1.0.1'), files)[4], keys[4]);
  assert.notEqual(foldSeed('griffin/g', '1.0.0'), seed);
});
