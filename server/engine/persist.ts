// Saves and restores model states on disk, one file per state (see stateformat.ts): the engine's
// fold checkpoints, `fold-<chain key>.bin`, so a reopened workspace is warm at once and a restarted
// engine re-folds only the files after the longest persisted prefix.
//
// A save never leaves a partial file in place: every write is checked for the bytes it wrote (a
// short write is continued, one that writes nothing or fails, e.g. ENOSPC, fails the save), the
// size is checked after the sync, and only then is the temporary file renamed over the target; a
// failed save removes its temporary file. Temporary files of saves that were interrupted (a killed
// engine) are removed when the folder is listed, and a directory where a state file belongs is
// deleted rather than blocking that state for good.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, checkpointFile, STATE_FILE } from '../shared/stateFiles';
import { decodeState, encodeState, type PersistMeta, type StateExpectation, type StateTensor } from './stateformat';

export type { PersistMeta, StateExpectation, StateTensor } from './stateformat';

/** A temporary file of saveState: `<state file>.<writer pid>.<8 hex>.tmp`. */
const TEMP_FILE = /^(?:fold-[0-9a-f]{64}\.bin|workspace-state\.bin)\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temporary file this old is stale even if a process with its writer's pid runs (a save takes seconds). */
export const STALE_TEMP_MS = 10 * 60_000;

/** The file operations a save uses (tests inject short writes and a full disk). */
export interface PersistIo {
  open(path: string, flags: 'w'): Promise<PersistHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force?: boolean; recursive?: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  lstat(path: string): Promise<{ isDirectory(): boolean }>;
}
export interface PersistHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}
export const nodeIo: PersistIo = {
  open: (path, flags) => fs.open(path, flags),
  rename: (from, to) => fs.rename(from, to),
  rm: (path, options) => fs.rm(path, options),
  mkdir: (path, options) => fs.mkdir(path, options),
  lstat: (path) => fs.lstat(path),
};

/** A save that did not complete; `code` is the system's (ENOSPC: the disk is full) or SHORT_WRITE. */
export class PersistError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PersistError';
  }
}

/**
 * Writes a state atomically: a temporary file in `dir`, every byte written and synced, then renamed
 * over the old one (a directory in its place is deleted first). On any failure the temporary file is
 * removed, the old state stays as it was, and the error says what happened (a PersistError with
 * code ENOSPC when the disk is full).
 */
export async function saveState(
  dir: string,
  meta: PersistMeta,
  tensors: StateTensor[],
  file = STATE_FILE,
  io: PersistIo = nodeIo,
): Promise<void> {
  const chunks = encodeState(meta, tensors);
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  await io.mkdir(dir, { recursive: true });
  const target = join(dir, file);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let written = 0;
  try {
    const handle = await io.open(temp, 'w');
    try {
      for (const chunk of chunks) {
        for (let at = 0; at < chunk.byteLength;) {
          const { bytesWritten } = await handle.write(chunk, at, chunk.byteLength - at, null);
          if (!(bytesWritten > 0)) throw new PersistError(`the write stopped after ${written} bytes`, 'SHORT_WRITE');
          at += bytesWritten;
          written += bytesWritten;
        }
      }
      await handle.sync();
      const { size } = await handle.stat();
      if (size !== total) throw new PersistError(`the file has ${size} bytes after the sync`, 'SHORT_WRITE');
    } finally {
      await handle.close();
    }
    const st = await io.lstat(target).catch(() => undefined);
    if (st?.isDirectory()) await io.rm(target, { recursive: true, force: true });
    await io.rename(temp, target);
  } catch (err) {
    await io.rm(temp, { force: true }).catch(() => {});
    const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO';
    const why =
      code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : err instanceof PersistError ? err.message : `${code}: ${(err as Error).message}`;
    throw new PersistError(
      `state ${target} not saved: ${why}; ${written} of ${total} bytes were written, the partial file is removed`,
      code,
    );
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
export function saveCheckpoint(dir: string, meta: PersistMeta, tensors: StateTensor[], io: PersistIo = nodeIo): Promise<void> {
  return saveState(dir, meta, tensors, checkpointFile(meta.fingerprint), io);
}

/** Loads the fold checkpoint with chain key `expect.fingerprint` (checked against the file's header). */
export function loadCheckpoint(dir: string, expect: StateExpectation, log: (line: string) => void): ReturnType<typeof loadState> {
  return loadState(dir, expect, log, checkpointFile(expect.fingerprint));
}

/**
 * Chain keys of the fold checkpoints in `dir` (regular files, by name; the content is checked when
 * loaded). Deletes, with a log line, a format-1 `workspace-state.bin`, anything but a file where a
 * checkpoint belongs, and the temporary files of interrupted saves (removeStaleTemps).
 */
export async function listCheckpoints(dir: string, log: (line: string) => void): Promise<Set<string>> {
  const keys = new Set<string>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return keys;
  }
  for (const entry of entries) {
    const name = entry.name;
    const m = CHECKPOINT_FILE.exec(name);
    if (m && entry.isFile()) {
      keys.add(m[1]!);
    } else if (m) {
      log(
        `workspace state ${join(dir, name)}: ${entry.isDirectory() ? 'a directory' : 'not a regular file'}, not a state file; deleting it`,
      );
      await fs
        .rm(join(dir, name), { force: true, recursive: true })
        .catch((e: Error) => log(`could not delete ${join(dir, name)}: ${e.message}`));
    } else if (name === STATE_FILE) {
      log(`workspace state ${join(dir, name)}: an old format (one state per file list); ignored and deleted`);
      await fs.rm(join(dir, name), { force: true, recursive: true }).catch(() => {});
    }
  }
  await removeStaleTemps(dir, log);
  return keys;
}

/**
 * Deletes the temporary files of saves that will never finish: their writer process is gone, or
 * they are older than STALE_TEMP_MS. A save in progress (a live writer, a recent file) is left alone.
 * Returns how many were deleted.
 */
export async function removeStaleTemps(dir: string, log: (line: string) => void, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let count = 0;
  let bytes = 0;
  for (const name of names) {
    const m = TEMP_FILE.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const st = await fs.lstat(path).catch(() => undefined);
    if (!st) continue;
    if (!(now - st.mtimeMs > STALE_TEMP_MS || !processRuns(Number(m[1])))) continue;
    try {
      await fs.rm(path, { force: true, recursive: true });
      count++;
      bytes += st.size;
    } catch (e) {
      log(`could not delete ${path}: ${(e as Error).message}`);
    }
  }
  if (count > 0)
    log(
      `workspace state ${dir}: deleted ${count} temporary file${count === 1 ? '' : 's'} of interrupted saves (${Math.round(bytes / 1024)} KiB)`,
    );
  return count;
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
