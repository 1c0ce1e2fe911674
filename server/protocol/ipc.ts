// Messages between the language server (parent) and the engine (child process, server/engine/main.ts),
// sent over Node's child-process IPC channel as JSON. The engine knows nothing about LSP; the server
// knows nothing about tensors.

import type { ExecutionProviderSetting } from '../shared/settings';

export interface Position {
  line: number;
  character: number;
}
export interface TextEdit {
  range?: { start: Position; end: Position };
  text: string;
}

export interface LoadParams {
  /** Folder with manifest.json. */
  modelDir: string;
  ep: ExecutionProviderSetting;
  threads: number;
  /** Memory cap for cached states, MiB: fold checkpoints of the workspace (up to half of it) and
   *  document checkpoints (the rest). */
  maxStateMB: number;
  /** Tokens between document checkpoints. */
  checkpointInterval: number;
  /** Keep the state on the GPU between model calls where the provider can (WebGPU); default on
   *  (statewise.engine.gpuState). No effect on the CPU. */
  gpuState?: boolean;
  /** With `ep` "auto": the folder of the records of earlier timed loads (server/engine/autoRecord.ts),
   *  so a load on the same machine with the same model and settings opens only the providers that won
   *  and times nothing; absent, every auto load times its providers. */
  recordDir?: string;
}

/** How the ingest job feeds long inputs: which graph, in chunks of up to how many tokens, where. */
export interface IngestChunk {
  /** "ingestBlocked" (the manifest's graphs.ingestBlocked, its tails through `tail`), "ingest" (the
   *  manifest's graphs.ingest; both on a provider other than the CPU only) or "prefill". */
  graph: 'ingestBlocked' | 'ingest' | 'prefill';
  file: string;
  /** The graph's maxTokens: the longest chunk feed() gives it, and the engine's background chunk. */
  tokens: number;
  provider: string;
  /** ingestBlocked: every call of it is a multiple of this many tokens. */
  multipleOf?: number;
  /** ingestBlocked: the graph that takes what is left of a chunk under multipleOf (its tail), in
   *  calls of up to `tokens`. */
  tail?: { graph: 'ingest' | 'prefill'; file: string; tokens: number };
}

export interface LoadResult {
  arch: string;
  modelName: string;
  modelVersion: string;
  ep: string;
  /** Why the provider in use was chosen (or why another failed). */
  epReason: string;
  /** The provider of each job: decode steps, keystroke-sized prefill, ingestion (folding, Ask). */
  providers?: { step: string; keystroke: string; ingest: string };
  /** `auto`: median ms per call, keyed "<provider>.<job>Ms" (and "<provider>.handoffMs": its device
   *  state brought to the CPU; "<provider>.ingestTokens": the tokens of its timed ingest call). */
  timings: Record<string, number>;
  /** How the ingest job (folding, long prefill) feeds (model.ts ingestChunkOf). */
  ingestChunk?: IngestChunk;
  /** Tokens between a document's checkpoints: workspace.checkpointInterval, or the ingest graph's
   *  chunk (the blocked one's) where the ingest job runs one (model.ts checkpointEvery). */
  checkpointEvery?: number;
  /** Where the state lives between model calls: "cpu", "gpu-buffer", or the split per job
   *  ("gpu-buffer (ingest), cpu (step, keystroke)"). */
  stateLocation?: string;
  /** `auto` with more than one provider: every timing that chose the providers. */
  selection?: {
    reps: number;
    margin: number;
    tokens: Record<string, number>;
    /** Tokens per timed ingest call, per provider (the ingest graph's maxTokens where it has one). */
    ingestTokens: Record<string, number>;
    samples: Record<string, Record<string, number[]>>;
    /** ms to bring a provider's device state to the CPU, per provider that keeps states on its device. */
    handoffs: Record<string, number[]>;
    failed: Record<string, string>;
  };
  stateBytes: number;
  loadMs: number;
  /** Every file the manifest names matched its sha256 in manifest.json (false: it has no checksums). */
  verified?: boolean;
  /** For the log: what was verified, in how long, or why the model is unverified. */
  integrity?: string;
}

