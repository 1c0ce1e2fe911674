// Where model folders live and which one answers: shared by the language server and the CLI.

import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Env variable that points at a folder of model folders (tests, CI, the CLI). */
export const MODELS_ENV = 'STATEWISE_MODELS_DIR';

/**
 * The folder holding one folder per architecture: the `model.path` setting if set, else
 * $STATEWISE_MODELS_DIR, else `models` beside the bundle's folder (`<bundle dir>/../models`).
 */
export function resolveModelsDir(settingPath: string, env: NodeJS.ProcessEnv, bundleDir: string): string {
  if (settingPath.trim() !== '') return path.resolve(settingPath.trim());
  const fromEnv = env[MODELS_ENV];
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv.trim());
  return path.resolve(bundleDir, '..', 'models');
}

export type ModelFolder = { ok: true; dir: string } | { ok: false; dir: string; message: string };

/** The folder of `arch` inside `modelsDir`, or why it cannot be used (missing folder or manifest). */
export function findModelFolder(modelsDir: string, arch: string, fix = `set statewise.model.path or ${MODELS_ENV}`): ModelFolder {
  const dir = path.join(modelsDir, arch);
  const where = `model '${arch}' not found in ${modelsDir}`;
  const hint = `${fix} to a folder that holds ${arch}/manifest.json`;
  if (!isDir(dir)) return { ok: false, dir, message: `${where} (no folder ${dir}); ${hint}` };
  if (!existsSync(path.join(dir, 'manifest.json'))) return { ok: false, dir, message: `${where} (no manifest.json in ${dir}); ${hint}` };
  return { ok: true, dir };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
