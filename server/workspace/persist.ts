// Saves and restores the workspace model state on disk (one file, see stateformat.ts), so a
// reopened workspace is warm at once.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decodeState, encodeState, type PersistMeta, type StateExpectation, type StateTensor } from './stateformat';

export type { PersistMeta, StateExpectation, StateTensor } from './stateformat';

export const STATE_FILE = 'workspace-state.bin';

/** Writes the state atomically: a temporary file in `dir`, synced, then renamed over the old one. */
export async function saveState(dir: string, meta: PersistMeta, tensors: StateTensor[]): Promise<void> {
  const chunks = encodeState(meta, tensors);
  await fs.mkdir(dir, { recursive: true });
  const target = join(dir, STATE_FILE);
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
 * Reads the state saved in `dir`. Returns undefined when there is none, or when the file is bad or
 * stale (wrong magic or version, another model or workspace, truncated, corrupt): then it logs one
 * line saying why and deletes the file. Never throws.
 */
export async function loadState(
  dir: string,
  expect: StateExpectation,
  log: (line: string) => void,
): Promise<{ meta: PersistMeta; tensors: StateTensor[] } | undefined> {
  const path = join(dir, STATE_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') return undefined;
    log(`workspace state ${path}: unreadable (${code ?? String(err)}); deleting it`);
    await fs.rm(path, { force: true }).catch(() => {});
    return undefined;
  }
  const result = decodeState(bytes, expect);
  if (result.ok) return { meta: result.meta, tensors: result.tensors };
  log(`workspace state ${path}: ${result.reason}; deleting it`);
  await fs.rm(path, { force: true }).catch(() => {});
  return undefined;
}

/** Deletes the saved state, if any. */
export async function deleteState(dir: string): Promise<void> {
  await fs.rm(join(dir, STATE_FILE), { force: true });
}