export interface WorkspaceParams {
  /** A label of this file list (server/shared/fingerprint.ts workspaceFingerprint), for logs. The
   *  engine identifies the content itself, by the chain of the files' paths and content hashes. */
  fingerprint: string;
  /** In fold order: what changes least first (server/lsp/workspace/order.ts). Files after the longest
   *  prefix the engine has a checkpoint for are folded again; the others are restored. */
  files: { path: string; text: string }[];
  /** Folder to persist the fold checkpoints to and restore them from; none: keep them in memory only. */
  persistDir?: string;
  /** Drop every fold checkpoint (memory and persistDir) and fold all files again. */
  rebuild?: boolean;
}
export interface WorkspaceResult {
  files: number;
  tokens: number;
  /** Nothing was folded by this request: the state came whole from a checkpoint (memory or disk). */
  restored: boolean;
  ms: number;
  /** Files folded by this request (the ones after the longest restored prefix). */
  refoldedFiles?: number;
  /** Files whose fold was restored from a checkpoint (the prefix), in memory or on disk. */
  restoredFiles?: number;
  /** The fold chain key of the root state (identifies the folded content for this model). */
  key?: string;
  /** Set when a provisional root (the changed files folded on top of the previous root) served
   *  completions while this clean fold ran: its files, tokens, the ms from the request until it
   *  was in place, and its key. */
  provisional?: { files: number; tokens: number; ms: number; key: string };
}

export interface OpenParams {
  uri: string;
  path: string;
  text: string;
  version: number;
}
export interface EditParams {
  uri: string;
  version: number;
  changes: TextEdit[];
}

/**
 * How the text around the cursor is laid out for the model (docs/completion.md):
 * - `plain`: the document up to the cursor, decoded left to right; the text after the cursor is not
 *   fed (the server's filters still use it);
 * - `fim`: `prefix <|fim_suffix|> next lines <|fim_middle|>`, the order the shipped models were trained with;
 * - `suffix-first`: at the start of the cursor's line `<|fim_suffix|> rest of line + next lines
 *   <|fim_middle|>`, then the cursor's line up to the cursor (the context nearest the cursor last).
 * All three start from the checkpoint at the start of the cursor's line.
 */
export type CompletionLayout = 'plain' | 'fim' | 'suffix-first';
export const COMPLETION_LAYOUTS: readonly CompletionLayout[] = ['plain', 'fim', 'suffix-first'];
/** How Ask questions are put to a model: plain, or with their excerpt of the file as a selection. */
export type AskLayout = 'plain' | 'excerpt';
export const ASK_LAYOUTS: readonly AskLayout[] = ['plain', 'excerpt'];
/** How much of the file an Ask puts in front of the question (engine/askPrompt.ts fileContextOf):
 *  the whole file, a window of it ending at the excerpt's definition, or none (the path header). */
export type AskContext = 'file' | 'window' | 'none';
export const ASK_CONTEXTS: readonly AskContext[] = ['file', 'window', 'none'];

export interface CompleteParams {
  uri: string;
  version: number;
  position: Position;
  /** Stop at the first newline (single-line mode). */
  singleLine: boolean;
  maxTokens: number;
  suffixMaxTokens: number;
  temperature: number;
  topP: number;
  /** Number of alternatives (forked states); the first is greedy when temperature is 0. */
  n: number;
  /** Default: the model's measured choice (manifest `completion.layout`), else `plain`. */
  layout?: CompletionLayout;
  /** Diagnostics: also return the k most likely first tokens after the prompt. */
  topTokens?: number;
  /** Feed the one-line definitions of what the cursor's line names from beyond the model's view
   *  (engine/cursorDefinitions.ts). Default true; false: the state alone (eval's comparison). */
  definitions?: boolean;
}
export interface CompleteResult {
  completions: string[];
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  latencyMs: number;
  timings: { prefixMs: number; suffixMs: number; decodeMs: number };
  ep: string;
  arch: string;
  /** The layout the prompt was built in. */
  layout: CompletionLayout;
  /** With `topTokens`: the most likely first tokens after the prompt (before healing restricts them). */
  top?: { text: string; p: number }[];
  /** The definition lines fed before the cursor's line, when any. */
  definitions?: string[];
  /** Set once a state over the checkpoint cap was stored since the model loaded. */
  stateOverCap?: StateOverCap;
}

