// statewise bench, save part: how long after saving a file the language server is ready again with
// a rebuilt workspace state. A temporary workspace of N files (this repository's server/, test/,
// extension/ and scripts/ sources, topped up with slices of real code) is opened in the bundled
// server over stdio (trusted, workspace.persist on, a temporary storagePath); after the first index,
// a line is appended to the most and to the least recently modified file and the server is told as
// VS Code tells it (workspace/didChangeWatchedFiles for the watcher it registered); then files in a
// gitignored folder (.e2e/) and in node_modules/ change, which should rebuild nothing. Per save:
// when completions see the edit (the engine's provisional root, or the end of the rebuild when it
// made none) and when the rebuild is done (ready).

import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileChangeType } from 'vscode-languageserver-protocol/node';
import { isMinifiedName, isTextFileName } from '../lsp/workspace/filetypes';
import { orderByRelevance } from '../lsp/workspace/order';
import { scanWorkspace } from '../lsp/workspace/scan';
import type { GraphCalls } from '../protocol/ipc';
import type { JobProviders } from '../protocol/lsp';
import type { Architecture, ExecutionProviderSetting, Settings } from '../shared/settings';
import { devicesOf, jobsText } from './benchDevice';
import { graphCallsText } from './benchGraphCalls';
import { formatTable, ms, round1 } from './benchStats';
import { benchSource, documentOf } from './benchText';
import { benchSettings, serverEnv } from './benchLsp';
import type { CliIO } from './io';
import { LspClient, type Timed } from './lspClient';

export interface SaveBenchOptions {
  workspaceFiles: number;
  arch: Architecture;
  ep: ExecutionProviderSetting;
  modelsDir: string;
  /** The server's global storage, where `auto` keeps its choice of providers (VS Code's globalStorageUri).
   *  Default: a fresh folder beside the workspace, so the first index times the providers and the reopen
   *  reads the kept choice; a folder from an earlier run makes the first index a start on a machine that
   *  has timed them before. */
  globalStorage?: string;
  /** How long to watch for rebuilds after an ignored file changes. */
  ignoredWindowMs?: number;
  /** Keep the temporary workspace (for a look afterwards). */
  keep?: boolean;
}

export interface PlannedFile {
  path: string;
  text: string;
}

/** The folders of this repository copied into the workspace. */
export const SOURCE_DIRS = ['server', 'test', 'extension', 'scripts'];
/** Files the workspace's .gitignore (or the scan's own rules) leave out; changing them must rebuild nothing. */
export const IGNORED_FILES = [
  { name: 'gitignored .e2e/', path: '.e2e/cache/state.json', text: '{"step": 1}\n' },
  { name: 'node_modules/', path: 'node_modules/left-pad/index.js', text: 'module.exports = (s) => s;\n' },
];
export const GITIGNORE = '.e2e/\nnode_modules/\n';
const SYNTHETIC_CHARS = 4000;
const MAX_COPY_BYTES = 64 * 1024;

/**
 * The workspace's files: the candidates (repository sources, in path order) up to `n`, then synthetic
 * files of ~4,000 characters cut from `source` (real code) until there are `n`. Source files come
 * last so the most recently written file is code.
 */
export function planWorkspace(candidates: PlannedFile[], source: string, n: number): PlannedFile[] {
  const copies = candidates.slice(0, n);
  const synthetic: PlannedFile[] = [];
  for (let k = 0; copies.length + synthetic.length < n; k++) {
    const from = (k * SYNTHETIC_CHARS) % Math.max(1, source.length - SYNTHETIC_CHARS);
    const text = documentOf(source.slice(from), SYNTHETIC_CHARS);
    synthetic.push({ path: `gen/part${String(k).padStart(3, '0')}.js`, text: text === '' ? `export const part${k} = ${k};\n` : text });
  }
  return [...synthetic, ...copies];
}

