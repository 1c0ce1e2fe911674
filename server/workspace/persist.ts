// Saves and restores model states on disk, one file per state (see stateformat.ts): the engine's
// fold checkpoints, `fold-<chain key>.bin`, so a reopened workspace is warm at once and a restarted
// engine re-folds only the files after the longest persisted prefix.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decodeState, encodeState, type PersistMeta, type StateExpectation, type StateTensor } from './stateformat';

export type { PersistMeta, StateExpectation, StateTensor } from './stateformat';

/** The single state file of format 1 (before fold checkpoints): never read, deleted when seen. */
export const STATE_FILE = 'workspace-state.bin';

const CHECKPOINT_FILE = /^fold-([0-9a-f]{64})\.bin$/;
const TEMP_FILE = /\.tmp$/;
const STALE_TEMP_MS = 3_600_000;

/** The file name of the fold checkpoint with chain key `key` (64 hex digits). */
export function checkpointFile(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a fold chain key: ${key}`);
  return `fold-${key}.bin`;
}

/** Writes a state atomically: a temporary file in `dir`, synced, then renamed over the old one. */
export async function saveState(dir: string, meta: PersistMeta, tensors: StateTensor[], file = STATE_FILE): Promise<void> {
  const chunks = encodeState(meta, tensors);
  await fs.mkdir(dir, { recursive: true });
  const target = join(dir, file);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(temp, 'w');
    try {
      for (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Reads the state saved in `dir/file`. Returns undefined when there is none, or when the file is bad
 * or stale (wrong magic or version, another model or key, truncated, corrupt): then it logs one line
 * saying why and deletes the file. Never throws.
 */
export async function loadState(
  dir: string,
  expect: StateExpectation,
  log: (line: string) => void,
  file = STATE_FILE,
): Promise<{ meta: PersistMeta; tensors: StateTensor[] } | undefined> {
  const path = join(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') return undefined;
    log(`workspace state ${path}: unreadable (${code ?? String(err)}); deleting it`);
    await fs.rm(path, { force: true, recursive: code === 'EISDIR' }).catch(() => {});
    return undefined;
  }
  const result = decodeState(bytes, expect);
  if (result.ok) return { meta: result.meta, tensors: result.tensors };
  log(`workspace state ${path}: ${result.reason}; deleting it`);
  await fs.rm(path, { force: true }).catch(() => {});
  return undefined;
}

/** Saves the fold checkpoint whose chain key is `meta.fingerprint`. */
export function saveCheckpoint(dir: string, meta: PersistMeta, tensors: StateTensor[]): Promise<void> {
  return saveState(dir, meta, tensors, checkpointFile(meta.fingerprint));
}

/** Loads the fold checkpoint with chain key `expect.fingerprint` (checked against the file's header). */
export function loadCheckpoint(dir: string, expect: StateExpectation, log: (line: string) => void): ReturnType<typeof loadState> {
  return loadState(dir, expect, log, checkpointFile(expect.fingerprint));
}

/**
 * Chain keys of the fold checkpoints in `dir` (by file name; the content is checked when loaded).
 * Deletes, with a log line, a format-1 `workspace-state.bin` and temporary files left by a crash.
 */
export async function listCheckpoints(dir: string, log: (line: string) => void): Promise<Set<string>> {
  const keys = new Set<string>();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return keys;
  }
  for (const name of names) {
    const m = CHECKPOINT_FILE.exec(name);
    if (m) {
      keys.add(m[1]!);
    } else if (name === STATE_FILE) {
      log(`workspace state ${join(dir, name)}: an old format (one state per file list); ignored and deleted`);
      await fs.rm(join(dir, name), { force: true, recursive: true }).catch(() => {});
    } else if (TEMP_FILE.test(name)) {
      const st = await fs.stat(join(dir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await fs.rm(join(dir, name), { force: true }).catch(() => {});
    }
  }
  return keys;
}

/** Deletes the fold checkpoints in `dir` whose keys are not in `keep`. */
export async function pruneCheckpoints(dir: string, keep: ReadonlySet<string>): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = CHECKPOINT_FILE.exec(name);
    if (m && !keep.has(m[1]!)) await fs.rm(join(dir, name), { force: true });
  }
}

/** Deletes every saved state in `dir`: the fold checkpoints and a format-1 state file. */
export async function deleteState(dir: string): Promise<void> {
  await fs.rm(join(dir, STATE_FILE), { force: true, recursive: true });
  await pruneCheckpoints(dir, new Set());
}
