// The server's current settings: `initializationOptions.settings` first, then the client's
// `workspace/configuration` for section `statewise`, re-read on `workspace/didChangeConfiguration`.
// Invalid values fall back to their defaults (resolveSettings); each warning is logged and shown once.

import { MessageType, ShowMessageNotification, type Connection } from 'vscode-languageserver/node';
import { SECTION, resolveSettings, type Settings } from '../shared/settings';
import type { Logger } from './logger';
import { notify } from './notify';

export type SettingsListener = (next: Settings, prev: Settings) => void;

export class SettingsStore {
  private current: Settings;
  private readonly shown = new Set<string>();
  private readonly listeners: SettingsListener[] = [];
  /** Whether the client answers `workspace/configuration`. */
  canPull = false;

  constructor(
    private readonly connection: Connection,
    private readonly log: Logger,
  ) {
    this.current = resolveSettings({}).settings;
  }

  get settings(): Settings {
    return this.current;
  }

  onDidChange(listener: SettingsListener): void {
    this.listeners.push(listener);
  }

  /** Resolves `raw` and makes it current; listeners hear of it when anything changed. */
  apply(raw: unknown): void {
    const { settings, warnings } = resolveSettings(raw);
    for (const w of warnings) {
      this.log.warn(w);
      if (!this.shown.has(w)) {
        this.shown.add(w);
        notify(this.connection, ShowMessageNotification.method, { type: MessageType.Warning, message: `Statewise: ${w}` });
      }
    }
    const prev = this.current;
    this.current = settings;
    if (JSON.stringify(prev) === JSON.stringify(settings)) return;
    for (const l of this.listeners) l(settings, prev);
  }

  /** Reads section `statewise` from the client when it supports that; otherwise keeps what it has. */
  async pull(): Promise<void> {
    if (!this.canPull) return;
    try {
      const raw: unknown = await this.connection.workspace.getConfiguration({ section: SECTION });
      // A client without a `statewise` section answers null: keep initializationOptions.settings.
      if (raw !== null && raw !== undefined) this.apply(raw);
    } catch (err) {
      this.log.warn(`could not read the settings from the client: ${(err as Error).message}`);
    }
  }

  /** `files.exclude` from the client, for the workspace scan (undefined when it cannot tell). */
  async filesExclude(scopeUri?: string): Promise<Record<string, boolean> | undefined> {
    if (!this.canPull) return undefined;
    try {
      const raw: unknown = await this.connection.workspace.getConfiguration({ section: 'files.exclude', scopeUri });
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
      return Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>;
    } catch {
      return undefined;
    }
  }
}
