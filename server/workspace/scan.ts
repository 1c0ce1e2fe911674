// Walks a workspace folder and reads the text files worth folding into the model state.
// I/O edge: the decisions are made by the pure helpers in gitignore.ts, glob.ts, filetypes.ts
// and content.ts.

import { promises as fs, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { classifyHead, decodeUtf8 } from './content';
import { isMinifiedName, isTextFileName } from './filetypes';
import { isGitignored, withGitignore, type GitignoreStack } from './gitignore';
import { excludeMatcher } from './glob';
import type { WorkspaceFile } from './types';

export type { WorkspaceFile } from './types';

export interface ScanOptions {
  /** Files larger than this are skipped without being read (`workspace.maxFileBytes`). */
  maxFileBytes: number;
  /** VS Code `files.exclude`: glob keys, only those set to true apply. */
  exclude?: Record<string, boolean>;
  /** Most files (not ignored) to look at before the walk stops; default 20000. */
  maxFiles?: number;
  /** Case-insensitive .gitignore and exclude matching; default true on macOS and Windows. */
  ignoreCase?: boolean;
}

export interface ScanResult {
  /** Kept files, in walk order (breadth first, names sorted). */
  files: WorkspaceFile[];
  /** Candidate text files left out, with why (also logged). Ignored paths are not listed. */
  skipped: { path: string; reason: string }[];
  /** Sum of `files[].bytes`. */
  totalBytes: number;
  /** True when the walk stopped at `maxFiles`. */
  truncated: boolean;
}

export const DEFAULT_MAX_FILES = 20000;

/** Folders never entered, at any depth: VCS metadata, dependencies, build output, caches. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'dist', 'build', 'out', '.next', 'target', '__pycache__',
  '.venv', 'venv', '.tox', 'coverage',
]);

const MAX_GITIGNORE_BYTES = 1 << 20;

interface Dir { rel: string; abs: string; stack: GitignoreStack }

type ReadResult = { bytes: Uint8Array; size: number; mtimeMs: number } | { tooBig: number } | { notFile: true };

/** Reads a regular file whole unless it is larger than `limit` (checked on the open handle first). */
async function readBounded(abs: string, limit: number): Promise<ReadResult> {
  const handle = await fs.open(abs, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { notFile: true };
    if (st.size > limit) return { tooBig: st.size };
    const buf = Buffer.alloc(st.size);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: buf.subarray(0, filled), size: filled, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}

async function readIgnoreFile(abs: string): Promise<string | undefined> {
  try {
    const r = await readBounded(abs, MAX_GITIGNORE_BYTES);
    return 'bytes' in r ? decodeUtf8(r.bytes) : undefined;
  } catch {
    return undefined;
  }
}

export async function scanWorkspace(
  root: string,
  opts: ScanOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const ignoreCase = opts.ignoreCase ?? (process.platform === 'darwin' || process.platform === 'win32');
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  const excluded = excludeMatcher(opts.exclude, ignoreCase);
  const result: ScanResult = { files: [], skipped: [], totalBytes: 0, truncated: false };
  const skip = (path: string, reason: string) => {
    result.skipped.push({ path, reason });
    log(`skipped ${path}: ${reason}`);
  };

  let rootStack: GitignoreStack = [];
  const infoExclude = await readIgnoreFile(join(root, '.git', 'info', 'exclude'));
  if (infoExclude !== undefined) rootStack = withGitignore(rootStack, '', infoExclude, ignoreCase);

  const queue: Dir[] = [{ rel: '', abs: root, stack: rootStack }];
  let walked = 0;
  for (let q = 0; q < queue.length; q++) {
    signal?.throwIfAborted();
    const dir = queue[q]!;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir.abs, { withFileTypes: true });
    } catch (err) {
      log(`skipped ${dir.rel || '.'}: folder unreadable (${errorCode(err)})`);
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    let stack = dir.stack;
    if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const text = await readIgnoreFile(join(dir.abs, '.gitignore'));
      if (text !== undefined) stack = withGitignore(stack, dir.rel, text, ignoreCase);
    }

    for (const entry of entries) {
      const rel = dir.rel + entry.name;
      const abs = join(dir.abs, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || isGitignored(stack, rel, true) || excluded(rel)) continue;
        queue.push({ rel: `${rel}/`, abs, stack });
        continue;
      }
      // Symbolic links are not followed: they could leave the workspace, loop or duplicate files.
      if (!entry.isFile() || isGitignored(stack, rel, false) || excluded(rel)) continue;
      if (++walked > maxFiles) {
        result.truncated = true;
        log(`stopped scanning at maxFiles ${maxFiles}; the rest of the workspace is left out`);
        return result;
      }
      if (!isTextFileName(rel)) continue;
      signal?.throwIfAborted();
      if (isMinifiedName(rel)) {
        skip(rel, 'minified (.min. in the name)');
        continue;
      }
      let read: ReadResult;
      try {
        read = await readBounded(abs, opts.maxFileBytes);
      } catch (err) {
        skip(rel, `unreadable (${errorCode(err)})`);
        continue;
      }
      if ('notFile' in read) continue;
      if ('tooBig' in read) {
        skip(rel, `${read.tooBig} bytes > maxFileBytes ${opts.maxFileBytes}`);
        continue;
      }
      const verdict = classifyHead(read.bytes, true);
      if (!verdict.ok) {
        skip(rel, verdict.reason);
        continue;
      }
      const text = decodeUtf8(read.bytes);
      if (text === undefined) {
        skip(rel, 'binary');
        continue;
      }
      result.files.push({ path: rel, absPath: abs, bytes: read.size, mtimeMs: read.mtimeMs, text });
      result.totalBytes += read.size;
    }
  }
  return result;
}
