// The files a persisted workspace state consists of, in the folder the language server picks per
// architecture (lsp/indexer.ts persistDir): fold checkpoints `fold-<chain key>.bin` and the format-1
// state file. The engine writes and reads them (engine/persist.ts); deleting them is shared, since
// the language server drops a persisted state itself on "Rebuild Workspace State".

import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** The single state file of format 1 (before fold checkpoints): never read, deleted when seen. */
export const STATE_FILE = 'workspace-state.bin';

/** A fold checkpoint file; group 1 is its chain key. */
export const CHECKPOINT_FILE = /^fold-([0-9a-f]{64})\.bin$/;

/** The file name of the fold checkpoint with chain key `key` (64 hex digits). */
export function checkpointFile(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a fold chain key: ${key}`);
  return `fold-${key}.bin`;
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
    if (m && !keep.has(m[1]!)) await fs.rm(join(dir, name), { force: true, recursive: true });
  }
}

/** Deletes every saved state in `dir`: the fold checkpoints and a format-1 state file. */
export async function deleteState(dir: string): Promise<void> {
  await fs.rm(join(dir, STATE_FILE), { force: true, recursive: true });
  await pruneCheckpoints(dir, new Set());
}
