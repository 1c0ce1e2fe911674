// Reads the `statewise` settings through server/shared/settings.ts (the one source) and writes single
// settings back where they take effect. The only place the extension touches configuration.
import * as vscode from 'vscode';
import { SECTION, SETTINGS, resolveSettings, type Settings } from '../server/shared/settings';
import { withEntry, type EnableMap } from './gate';

export function readSettings(): { settings: Settings; warnings: string[] } {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const flat: Record<string, unknown> = {};
  for (const s of SETTINGS) flat[s.key] = cfg.get(s.key);
  return resolveSettings(flat);
}

export function enableMap(): EnableMap {
  return readSettings().settings.enable;
}

/**
 * Writes one setting: into the workspace settings when the workspace already sets it (a user-level
 * write would be shadowed there), else into the user settings. Machine-scoped settings can only live
 * in the user settings.
 */
export async function writeSetting(key: string, value: unknown): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const spec = SETTINGS.find((s) => s.key === key);
  const inWorkspace = spec?.scope !== 'machine' && cfg.inspect(key)?.workspaceValue !== undefined;
  await cfg.update(key, value, inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}

/** Sets one entry of `statewise.enable` ("*" or a language id), keeping the others at that level. */
export async function setEnableEntry(key: string, value: boolean): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const inspected = cfg.inspect<EnableMap>('enable');
  const inWorkspace = inspected?.workspaceValue !== undefined;
  const base = inWorkspace ? inspected?.workspaceValue : inspected?.globalValue;
  await cfg.update(
    'enable',
    withEntry(base, key, value),
    inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
  );
}
