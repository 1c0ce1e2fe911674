import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash, workspaceFingerprint } from '../../server/workspace/fingerprint';

const files = [
  { path: 'a.ts', bytes: 10, mtimeMs: 1000 },
  { path: 'b/c.ts', bytes: 20, mtimeMs: 2000.5 },
];

test('fingerprint: stable for equal inputs, sha256 hex', () => {
  const fp = workspaceFingerprint(files, 'hawk@1');
  assert.match(fp, /^[0-9a-f]{64}$/);
  assert.equal(workspaceFingerprint(files.map((f) => ({ ...f, text: 'ignored' })), 'hawk@1'), fp);
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
