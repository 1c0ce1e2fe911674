// Every custom LSP method Statewise adds, in one place. The extension imports this file; any LSP
// client may use these methods too. Ghost text itself is the standard textDocument/inlineCompletion.
// Direction: ⬅️ server → client notification, ↩️ client → server request.

import type { EngineAskResult, GraphCalls, StateOverCap } from './ipc';

export type ServerState = 'loading' | 'indexing' | 'ready' | 'slow' | 'error' | 'disabled';

export interface StatusParams {
  state: ServerState;
  /** One line for people, e.g. "indexing 40% (120/300 files)". */
  message: string;
  /** 0..100 while indexing. */
  progress?: number;
  /** Architecture of the model that answers, e.g. "hawk". */
  arch?: string;
  /** Execution provider in use, e.g. "cpu", "webgpu", or "cpu+webgpu" when jobs are split. */
  ep?: string;
  /** The provider of each job (decode step, keystroke prefill, ingestion) and why. */
  providers?: JobProviders;
  epReason?: string;
  /** Last measured completion latency (ms), for the status tooltip. */
  lastLatencyMs?: number;
  /** Ready or slow, and a model state is larger than the memory cap (statewise.engine.maxMemoryMB):
   *  the engine keeps only its most recent state, so completions elsewhere re-read the document. */
  stateOverCap?: StateOverCap;
}

/** ⬅️ `statewise/status`: the server's state; the client only renders it. */
export const StatusNotification = { method: 'statewise/status' } as const;

/** ↩️ `statewise/rebuildWorkspace`: drop the workspace state (memory and disk) and build it again. */
export const RebuildWorkspaceRequest = { method: 'statewise/rebuildWorkspace' } as const;
export interface RebuildWorkspaceResult {
  files: number;
  bytes: number;
}

/**
 * ↩️ `statewise/restartEngine`: forget the engine's past crashes and start a fresh engine process
 * now (a running one is replaced); the model loads again and the workspace state and open documents
 * are replayed. Resolves when that load has settled.
 */
export const RestartEngineRequest = { method: 'statewise/restartEngine' } as const;
export interface RestartEngineResult {
  /** The new engine process, when it started. */
  pid?: number;
  /** Restarts of the engine process since the server started (crashes and requests). */
  restarts: number;
  state: ServerState;
  /** Why the model is not answering after the restart, if it is not. */
  error?: string;
}

/** The execution provider of each engine job: decode steps (completions), keystroke-sized prefill,
 *  ingestion (folding the workspace, Ask, long prefill chunks). */
export interface JobProviders {
  step: string;
  keystroke: string;
  ingest: string;
}

/** ↩️ `statewise/info`: what the engine runs now. */
export const InfoRequest = { method: 'statewise/info' } as const;
export interface InfoResult {
  state: ServerState;
  arch?: string;
  ep?: string;
  modelDir?: string;
  modelVersion?: string;
  epReason?: string;
  providers?: JobProviders;
  workspace?: { files: number; tokens: number; bytes: number; restored: boolean };
  engine?: {
    pid: number;
    rssBytes: number;
    stateCacheBytes: number;
    restarts: number;
    stateOverCap?: StateOverCap;
    /** The model's graph calls per job since it loaded. */
    graphCalls?: GraphCalls;
  };
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
  /** Definition lines fed from beyond the model's view (engine/cursorDefinitions.ts); absent for none. */
  definitions?: number;
}

/**
 * ↩️ `statewise/ask`: a question about a file (or a selection in it), answered by the model that
 * completes. The answer streams through `statewise/askProgress` notifications carrying the request's
 * `askId`; the response carries the whole answer. Cancel with the standard `$/cancelRequest`: the
 * response then holds the partial answer with `cancelled: true`.
 */
export const AskRequest = { method: 'statewise/ask' } as const;
export interface AskParams {
  /** Client-chosen id that the progress notifications repeat. */
  askId: string;
  /** Document URI (open or on disk). */
  uri: string;
  question: string;
  /** Ask about this range of the document only (the whole file stays in context). */
  selection?: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** Earlier turns of this conversation about the same file, oldest first. */
  history?: { question: string; answer: string }[];
  maxTokens?: number;
}
/** What the engine answers, less its stop reason (the panel shows `cancelled`). */
export type AskResult = Omit<EngineAskResult, 'stop'>;

/** ⬅️ `statewise/askProgress`: the answer so far (`text` is the whole answer up to now). */
export const AskProgressNotification = { method: 'statewise/askProgress' } as const;
export interface AskProgressParams {
  askId: string;
  text: string;
  tokens: number;
}
