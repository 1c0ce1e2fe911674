// Chooses and orders the workspace files folded into the model state. Pure.
//
// WHICH files: the most relevant ones whose bytes fit `maxTotalBytes`. Relevance, strongest rule
// first:
//   1. the active file, then recently opened files (later in `recentPaths` = more relevant);
//   2. nearness to the active file: its own folder, then the longer the shared folder prefix;
//   3. how recently the file changed, in coarse age bands (hour, day, week, month, year, older);
//   4. source code before docs, docs before config, lock files last;
//   5. newer exact mtime, then path (so equal inputs always give the same order).
//
// IN WHICH ORDER: what changes least first, by mtime ascending (older first), then path. The
// engine keeps a checkpoint after each file and re-folds only the files after the first one that
// changed, so a file just saved (the newest mtime) comes last and a save re-folds only itself.
// The order does not depend on the active or recent files: switching tabs does not change the fold.
// The newest files also come last, where a recurrent model remembers best.

import { fileKind, type FileKind } from './filetypes';
import type { WorkspaceFile } from './types';

export interface RelevanceHints {
  /** The document being edited (workspace-relative): the most relevant file. It stays in the fold
   *  (and is also fed on its own, as the document). */
  activePath?: string;
  /** Recently opened documents, most recent last (workspace-relative). */
  recentPaths?: string[];
  /** Clock for the age bands, ms since the epoch. */
  now: number;
}

const HOUR = 3_600_000;
const AGE_BANDS_MS = [HOUR, 24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR, 365 * 24 * HOUR];
const KIND_RANK: Record<FileKind, number> = { lock: 0, config: 1, doc: 2, source: 3 };

/** Higher is more relevant: 5 for a change within the hour down to 0 for over a year ago. */
export function ageBand(mtimeMs: number, now: number): number {
  const age = Math.max(0, now - mtimeMs);
  const band = AGE_BANDS_MS.findIndex((limit) => age < limit);
  return band === -1 ? 0 : AGE_BANDS_MS.length - band;
}

function folderParts(path: string): string[] {
  const parts = path.split('/');
  parts.pop();
  return parts;
}

/** Number of leading folder names two paths share. */
export function sharedFolderDepth(a: string, b: string): number {
  const pa = folderParts(a);
  const pb = folderParts(b);
  let n = 0;
  while (n < pa.length && n < pb.length && pa[n] === pb[n]) n++;
  return n;
}

/** Relevance as a tuple compared left to right; higher is more relevant. */
function relevanceKey(file: WorkspaceFile, hints: RelevanceHints, recentRank: Map<string, number>): number[] {
  const recent = file.path === hints.activePath ? recentRank.size : (recentRank.get(file.path) ?? -1);
  let sameFolder = 0;
  let shared = 0;
  if (hints.activePath !== undefined) {
    shared = sharedFolderDepth(file.path, hints.activePath);
    const activeDepth = folderParts(hints.activePath).length;
    sameFolder = shared === activeDepth && folderParts(file.path).length === activeDepth ? 1 : 0;
  }
  return [recent, sameFolder, shared, ageBand(file.mtimeMs, hints.now), KIND_RANK[fileKind(file.path)], file.mtimeMs];
}

/** Fold order: older mtime first, then path (code-point order). */
export function byFoldOrder(a: WorkspaceFile, b: WorkspaceFile): number {
  return a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/**
 * Keeps the most relevant `files` whose bytes add up to at most `maxTotalBytes` (files are dropped
 * from the least relevant end until the rest fit) and returns them in fold order (byFoldOrder).
 * `dropped` is ordered least relevant first.
 */
export function orderByRelevance(
  files: readonly WorkspaceFile[],
  hints: RelevanceHints,
  maxTotalBytes: number,
): { kept: WorkspaceFile[]; dropped: WorkspaceFile[] } {
  const recentRank = new Map<string, number>();
  (hints.recentPaths ?? []).forEach((p, i) => recentRank.set(p, i));
  const keyed = files.map((file) => ({ file, key: relevanceKey(file, hints, recentRank) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const d = a.key[i]! - b.key[i]!;
      if (d !== 0) return d;
    }
    // Least relevant first, so on a full tie the path later in code-point order comes first.
    return a.file.path < b.file.path ? 1 : a.file.path > b.file.path ? -1 : 0;
  });

  const ordered = keyed.map((k) => k.file);
  let total = 0;
  let firstKept = ordered.length;
  while (firstKept > 0 && total + ordered[firstKept - 1]!.bytes <= maxTotalBytes) {
    firstKept--;
    total += ordered[firstKept]!.bytes;
  }
  return { kept: ordered.slice(firstKept).sort(byFoldOrder), dropped: ordered.slice(0, firstKept) };
}