/** A model state larger than the whole document checkpoint cap (from `maxStateMB`): the first one
 *  stored since the model loaded. Only the most recently used checkpoint is kept then, over the cap,
 *  so a completion away from the last line used re-reads the document. */
export interface StateOverCap {
  bytes: number;
  capBytes: number;
}

export interface ScoreParams {
  /** Each file is scored from the zero state behind its `<|file|>path` header; the header is not scored.
   *  `scoreLastTokens`: score only the file's last N content tokens, the text before them being
   *  context (an integer >= 0; absent: all of them). `context`: files read first, each behind its
   *  header as workspace files are, and not scored. */
  files: { path: string; text: string; scoreLastTokens?: number; context?: { path: string; text: string }[] }[];
}
export interface ScoreResult {
  /** Natural-log loss summed over the content tokens of all files. */
  nats: number;
  tokens: number;
  /** UTF-8 bytes of the scored content. */
  bytes: number;
  bitsPerByte: number;
  ms: number;
  /** The loss by where the predicted token sits in its file's content (0 = the first content
   *  token): nats per token in each bucket [from, to) of POSITION_BUCKETS (score.ts); a model that
   *  uses its context gets better further in, one whose state goes wrong gets worse. */
  byPosition: { from: number; to: number | null; tokens: number; natsPerToken: number }[];
}

/**
 * A question about a file (models/ask-format.json). The file is the open document `uri` when the
 * engine has it at `version`; otherwise `path` and `text` (a file only on disk, or a race with an edit).
 */
export interface EngineAskParams {
  uri?: string;
  version?: number;
  /** The file's path header (workspace-relative). */
  path: string;
  text?: string;
  question: string;
  /** The selected text, when the question is about a selection. */
  selection?: string;
  /** Earlier turns about the same file, oldest first. */
  history?: { question: string; answer: string }[];
  /** Default: answerMaxTokens of ask-format.json. */
  maxTokens?: number;
  /** Without a selection, the lines of the file the question names (engine/askExcerpt.ts) go into
   *  it as its selection: true; false asks the plain question. Default: the model's Ask layout
   *  (manifest ask.layout: "excerpt" for a model trained with excerpts, else "plain"). */
  excerpt?: boolean;
  /** A question that plainly asks one of the trained kinds about one identifier of the file is put
   *  in that kind's words (engine/askCanonical.ts): default true; false sends it as typed (evaluation). */
  canonical?: boolean;
  /** How much of the file goes in front of a question that carries its excerpt: 'file' (the whole
   *  file), 'window' (the file tokens ending at the excerpt's definition, at most `windowTokens`),
   *  'none' (the path header alone). Default: 'window' for a model trained with excerpts (manifest
   *  ask.layout "excerpt"), else 'file' (engine/ask.ts productContext); without an excerpt always 'file'. */
  context?: AskContext;
  /** The 'window' context's budget of file tokens (default askPrompt.ts WINDOW_TOKENS). */
  windowTokens?: number;
}
export interface EngineAskResult {
  answer: string;
  cancelled: boolean;
  /** Why decoding ended: 'end' (<|end|>), 'endoftext', 'maxTokens', 'cancelled'. */
  stop: 'end' | 'endoftext' | 'maxTokens' | 'cancelled';
  /** Tokens of the file part (its `<|file|>` header included). */
  fileTokens: number;
  /** Of the prompt's tokens, how many came from cached states. */
  cachedTokens: number;
  promptTokens: number;
  generatedTokens: number;
  firstTokenMs: number;
  latencyMs: number;
  ep: string;
  arch: string;
  /** Length (UTF-16 units) of the excerpt sent with the question; 0: none. */
  excerptChars?: number;
  /** How much of the file the file part held (`fileTokens` counts it). */
  context?: AskContext;
  /** The trained kind's words the question was put in (askCanonical.ts), when they differ from it. */
  askedAs?: string;
}

