// A language client for statewise bench: starts the bundled server (dist/server.js --stdio) as an
// editor does and speaks LSP to it over the child's stdio, answering what VS Code's client answers
// (workspace/configuration for `statewise` and `files.exclude`, client/registerCapability, work-done
// progress) and keeping every status, log line and request log the server sends, with arrival times.

import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  LogMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type FileEvent,
  type InlineCompletionItem,
  type ProtocolConnection,
  type Registration,
} from 'vscode-languageserver-protocol/node';
import {
  InfoRequest,
  RequestLogNotification,
  StatusNotification,
  type InfoResult,
  type RequestLogParams,
  type StatusParams,
} from '../protocol/lsp';
import { SECTION, type Settings } from '../shared/settings';
import type { Edit, Position } from './benchTyping';

/** VS Code's default `files.exclude`. */
const FILES_EXCLUDE = { '**/.git': true, '**/.svn': true, '**/.hg': true, '**/CVS': true, '**/.DS_Store': true, '**/Thumbs.db': true };

export interface LspClientOptions {
  /** dist/server.js. */
  serverJs: string;
  /** Environment of the server process (STATEWISE_MODELS_DIR, ...). */
  env: NodeJS.ProcessEnv;
  /** The `statewise` settings the client reports (initializationOptions and workspace/configuration). */
  settings: Settings;
  /** Workspace folder, if any (rootUri and workspaceFolders). */
  root?: string;
  /** initializationOptions.storagePath: where the server persists the workspace state. */
  storagePath?: string;
  /** initializationOptions.globalStoragePath: the machine's storage (auto's kept choice of providers). */
  globalStoragePath?: string;
  trusted?: boolean;
}

export interface Timed<T> {
  at: number;
  value: T;
}

/** Nested `{ a: { b: v } }` from flat `{ 'a.b': v }`, as VS Code returns a configuration section. */
export function nestSettings(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let o = out;
    for (const part of parts.slice(0, -1)) o = (o[part] ??= {}) as Record<string, unknown>;
    o[parts[parts.length - 1]!] = value;
  }
  return out;
}

