// Reads and changes the `statewise.enable` map the way the server does (languageEnabled), so the
// client skips requests the server would refuse and the status bar says why. Pure: no vscode import.
//
// The global switch is the "*" entry: `statewise.toggle` flips it. As with `github.copilot.enable`,
// a language listed explicitly keeps its own value, so {"*": false, "python": true} means "Python only".
import { languageEnabled } from '../server/shared/settings';
import type { StatusContext } from './statusText';

export type EnableMap = Record<string, boolean>;

/** True when an inline-completion request for this language should not reach the server. */
export function skipInlineCompletion(enable: EnableMap, languageId: string): boolean {
  return !languageEnabled(enable, languageId);
}

/** Why the active editor (or, with no editor, Statewise as a whole) is off, if it is. */
export function disabledState(enable: EnableMap, languageId: string | undefined): StatusContext {
  const listed = languageId !== undefined && typeof enable[languageId] === 'boolean';
  return {
    languageDisabled: listed && enable[languageId!] === false,
    globallyDisabled: !listed && enable['*'] === false,
    ...(languageId !== undefined ? { languageId } : {}),
  };
}

/** Whether the global switch ("*") is on. */
export function globallyEnabled(enable: EnableMap): boolean {
  return enable['*'] ?? true;
}

/** The `enable` value to write back: `base` (the value at the settings level written to) with one entry set. */
export function withEntry(base: EnableMap | undefined, key: string, value: boolean): EnableMap {
  return { ...(base ?? {}), [key]: value };
}
