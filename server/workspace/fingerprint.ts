// Hashes that tell whether a persisted workspace state still matches the workspace. Pure.

import { createHash } from 'node:crypto';

const FINGERPRINT_FORMAT = 'statewise-workspace-v1';

/**
 * sha256 (hex) of the ordered file list (path, size, mtime) and the model id. Any change of files,
 * their order, sizes, mtimes or the model gives a different value.
 */
export function workspaceFingerprint(kept: readonly { path: string; bytes: number; mtimeMs: number }[], modelId: string): string {
  const hash = createHash('sha256');
  // JSON keeps the fields unambiguous (no separator can be forged by a file name).
  hash.update(JSON.stringify([FINGERPRINT_FORMAT, modelId, kept.length]));
  for (const f of kept) hash.update(`\n${JSON.stringify([f.path, f.bytes, f.mtimeMs])}`);
  return hash.digest('hex');
}

/** sha256 (hex) of a text's UTF-8 bytes. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
