// The entries of the status bar's quick menu (`statewise.statusMenu`). Pure: commands.ts shows them
// and runs the chosen action.
import { globallyEnabled, type EnableMap } from './gate';
import { languageEnabled } from '../server/settings';

export type MenuAction = 'toggle' | 'toggleLanguage' | 'architecture' | 'executionProvider' | 'rebuildWorkspace' | 'showLog';

export interface MenuEntry {
  action: MenuAction;
  label: string;
  description?: string;
}

export interface MenuState {
  enable: EnableMap;
  /** The active editor's language, if any. */
  languageId?: string;
  architecture: string;
  executionProvider: string;
}

export function menuEntries(s: MenuState): MenuEntry[] {
  const on = globallyEnabled(s.enable);
  const entries: MenuEntry[] = [
    on
      ? { action: 'toggle', label: '$(circle-slash) Disable completions', description: 'all languages not listed in statewise.enable' }
      : { action: 'toggle', label: '$(check) Enable completions', description: 'all languages not listed in statewise.enable' },
  ];
  if (s.languageId) {
    const langOn = languageEnabled(s.enable, s.languageId);
    entries.push({ action: 'toggleLanguage', label: `${langOn ? '$(circle-slash) Disable' : '$(check) Enable'} completions for ${s.languageId}` });
  }
  entries.push(
    { action: 'architecture', label: '$(symbol-class) Switch architecture…', description: s.architecture },
    { action: 'executionProvider', label: '$(server-process) Switch execution provider…', description: s.executionProvider },
    { action: 'rebuildWorkspace', label: '$(refresh) Rebuild workspace state' },
    { action: 'showLog', label: '$(output) Show log' },
  );
  return entries;
}
