// The server owns its status and pushes `statewise/status` whenever it changes. What wins, first
// to last: error, loading, disabled, indexing, slow, ready.

import type { Connection } from 'vscode-languageserver/node';
import type { StateOverCap } from '../protocol/ipc';
import { StatusNotification, type JobProviders, type StatusParams } from '../protocol/lsp';
import { notify } from './notify';

export type ModelPhase =
  | { phase: 'idle' }
  | { phase: 'loading'; arch: string }
  | { phase: 'ready'; arch: string; ep: string; providers?: JobProviders; epReason?: string }
  | { phase: 'error'; message: string; arch?: string };

/** The status message's note while a model state is over the memory cap. */
export const OVER_CAP_NOTE =
  'a model state is larger than the memory cap (statewise.engine.maxMemoryMB): completions away from the last line re-read the document';

export class StatusReporter {
  private model: ModelPhase = { phase: 'idle' };
  private indexing: { progress: number; detail: string } | undefined;
  private disabled = false;
  private slow = false;
  private lastLatencyMs: number | undefined;
  private overCap: StateOverCap | undefined;
  private lastSent = '';

  constructor(private readonly connection: Connection) {}

  setModel(model: ModelPhase): void {
    this.model = model;
    if (model.phase !== 'ready') this.overCap = undefined; // a load starts with an empty cache
    this.push();
  }

  get modelPhase(): ModelPhase {
    return this.model;
  }

  /** progress 0..100; detail e.g. "120/300 files". */
  setIndexing(progress: number, detail: string): void {
    this.indexing = { progress: Math.max(0, Math.min(100, Math.round(progress))), detail };
    this.push();
  }

  clearIndexing(): void {
    this.indexing = undefined;
    this.push();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.push();
  }

  setLatency(ms: number, slow: boolean): void {
    this.lastLatencyMs = Math.round(ms);
    this.slow = slow;
    this.push();
  }

  /** From each completion result: a state over the engine's memory cap since the model loaded. */
  setStateOverCap(o: StateOverCap | undefined): void {
    this.overCap = o;
    this.push();
  }

  current(): StatusParams {
    const m = this.model;
    const arch = m.phase === 'idle' ? undefined : m.arch;
    const ep = m.phase === 'ready' ? m.ep : undefined;
    const why =
      m.phase === 'ready' ? { ...(m.providers ? { providers: m.providers } : {}), ...(m.epReason ? { epReason: m.epReason } : {}) } : {};
    const base = { arch, ep, ...why, lastLatencyMs: this.lastLatencyMs };
    const on = arch && ep ? `${arch} on ${ep}` : (arch ?? '');
    if (m.phase === 'error') return { ...base, state: 'error', message: m.message };
    if (m.phase === 'loading' || m.phase === 'idle') return { ...base, state: 'loading', message: arch ? `loading ${arch}…` : 'starting…' };
    if (this.disabled) return { ...base, state: 'disabled', message: 'completions are switched off' };
    if (this.indexing) {
      return {
        ...base,
        state: 'indexing',
        progress: this.indexing.progress,
        message: `indexing ${this.indexing.progress}% (${this.indexing.detail})`,
      };
    }
    const over = this.overCap ? { stateOverCap: this.overCap } : {};
    const note = this.overCap ? ` · ${OVER_CAP_NOTE}` : '';
    if (this.slow) return { ...base, ...over, state: 'slow', message: `slow: completions take ~${this.lastLatencyMs} ms (${on})${note}` };
    return {
      ...base,
      ...over,
      state: 'ready',
      message: (this.lastLatencyMs === undefined ? on : `${on} · ${this.lastLatencyMs} ms`) + note,
    };
  }

  /** Sends the status unless the client already has exactly this one. */
  push(): void {
    const params = this.current();
    const json = JSON.stringify(params);
    if (json === this.lastSent) return;
    this.lastSent = json;
    notify(this.connection, StatusNotification.method, params);
  }
}
