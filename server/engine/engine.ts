// The engine: one loaded model, the workspace (root) state, open documents and their checkpoints,
// and the completion algorithm. Independent of IPC (main.ts wires it to the parent process).
//
// Token stream of a completion at a cursor (docs/completion.md):
//   [workspace root state] <|file|> path\n  doc lines before the cursor line   ← checkpoints
//   then the layout's tail (completePrompt.ts): the cursor line up to the cursor for `plain`, with
//   the text after the cursor around FIM tokens for `fim` / `suffix-first`  → decode
// The first part is found in the checkpoint store (longest cached prefix) and only the rest is fed,
// so a keystroke costs the current line plus the suffix, whatever the file or workspace size.
import * as ort from 'onnxruntime-node';
import { contentHash, foldSeed, nextFoldKey } from '../shared/fingerprint';
import { pruneCheckpoints } from '../shared/stateFiles';
import { listCheckpoints, loadCheckpoint, saveCheckpoint } from './persist';
import { ask, type AskHost, type OnPartial } from './ask';
import { CheckpointStore, StreamHash } from './checkpoints';
import { EngineDocument, fileHeader } from './document';
import { FoldStore, foldRunChars, foldRuns, provisionalFiles, provisionalKey, runPlan, type FoldCheckpoint } from './folds';
import { badRequest, cancelled, modelCorrupt, notLoaded } from './errors';
import { checksumMap, verifyChecksums } from './integrity';
import { loadKey, readRecord, RECORD_FORMAT, recordFile, writeRecord, type AutoRecord } from './autoRecord';
import type {
  CompleteParams,
  CompleteResult,
  EditParams,
  EngineAskParams,
  EngineAskResult,
  InfoResult,
  LoadParams,
  LoadResult,
  OpenParams,
  ScoreParams,
  ScoreResult,
  StateOverCap,
  WorkspaceParams,
  WorkspaceResult,
} from '../protocol/ipc';
import { ASK_CONTEXTS } from '../protocol/ipc';
import { manifestFiles, readManifest, type Manifest } from './manifest';
import { backgroundChunkTokens, checkpointEvery, ModelRunner, partialUploadFailure, stateLocationSummary, type State } from './model';
import { deviceStateStats, release, retain, stateTensors } from './deviceState';
import { score } from './score';
import { decode } from './decode';
import { splitHealTail } from './heal';
import { completionTail, defaultLayout } from './completePrompt';
import {
  cursorDefinitions,
  exactView,
  fileDefinitions,
  indexDefinitions,
  namedBeyondView,
  type DefinitionIndex,
} from './cursorDefinitions';
import { indentWidth, leadingWhitespace } from '../shared/text';
import { seededRng, topTokens } from './sampler';
import { CodeTokenizer } from './tokenizer';

export type ShouldStop = () => boolean;

/** Background work waits this long after the last foreground request (a keystroke's completion). */
const QUIET_MS = 300;
/** How many line starts above the cursor's line a new line looks back for a checkpoint. */
const LINES_BACK = 64;
/** Characters of the cursor's line fed before the cursor: a longer line is fed from its last
 *  MAX_LINE_CHARS only, so no line length makes a keystroke cost more than ~250 tokens. */
export const MAX_LINE_CHARS = 1024;

/**
 * Whether a multi-line completion has left the cursor's block: a finished line after the first
 * (it ends with a line break) that has code and less indentation than the cursor's line. The
 * server's filter (limitScopeByIndentation) would cut there anyway, keeping such a line only when
 * it closes the block, so decoding stops once that line is complete instead of running to
 * maxTokens.
 */
export function leftScope(text: string, scopeIndent: number): boolean {
  if (scopeIndent === 0) return false;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length - 1; i++) {
    const l = lines[i]!;
    if (l.trim() !== '' && indentWidth(leadingWhitespace(l)) < scopeIndent) return true;
  }
  return false;
}

/** The cursor's line up to the cursor, or its last MAX_LINE_CHARS characters (never half a surrogate pair). */
export function cursorLineWindow(line: string, character: number): { text: string; windowed: boolean } {
  const text = line.slice(0, character);
  if (text.length <= MAX_LINE_CHARS) return { text, windowed: false };
  let from = text.length - MAX_LINE_CHARS;
  const c = text.charCodeAt(from);
  if (c >= 0xdc00 && c <= 0xdfff) from++;
  return { text: text.slice(from), windowed: true };
}
type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** info()'s count of the states on the GPU and of their partial transfers; nothing when none was ever
 *  made (the CPU). */
export function gpuStateInfo(): Pick<InfoResult, 'gpuStates' | 'gpuStateBytes' | 'partialTransfers'> {
  const s = deviceStateStats();
  const upFailed = partialUploadFailure();
  const partial =
    s.partial > 0 || upFailed
      ? { partialTransfers: { downloads: s.partial, downloadsWhole: s.partialMisses, ...(upFailed ? { uploadFailure: upFailed } : {}) } }
      : {};
  return s.adopted > 0 ? { gpuStates: s.live, gpuStateBytes: s.bytes, ...partial } : partial;
}

/**
 * The first logits after a load, through the step graph and the prefill graph (both providers'
 * sessions): all finite, or ModelCorruptError. Weights damaged at the same size (no checksums to
 * catch it) otherwise loaded as ready and every completion then failed on NaN logits.
 */
