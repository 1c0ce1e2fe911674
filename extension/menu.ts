// The entries of the status bar's quick menu (`statewise.statusMenu`) and of its architecture
// picker. Pure: commands.ts shows them and runs the chosen action.
import { globallyEnabled, type EnableMap } from './gate';
import { languageEnabled } from '../server/shared/settings';
import { ARCH_SUMMARY, trainingNote } from '../server/shared/training';

export type MenuAction = 'toggle' | 'toggleLanguage' | 'architecture' | 'executionProvider' | 'rebuildWorkspace' | 'showLog' | 'ask';

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
    entries.push({
      action: 'toggleLanguage',
      label: `${langOn ? '$(circle-slash) Disable' : '$(check) Enable'} completions for ${s.languageId}`,
    });
  }
  entries.push(
    { action: 'architecture', label: '$(symbol-class) Switch architecture…', description: s.architecture },
    { action: 'executionProvider', label: '$(server-process) Switch execution provider…', description: s.executionProvider },
    { action: 'rebuildWorkspace', label: '$(refresh) Rebuild workspace state' },
    { action: 'showLog', label: '$(output) Show log' },
  );
  if (s.languageId) entries.push({ action: 'ask', label: '$(comment-discussion) Ask about this file…' });
  return entries;
}

export interface ArchitectureItem {
  arch: string;
  label: string;
  description?: string;
  /** What the architecture is and how well its model is trained. */
  detail?: string;
  /** Why it cannot be picked (its model folder is missing); undefined when it can. */
  unavailable?: string;
}

/**
 * One item per architecture: installed ones selectable (the current one marked), the others
 * listed with the reason, so the user sees what exists and what is missing.
 * `missing(arch)` gives the reason an architecture's model folder cannot be used, or undefined;
 * `trained(arch)` the installed model's training tokens (server/shared/training.ts), for the detail line.
 */
export function architectureItems(
  archs: readonly string[],
  current: string,
  missing: (arch: string) => string | undefined,
  trained: (arch: string) => number | undefined = () => undefined,
): ArchitectureItem[] {
  return archs.map((arch) => {
    const why = missing(arch);
    if (why !== undefined) return { arch, label: `$(circle-slash) ${arch}`, description: 'not installed', unavailable: why, detail: why };
    const detail = `${ARCH_SUMMARY[arch] ?? arch} · ${trainingNote(trained(arch))}`;
    return arch === current ? { arch, label: arch, description: 'current', detail } : { arch, label: arch, detail };
  });
}