/** Graph calls of one job since the model loaded: how many, the tokens they carried, and the ms spent
 *  in them (onnxruntime's run, the state's hand-over included). */
export interface GraphCallStats {
  calls: number;
  tokens: number;
  ms: number;
}
/** Per job: step = decode steps, keystroke = short prefill, ingest = long prefill / the ingest graph. */
export type GraphCalls = Record<'step' | 'keystroke' | 'ingest', GraphCallStats>;

export interface PartialTransfers {
  downloads: number;
  downloadsWhole: number;
  uploadFailure?: string;
}

export interface InfoResult {
  arch?: string;
  ep?: string;
  modelVersion?: string;
  rssBytes: number;
  stateCacheBytes: number;
  checkpoints: number;
  /** Workspace fold checkpoints held in memory, and their bytes (not in stateCacheBytes). */
  foldCheckpoints?: number;
  foldCacheBytes?: number;
  /** Model states on the GPU now (every holder together) and their bytes; absent when there are none
   *  and never were (the CPU). */
  gpuStates?: number;
  gpuStateBytes?: number;
  /** States that crossed between the CPU and the GPU as their caches' filled slots (ALiBi): downloads
   *  with parts, those where a part fell short or the slice graph failed (brought back whole), and why
   *  uploads with parts stopped, if they did. Absent where no state ever crossed that way. */
  partialTransfers?: PartialTransfers;
  workspace?: WorkspaceResult & { fingerprint: string };
  stateOverCap?: StateOverCap;
  /** The loaded model's graph calls so far (absent before a model loads): a bench takes the difference
   *  around a fold to tell the graphs' share of its time from the engine's own. */
  graphCalls?: GraphCalls;
}

export interface RequestMap {
  load: [LoadParams, LoadResult];
  setWorkspace: [WorkspaceParams, WorkspaceResult];
  openDocument: [OpenParams, null];
  editDocument: [EditParams, null];
  closeDocument: [{ uri: string }, null];
  /** Feed the document's prefix checkpoints in the background, up to a line. */
  warm: [{ uri: string; line?: number }, { fedTokens: number }];
  complete: [CompleteParams, CompleteResult];
  info: [Record<string, never>, InfoResult];
  /** Held-out loss of text under the model (needs the manifest's `score` graph). */
  score: [ScoreParams, ScoreResult];
  /** Answers a question about a file; the answer so far streams as `partial` messages. */
  ask: [EngineAskParams, EngineAskResult];
  /** Test hook: makes the engine exit abruptly after `afterMs`. */
  crash: [{ afterMs: number }, null];
  /** Test hook: the engine's copy of an open document (its lines joined with "\n"), or null when it
   *  is not open; answered after every edit sent before it (server/lsp/editSync.ts keeps the copies equal). */
  documentText: [{ uri: string }, { text: string; version: number } | null];
}
export type Method = keyof RequestMap;

export interface RequestMessage<M extends Method = Method> {
  kind: 'request';
  id: number;
  method: M;
  params: RequestMap[M][0];
}
export interface CancelMessage {
  kind: 'cancel';
  id: number;
}
export type ToEngine = RequestMessage | CancelMessage;

export interface ResponseMessage {
  kind: 'response';
  id: number;
  result?: unknown;
  error?: { name: string; message: string };
}
export interface ProgressMessage {
  kind: 'progress';
  id: number;
  done: number;
  total: number;
  tokens: number;
}
/** The text generated so far by a streaming request (ask): the whole text, not a delta. */
export interface PartialMessage {
  kind: 'partial';
  id: number;
  text: string;
  tokens: number;
}
export interface LogMessage {
  kind: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}
export type FromEngine = ResponseMessage | ProgressMessage | PartialMessage | LogMessage;

/** Error names the engine reports; the server maps them to status and log lines. */
export const ENGINE_ERRORS = {
  modelMissing: 'ModelMissingError',
  modelCorrupt: 'ModelCorruptError',
  manifestMismatch: 'ManifestMismatchError',
  cancelled: 'CancelledError',
  notLoaded: 'NotLoadedError',
  badRequest: 'BadRequestError',
  crashed: 'EngineCrashedError',
} as const;
