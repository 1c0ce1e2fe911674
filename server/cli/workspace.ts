// A workspace for the CLI: the same scan and relevance order as the language server, fed to the
// engine without persistence.

import type { EngineLike } from '../engineClient';
import type { LoadResult, WorkspaceResult } from '../engine/ipc';
import { defaultSettings } from '../settings';
import { workspaceFingerprint } from '../workspace/fingerprint';
import { orderByRelevance } from '../workspace/order';
import { scanWorkspace, type WorkspaceFile } from '../workspace/scan';

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

export function setWorkspace(engine: EngineLike, load: LoadResult, files: readonly WorkspaceFile[]): Promise<WorkspaceResult> {
  return engine.request('setWorkspace', {
    fingerprint: workspaceFingerprint(files, modelIdOf(load)),
    files: files.map((f) => ({ path: f.path, text: f.text })),
  });
}