/** Text files under `dirs` of `repo` (no dependencies, build output or minified files), path order. */
export function repositorySources(repo: string, dirs = SOURCE_DIRS): PlannedFile[] {
  const out: PlannedFile[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(repo, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!['node_modules', 'dist', '.e2e', '__pycache__'].includes(e.name)) walk(p);
      } else if (e.isFile() && isTextFileName(p) && !isMinifiedName(p)) {
        const abs = path.join(repo, p);
        if (statSync(abs).size <= MAX_COPY_BYTES) out.push({ path: p, text: readFileSync(abs, 'utf8') });
      }
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/** Writes the files (the i-th one modified i × 10 s after the first, all within the last hour), the .gitignore and the ignored files. */
function writeWorkspace(dir: string, files: PlannedFile[]): void {
  const base = Date.now() / 1000 - 60 - files.length * 10;
  files.forEach((f, i) => {
    const abs = path.join(dir, f.path);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, f.text);
    utimesSync(abs, base + i * 10, base + i * 10);
  });
  writeFileSync(path.join(dir, '.gitignore'), GITIGNORE);
  for (const f of IGNORED_FILES) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.text);
  }
}

export interface WorkspaceState {
  files?: number;
  tokens?: number;
  bytes?: number;
  /** The server's "in M ms". */
  engineMs?: number;
  /** Files folded through the model in this build, when a line says ("12 folded", "12 files re-folded"). */
  folded?: number;
  restored: boolean;
  /** The "workspace state" log lines of the build (the engine's and the server's). */
  lines: string[];
}

/**
 * What the "workspace state: ..." log lines of one build say, whatever their producer: the server's
 * "N files, T tokens, B bytes[, restored from disk] in M ms" and, from an incremental engine,
 * "N files, K folded, S restored ...". The first line giving a figure wins.
 */
export function parseStateLines(lines: string[]): WorkspaceState {
  const num = (re: RegExp): number | undefined => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return Number(m[1] ?? m[2]);
    }
    return undefined;
  };
  return {
    files: num(/(\d+) files/),
    tokens: num(/(\d+) tokens/),
    bytes: num(/(\d+) bytes/),
    engineMs: num(/in (\d+) ms/),
    folded: num(/(\d+) (?:files? )?(?:re-?)?folded\b|re-?fold(?:ed|ing)?:? (\d+)/i),
    restored: lines.some((l) => /restored from disk/.test(l)),
    lines,
  };
}

/** The largest "done/total files" total in indexing status messages. */
export function progressTotalOf(messages: string[]): number | undefined {
  let max: number | undefined;
  for (const m of messages) {
    const r = /(\d+)\/(\d+) files/.exec(m);
    if (r) max = Math.max(max ?? 0, Number(r[2]));
  }
  return max;
}

const STATE_LINE = /^workspace state(?: not built)?:/;
/** The engine's line when a provisional root (the changed files folded on top) is in place. */
export const PROVISIONAL_LINE = /^workspace state provisional:/;

export interface SaveCase {
  name: string;
  path: string;
  /** From workspace/didChangeWatchedFiles to the ready status that ends the rebuild it caused. */
  readyMs: number;
  /** From the notification until completions use a state with the edit: the provisional root's
   *  log line, else (no provisional root) readyMs. */
  upToDateMs: number;
  /** The engine's provisional-root line and when it came (from the notification), if there was one. */
  provisional?: { afterMs: number; line: string };
  /** From the notification to the first indexing status (the rebuild's debounce, workspace.rebuildDelayMs). */
  indexingAfterMs: number | null;
  /** From the first indexing status to ready: the rebuild itself. */
  rebuildMs: number | null;
  state: WorkspaceState;
  /** Largest file total in the indexing progress of this rebuild. */
  progressTotal?: number;
  logLines: string[];
}

export interface IgnoredCase {
  name: string;
  path: string;
  windowMs: number;
  /** Rebuilds started (indexing statuses) and finished (back to ready) in the window: both 0 when nothing was rebuilt. */
  started: number;
  finished: number;
  /** "workspace state" log lines in the window. */
  stateLines: string[];
}

