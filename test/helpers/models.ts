// Where tests find the real trained models: $STATEWISE_MODELS_DIR or <repo>/models.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultSettings } from '../../server/shared/settings';

export const REPO = resolve(__dirname, '..', '..');
/** The architecture the product loads when the settings name none (server/shared/settings.ts). */
export const DEFAULT_ARCH = defaultSettings()['model.architecture'];
export const MODELS_DIR = process.env.STATEWISE_MODELS_DIR ?? join(REPO, 'models');

export function modelDir(arch = 'hawk'): string {
  const dir = join(MODELS_DIR, arch);
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new Error(`model ${arch} not found in ${MODELS_DIR}: the trained models ship in models/; set STATEWISE_MODELS_DIR to use others`);
  }
  return dir;
}

/** Architectures shipped in models/ (folders with a manifest.json); hawk must be among them. */
export function shippedArchs(): string[] {
  const archs = readdirSync(MODELS_DIR)
    .filter((d) => existsSync(join(MODELS_DIR, d, 'manifest.json')))
    .sort();
  if (!archs.includes('hawk')) throw new Error(`no hawk model in ${MODELS_DIR}`);
  return archs;
}
