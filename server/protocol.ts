// Every custom LSP method Statewise adds, in one place. The extension imports this file; any LSP
// client may use these methods too. Ghost text itself is the standard textDocument/inlineCompletion.
// Direction: ⬅️ server → client notification, ↩️ client → server request.

export type ServerState = 'loading' | 'indexing' | 'ready' | 'slow' | 'error' | 'disabled';

export interface StatusParams {
  state: ServerState;
  /** One line for people, e.g. "indexing 40% (120/300 files)". */
  message: string;
  /** 0..100 while indexing. */
  progress?: number;
  /** Architecture of the model that answers, e.g. "hawk". */
  arch?: string;
  /** Execution provider in use, e.g. "cpu" or "webgpu". */
  ep?: string;
  /** Last measured completion latency (ms), for the status tooltip. */
  lastLatencyMs?: number;
}

/** ⬅️ `statewise/status`: the server's state; the client only renders it. */
export const StatusNotification = { method: 'statewise/status' } as const;

/** ↩️ `statewise/rebuildWorkspace`: drop the workspace state (memory and disk) and build it again. */
export const RebuildWorkspaceRequest = { method: 'statewise/rebuildWorkspace' } as const;
export interface RebuildWorkspaceResult { files: number; bytes: number }

/** ↩️ `statewise/info`: what the engine runs now. */
export const InfoRequest = { method: 'statewise/info' } as const;
export interface InfoResult {
  state: ServerState;
  arch?: string;
  ep?: string;
  modelDir?: string;
  modelVersion?: string;
  epReason?: string;
  workspace?: { files: number; tokens: number; bytes: number; restored: boolean };
  engine?: { pid: number; rssBytes: number; stateCacheBytes: number; restarts: number };
}

/** ⬅️ `statewise/log`: one line per completion request, for the output channel. */
export const RequestLogNotification = { method: 'statewise/requestLog' } as const;
export interface RequestLogParams {
  uri: string;
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  latencyMs: number;
  ep: string;
  arch: string;
  outcome: 'ok' | 'empty' | 'cancelled' | 'error' | 'cache';
}
