// Runs the language server in process over a stream pair, with a real LSP client connection on the
// other end and a fake engine (or a real EngineClient) behind it.

import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import {
  CancellationTokenSource,
  createProtocolConnection,
  InlineCompletionRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type InitializeResult,
  type InlineCompletionItem,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { EngineLike, PartialListener, Progress } from '../../server/lsp/engineClient';
import type { EngineAskParams, EngineAskResult, LoadResult, Method, RequestMap } from '../../server/protocol/ipc';
import { createServer, type StatewiseServer } from '../../server/lsp/server';
import type { RequestLogParams, StatusParams } from '../../server/protocol/lsp';
import { makeTree, tempDir } from './fixtures';
import { DEFAULT_ARCH } from './models';

type Handler<M extends Method> = (
  params: RequestMap[M][0],
  signal: AbortSignal | undefined,
  onProgress: ((p: Progress) => void) | undefined,
) => RequestMap[M][1] | Promise<RequestMap[M][1]>;
export type Handlers = { [M in Method]?: Handler<M> };

export const loadResult = (modelDir: string, ep = 'cpu'): LoadResult => ({
  arch: path.basename(modelDir),
  modelName: `${path.basename(modelDir)}-test`,
  modelVersion: '1',
  ep,
  epReason: 'test',
  timings: {},
  stateBytes: 16,
  loadMs: 1,
});

const DEFAULTS: Handlers = {
  load: (p) => loadResult(p.modelDir, p.ep === 'auto' ? 'cpu' : p.ep),
  setWorkspace: (p, _s, onProgress) => {
    p.files.forEach((_, i) => onProgress?.({ done: i + 1, total: p.files.length, tokens: i + 1 }));
    return { files: p.files.length, tokens: p.files.length * 10, restored: false, ms: 1 };
  },
  openDocument: () => null,
  editDocument: () => null,
  closeDocument: () => null,
  warm: () => ({ fedTokens: 0 }),
  complete: () => ({
    completions: ['fake()'],
    promptTokens: 10,
    cachedTokens: 5,
    generatedTokens: 3,
    latencyMs: 1,
    timings: { prefixMs: 0, suffixMs: 0, decodeMs: 1 },
    ep: 'cpu',
    arch: 'hawk',
    layout: 'plain',
  }),
  info: () => ({ arch: 'hawk', ep: 'cpu', rssBytes: 1000, stateCacheBytes: 200, checkpoints: 1 }),
  crash: () => null,
};

/** An engine that answers from handlers and records every request. */
export class FakeEngine extends EventEmitter implements EngineLike {
  readonly calls: { method: Method; params: unknown; signal: AbortSignal | undefined }[] = [];
  handlers: Handlers = {};
  pid = 4242;
  restarts = 0;

  request<M extends Method>(
    method: M,
    params: RequestMap[M][0],
    signal?: AbortSignal,
    onProgress?: (p: Progress) => void,
  ): Promise<RequestMap[M][1]> {
    this.calls.push({ method, params: structuredClone(params), signal });
    const handler = (this.handlers[method] ?? DEFAULTS[method]) as Handler<M>;
    try {
      return Promise.resolve(handler(params, signal, onProgress));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `ask` answers through this (default: "fake answer" in two partials). */
  askHandler?: (
    params: EngineAskParams,
    onPartial: PartialListener | undefined,
    signal: AbortSignal | undefined,
  ) => EngineAskResult | Promise<EngineAskResult>;

  ask(params: EngineAskParams, onPartial?: PartialListener, signal?: AbortSignal): Promise<EngineAskResult> {
    this.calls.push({ method: 'ask', params: structuredClone(params), signal });
    try {
      if (this.askHandler) return Promise.resolve(this.askHandler(params, onPartial, signal));
      onPartial?.('fake', 1);
      onPartial?.('fake answer', 2);
      return Promise.resolve({
        answer: 'fake answer',
        cancelled: false,
        stop: 'end',
        fileTokens: 10,
        cachedTokens: 0,
        promptTokens: 14,
        generatedTokens: 2,
        firstTokenMs: 1,
        latencyMs: 2,
        ep: 'cpu',
        arch: 'hawk',
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  callsOf<M extends Method>(method: M): RequestMap[M][0][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params as RequestMap[M][0]);
  }

  /** Pretends the child crashed and came back. */
  restart(): void {
    this.restarts++;
    this.emit('restarted', this.restarts);
  }
}

/** A folder of model folders, each with a placeholder manifest (the fake engine never reads it). */
export function fakeModels(...archs: string[]): string {
  const dir = tempDir('statewise-models-');
  for (const a of archs) {
    mkdirSync(path.join(dir, a));
    writeFileSync(path.join(dir, a, 'manifest.json'), '{}');
  }
  return dir;
}

/** A workspace folder holding `files` (relative path → text), left in place. */
export const workspace = (files: Record<string, string>): string => makeTree(files).root;

export const fileUri = (p: string): string => pathToFileURL(p).href;

export async function waitFor(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface HarnessOptions {
  engine?: EngineLike;
  modelsDir?: string;
  /** What `workspace/configuration` answers for section `statewise` (a function: read on each pull). */
  config?: Record<string, unknown> | (() => Record<string, unknown>);
  filesExclude?: Record<string, boolean>;
  initializationOptions?: Record<string, unknown>;
  workspaceDir?: string;
  capabilities?: ClientCapabilities;
  /** Clock for completion latencies (ms). */
  now?: () => number;
}

export interface Harness {
  client: ProtocolConnection;
  server: StatewiseServer;
  engine: FakeEngine;
  init: InitializeResult;
  statuses: StatusParams[];
  requestLogs: RequestLogParams[];
  shown: { type: number; message: string }[];
  logs: string[];
  registrations: unknown[];
  /** $/progress values (work-done progress: begin, report, end). */
  progress: { kind: string; percentage?: number; message?: string }[];
  lastStatus(): StatusParams | undefined;
  open(uri: string, text: string, languageId?: string): void;
  change(
    uri: string,
    version: number,
    changes: { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[],
  ): void;
  close(uri: string): void;
  complete(
    uri: string,
    line: number,
    character: number,
    triggerKind?: 1 | 2,
    token?: CancellationTokenSource,
  ): Promise<InlineCompletionItem[]>;
  configChanged(): void;
  dispose(): void;
}

export async function startServer(opts: HarnessOptions = {}): Promise<Harness> {
  const up = new PassThrough();
  const down = new PassThrough();
  const engine = (opts.engine ?? new FakeEngine()) as FakeEngine;
  const modelsDir = opts.modelsDir ?? fakeModels(DEFAULT_ARCH);
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(up), new StreamMessageWriter(down));
  const server = createServer(connection, { engine, env: { STATEWISE_MODELS_DIR: modelsDir }, now: opts.now });
  connection.listen();

  const client = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const statuses: StatusParams[] = [];
  const requestLogs: RequestLogParams[] = [];
  const shown: { type: number; message: string }[] = [];
  const logs: string[] = [];
  const registrations: unknown[] = [];
  const progress: { kind: string; percentage?: number; message?: string }[] = [];
  client.onNotification('$/progress', (p: { value: { kind: string } }) => void progress.push(p.value));
  client.onNotification('statewise/status', (p: StatusParams) => void statuses.push(p));
  client.onNotification('statewise/requestLog', (p: RequestLogParams) => void requestLogs.push(p));
  client.onNotification('window/showMessage', (p: { type: number; message: string }) => void shown.push(p));
  client.onNotification('window/logMessage', (p: { message: string }) => void logs.push(p.message));
  client.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
    p.items.map((item) => {
      if (item.section === 'files.exclude') return opts.filesExclude ?? {};
      return typeof opts.config === 'function' ? opts.config() : (opts.config ?? {});
    }),
  );
  client.onRequest('client/registerCapability', (p: unknown) => {
    registrations.push(p);
    return null;
  });
  client.onRequest('window/workDoneProgress/create', () => null);
  client.listen();

  const ws = opts.workspaceDir;
  const init = (await client.sendRequest('initialize', {
    processId: null,
    rootUri: ws ? fileUri(ws) : null,
    workspaceFolders: ws ? [{ uri: fileUri(ws), name: 'ws' }] : null,
    capabilities: opts.capabilities ?? { workspace: { configuration: true } },
    initializationOptions: opts.initializationOptions ?? {},
  })) as InitializeResult;
  void client.sendNotification('initialized', {});
  await waitFor(() => statuses.length > 0, 'first status');
  await server.ready;
  await server.model.settled;

  let versions = new Map<string, number>();
  return {
    client,
    server,
    engine,
    init,
    statuses,
    requestLogs,
    shown,
    logs,
    registrations,
    progress,
    lastStatus: () => statuses[statuses.length - 1],
    open(uri, text, languageId = 'typescript') {
      versions.set(uri, 1);
      void client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    },
    change(uri, version, changes) {
      versions.set(uri, version);
      void client.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    },
    close(uri) {
      void client.sendNotification('textDocument/didClose', { textDocument: { uri } });
    },
    async complete(uri, line, character, triggerKind = 2, token) {
      const r = await client.sendRequest(
        InlineCompletionRequest.type,
        {
          textDocument: { uri },
          position: { line, character },
          context: { triggerKind },
        },
        token?.token,
      );
      if (r === null) return [];
      return Array.isArray(r) ? (r as InlineCompletionItem[]) : (r as { items: InlineCompletionItem[] }).items;
    },
    configChanged() {
      void client.sendNotification('workspace/didChangeConfiguration', { settings: null });
    },
    dispose() {
      server.dispose();
      client.dispose();
      connection.dispose();
      versions = new Map();
    },
  };
}