export interface SaveBenchReport {
  method: string;
  workspace: { files: number; bytes: number; fromRepository: number; synthetic: number; rebuildDelayMs: number };
  watcherRegistered: boolean;
  /** From spawning the server to ready with the first workspace state (nothing persisted yet). */
  firstIndexMs: number;
  firstIndex: WorkspaceState;
  /** Where the first index's time went: each status change and server log line until then, in ms
   *  from spawning the server (the "skipped" lines of the scan left out). */
  firstIndexTimeline: { ms: number; event: string }[];
  /** The model's graph calls since it loaded, read right after the first index (its fold's calls). */
  firstIndexGraphCalls?: GraphCalls;
  cases: SaveCase[];
  ignored: IgnoredCase[];
  /** After the cases, a new server on the same storagePath (the workspace reopened): from spawning it
   *  to ready with its workspace state, which it restores from the persisted checkpoints; its model
   *  load uses auto's choice kept by the first (server/engine/autoRecord.ts). */
  reopenMs?: number;
  reopen?: WorkspaceState;
  reopenTimeline?: { ms: number; event: string }[];
  /** What the server runs (statewise/info after the first index). */
  server: { arch?: string; ep?: string; epReason?: string; providers?: JobProviders; devices: Record<string, string> };
}

/** Rebuilds started (into indexing) and finished (out of it) in a sequence of status states. */
export function transitions(states: string[]): { started: number; finished: number } {
  let started = 0;
  let finished = 0;
  for (let i = 1; i < states.length; i++) {
    if (states[i] === 'indexing' && states[i - 1] !== 'indexing') started++;
    if (states[i] !== 'indexing' && states[i - 1] === 'indexing') finished++;
  }
  return { started, finished };
}

const INDEX_TIMEOUT_MS = 3_600_000;

/** A new server's first workspace state: ms from spawning it to ready, the state's log lines, and
 *  where the time went (every status change and server log line until then, the scan's "skipped"
 *  lines left out). Ready comes once right after the model loads, before the first build starts, so
 *  this waits for a build. */
async function firstIndexOf(client: LspClient): Promise<{ ms: number; state: WorkspaceState; timeline: { ms: number; event: string }[] }> {
  await client.waitReady('the first workspace state', INDEX_TIMEOUT_MS, () => indexedSince(client, 0));
  const readyAt = client.statuses[client.statuses.length - 1]!.at;
  const timeline = [
    ...client.statuses.map((st) => ({ at: st.at, event: `status ${st.value.state}${st.value.message ? `: ${st.value.message}` : ''}` })),
    ...client.logs.filter((l) => !l.value.startsWith('workspace: skipped')).map((l) => ({ at: l.at, event: l.value })),
  ]
    .filter((e) => e.at <= readyAt)
    .sort((a, b) => a.at - b.at)
    .map((e) => ({ ms: round1(e.at - client.startedAt), event: e.event }));
  return { ms: round1(readyAt - client.startedAt), state: parseStateLines(client.logsMatching(STATE_LINE).map((l) => l.value)), timeline };
}

/** Whether a build ran since status number `from`: an indexing status came after it (ready is checked by waitReady). */
function indexedSince(client: LspClient, from: number): boolean {
  return client.statuses.slice(from).some((s) => s.value.state === 'indexing');
}

/** The workspace files the server folds, in fold order (oldest first): its own scan and its choice
 *  under workspace.maxTotalBytes with no document open (server/lsp/indexer.ts). */
export async function foldedFiles(root: string, settings: Settings): Promise<string[]> {
  const scan = await scanWorkspace(root, { maxFileBytes: settings['workspace.maxFileBytes'] }, () => {});
  return orderByRelevance(scan.files, { now: Date.now() }, settings['workspace.maxTotalBytes']).kept.map((f) => f.path);
}

function sinceIndex<T>(list: Timed<T>[], from: number): Timed<T>[] {
  return list.slice(from);
}

