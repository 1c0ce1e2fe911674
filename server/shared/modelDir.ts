// Where model folders live and which one answers: shared by the language server, the CLI and the
// extension (its architecture picker marks the architectures without a model folder).

import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Env variable that points at a folder of model folders (tests, CI, the CLI). */
export const MODELS_ENV = 'STATEWISE_MODELS_DIR';

/** The models shipped with Statewise: `models/` in the package's root folder (the extension's
 *  folder; for the bundles, the folder above dist/). */
export function shippedModelsDir(packageRoot: string): string {
  return path.resolve(packageRoot, 'models');
}

/**
 * The folder holding one folder per architecture: the `model.path` setting if set, else
 * $STATEWISE_MODELS_DIR, else `shipped` (shippedModelsDir).
 */
export function resolveModelsDir(settingPath: string, env: NodeJS.ProcessEnv, shipped: string): string {
  if (settingPath.trim() !== '') return path.resolve(settingPath.trim());
  const fromEnv = env[MODELS_ENV];
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv.trim());
  return shipped;
}

/** An architecture name: it names folders (model folders, persisted workspace state) and is shown
 *  to people. The engine checks a manifest's architecture against it; the server a state folder's. */
export const ARCH_NAME = /^[a-z0-9_-]{1,64}$/;

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
