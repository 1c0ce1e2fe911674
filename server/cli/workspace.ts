// A workspace for the CLI: the same scan and relevance order as the language server, fed to the
// engine; the state is persisted under the user's cache folder, so a second run on the same
// workspace (unchanged files) restores it instead of reading the workspace through the model again.

import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { EngineLike } from '../lsp/engineClient';
import type { LoadResult, WorkspaceResult } from '../protocol/ipc';
import { defaultSettings } from '../shared/settings';
import { workspaceFingerprint } from '../shared/fingerprint';
import { orderByRelevance } from '../lsp/workspace/order';
import { scanWorkspace, type WorkspaceFile } from '../lsp/workspace/scan';

/** The files of `dir` the server would fold in, least relevant first; `maxFiles` keeps the most relevant. */
export async function workspaceFiles(dir: string, opts: { activePath?: string; maxFiles?: number } = {}): Promise<WorkspaceFile[]> {
  const settings = defaultSettings();
  const scan = await scanWorkspace(dir, { maxFileBytes: settings['workspace.maxFileBytes'] }, () => {});
  const { kept } = orderByRelevance(scan.files, { activePath: opts.activePath, now: Date.now() }, settings['workspace.maxTotalBytes']);
  return opts.maxFiles === undefined ? kept : kept.slice(Math.max(0, kept.length - opts.maxFiles));
}

export function modelIdOf(load: LoadResult): string {
  return `${load.arch}/${load.modelName}@${load.modelVersion}`;
}

/** Where the CLI keeps the workspace state of `dir` for one architecture ($STATEWISE_CACHE_DIR or
 *  $XDG_CACHE_HOME/statewise or ~/.cache/statewise); undefined when $STATEWISE_CACHE_DIR is "off". */
export function cliStateDir(env: NodeJS.ProcessEnv, dir: string, arch: string): string | undefined {
  if (env.STATEWISE_CACHE_DIR === 'off') return undefined;
  const base = env.STATEWISE_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'statewise');
  const key = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(base, 'workspaces', key, arch);
}

export function setWorkspace(
  engine: EngineLike,
  load: LoadResult,
  files: readonly WorkspaceFile[],
  persistDir?: string,
): Promise<WorkspaceResult> {
  return engine.request('setWorkspace', {
    fingerprint: workspaceFingerprint(files, modelIdOf(load)),
    files: files.map((f) => ({ path: f.path, text: f.text })),
    ...(persistDir ? { persistDir } : {}),
  });
}