export class LspClient {
  readonly statuses: Timed<StatusParams>[] = [];
  readonly logs: Timed<string>[] = [];
  readonly requestLogs: Timed<RequestLogParams>[] = [];
  readonly registrations: Registration[] = [];
  /** When the server process was spawned (performance.now()). */
  readonly startedAt: number;
  private stderr = '';
  private exited: string | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
    private readonly opts: LspClientOptions,
  ) {
    this.startedAt = performance.now();
  }

  /** Spawns the server, initializes it as VS Code's client does and returns once `initialized` is sent. */
  static async start(opts: LspClientOptions): Promise<LspClient> {
    const child = spawn(process.execPath, [opts.serverJs, '--stdio'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection, opts);
    client.wire();
    connection.listen();
    const rootUri = opts.root === undefined ? null : pathToFileURL(opts.root).href;
    await connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: 'statewise-bench' },
      rootUri,
      workspaceFolders: rootUri === null ? null : [{ uri: rootUri, name: 'bench' }],
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
        },
        window: { workDoneProgress: true },
        textDocument: {
          synchronization: { dynamicRegistration: true, didSave: true },
          inlineCompletion: { dynamicRegistration: true },
        },
      },
      initializationOptions: {
        storagePath: opts.storagePath,
        globalStoragePath: opts.globalStoragePath,
        extensionPath: undefined,
        settings: opts.settings,
        trusted: opts.trusted !== false,
      },
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  private wire(): void {
    const { connection, child } = this;
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    child.on('exit', (code, signal) => {
      this.exited = `the server exited (${signal ?? code})`;
      this.wake();
    });
    connection.onNotification(StatusNotification.method, (p: StatusParams) => this.push(this.statuses, p));
    connection.onNotification(RequestLogNotification.method, (p: RequestLogParams) => this.push(this.requestLogs, p));
    connection.onNotification(LogMessageNotification.type, (p) => this.push(this.logs, p.message));
    connection.onNotification('$/progress', () => {});
    connection.onNotification('window/showMessage', (p: { message: string }) => this.push(this.logs, `showMessage: ${p.message}`));
    connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((item) => {
        if (item.section === SECTION) return nestSettings(this.opts.settings as unknown as Record<string, unknown>);
        if (item.section === 'files.exclude') return FILES_EXCLUDE;
        return null;
      }),
    );
    connection.onRequest('workspace/workspaceFolders', () =>
      this.opts.root === undefined ? null : [{ uri: pathToFileURL(this.opts.root).href, name: 'bench' }],
    );
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('window/showMessageRequest', () => null);
    connection.onRequest('client/registerCapability', (p: { registrations: Registration[] }) => {
      this.registrations.push(...p.registrations);
      // VS Code's client sends the configuration once when the server registers for it.
      if (p.registrations.some((r) => r.method === DidChangeConfigurationNotification.method)) {
        setImmediate(() => void connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null }).catch(() => {}));
      }
      return null;
    });
    connection.onRequest('client/unregisterCapability', () => null);
    connection.onClose(() => {
      this.exited ??= 'the connection to the server closed';
      this.wake();
    });
  }

  private push<T>(list: Timed<T>[], value: T): void {
    list.push({ at: performance.now(), value });
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The server's stderr (last 8 KB), for error messages. */
  get serverStderr(): string {
    return this.stderr;
  }

  /** Resolves once `done()` holds (checked after every message from the server); rejects on timeout or exit. */
  waitFor(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        let ok: boolean;
        try {
          ok = done();
        } catch (err) {
          finish(err as Error);
          return;
        }
        if (ok) finish();
        else if (this.exited) finish(new Error(`${this.exited} while waiting for ${what}\n${this.stderr}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`no ${what} after ${timeoutMs} ms; last status: ${JSON.stringify(this.status)}`)),
        timeoutMs,
      );
      this.waiters.add(check);
      check();
    });
  }

  /** The latest status, if any. */
  get status(): StatusParams | undefined {
    return this.statuses[this.statuses.length - 1]?.value;
  }

  /** Waits until the latest status is ready (or slow: ready, with a latency warning); an error status throws. */
  waitReady(what: string, timeoutMs: number, also: () => boolean = () => true): Promise<void> {
    return this.waitFor(
      () => {
        const s = this.status;
        if (s?.state === 'error') throw new Error(`the server reports an error: ${s.message}\n${this.stderr}`);
        return (s?.state === 'ready' || s?.state === 'slow') && also();
      },
      what,
      timeoutMs,
    );
  }

  /** Log lines (window/logMessage) that arrived after index `from` and match `re`. */
  logsMatching(re: RegExp, from = 0): Timed<string>[] {
    return this.logs.slice(from).filter((l) => re.test(l.value));
  }

  open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
  }

  change(uri: string, version: number, edits: Edit[]): Promise<void> {
    return this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: edits,
    });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** textDocument/inlineCompletion as an automatic trigger (typing); `ms` from sending to the response. */
  async inline(
    uri: string,
    position: Position,
    triggerKind: InlineCompletionTriggerKind = InlineCompletionTriggerKind.Automatic,
  ): Promise<{ ms: number; items: InlineCompletionItem[]; log: RequestLogParams | undefined }> {
    const logsBefore = this.requestLogs.length;
    const started = performance.now();
    const r = await this.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position,
      context: { triggerKind, selectedCompletionInfo: undefined },
    });
    const ms = performance.now() - started;
    const items = Array.isArray(r) ? r : (r?.items ?? []);
    // The server sends the request's log line just before its response.
    const log = this.requestLogs
      .slice(logsBefore)
      .reverse()
      .find((l) => l.value.uri === uri)?.value;
    return { ms, items, log };
  }

  watchedFilesChanged(changes: FileEvent[]): Promise<void> {
    return this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  info(): Promise<InfoResult> {
    return this.connection.sendRequest(InfoRequest.method, {});
  }

  /** shutdown + exit, then the process is killed if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    try {
      if (!this.exited) {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, graceMs))]);
        await this.connection.sendNotification('exit').catch(() => {});
      }
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
    this.connection.dispose();
  }
}
