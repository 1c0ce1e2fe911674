// Builds the workspace state: scans the first workspace folder, keeps the most relevant files in
// fold order (order.ts: what changes least first) and sends them to the engine, which re-folds only
// the files after the longest prefix it has a checkpoint for; progress goes to statewise/status and
// LSP work-done progress. Rebuilt after a model load, when workspace settings change, when a file
// the scan would fold changes (debounced; other changes are ignored) and on
// statewise/rebuildWorkspace (which also drops the persisted checkpoints and folds everything).

import * as path from 'node:path';
import { DidChangeWatchedFilesNotification, type Connection, type WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import type { EngineLike } from './engineClient';
import { isCancelled } from '../protocol/errors';
import type { RebuildWorkspaceResult } from '../protocol/lsp';
import type { Settings } from '../shared/settings';
import { workspaceFingerprint } from '../shared/fingerprint';
import { ARCH_NAME } from '../shared/modelDir';
import { orderByRelevance } from './workspace/order';
import { deleteState } from '../shared/stateFiles';
import { scanVerdict, scanWorkspace, SKIPPED_DIRS } from './workspace/scan';
import { RebuildScheduler } from './workspace/watch';
import { relativeInside, uriToFsPath } from './docPath';
import type { DocumentSync } from './documents';
import type { Logger } from './logger';
import type { ModelManager } from './model';
import type { SettingsStore } from './settingsStore';
import type { StatusReporter } from './status';

export interface WorkspaceInfo {
  /** First workspace folder (file-system path), if any. */
  root?: string;
  rootUri?: string;
  /** initializationOptions.storagePath: where the workspace state is persisted. */
  storagePath?: string;
  /** initializationOptions.trusted; only `false` stops indexing. */
  trusted: boolean;
}

export interface IndexerDeps {
  connection: Connection;
  engine: EngineLike;
  status: StatusReporter;
  log: Logger;
  settings: SettingsStore;
  documents: DocumentSync;
  model: ModelManager;
}

export interface WorkspaceSummary {
  files: number;
  tokens: number;
  bytes: number;
  restored: boolean;
  fingerprint: string;
}

const REBUILD_KEYS = ['workspace.enable', 'workspace.maxFileBytes', 'workspace.maxTotalBytes', 'workspace.persist'] as const;
const ZERO: RebuildWorkspaceResult = { files: 0, bytes: 0 };

export class WorkspaceIndexer {
  private generation = 0;
  private controller: AbortController | undefined;
  private scheduler: RebuildScheduler | undefined;
  private schedulerDelay = -1;
  private last: WorkspaceSummary | undefined;
  private untrustedLogged = false;
  /** Paths folded by the last build, and the files.exclude it scanned with (for the watcher). */
  private folded = new Set<string>();
  private lastExclude: Record<string, boolean> | undefined;

  constructor(
    private readonly deps: IndexerDeps,
    private readonly ws: WorkspaceInfo,
  ) {
    deps.connection.onDidChangeWatchedFiles((params) => {
      for (const change of params.changes) void this.fileChanged(change.uri);
    });
  }

  /** What the engine holds now (undefined before the first build). */
  get summary(): WorkspaceSummary | undefined {
    return this.last;
  }

  /** Where the state of `arch` is kept on disk, or undefined when it is not persisted. */
  persistDir(arch: string, settings: Settings = this.deps.settings.settings): string | undefined {
    if (!settings['workspace.persist'] || !this.ws.storagePath) return undefined;
    // The name comes from the model folder's manifest (checked by the engine, and again here): a
    // name like '../x' must never place the state outside the extension's storage.
    if (!ARCH_NAME.test(arch)) {
      this.deps.log.warn(`workspace state not persisted: architecture name ${JSON.stringify(arch.slice(0, 80))} is not a plain name`);
      return undefined;
    }
    // One folder per architecture, so switching models does not discard the other's state.
    return path.join(this.ws.storagePath, 'workspace-state', arch);
  }

  /** Registers a file watcher for the whole workspace when the client allows dynamic registration. */
  async watch(canRegister: boolean): Promise<void> {
    if (!this.ws.root) return;
    if (!canRegister) {
      this.deps.log.info('the client cannot register file watchers: the workspace state is rebuilt only on statewise/rebuildWorkspace');
      return;
    }
    try {
      await this.deps.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*' }] });
    } catch (err) {
      this.deps.log.warn(`could not register file watchers: ${(err as Error).message}`);
    }
  }

  /**
   * A workspace path changed: schedules a rebuild when the change can alter the fold, i.e. unless
   * the scan would never fold the path (scanVerdict: skipped folders, gitignored, files.exclude'd,
   * not a text file, over maxFileBytes) and it was not folded by the last build, or it lies in the
   * storage path. A change to a .gitignore or .git/info/exclude always counts. Resolves to whether
   * a rebuild was scheduled.
   */
  async fileChanged(uri: string): Promise<boolean> {
    const fsPath = uriToFsPath(uri);
    const root = this.ws.root;
    if (!fsPath || !root) return false;
    const rel = relativeInside(root, fsPath);
    if (rel === undefined) return false;
    if (this.ws.storagePath && relativeInside(this.ws.storagePath, fsPath) !== undefined) return false;
    if (!(await this.changeMatters(root, rel))) return false;
    this.schedule(rel);
    return true;
  }

  private async changeMatters(root: string, rel: string): Promise<boolean> {
    if (rel === '.git/info/exclude') return true;
    const parts = rel.split('/');
    if (parts.some((part) => SKIPPED_DIRS.has(part))) return false;
    if (parts[parts.length - 1] === '.gitignore') return true;
    const folded = (): boolean => this.folded.has(rel) || [...this.folded].some((p) => p.startsWith(`${rel}/`));
    const verdict = await scanVerdict(root, rel, {
      maxFileBytes: this.deps.settings.settings['workspace.maxFileBytes'],
      exclude: this.lastExclude,
    });
    switch (verdict.kind) {
      case 'file':
      case 'folder':
        return true;
      case 'missing':
      case 'skipped':
        return folded(); // a folded file deleted, grown too big, ...
      case 'ignored':
        return false;
    }
  }

  private schedule(rel: string): void {
    const delay = this.deps.settings.settings['workspace.rebuildDelayMs'];
    if (!this.scheduler || delay !== this.schedulerDelay) {
      this.scheduler?.dispose();
      this.schedulerDelay = delay;
      this.scheduler = new RebuildScheduler(
        delay,
        () => this.build().then(() => {}),
        undefined,
        (err) => this.deps.log.error(`workspace rebuild: ${String(err)}`),
      );
    }
    this.scheduler.notifyChanged(rel);
  }

  /** Rebuilds when a setting that shapes the workspace state changed (model changes rebuild on load). */
  settingsChanged(next: Settings, prev: Settings): void {
    if (REBUILD_KEYS.some((k) => next[k] !== prev[k])) void this.build();
  }

  dispose(): void {
    this.scheduler?.dispose();
    this.controller?.abort();
  }

  /** Builds the workspace state for the loaded model; a newer build supersedes a running one. */
  async build(opts: { dropPersisted?: boolean } = {}): Promise<RebuildWorkspaceResult> {
    const gen = ++this.generation;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const { engine, status, log, settings: store, documents } = this.deps;
    const settings = store.settings;
    const model = this.deps.model.loaded;
    if (!model) return ZERO;
    if (!this.ws.trusted) {
      if (!this.untrustedLogged) log.info('the workspace is not trusted: its files are not read into the model state');
      this.untrustedLogged = true;
      return ZERO;
    }
    const root = this.ws.root;
    if (!root) return ZERO;
    const persistDir = this.persistDir(model.result.arch, settings);
    if (opts.dropPersisted) {
      if (persistDir) await deleteState(persistDir).catch((err: Error) => log.warn(`could not delete ${persistDir}: ${err.message}`));
      // An empty workspace drops the engine's root at once; the build below (rebuild: true) then
      // drops the engine's fold checkpoints and folds every file again.
      await engine.request('setWorkspace', { fingerprint: 'statewise:empty', files: [] }).catch(() => {});
    }
    if (!settings['workspace.enable']) {
      if (this.last) await engine.request('setWorkspace', { fingerprint: 'statewise:empty', files: [] }).catch(() => {});
      this.last = undefined;
      this.folded = new Set();
      return ZERO;
    }
    const stale = (): boolean => gen !== this.generation;
    status.setIndexing(0, 'scanning files');
    let reporter: WorkDoneProgressServerReporter | undefined;
    try {
      reporter = await this.deps.connection.window.createWorkDoneProgress();
      reporter.begin('Statewise: indexing the workspace', 0, 'scanning files');
      const exclude = await store.filesExclude(this.ws.rootUri);
      this.lastExclude = exclude;
      const scan = await scanWorkspace(
        root,
        { maxFileBytes: settings['workspace.maxFileBytes'], exclude },
        (line) => log.info(`workspace: ${line}`),
        controller.signal,
      );
      if (stale()) return ZERO;
      const inRoot = (uri: string): string | undefined => {
        const p = uriToFsPath(uri);
        return p === undefined ? undefined : relativeInside(root, p);
      };
      const active = documents.activeUri;
      const hints = {
        activePath: active === undefined ? undefined : inRoot(active),
        recentPaths: documents
          .recentUris()
          .map(inRoot)
          .filter((p): p is string => p !== undefined),
        now: Date.now(),
      };
      const { kept, dropped } = orderByRelevance(scan.files, hints, settings['workspace.maxTotalBytes']);
      if (dropped.length > 0)
        log.info(`workspace: ${dropped.length} files left out by workspace.maxTotalBytes ${settings['workspace.maxTotalBytes']}`);
      const fingerprint = workspaceFingerprint(kept, model.id);
      const bytes = kept.reduce((n, f) => n + f.bytes, 0);
      const result = await engine.request(
        'setWorkspace',
        {
          fingerprint,
          files: kept.map((f) => ({ path: f.path, text: f.text })),
          persistDir,
          ...(opts.dropPersisted ? { rebuild: true } : {}),
        },
        controller.signal,
        (p) => {
          if (stale()) return;
          const pct = p.total > 0 ? (100 * p.done) / p.total : 100;
          const detail = `${p.done}/${p.total} files`;
          status.setIndexing(pct, detail);
          reporter?.report(Math.round(pct), detail);
        },
      );
      if (stale()) return ZERO;
      this.last = { files: result.files, tokens: result.tokens, bytes, restored: result.restored, fingerprint: result.key ?? fingerprint };
      this.folded = new Set(kept.map((f) => f.path));
      const folds =
        result.refoldedFiles === undefined
          ? result.restored
            ? ', restored'
            : ''
          : `, ${result.refoldedFiles} folded, ${result.restoredFiles ?? 0} restored`;
      const early = result.provisional
        ? `; completions used a provisional root (the changed files on top) from ${Math.round(result.provisional.ms)} ms`
        : '';
      log.info(
        `workspace state: ${result.files} files, ${result.tokens} tokens, ${bytes} bytes${folds} in ${Math.round(result.ms)} ms${early}`,
      );
      return { files: kept.length, bytes };
    } catch (err) {
      if (stale() || controller.signal.aborted || isCancelled(err)) return ZERO;
      log.error(`workspace state not built: ${(err as Error).message}`);
      return ZERO;
    } finally {
      try {
        reporter?.done();
      } catch {
        // the connection is gone
      }
      if (!stale()) status.clearIndexing();
    }
  }
}
