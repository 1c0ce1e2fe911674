// The composition root of the language server: builds the parts and wires them to the connection.
// Each part owns one concern: documents.ts (sync with the engine), settingsStore.ts, model.ts
// (which model runs), indexer.ts (workspace state), completion/handler.ts (ghost text), ask/handler.ts (statewise/ask),
// status.ts.

import {
  DidChangeConfigurationNotification,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import * as path from 'node:path';
import type { EngineLike } from './engineClient';
import type { Timers } from './completion/debounce';
import {
  AskRequest,
  InfoRequest,
  RebuildWorkspaceRequest,
  RestartEngineRequest,
  type AskParams,
  type InfoResult,
  type RebuildWorkspaceResult,
  type RestartEngineResult,
} from '../protocol/lsp';
import { AskHandler, checkAskParams } from './ask/handler';
import type { Settings } from '../shared/settings';
import { CompletionHandler } from './completion/handler';
import { uriToFsPath } from './docPath';
import { DocumentSync } from './documents';
import { WorkspaceIndexer, type WorkspaceInfo } from './indexer';
import type { Logger } from './logger';
import { ModelManager } from './model';
import { noParams, onCheckedRequest } from './params';
import { SettingsStore } from './settingsStore';
import { StatusReporter } from './status';

export interface ServerOptions {
  engine: EngineLike;
  /** Folder of the running bundle; the default models folder is `<bundleDir>/../models`. */
  bundleDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Timers for the completion debounce (tests). */
  timers?: Timers;
  /** Clock for latencies, ms (tests). */
  now?: () => number;
}

/** An initialization option that names a path: a non-empty string, else undefined. */
function nonEmpty(s: unknown): string | undefined {
  return typeof s === 'string' && s !== '' ? s : undefined;
}

interface InitOptions {
  settings?: unknown;
  storagePath?: string;
  /** The extension's global storage: what outlives a workspace (auto's choice of providers). */
  globalStoragePath?: string;
  trusted?: boolean;
}

export interface StatewiseServer {
  readonly settings: SettingsStore;
  readonly model: ModelManager;
  readonly documents: DocumentSync;
  readonly status: StatusReporter;
  readonly completion: CompletionHandler;
  /** The indexer, once `initialize` has named the workspace. */
  readonly indexer: WorkspaceIndexer | undefined;
  /** Settles when the start-up work after `initialized` (settings, model load) has settled. */
  readonly ready: Promise<void>;
  dispose(): void;
}

function consoleLogger(connection: Connection): Logger {
  /** Logging never throws (the connection may be gone while the engine still reports). */
  const safe =
    (write: (m: string) => void) =>
    (m: string): void => {
      try {
        write(m);
      } catch {
        // nowhere left to log to
      }
    };
  return {
    info: safe((m) => connection.console.info(m)),
    warn: safe((m) => connection.console.warn(m)),
    error: safe((m) => connection.console.error(m)),
  };
}

function allLanguagesOff(enable: Record<string, boolean>): boolean {
  return Object.values(enable).every((on) => !on);
}

export function createServer(connection: Connection, options: ServerOptions): StatewiseServer {
  const { engine } = options;
  const log = consoleLogger(connection);
  const status = new StatusReporter(connection);
  const settings = new SettingsStore(connection, log);
  let roots: string[] = [];
  /** initializationOptions.trusted !== false (Ask reads files on disk only when trusted). */
  let trusted = true;
  const documents = new DocumentSync(engine, log, () => roots);
  const model = new ModelManager(engine, status, log, { bundleDir: options.bundleDir ?? __dirname, env: options.env ?? process.env });
  let indexer: WorkspaceIndexer | undefined;
  let settingsVersion = 0;
  const completion = new CompletionHandler({
    connection,
    engine,
    documents,
    settings,
    model,
    status,
    log,
    timers: options.timers,
    now: options.now,
    contextVersion: () => `${model.loaded?.loadId ?? 0}|${indexer?.summary?.fingerprint ?? ''}|${settingsVersion}`,
  });
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let canRegisterConfiguration = false;
  let canRegisterWatchers = false;
  /** Set once `initialized` arrived: no work (and no notification) starts before it. */
  let live = false;

  documents.listen(connection);

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as InitOptions;
    const folders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: '' }] : []);
    roots = folders.map((f) => uriToFsPath(f.uri)).filter((p): p is string => p !== undefined);
    trusted = init.trusted !== false;
    const ws: WorkspaceInfo = {
      root: roots[0],
      rootUri: folders[0]?.uri,
      storagePath: nonEmpty(init.storagePath),
      trusted: init.trusted !== false,
    };
    // auto's choice of providers is the machine's: the global storage where the client has one
    const storage = nonEmpty(init.globalStoragePath) ?? ws.storagePath;
    model.recordDir = storage ? path.join(storage, 'auto-choice') : undefined;
    const caps = params.capabilities;
    settings.canPull = caps.workspace?.configuration === true;
    canRegisterConfiguration = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    canRegisterWatchers = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    if (init.settings !== undefined) settings.apply(init.settings);
    indexer = new WorkspaceIndexer({ connection, engine, status, log, settings, documents, model }, ws);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        inlineCompletionProvider: true,
      },
      serverInfo: { name: 'statewise', version: '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    live = true;
    try {
      if (canRegisterConfiguration) {
        await connection.client.register(DidChangeConfigurationNotification.type, { section: 'statewise' }).catch(() => {});
      }
      await settings.pull();
      status.setDisabled(allLanguagesOff(settings.settings.enable));
      await indexer?.watch(canRegisterWatchers);
      await model.apply(settings.settings);
    } finally {
      resolveReady();
    }
  });

  connection.onDidChangeConfiguration((params) => {
    if (settings.canPull) void settings.pull();
    else {
      const pushed =
        params.settings && typeof params.settings === 'object' ? (params.settings as Record<string, unknown>).statewise : undefined;
      if (pushed !== undefined && pushed !== null) settings.apply(pushed);
    }
  });

  settings.onDidChange((next: Settings, prev: Settings) => {
    settingsVersion++;
    completion.cache.clear();
    completion.debouncer.setDelay(next['completion.debounceMs']);
    if (!live) return;
    status.setDisabled(allLanguagesOff(next.enable));
    void model.apply(next);
    indexer?.settingsChanged(next, prev);
  });

  model.onLoaded(() => {
    documents.attach();
    void indexer?.build();
  });

  engine.on('restarted', () => {
    log.warn('the engine restarted: loading the model and replaying the workspace and documents');
    documents.detach();
    completion.cancelAll();
    void model.apply(settings.settings, true);
  });

  engine.on('failed', (message: string) => {
    documents.detach();
    completion.cancelAll();
    model.engineFailed(`the engine stopped: ${message}`);
  });

  connection.languages.inlineCompletion.on((params, token) => completion.handle(params, token));

  const ask = new AskHandler({ connection, engine, documents, model, log, scope: () => ({ trusted, roots }) });
  onCheckedRequest(connection, AskRequest.method, checkAskParams, (params: AskParams, token) => ask.handle(params, token));

  onCheckedRequest(
    connection,
    RebuildWorkspaceRequest.method,
    noParams,
    async (): Promise<RebuildWorkspaceResult> => (await indexer?.build({ dropPersisted: true })) ?? { files: 0, bytes: 0 },
  );

  // Also the way back from an engine stopped after repeated crashes (besides its back-off and a
  // settings change that loads a model: model.engineFailed forgets the loaded key, so any load retries).
  onCheckedRequest(connection, RestartEngineRequest.method, noParams, async (): Promise<RestartEngineResult> => {
    log.info('restarting the engine (statewise/restartEngine)');
    engine.restart(); // emits 'restarted': the model loads again (above)
    await model.settled;
    return {
      ...(engine.pid !== undefined ? { pid: engine.pid } : {}),
      restarts: engine.restarts,
      state: status.current().state,
      ...(model.error ? { error: model.error } : {}),
    };
  });

  onCheckedRequest(connection, InfoRequest.method, noParams, async (): Promise<InfoResult> => {
    const loaded = model.loaded;
    const info: InfoResult = {
      state: status.current().state,
      arch: loaded?.result.arch,
      ep: loaded?.result.ep,
      modelDir: loaded?.dir,
      modelVersion: loaded?.result.modelVersion,
      epReason: loaded?.result.epReason,
      providers: loaded?.result.providers,
    };
    const ws = indexer?.summary;
    if (ws) info.workspace = { files: ws.files, tokens: ws.tokens, bytes: ws.bytes, restored: ws.restored };
    try {
      const e = await engine.request('info', {});
      info.engine = { pid: engine.pid ?? 0, rssBytes: e.rssBytes, stateCacheBytes: e.stateCacheBytes, restarts: engine.restarts };
      if (e.stateOverCap) info.engine.stateOverCap = e.stateOverCap;
      if (e.graphCalls) info.engine.graphCalls = e.graphCalls;
    } catch (err) {
      log.warn(`engine info failed: ${(err as Error).message}`);
    }
    return info;
  });

  connection.onShutdown(() => {
    indexer?.dispose();
    completion.cancelAll();
  });

  return {
    settings,
    model,
    documents,
    status,
    completion,
    ready,
    get indexer() {
      return indexer;
    },
    dispose() {
      indexer?.dispose();
      completion.cancelAll();
    },
  };
}
