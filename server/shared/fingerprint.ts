// Hashes that name workspace content. Pure.
//   - workspaceFingerprint: path, size and mtime of the ordered file list (a cheap label for logs;
//     it cannot see a same-size edit that kept its mtime, so nothing trusts it for state identity);
//   - foldChainKeys: the keys of the engine's fold checkpoints, one per file boundary, from the
//     files' paths and content hashes: what decides whether a folded state can be reused.

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

/** Bump when the token stream of a fold changes (file header, tokenization of a file). */
export const FOLD_FORMAT = 'statewise-fold-v1';

/** key_0 of a fold chain: the model (id and version) and the fold format. */
export function foldSeed(modelId: string, modelVersion: string): string {
  return createHash('sha256')
    .update(JSON.stringify([FOLD_FORMAT, modelId, modelVersion]))
    .digest('hex');
}

/** key_i = sha256(key_{i-1}, path_i, sha256(text_i)): names the state after folding files 1..i. */
export function nextFoldKey(prev: string, path: string, textSha256: string): string {
  return createHash('sha256')
    .update(JSON.stringify([prev, path, textSha256]))
    .digest('hex');
}

/**
 * The chain of fold keys of `files` in fold order: `keys[0]` is the seed, `keys[i]` the key of the
 * state after files 0..i-1 (so `keys[files.length]` names the root). Two file lists share exactly
 * their common prefix of keys: a change of file k (path or content) changes keys k+1.. only.
 */
export function foldChainKeys(seed: string, files: readonly { path: string; text: string }[]): string[] {
  const keys = [seed];
  for (const f of files) keys.push(nextFoldKey(keys[keys.length - 1]!, f.path, contentHash(f.text)));
  return keys;
}