export async function runSaveBench(io: CliIO, opts: SaveBenchOptions, log: (line: string) => void): Promise<SaveBenchReport> {
  const repo = path.resolve(io.bundleDir, '..');
  const candidates = repositorySources(repo);
  const files = planWorkspace(candidates, benchSource(repo).text, opts.workspaceFiles);
  const tmp = mkdtempSync(path.join(tmpdir(), 'statewise-bench-save-'));
  const root = path.join(tmp, 'workspace');
  const storagePath = path.join(tmp, 'storage');
  mkdirSync(storagePath, { recursive: true });
  const globalStoragePath = opts.globalStorage ?? path.join(tmp, 'global');
  mkdirSync(globalStoragePath, { recursive: true });
  writeWorkspace(root, files);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const fromRepository = files.filter((f) => !f.path.startsWith('gen/')).length;
  const settings = benchSettings(opts.arch, opts.ep);
  log(`bench save: workspace of ${files.length} files (${fromRepository} from this repository, ${bytes} bytes) in ${root}`);

  const start = () =>
    LspClient.start({
      serverJs: path.join(io.bundleDir, 'server.js'),
      env: serverEnv(io, opts.modelsDir),
      settings,
      root,
      storagePath,
      globalStoragePath,
      trusted: true,
    });
  let client = await start();
  try {
    const { ms: firstIndexMs, state: firstIndex, timeline: firstIndexTimeline } = await firstIndexOf(client);
    const info = await client.info();
    const firstIndexGraphCalls = info.engine?.graphCalls;
    const server = { arch: info.arch, ep: info.ep, epReason: info.epReason, providers: info.providers, devices: devicesOf(info.providers) };
    log(
      `bench save: ${info.arch} on ${jobsText(info.ep, info.providers)} (${info.epReason}); first index ${Math.round(firstIndexMs)} ms: ${firstIndex.lines.join(' | ')}${firstIndexGraphCalls && firstIndex.engineMs !== undefined ? ` | ${graphCallsText(firstIndexGraphCalls, firstIndex.engineMs)}` : ''}`,
    );
    const watcherRegistered = client.registrations.some((r) => r.method === 'workspace/didChangeWatchedFiles');
    if (!watcherRegistered) log('bench save: the server registered no file watcher; sending workspace/didChangeWatchedFiles anyway');

    // the oldest and newest code files of those the server folds: the workspace may be over
    // workspace.maxTotalBytes, and a file left out of the fold would fold only itself when saved
    const byAge = (await foldedFiles(root, settings)).filter((p) => /\.(ts|js|mjs)$/.test(p));
    const cases: SaveCase[] = [];
    for (const [name, rel] of [
      ['most recently modified file', byAge[byAge.length - 1]!],
      ['least recently modified file', byAge[0]!],
    ] as const) {
      const logsFrom = client.logs.length;
      const statusFrom = client.statuses.length;
      appendFileSync(path.join(root, rel), '\nexport const benchSaved = 1;\n');
      const t0 = performance.now();
      await client.watchedFilesChanged([{ uri: pathToFileURL(path.join(root, rel)).href, type: FileChangeType.Changed }]);
      await client.waitReady(`ready after saving ${rel}`, INDEX_TIMEOUT_MS, () => indexedSince(client, statusFrom));
      const statuses = sinceIndex(client.statuses, statusFrom);
      const ready = statuses[statuses.length - 1]!.at;
      const indexing = statuses.find((s) => s.value.state === 'indexing');
      const logLines = sinceIndex(client.logs, logsFrom)
        .map((l) => l.value)
        .filter((l) => !l.startsWith('workspace: skipped'));
      const prov = client.logsMatching(PROVISIONAL_LINE, logsFrom)[0];
      const provisional = prov ? { afterMs: round1(prov.at - t0), line: prov.value } : undefined;
      const c: SaveCase = {
        name,
        path: rel,
        readyMs: round1(ready - t0),
        upToDateMs: provisional?.afterMs ?? round1(ready - t0),
        ...(provisional ? { provisional } : {}),
        indexingAfterMs: indexing ? round1(indexing.at - t0) : null,
        rebuildMs: indexing ? round1(ready - indexing.at) : null,
        state: parseStateLines(client.logsMatching(STATE_LINE, logsFrom).map((l) => l.value)),
        progressTotal: progressTotalOf(statuses.filter((s) => s.value.state === 'indexing').map((s) => s.value.message)),
        logLines,
      };
      cases.push(c);
      log(
        `bench save: ${name} (${rel}): completions up to date after ${Math.round(c.upToDateMs)} ms${provisional ? ' (provisional root)' : ''}, ` +
          `ready after ${Math.round(c.readyMs)} ms (rebuild ${ms(c.rebuildMs)} ms): ${[...(provisional ? [provisional.line] : []), ...c.state.lines].join(' | ')}`,
      );
    }

    const ignored: IgnoredCase[] = [];
    const windowMs = opts.ignoredWindowMs ?? Math.max(5000, settings['workspace.rebuildDelayMs'] + 3000);
    for (const f of IGNORED_FILES) {
      const logsFrom = client.logs.length;
      const statusFrom = client.statuses.length;
      appendFileSync(path.join(root, f.path), '\n');
      await client.watchedFilesChanged([{ uri: pathToFileURL(path.join(root, f.path)).href, type: FileChangeType.Changed }]);
      await new Promise((r) => setTimeout(r, windowMs));
      const c: IgnoredCase = {
        name: f.name,
        path: f.path,
        windowMs,
        ...transitions(sinceIndex(client.statuses, Math.max(0, statusFrom - 1)).map((s) => s.value.state)),
        stateLines: client.logsMatching(STATE_LINE, logsFrom).map((l) => l.value),
      };
      ignored.push(c);
      log(`bench save: ${f.path} changed: ${c.started} rebuilds started, ${c.finished} finished within ${windowMs} ms`);
      // A rebuild it started must not run into the next case.
      if (c.started > c.finished)
        await client.waitReady('ready after an ignored file', INDEX_TIMEOUT_MS, () => indexedSince(client, statusFrom));
    }
    // The workspace reopened: a new server on the same storage (persisted fold checkpoints, auto's
    // kept choice of providers)
    await client.stop();
    client = await start();
    const { ms: reopenMs, state: reopen, timeline: reopenTimeline } = await firstIndexOf(client);
    log(`bench save: reopened (a new server, the same storage) ready after ${Math.round(reopenMs)} ms: ${reopen.lines.join(' | ')}`);
    return {
      method:
        'the bundled server over stdio with the workspace folder as rootUri/workspaceFolders, trusted, workspace.persist on and ' +
        'a fresh storagePath, settings otherwise default; a save = append a line to the file on disk, then workspace/didChangeWatchedFiles ' +
        '(Changed) for it; after the cases the workspace is reopened: a new server on the same storagePath, reopenMs from spawning it to its first ready state; readyMs = from that notification to the ready status that ends the rebuild (indexing → ready), so it ' +
        'includes workspace.rebuildDelayMs; upToDateMs = from that notification until completions use a state with the edit: the ' +
        'engine\'s "workspace state provisional" log line (the changed file folded on top of the old root while the clean fold runs ' +
        'in the background), else readyMs; rebuildMs = from the first indexing status to ready; folded = files the engine folded, as its ' +
        '"workspace state" log line says. Ignored files: rebuilds started (into indexing) and finished (back to ready) within the window.',
      workspace: {
        files: files.length,
        bytes,
        fromRepository,
        synthetic: files.length - fromRepository,
        rebuildDelayMs: settings['workspace.rebuildDelayMs'],
      },
      watcherRegistered,
      firstIndexMs,
      firstIndex,
      firstIndexTimeline,
      ...(firstIndexGraphCalls ? { firstIndexGraphCalls } : {}),
      cases,
      ignored,
      reopenMs,
      reopen,
      reopenTimeline,
      server,
    };
  } finally {
    await client.stop();
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  }
}

