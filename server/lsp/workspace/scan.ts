// Walks a workspace folder and reads the text files worth folding into the model state.
// I/O edge: the decisions are made by the pure helpers in gitignore.ts, glob.ts, filetypes.ts
// and content.ts. scanVerdict answers for one path by the same rules (the file watcher uses it to
// ignore changes the scan would never fold).

import { promises as fs, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { classifyHead, decodeUtf8 } from './content';
import { isMinifiedName, isTextFileName } from './filetypes';
import { isGitignored, withGitignore, type GitignoreStack } from './gitignore';
import { readRegularFile, type BoundedRead } from './safeRead';
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
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'dist',
  'build',
  'out',
  '.next',
  'target',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  'coverage',
]);

const MAX_GITIGNORE_BYTES = 1 << 20;

interface Dir {
  rel: string;
  abs: string;
  stack: GitignoreStack;
}

type ReadResult = BoundedRead;

/** Reads a regular file whole unless it is larger than `limit`; never opens or blocks on a special file. */
function readBounded(abs: string, limit: number): Promise<ReadResult> {
  return readRegularFile(abs, limit);
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

function defaultIgnoreCase(opts: { ignoreCase?: boolean }): boolean {
  return opts.ignoreCase ?? (process.platform === 'darwin' || process.platform === 'win32');
}

/** The ignore rules at the workspace root: .git/info/exclude. */
async function rootIgnoreStack(root: string, ignoreCase: boolean): Promise<GitignoreStack> {
  const infoExclude = await readIgnoreFile(join(root, '.git', 'info', 'exclude'));
  return infoExclude === undefined ? [] : withGitignore([], '', infoExclude, ignoreCase);
}

/** The rules inside folder `rel` ('' or 'a/b/'): its parent's plus its own .gitignore. */
async function folderIgnoreStack(stack: GitignoreStack, abs: string, rel: string, ignoreCase: boolean): Promise<GitignoreStack> {
  const text = await readIgnoreFile(join(abs, '.gitignore'));
  return text === undefined ? stack : withGitignore(stack, rel, text, ignoreCase);
}

/** Whether the scan leaves out the folder `rel` (no trailing '/') named `name`, and all under it. */
function folderSkipped(stack: GitignoreStack, excluded: (rel: string) => boolean, rel: string, name: string): boolean {
  return SKIPPED_DIRS.has(name) || isGitignored(stack, rel, true) || excluded(rel);
}

/** Why the scan skips a file by its name, or undefined. */
function nameSkip(rel: string): string | undefined {
  if (!isTextFileName(rel)) return 'not a text file name';
  if (isMinifiedName(rel)) return 'minified (.min. in the name)';
  return undefined;
}

/** What the scan would do with one path; see scanVerdict. */
export type ScanVerdict =
  /** Left out by path: a skipped, gitignored or files.exclude'd folder on the way, or the path itself ignored. */
  | { kind: 'ignored'; reason: string }
  /** An existing folder the scan would enter. */
  | { kind: 'folder' }
  /** Nothing there (deleted), and not ignored by path. */
  | { kind: 'missing' }
  /** A file the scan would skip: by name (not text, minified), not a regular file, over maxFileBytes. */
  | { kind: 'skipped'; reason: string }
  /** A file the scan would read (and fold unless its content is binary). */
  | { kind: 'file' };

/**
 * What `scanWorkspace(root, opts)` would do with the workspace-relative path `rel` ('/' separators),
 * by the same rules: SKIPPED_DIRS, .gitignore files along the path and .git/info/exclude,
 * files.exclude, file names, type and size. Reads the .gitignore files on the way; never throws.
 */
export async function scanVerdict(root: string, rel: string, opts: ScanOptions): Promise<ScanVerdict> {
  const ignoreCase = defaultIgnoreCase(opts);
  const excluded = excludeMatcher(opts.exclude, ignoreCase);
  const parts = rel.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { kind: 'folder' };
  let stack = await rootIgnoreStack(root, ignoreCase);
  let dirRel = '';
  for (const name of parts.slice(0, -1)) {
    stack = await folderIgnoreStack(stack, join(root, dirRel), dirRel, ignoreCase);
    const folder = dirRel + name;
    if (folderSkipped(stack, excluded, folder, name)) return { kind: 'ignored', reason: `folder ${folder} is left out` };
    dirRel = `${folder}/`;
  }
  stack = await folderIgnoreStack(stack, join(root, dirRel), dirRel, ignoreCase);
  const path = parts.join('/');
  const name = parts[parts.length - 1]!;
  let st;
  try {
    st = await fs.lstat(join(root, ...parts));
  } catch {
    return isGitignored(stack, path, false) || excluded(path) ? { kind: 'ignored', reason: 'ignored' } : { kind: 'missing' };
  }
  if (st.isDirectory())
    return folderSkipped(stack, excluded, path, name) ? { kind: 'ignored', reason: `folder ${path} is left out` } : { kind: 'folder' };
  if (isGitignored(stack, path, false) || excluded(path)) return { kind: 'ignored', reason: 'ignored' };
  if (!st.isFile()) return { kind: 'skipped', reason: 'not a regular file' };
  const byName = nameSkip(path);
  if (byName) return { kind: 'skipped', reason: byName };
  if (st.size > opts.maxFileBytes) return { kind: 'skipped', reason: `${st.size} bytes > maxFileBytes ${opts.maxFileBytes}` };
  return { kind: 'file' };
}

export async function scanWorkspace(
  root: string,
  opts: ScanOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const ignoreCase = defaultIgnoreCase(opts);
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  const excluded = excludeMatcher(opts.exclude, ignoreCase);
  const result: ScanResult = { files: [], skipped: [], totalBytes: 0, truncated: false };
  const skip = (path: string, reason: string) => {
    result.skipped.push({ path, reason });
    log(`skipped ${path}: ${reason}`);
  };

  const queue: Dir[] = [{ rel: '', abs: root, stack: await rootIgnoreStack(root, ignoreCase) }];
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

    const stack = entries.some((e) => e.name === '.gitignore' && e.isFile())
      ? await folderIgnoreStack(dir.stack, dir.abs, dir.rel, ignoreCase)
      : dir.stack;

    for (const entry of entries) {
      const rel = dir.rel + entry.name;
      const abs = join(dir.abs, entry.name);
      if (entry.isDirectory()) {
        if (folderSkipped(stack, excluded, rel, entry.name)) continue;
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
      const byName = nameSkip(rel);
      if (byName && !isTextFileName(rel)) continue;
      signal?.throwIfAborted();
      if (byName) {
        skip(rel, byName);
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