async function checkFirstLogits(dir: string, model: ModelRunner, m: Manifest): Promise<void> {
  const probe = [m.specialTokens.file, m.specialTokens.endoftext];
  const logitsOf = (r: { logits: Float32Array | undefined; state: State }) => {
    release(r.state);
    return r.logits;
  };
  const runs = [
    logitsOf(await model.step(probe[0]!, model.zeroState())),
    logitsOf(await model.feed(probe, model.zeroState())),
    logitsOf(await model.feed(probe, model.zeroState(), { background: true })),
  ];
  for (const logits of runs) {
    if (!logits || logits.length === 0) throw modelCorrupt(`model ${dir}: the model gave no logits`);
    for (let i = 0; i < logits.length; i++) {
      if (!Number.isFinite(logits[i])) {
        throw modelCorrupt(`model ${dir}: the first logits are not finite (NaN or Inf): the weights are damaged; reinstall the model`);
      }
    }
  }
}

interface Root {
  /** Fold chain key of the files folded into the state (fingerprint.ts foldChainKeys); for a
   *  provisional root, folds.ts provisionalKey. */
  key: string;
  /** Held by the root (setRoot retains it and releases the one it replaces). */
  state: State;
  tokens: number;
  files: number;
  restored: boolean;
  ms: number;
  refoldedFiles: number;
  restoredFiles: number;
  /** What the state has seen of each path: the content hash folded last. */
  content: ReadonlyMap<string, string>;
  /** Changed files folded on top of a clean root while the clean fold runs in the background. */
  provisional?: boolean;
  /** The folder its checkpoints were persisted to, if any. */
  persistedTo?: string;
}

/** Write the checkpoints folded so far to disk at least this often during a long fold. */
const PERSIST_EVERY_MS = 30_000;