export function saveTable(r: SaveBenchReport): string {
  const head = ['event', 'file', 'up to date ms', 'ready ms', 'debounce', 'rebuild ms', 'files', 'tokens', 'folded'];
  const folded = (s: WorkspaceState): string => (s.folded === undefined ? '?' : String(s.folded));
  // a server's first workspace state: from spawning it to ready
  const index = (event: string, readyMs: number, s: WorkspaceState): string[] => [
    event,
    `${r.workspace.files} files`,
    ms(readyMs),
    ms(readyMs),
    '-',
    '-',
    String(s.files ?? '-'),
    String(s.tokens ?? '-'),
    folded(s),
  ];
  const rows: string[][] = [
    index('first index', r.firstIndexMs, r.firstIndex),
    ...r.cases.map((c) => [
      `save, ${c.name}`,
      c.path,
      `${ms(c.upToDateMs)}${c.provisional ? ' (provisional)' : ''}`,
      ms(c.readyMs),
      ms(c.indexingAfterMs),
      ms(c.rebuildMs),
      String(c.state.files ?? '-'),
      String(c.state.tokens ?? '-'),
      folded(c.state),
    ]),
    ...(r.reopenMs !== undefined && r.reopen ? [index('reopen (same storage)', r.reopenMs, r.reopen)] : []),
  ];
  const ignored = r.ignored.map((c) => `${c.path}: ${c.started} rebuilds started, ${c.finished} finished in ${c.windowMs / 1000} s`);
  return [formatTable(head, rows), `ignored changes: ${ignored.join('; ')}`].join('\n');
}