/** Lets background work (workspace ingestion, warming) yield to foreground requests. */
class Priority {
  private active = 0;
  private waiters: (() => void)[] = [];
  lastForeground = 0;
  async foreground<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.lastForeground = Date.now();
      if (this.active === 0) for (const w of this.waiters.splice(0)) w();
    }
  }
  /** Resolves when no foreground request runs and none ended in the last `quietMs`: background
   *  work (warming a document, folding the workspace) pauses through a burst of keystrokes instead
   *  of running beside each one on the same cores. */
  async idle(quietMs = QUIET_MS): Promise<void> {
    for (;;) {
      if (this.active > 0) await new Promise<void>((r) => this.waiters.push(r));
      const wait = this.lastForeground + quietMs - Date.now();
      if (this.active === 0 && wait <= 0) return;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export class Engine {
  private manifest?: Manifest;
  private model?: ModelRunner;
  private tok?: CodeTokenizer;
  private loadParams?: LoadParams;
  private root?: Root;
  private workspaceGen = 0;
  private readonly docs = new Map<string, EngineDocument>();
  /** Documents of recent asks about files that are not open (a few, most recent last). */
  private readonly askDocs = new Map<string, { text: string; doc: EngineDocument }>();
  private readonly store = new CheckpointStore(256 * 2 ** 20, (o) => this.noteOverCap(o));
  /** The first document state over the checkpoint cap since the model loaded (warned once). */
  private overCap?: StateOverCap;
  /** Workspace fold checkpoints (file boundaries), up to half of maxStateMB; documents get the rest. */
  private readonly folds = new FoldStore(128 * 2 ** 20);
  private readonly priority = new Priority();
  /** One-line definitions in the workspace's files (cursorDefinitions.ts), from the last setWorkspace. */
  private definitions?: DefinitionIndex;
  /** Each workspace file's definitions by content hash, from the last setWorkspace (reused when unchanged). */
  private fileDefs = new Map<string, ReturnType<typeof fileDefinitions>>();
  /** Disk writes of fold checkpoints, one after the other (never rejects). */
  private diskQueue: Promise<void> = Promise.resolve();

  constructor(private readonly log: Log) {}

  get loaded(): boolean {
    return !!this.model;
  }

  async load(p: LoadParams): Promise<LoadResult> {
    const t0 = performance.now();
    const manifest = readManifest(p.modelDir);
    // every file the manifest names: inside the folder, a regular file, and its sha256 as exported
    const files = manifestFiles(p.modelDir, manifest);
    const integrity = await verifyChecksums(p.modelDir, files, checksumMap(p.modelDir, manifest.checksums));
    if (!integrity.verified) this.log('warn', `model ${p.modelDir}: ${integrity.note}`);
    const tok = CodeTokenizer.fromFile(files.get(manifest.tokenizer)!);
    if (tok.vocabSize > manifest.vocabSize) {
      throw badRequest(`tokenizer has ${tok.vocabSize} tokens but manifest.json says vocabSize ${manifest.vocabSize}`);
    }
    const record = p.ep === 'auto' && p.recordDir ? await this.autoRecordFor(p, p.recordDir, manifest) : undefined;
    const model = await ModelRunner.load(p.modelDir, manifest, p.ep, p.threads, (s) => this.log('info', s), {
      gpuState: p.gpuState,
      recorded: record?.recorded,
    });
    try {
      await checkFirstLogits(p.modelDir, model, manifest);
    } catch (e) {
      await model.release().catch(() => {});
      throw e;
    }
    // a choice this load timed is kept for the next one
    if (record && model.autoChoice && !model.autoChoice.timedAt) {
      const r: AutoRecord = {
        format: RECORD_FORMAT,
        key: record.key,
        timedAt: new Date().toISOString(),
        providers: { ...model.providers },
        reason: model.autoChoice.reason,
        timings: model.timings,
      };
      await writeRecord(record.file, r).catch((e: Error) =>
        this.log('warn', `could not keep auto's choice in ${record.file}: ${e.message}`),
      );
    }
    const old = this.model;
    this.manifest = manifest;
    this.tok = tok;
    this.model = model;
    this.loadParams = p;
    this.setRoot(undefined);
    this.workspaceGen++;
    this.overCap = undefined;
    this.store.clear();
    this.folds.clear();
    this.askDocs.clear();
    this.folds.setCap(Math.floor((p.maxStateMB * 2 ** 20) / 2));
    this.updateDocumentCap();
    for (const d of this.docs.values()) this.docs.set(d.uri, new EngineDocument(d.uri, d.path, d.text(), d.version, tok));
    // a request may still be running on the old sessions: release them a little later
    if (old) setTimeout(() => void old.release().catch(() => {}), 10_000).unref();
    const stateLocation = stateLocationSummary(model.stateLocations);
    if (Object.values(model.providers).some((ep) => ep !== 'cpu'))
      this.log(
        'info',
        `state on ${stateLocation} between model calls${p.gpuState === false && stateLocation === 'cpu' ? ' (statewise.engine.gpuState is off)' : ''}`,
      );
    return {
      arch: manifest.architecture,
      modelName: manifest.name,
      modelVersion: manifest.version,
      ep: model.ep,
      epReason: model.epReason || `${model.ep} requested`,
      providers: model.providers,
      timings: model.timings,
      ingestChunk: model.ingestChunk,
      checkpointEvery: checkpointEvery(p.checkpointInterval, model.ingestChunk),
      ...(model.selection ? { selection: model.selection } : {}),
      stateBytes: manifest.stateBytes,
      stateLocation,
      loadMs: performance.now() - t0,
      verified: integrity.verified,
      integrity: integrity.note,
    };
  }

  /** The record of auto's choice for this model, settings and machine (autoRecord.ts): where it is,
   *  its key, and the record itself where one is usable (else why not, logged). */
  private async autoRecordFor(p: LoadParams, dir: string, m: Manifest): Promise<{ file: string; key: string; recorded?: AutoRecord }> {
    const key = loadKey(p, m, ortVersion());
    const file = recordFile(dir, m.architecture);
    const r = await readRecord(file, key);
    if ('record' in r) return { file, key, recorded: r.record };
    this.log('info', `auto: no kept choice to use (${file}: ${r.why}); timing the providers`);
    return { file, key };
  }

  private need(): { m: Manifest; model: ModelRunner; tok: CodeTokenizer } {
    if (!this.model || !this.manifest || !this.tok) throw notLoaded();
    return { m: this.manifest, model: this.model, tok: this.tok };
  }

  private rootState(): State {
    return this.root?.state ?? this.need().model.zeroState();
  }
  /** The key of the zero state; also the root key when there is no workspace state (checkpoints shared). */
  private zeroKey(): string {
    return `${this.manifest?.version}|empty`;
  }
  private rootKey(): string {
    return this.root ? `${this.manifest?.version}|${this.root.key}` : this.zeroKey();
  }

  // --- workspace ------------------------------------------------------------------------------

  /**
   * Folds `p.files` into the root state, incrementally: each file boundary has a chain key (the
   * paths and content hashes of the files up to it, seeded by the model); the longest prefix with a
   * checkpoint (in memory, else in persistDir) is restored and only the files after it are folded.
   * The files are fed in runs (folds.ts foldRuns: on a GPU, consecutive small files as one token
   * stream of about an ingest chunk or more; on the CPU, file by file) with a checkpoint possible at
   * each run's end; they are kept per runPlan under the fold byte cap and persisted in persistDir.
   *
   * When that clean fold would re-fold many files besides the changed ones (a save of an early file
   * moves it to the end of the order), the changed files are first folded on top of the current
   * root and that becomes the root at once: a provisional root, logged, never persisted, with a key
   * no clean chain has. The clean fold then runs as usual (background chunks, cancellable,
   * superseded by a newer call) and its root replaces the provisional one. Files removed from the
   * list stay in the provisional state; only the clean fold drops them.
   */
  async setWorkspace(
    p: WorkspaceParams,
    shouldStop: ShouldStop,
    progress: (done: number, total: number, tokens: number) => void,
  ): Promise<WorkspaceResult> {
    const loaded = this.need();
    const { m, model } = loaded;
    const gen = ++this.workspaceGen;
    const stop = () => shouldStop() || gen !== this.workspaceGen;
    const t0 = performance.now();
    const modelId = `${m.architecture}/${m.name}`;
    const n = p.files.length;
    // the chain of fold keys (fingerprint.ts foldChainKeys), keeping the content hashes
    const shas = p.files.map((f) => contentHash(f.text));
    // definitions of files whose content is unchanged since the last call are not parsed again
    const defs = new Map<string, ReturnType<typeof fileDefinitions>>();
    this.definitions = indexDefinitions(p.files, (f, i) => {
      const d = this.fileDefs.get(shas[i]!) ?? fileDefinitions(f.text);
      defs.set(shas[i]!, d);
      return d;
    });
    this.fileDefs = defs;
    const keys = [foldSeed(modelId, m.version)];
    p.files.forEach((f, i) => keys.push(nextFoldKey(keys[i]!, f.path, shas[i]!)));
    const content = new Map(p.files.map((f, i) => [f.path, shas[i]!]));
    const runEnds = foldRuns(
      p.files.map((f) => f.text.length),
      foldRunChars(model.ingestChunk),
    );
    const plan = runPlan(runEnds, Math.floor(this.folds.cap / Math.max(1, m.stateBytes)));
    if (p.rebuild) {
      this.folds.clear();
      const dir = p.persistDir;
      if (dir) {
        await (this.diskQueue = this.diskQueue.then(() =>
          pruneCheckpoints(dir, new Set()).catch((e) =>
            this.log('warn', `could not delete the workspace checkpoints: ${(e as Error).message}`),
          ),
        ));
      }
    } else if (this.root?.key === keys[n]) {
      // Nothing foldable changed: no fold, no rewrite (only a first save where none was made yet).
      const root = this.root;
      if (p.persistDir && root.persistedTo !== p.persistDir) {
        await this.persistFolds(p.persistDir, keys, plan, modelId, true);
        root.persistedTo = p.persistDir;
      }
      return { ...this.summary(this.root), restored: n > 0, refoldedFiles: 0, restoredFiles: n };
    }
    const planKeys = new Set([...plan].map((i) => keys[i]!));

    // The longest prefix of the chain with a checkpoint: in memory, else on disk.
    let start = 0;
    let tokens = 0;
    let from = '';
    let restored: State | undefined; // a checkpoint's state, borrowed until `state` retains it below
    const onDisk = p.persistDir && !p.rebuild ? await listCheckpoints(p.persistDir, (s) => this.log('warn', s)) : new Set<string>();
    for (let i = p.rebuild ? 0 : n; i >= 1 && !from; i--) {
      const key = keys[i]!;
      const mem =
        this.folds.get(key) ?? (this.root?.key === key ? { key, files: i, tokens: this.root.tokens, state: this.root.state } : undefined);
      const cp = mem ?? (onDisk.has(key) ? await this.loadFold(p.persistDir!, key, i, modelId) : undefined);
      if (!cp) continue;
      if (!mem) this.folds.put(cp, planKeys);
      ({ files: start, tokens, state: restored } = cp);
      from = mem ? 'memory' : 'disk';
    }
    // this fold's own reference to the state it continues from, released in the finally below
    let state = restored ? retain(restored) : model.zeroState();
    try {
      if (start > 0) progress(start, n, tokens);

      // A long clean fold ahead: the changed files on top of the current root first.
      const base = this.root;
      const onTop = base && !p.rebuild ? provisionalFiles(p.files, shas, start, base.content) : undefined;
      let provisional: WorkspaceResult['provisional'];
      if (base && onTop) {
        let pstate = retain(base.state);
        try {
          const r = await this.foldFiles(
            loaded,
            onTop.map((i) => p.files[i]!),
            pstate,
            stop,
          );
          release(pstate);
          pstate = r.state;
          const ptokens = r.tokens;
          if (stop()) throw badRequest('workspace build superseded');
          const seen = new Map(base.content);
          for (const i of onTop) seen.set(p.files[i]!.path, shas[i]!);
          const ms = performance.now() - t0;
          const key = provisionalKey(
            base.key,
            onTop.map((i) => ({ path: p.files[i]!.path, sha: shas[i]! })),
          );
          this.setRoot({
            key,
            state: pstate,
            tokens: base.tokens + ptokens,
            files: base.files + onTop.length,
            restored: false,
            ms,
            refoldedFiles: onTop.length,
            restoredFiles: base.files,
            content: seen,
            provisional: true,
          });
          provisional = { files: onTop.length, tokens: ptokens, ms, key };
          const what = onTop.length === 1 ? `1 changed file (${p.files[onTop[0]!]!.path})` : `${onTop.length} changed files`;
          this.log(
            'info',
            `workspace state provisional: ${what} folded on top in ${Math.round(ms)} ms; clean fold of ${n - start} files in the background`,
          );
        } finally {
          release(pstate);
        }
      }

      let lastPersist = performance.now();
      // run by run from `start` (a run's end, unless the runs moved since that checkpoint was made:
      // then the first run is cut short at the next end)
      let r0 = runEnds.findIndex((e) => e > start);
      for (let i = start; i < n; r0++) {
        const end = runEnds[r0]!;
        const r = await this.foldFiles(loaded, p.files.slice(i, end), state, stop);
        release(state);
        state = r.state;
        tokens += r.tokens;
        i = end;
        if (plan.has(i)) this.folds.put({ key: keys[i]!, files: i, tokens, state }, planKeys);
        progress(i, n, tokens);
        // A long first fold: keep what is folded so far on disk, in case the editor closes mid-way.
        if (p.persistDir && i < n && performance.now() - lastPersist > PERSIST_EVERY_MS) {
          await this.persistFolds(p.persistDir, keys.slice(0, i + 1), plan, modelId, false);
          lastPersist = performance.now();
        }
      }
      if (stop()) throw badRequest('workspace build superseded');
      const refolded = n - start;
      this.setRoot({
        key: keys[n]!,
        state,
        tokens,
        files: n,
        restored: n > 0 && refolded === 0,
        ms: performance.now() - t0,
        refoldedFiles: refolded,
        restoredFiles: start,
        content,
      });
      const root = this.root!;
      this.folds.retainOnly(planKeys);
      this.updateDocumentCap();
      if (p.persistDir) {
        await this.persistFolds(p.persistDir, keys, plan, modelId, true);
        root.persistedTo = p.persistDir;
      }
      this.log(
        'info',
        `workspace state: ${n} files, ${refolded} folded, ${start} restored${from ? ` from ${from}` : ''}; ${this.folds.size} checkpoints in memory (${(this.folds.bytes / 2 ** 20).toFixed(1)} MiB)${provisional ? '; replaces the provisional root' : ''}`,
      );
      return { ...this.summary(root), ...(provisional ? { provisional } : {}) };
    } finally {
      release(state);
    }
  }

  /** Folds files (each its `<|file|>path` header, then its text) into `state` (lent) as one token
   *  stream, in background chunks that yield to foreground requests. The state returned is the
   *  caller's to release. */
  private async foldFiles(
    { m, model, tok }: { m: Manifest; model: ModelRunner; tok: CodeTokenizer },
    files: readonly { path: string; text: string }[],
    state: State,
    stop: ShouldStop,
  ): Promise<{ state: State; tokens: number }> {
    const ids = files.flatMap((f) => [...fileHeader(m.specialTokens.file, tok, f.path), ...tok.encode(f.text)]);
    let cur = retain(state);
    try {
      for (let at = 0; at < ids.length;) {
        await this.priority.idle();
        const size = this.backgroundChunk();
        const r = await model.feed(ids.slice(at, at + size), cur, { shouldStop: stop, background: true });
        release(cur);
        cur = r.state;
        at += size;
      }
    } catch (e) {
      release(cur);
      throw e;
    }
    return { state: cur, tokens: ids.length };
  }

  /** A persisted fold checkpoint, if it is sound: checked against model, key, place and shapes. */
  private async loadFold(dir: string, key: string, files: number, modelId: string): Promise<FoldCheckpoint | undefined> {
    const m = this.manifest!;
    const saved = await loadCheckpoint(dir, { modelId, modelVersion: m.version, fingerprint: key }, (s) => this.log('warn', s));
    if (!saved) return undefined;
    if (saved.meta.files !== files || !this.matchesState(saved.tensors)) {
      this.log('warn', `workspace checkpoint ${key.slice(0, 12)} in ${dir}: its place or tensor shapes do not match; ignored`);
      return undefined;
    }
    const state = new Map(saved.tensors.map((t) => [t.name, new ort.Tensor('float32', t.data, t.dims)]));
    return { key, files, tokens: saved.meta.tokens, state };
  }

  /**
   * Writes the fold checkpoints of chain `keys` held in memory that are not on disk yet; with
   * `prune`, deletes the persisted ones that are neither in memory nor on the chain's `plan` (file
   * boundaries).
   */
  private persistFolds(dir: string, keys: readonly string[], plan: ReadonlySet<number>, modelId: string, prune: boolean): Promise<void> {
    // one writer at a time: a build's prune must not race another build's writes
    const run = this.diskQueue.then(() => this.persistFoldsNow(dir, keys, plan, modelId, prune));
    this.diskQueue = run;
    return run;
  }

  private async persistFoldsNow(
    dir: string,
    keys: readonly string[],
    plan: ReadonlySet<number>,
    modelId: string,
    prune: boolean,
  ): Promise<void> {
    const m = this.manifest!;
    try {
      const onDisk = await listCheckpoints(dir, (s) => this.log('warn', s));
      const chain = new Set(keys);
      const held = new Map<string, FoldCheckpoint>();
      for (const key of this.folds.keys()) if (chain.has(key)) held.set(key, this.folds.get(key)!);
      // the root, also when no fold checkpoint fits in memory
      if (this.root && this.root.files > 0 && chain.has(this.root.key))
        held.set(this.root.key, { key: this.root.key, files: this.root.files, tokens: this.root.tokens, state: this.root.state });
      // held while written: a fold running meanwhile may evict them from the store or replace the root
      for (const cp of held.values()) retain(cp.state);
      try {
        const keep = new Set<string>();
        for (const [key, cp] of held) {
          keep.add(key);
          if (onDisk.has(key)) continue;
          // a state on the GPU is downloaded (and stays on the CPU from then on)
          const tensors = await stateTensors(
            cp.state,
            m.state.map((s) => s.name),
          );
          await saveCheckpoint(
            dir,
            { modelId, modelVersion: m.version, fingerprint: key, tokens: cp.tokens, createdAt: new Date().toISOString(), files: cp.files },
            tensors,
          );
        }
        if (!prune) return;
        // Earlier boundaries of this chain restored from disk stay on disk, if the plan keeps them.
        for (const i of plan) if (i < keys.length && onDisk.has(keys[i]!)) keep.add(keys[i]!);
        await pruneCheckpoints(dir, keep);
      } finally {
        for (const cp of held.values()) release(cp.state);
      }
    } catch (e) {
      this.log('warn', `could not persist the workspace checkpoints: ${(e as Error).message}`);
    }
  }

  private matchesState(tensors: { name: string; dims: number[] }[]): boolean {
    const m = this.manifest!;
    return (
      m.state.every((s) => {
        const t = tensors.find((x) => x.name === s.name);
        return !!t && t.dims.join(',') === s.shape.join(',');
      }) && tensors.length === m.state.length
    );
  }

  /** Replaces the root (undefined: none): the root holds its state, the old one's is released. */
  private setRoot(r: Root | undefined): void {
    if (r) retain(r.state);
    const old = this.root;
    this.root = r;
    this.store.clear(); // checkpoints of the old root can no longer match
    if (old) release(old.state);
  }

  /** Document checkpoints get what the fold checkpoints leave of maxStateMB. */
  private updateDocumentCap(): void {
    const total = (this.loadParams?.maxStateMB ?? 256) * 2 ** 20;
    this.store.setCap(Math.max(total - this.folds.bytes, total / 2));
  }

  /** Once per model load: a state alone is over the document checkpoint cap (checkpoints.ts keeps
   *  the most recent one anyway); logged, and in info() and every CompleteResult for the status. */
  private noteOverCap(o: StateOverCap): void {
    if (this.overCap) return;
    this.overCap = o;
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const setting = this.loadParams?.maxStateMB ?? 256;
    this.log(
      'warn',
      `a model state of ${mib(o.bytes)} is larger than the ${mib(o.capBytes)} document checkpoints may hold ` +
        `(statewise.engine.maxMemoryMB is ${setting}): only the most recent state is kept, over the cap, so a ` +
        `completion away from the line completed last re-reads the document; raise statewise.engine.maxMemoryMB ` +
        `(document checkpoints get at least half of it) to keep more`,
    );
  }

  private summary(r: Root): WorkspaceResult {
    return {
      files: r.files,
      tokens: r.tokens,
      restored: r.restored,
      ms: r.ms,
      refoldedFiles: r.refoldedFiles,
      restoredFiles: r.restoredFiles,
      key: r.key,
    };
  }

  /** Tokens per background feed (model.ts backgroundChunkTokens). */
  private backgroundChunk(): number {
    const { m, model } = this.need();
    return backgroundChunkTokens(model.ingestChunk, m.graphs.prefill.maxTokens, Date.now() - this.priority.lastForeground);
  }

  // --- documents ------------------------------------------------------------------------------

  openDocument(p: OpenParams): void {
    const { tok } = this.need();
    const d = new EngineDocument(p.uri, p.path, p.text, p.version, tok);
    this.docs.set(p.uri, d);
  }

  editDocument(p: EditParams): void {
    const d = this.docs.get(p.uri);
    if (!d) throw badRequest(`document not open: ${p.uri}`);
    d.apply(p.changes, p.version);
  }

  closeDocument(uri: string): void {
    this.docs.delete(uri);
  }

  /** Test hook (ipc.ts documentText): the engine's copy of an open document. */
  documentText(uri: string): { text: string; version: number } | null {
    const d = this.docs.get(uri);
    return d ? { text: d.text(), version: d.version } : null;
  }

  private header(d: EngineDocument): number[] {
    const { m, tok } = this.need();
    return fileHeader(m.specialTokens.file, tok, d.path);
  }

  /** Brings the state to the end of `tokens`, starting from the longest cached prefix, saving a
   *  checkpoint every `interval` tokens and at the end. The state returned is the caller's to release. */
  private async advance(
    tokens: readonly number[],
    shouldStop: ShouldStop,
    background: boolean,
    base: { key: string; state: () => State } = { key: this.rootKey(), state: () => this.rootState() },
  ): Promise<{ state: State; cached: number }> {
    const { model } = this.need();
    const seed = StreamHash.of(base.key);
    const hit = this.store.longestPrefix(seed, tokens);
    let state = retain(hit?.state ?? base.state());
    let at = hit?.n ?? 0;
    const cached = at;
    if (at === tokens.length) return { state, cached };
    const h = seed.clone();
    for (let i = 0; i < at; i++) h.push(tokens[i]);
    const interval = checkpointEvery(this.loadParams!.checkpointInterval, model.ingestChunk);
    try {
      while (at < tokens.length) {
        if (background) await this.priority.idle();
        const boundary = (Math.floor(at / interval) + 1) * interval;
        const end = Math.min(tokens.length, boundary, at + (background ? this.backgroundChunk() : Infinity));
        const r = await model.feed(tokens.slice(at, end), state, { shouldStop, background });
        for (let i = at; i < end; i++) h.push(tokens[i]);
        release(state);
        state = r.state;
        at = end;
        if (at === boundary || at === tokens.length) this.store.put(h.key(at), at, state);
      }
    } catch (e) {
      release(state);
      throw e;
    }
    return { state, cached };
  }

  /** The state at the start of `line`, fed from the nearest of the LINES_BACK line starts above it
   *  that has a checkpoint (saved at the start of `line` too; the caller's to release); undefined
   *  when none has. */
  private async advanceFromLineAbove(
    d: EngineDocument,
    header: readonly number[],
    line: number,
    shouldStop: ShouldStop,
  ): Promise<{ state: State; cached: number } | undefined> {
    const { model } = this.need();
    const rootKey = this.rootKey();
    for (let from = line - 1; from >= Math.max(0, line - LINES_BACK); from--) {
      const at = d.lineStart(from, rootKey, header);
      const found = this.store.get(at.hash.key(at.pos));
      if (!found) continue;
      const tokens: number[] = [];
      for (let i = from; i < line; i++) for (const t of d.tokensOfLine(i)) tokens.push(t);
      // feed's state is ours (with no tokens: `found`, retained)
      const state = (await model.feed(tokens, found, { shouldStop })).state;
      const end = d.lineStart(line, rootKey, header);
      this.store.put(end.hash.key(end.pos), end.pos, state);
      return { state, cached: at.pos };
    }
    return undefined;
  }

  async warm(uri: string, line: number | undefined, shouldStop: ShouldStop): Promise<{ fedTokens: number }> {
    const d = this.docs.get(uri);
    if (!d) throw badRequest(`document not open: ${uri}`);
    const upto = Math.max(0, Math.min(line ?? d.lineCount, d.lineCount));
    const tokens = [...this.header(d), ...d.tokensBeforeLine(upto)];
    const r = await this.advance(tokens, shouldStop, true);
    release(r.state);
    return { fedTokens: tokens.length - r.cached };
  }

  // --- completion -----------------------------------------------------------------------------

  async complete(p: CompleteParams, shouldStop: ShouldStop): Promise<CompleteResult> {
    return this.priority.foreground(() => this.completeNow(p, shouldStop));
  }

  private async completeNow(p: CompleteParams, shouldStop: ShouldStop): Promise<CompleteResult> {
    const t0 = performance.now();
    const { m, model, tok } = this.need();
    const d = this.docs.get(p.uri);
    if (!d) throw badRequest(`document not open: ${p.uri}`);
    if (d.version !== p.version) throw badRequest(`document ${p.uri} is at version ${d.version}, request is for ${p.version}`);
    const layout = p.layout ?? defaultLayout(m.completion?.layout);
    const empty: CompleteResult = {
      completions: [],
      promptTokens: 0,
      cachedTokens: 0,
      generatedTokens: 0,
      latencyMs: 0,
      timings: { prefixMs: 0, suffixMs: 0, decodeMs: 0 },
      ep: model.ep,
      arch: m.architecture,
      layout,
    };
    if (!d.contains(p.position)) return { ...empty, latencyMs: performance.now() - t0 };

    // Fast path: the checkpoint at the start of the cursor's line (typing on a line hits it every
    // time); otherwise the longest cached prefix of the whole stream.
    const header = this.header(d);
    const start = d.lineStart(p.position.line, this.rootKey(), header);
    const suffix =
      layout !== 'plain' && p.suffixMaxTokens > 0
        ? tok.encode(d.suffixText(p.position, p.suffixMaxTokens * 8)).slice(0, p.suffixMaxTokens)
        : [];
    const line = cursorLineWindow(d.line(p.position.line), p.position.character);
    const { kept, tail: heal } = splitHealTail(line.text);
    const keptTokens = tok.encode((p.position.line > 0 && !line.windowed ? '\n' : '') + kept);
    let tail = completionTail(layout, { fimSuffix: m.specialTokens.fim_suffix, fimMiddle: m.specialTokens.fim_middle }, keptTokens, suffix);
    // Lines defining what the cursor's line names, from beyond the model's view, right before it
    const defsInput = {
      prefix: line.text,
      cursorLine: p.position.line,
      line: (i: number) => d.line(i),
      tokens: (i: number) => d.tokensOfLine(i).length,
      view: exactView(m.config ?? {}),
      workspace: this.definitions,
      path: d.path,
    };
    const defs = p.definitions === false || p.position.line === 0 || line.windowed ? [] : cursorDefinitions(defsInput);
    let defsFed = defs;
    // definition lines fed right before the cursor's line
    const defsTokens = (lines: readonly string[]) => (lines.length ? tok.encode('\n' + lines.join('\n')) : []);
    tail = [...defsTokens(defs), ...tail];
    // The next-token logits come from feeding at least one token: at the very start of a document
    // (plain layout, nothing typed) the header's last token is fed again from the state before it.
    const atDocStart = tail.length === 0;
    if (atDocStart) tail = header.slice(-1);
    // the state at the start of the cursor's line, this request's own reference (released below)
    const atLine = atDocStart ? undefined : this.store.get(start.hash.key(start.pos));
    let lineState = atLine && retain(atLine);
    let cached = start.pos;
    if (!lineState && !atDocStart) {
      // A new line (Enter) or a jump: feed from the nearest line start above that has a checkpoint,
      // so a new line costs the lines since then, not a walk over the whole document.
      const r = await this.advanceFromLineAbove(d, header, p.position.line, shouldStop);
      if (r) ({ state: lineState, cached } = r);
    }
    if (!lineState) {
      const r = await this.advance(
        atDocStart ? header.slice(0, -1) : [...header, ...d.tokensBeforeLine(p.position.line)],
        shouldStop,
        false,
      );
      lineState = r.state;
      cached = r.cached;
    }
    const t1 = performance.now();
    let fed: Awaited<ReturnType<ModelRunner['feed']>>;
    try {
      fed = await model.feed(tail, lineState, { shouldStop });
    } catch (e) {
      release(lineState);
      throw e;
    }
    const t2 = performance.now();

    const stops = new Set([m.specialTokens.fim_end, m.specialTokens.endoftext, m.specialTokens.file]);
    const scopeIndent = indentWidth(leadingWhitespace(d.line(p.position.line)));
    const banned = new Set([...tok.specialIds].filter((id) => !stops.has(id)));
    let generated = 0;
    // one completion decoded from `from` (a fed prompt), `fragment` (the typed word's tail) healed first
    const decodeOne = async (
      from: { logits: Float32Array | undefined; state: State },
      fragment: string,
      temperature: number,
      seed: number,
    ) => {
      const r = await decode(model, tok, {
        logits: from.logits!,
        state: from.state,
        maxTokens: p.maxTokens,
        stops,
        banned,
        temperature,
        topP: p.topP,
        rng: seededRng(seed),
        heal: new TextEncoder().encode(fragment),
        shouldStop,
        onToken: (text) =>
          p.singleLine ? text.slice(fragment.length).includes('\n') : leftScope(text.slice(fragment.length), scopeIndent),
      });
      if (r.stop === 'cancelled') throw cancelled();
      generated += r.generated;
      const out = r.text.startsWith(fragment) ? r.text.slice(fragment.length) : '';
      return p.singleLine ? out.split('\n')[0]! : out;
    };
    const completions: string[] = [];
    // the alternatives fork from fed.state: each decode feeds it to its own first step (never consumed)
    try {
      for (let k = 0; k < Math.max(1, p.n); k++) {
        const text = await decodeOne(fed, heal, k === 0 ? p.temperature : Math.max(p.temperature, 0.8), 1234 + k);
        if (!completions.includes(text)) completions.push(text);
      }
      // The first completion names what the line did not yet (typed key by key, the line is completed
      // before its names are): feed those definitions and decode the rest again from that name.
      const first = completions[0];
      const again =
        first && layout === 'plain' && p.singleLine && p.definitions !== false && p.position.line > 0 && !line.windowed
          ? namedBeyondView(line.text, first, defs, (prefix) => cursorDefinitions({ ...defsInput, prefix }))
          : undefined;
      if (again) {
        const split = splitHealTail(line.text + first.slice(0, again.end));
        const fed2 = await model.feed([...defsTokens(again.defs), ...tok.encode('\n' + split.kept)], lineState, { shouldStop });
        try {
          completions[0] = first.slice(0, again.end) + (await decodeOne(fed2, split.tail, p.temperature, 1234));
          completions.splice(1, completions.length, ...completions.slice(1).filter((c) => c !== completions[0]));
          defsFed = again.defs;
        } finally {
          release(fed2.state);
        }
      }
    } finally {
      release(fed.state);
      release(lineState);
    }
    const t3 = performance.now();
    const top = p.topTokens
      ? topTokens(fed.logits!, Math.min(64, p.topTokens)).map(({ id, p }) => ({ text: tok.tokenText(id), p }))
      : undefined;
    return {
      ...(top ? { top } : {}),
      completions,
      promptTokens: (this.root?.tokens ?? 0) + start.pos + tail.length,
      cachedTokens: (this.root?.tokens ?? 0) + cached,
      generatedTokens: generated,
      latencyMs: t3 - t0,
      timings: { prefixMs: t1 - t0, suffixMs: t2 - t1, decodeMs: t3 - t2 },
      ep: model.ep,
      arch: m.architecture,
      layout,
      ...(defsFed.length ? { definitions: defsFed } : {}),
      ...(this.overCap ? { stateOverCap: this.overCap } : {}),
    };
  }

  // --- ask ------------------------------------------------------------------------------------

  async ask(p: EngineAskParams, shouldStop: ShouldStop, onPartial: OnPartial): Promise<EngineAskResult> {
    const { m, model, tok } = this.need();
    if (typeof p.question !== 'string' || p.question.trim() === '') throw badRequest('ask: the question is empty');
    if (p.context !== undefined && !ASK_CONTEXTS.includes(p.context))
      throw badRequest(`ask: context must be one of ${ASK_CONTEXTS.join(', ')}, got ${JSON.stringify(p.context)}`);
    if (p.windowTokens !== undefined && !(Number.isInteger(p.windowTokens) && p.windowTokens > 0))
      throw badRequest(`ask: windowTokens must be a positive integer, got ${JSON.stringify(p.windowTokens)}`);
    const host: AskHost = {
      manifest: m,
      model,
      tok,
      document: (q) => {
        const open = q.uri === undefined ? undefined : this.docs.get(q.uri);
        if (open && open.version === q.version && open.path === q.path) return open;
        if (typeof q.text !== 'string')
          throw badRequest(`ask: ${q.uri ?? q.path} is not open at version ${q.version} and no text was given`);
        // A file that is not open: keep its line tokens for the next question about the same text.
        const key = `${q.uri ?? ''}|${q.path}`;
        const known = this.askDocs.get(key);
        if (known && known.text === q.text) return known.doc;
        const doc = new EngineDocument(q.uri ?? `ask:${q.path}`, q.path, q.text, q.version ?? 0, tok);
        this.askDocs.delete(key);
        this.askDocs.set(key, { text: q.text, doc });
        if (this.askDocs.size > 4) this.askDocs.delete(this.askDocs.keys().next().value!);
        return doc;
      },
      advanceFromZero: (tokens, stop) => this.advance(tokens, stop, false, { key: this.zeroKey(), state: () => model.zeroState() }),
    };
    return this.priority.foreground(() => ask(host, p, shouldStop, onPartial));
  }

  // --- evaluation -----------------------------------------------------------------------------

  async score(p: ScoreParams, shouldStop: ShouldStop): Promise<ScoreResult> {
    const { m, model, tok } = this.need();
    return score({ manifest: m, model, tok, modelDir: this.loadParams!.modelDir }, p, shouldStop);
  }

  info(): InfoResult {
    return {
      arch: this.manifest?.architecture,
      ep: this.model?.ep,
      modelVersion: this.manifest?.version,
      rssBytes: process.memoryUsage().rss,
      stateCacheBytes: this.store.bytes,
      checkpoints: this.store.size,
      foldCheckpoints: this.folds.size,
      foldCacheBytes: this.folds.bytes,
      ...gpuStateInfo(),
      workspace: this.root ? { ...this.summary(this.root), fingerprint: this.root.key } : undefined,
      ...(this.overCap ? { stateOverCap: this.overCap } : {}),
      ...(this.model ? { graphCalls: this.model.graphCalls() } : {}),
    };
  }
}

/** onnxruntime-node's version (part of auto's record key). */
export function ortVersion(): string {
  return ort.env.versions?.node ?? 'unknown';
}
