// The engine: one loaded model, the workspace (root) state, open documents and their checkpoints,
// and the completion algorithm. Independent of IPC (main.ts wires it to the parent process).
//
// Token stream of a completion at a cursor (ARCHITECTURE.md, "The state cache"):
//   [workspace root state] <|file|> path\n  doc lines before the cursor line   ← checkpoints
//   cursor line up to the cursor  <|fim_suffix|> next lines (capped) <|fim_middle|>  → decode
// The first part is found in the checkpoint store (longest cached prefix) and only the rest is fed,
// so a keystroke costs the current line plus the suffix, whatever the file or workspace size.
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { loadState, saveState } from '../workspace/persist';
import { ask, type AskHost, type OnPartial } from './ask';
import { CheckpointStore, StreamHash } from './checkpoints';
import { EngineDocument, fileHeader } from './document';
import { badRequest, cancelled, notLoaded } from './errors';
import type { CompleteParams, CompleteResult, EditParams, EngineAskParams, EngineAskResult, InfoResult, LoadParams, LoadResult, OpenParams, ScoreParams, ScoreResult, WorkspaceParams, WorkspaceResult } from './ipc';
import { readManifest, type Manifest } from './manifest';
import { ModelRunner, type State } from './model';
import { score } from './score';
import { decode } from './decode';
import { splitHealTail } from './heal';
import { completionTail, defaultLayout } from './completePrompt';
import { seededRng, topTokens } from './sampler';
import { CodeTokenizer } from './tokenizer';

export type ShouldStop = () => boolean;
type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

interface Root { fingerprint: string; state: State; tokens: number; files: number; restored: boolean; ms: number }

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
  /** Resolves when no foreground request runs. */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
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
  private readonly store = new CheckpointStore(256 * 2 ** 20);
  private readonly priority = new Priority();

  constructor(private readonly log: Log) {}

  get loaded(): boolean { return !!this.model; }

  async load(p: LoadParams): Promise<LoadResult> {
    const t0 = performance.now();
    const manifest = readManifest(p.modelDir);
    const tok = CodeTokenizer.fromFile(join(p.modelDir, manifest.tokenizer));
    if (tok.vocabSize > manifest.vocabSize) {
      throw badRequest(`tokenizer has ${tok.vocabSize} tokens but manifest.json says vocabSize ${manifest.vocabSize}`);
    }
    const model = await ModelRunner.load(p.modelDir, manifest, p.ep, p.threads, (s) => this.log('info', s));
    const old = this.model;
    this.manifest = manifest;
    this.tok = tok;
    this.model = model;
    this.loadParams = p;
    this.root = undefined;
    this.workspaceGen++;
    this.store.clear();
    this.askDocs.clear();
    this.store.setCap(p.maxStateMB * 2 ** 20);
    for (const d of this.docs.values()) this.docs.set(d.uri, new EngineDocument(d.uri, d.path, d.text(), d.version, tok));
    // a request may still be running on the old sessions: release them a little later
    if (old) setTimeout(() => void old.release().catch(() => {}), 10_000).unref();
    return {
      arch: manifest.architecture, modelName: manifest.name, modelVersion: manifest.version, ep: model.ep,
      epReason: model.epReason || `${model.ep} requested`, timings: model.timings, stateBytes: manifest.stateBytes,
      loadMs: performance.now() - t0,
    };
  }

  private need(): { m: Manifest; model: ModelRunner; tok: CodeTokenizer } {
    if (!this.model || !this.manifest || !this.tok) throw notLoaded();
    return { m: this.manifest, model: this.model, tok: this.tok };
  }

  private rootState(): State { return this.root?.state ?? this.need().model.zeroState(); }
  /** The key of the zero state; also the root key when there is no workspace state (checkpoints shared). */
  private zeroKey(): string { return `${this.manifest?.version}|empty`; }
  private rootKey(): string { return this.root ? `${this.manifest?.version}|${this.root.fingerprint}` : this.zeroKey(); }

  // --- workspace ------------------------------------------------------------------------------

  async setWorkspace(p: WorkspaceParams, shouldStop: ShouldStop, progress: (done: number, total: number, tokens: number) => void): Promise<WorkspaceResult> {
    const { m, model, tok } = this.need();
    const gen = ++this.workspaceGen;
    const stop = () => shouldStop() || gen !== this.workspaceGen;
    const t0 = performance.now();
    if (this.root?.fingerprint === p.fingerprint) return this.summary(this.root);
    const modelId = `${m.architecture}/${m.name}`;
    if (p.persistDir) {
      const saved = await loadState(p.persistDir, { modelId, modelVersion: m.version, fingerprint: p.fingerprint }, (s) => this.log('warn', s));
      if (saved && this.matchesState(saved.tensors)) {
        const state = new Map(saved.tensors.map((t) => [t.name, new ort.Tensor('float32', t.data, t.dims)]));
        this.setRoot({ fingerprint: p.fingerprint, state, tokens: saved.meta.tokens, files: saved.meta.files ?? p.files.length, restored: true, ms: performance.now() - t0 });
        progress(p.files.length, p.files.length, saved.meta.tokens);
        this.log('info', `workspace state restored from ${p.persistDir} (${saved.meta.tokens} tokens)`);
        return this.summary(this.root!);
      }
    }
    let state = model.zeroState();
    let tokens = 0;
    for (let i = 0; i < p.files.length; i++) {
      const f = p.files[i];
      const ids = [...fileHeader(m.specialTokens.file, tok, f.path), ...tok.encode(f.text)];
      for (let at = 0; at < ids.length; ) {
        await this.priority.idle();
        const n = this.backgroundChunk();
        const r = await model.feed(ids.slice(at, at + n), state, { shouldStop: stop, background: true });
        state = r.state;
        at += n;
      }
      tokens += ids.length;
      progress(i + 1, p.files.length, tokens);
    }
    if (stop()) throw badRequest('workspace build superseded');
    this.setRoot({ fingerprint: p.fingerprint, state, tokens, files: p.files.length, restored: false, ms: performance.now() - t0 });
    if (p.persistDir) {
      const tensors = m.state.map((s) => {
        const t = state.get(s.name)!;
        return { name: s.name, dims: [...t.dims], data: t.data as Float32Array };
      });
      await saveState(p.persistDir, { modelId, modelVersion: m.version, fingerprint: p.fingerprint, tokens, createdAt: new Date().toISOString(), files: p.files.length }, tensors)
        .catch((e) => this.log('warn', `could not persist the workspace state: ${(e as Error).message}`));
    }
    return this.summary(this.root!);
  }

  private matchesState(tensors: { name: string; dims: number[] }[]): boolean {
    const m = this.manifest!;
    return m.state.every((s) => {
      const t = tensors.find((x) => x.name === s.name);
      return !!t && t.dims.join(',') === s.shape.join(',');
    }) && tensors.length === m.state.length;
  }

  private setRoot(r: Root): void {
    this.root = r;
    this.store.clear(); // checkpoints of the old root can no longer match
  }

  private summary(r: Root): WorkspaceResult {
    return { files: r.files, tokens: r.tokens, restored: r.restored, ms: r.ms };
  }

  private backgroundChunk(): number {
    const max = this.need().m.graphs.prefill.maxTokens;
    // Right after a keystroke, keep chunks short so the next request does not wait behind one.
    return Date.now() - this.priority.lastForeground < 3000 ? Math.min(64, max) : max;
  }

  // --- documents ------------------------------------------------------------------------------

  openDocument(p: OpenParams): { tokens: number } {
    const { tok } = this.need();
    const d = new EngineDocument(p.uri, p.path, p.text, p.version, tok);
    this.docs.set(p.uri, d);
    return { tokens: -1 };
  }

  editDocument(p: EditParams): { tokens: number } {
    const d = this.docs.get(p.uri);
    if (!d) throw badRequest(`document not open: ${p.uri}`);
    d.apply(p.changes, p.version);
    return { tokens: -1 };
  }

  closeDocument(uri: string): void { this.docs.delete(uri); }

  private header(d: EngineDocument): number[] {
    const { m, tok } = this.need();
    return fileHeader(m.specialTokens.file, tok, d.path);
  }

  /** Brings the state to the end of `tokens`, starting from the longest cached prefix, saving a
   *  checkpoint every `interval` tokens and at the end. */
  private async advance(
    tokens: readonly number[], shouldStop: ShouldStop, background: boolean, base: { key: string; state: () => State } = { key: this.rootKey(), state: () => this.rootState() },
  ): Promise<{ state: State; cached: number }> {
    const { model } = this.need();
    const seed = StreamHash.of(base.key);
    const hit = this.store.longestPrefix(seed, tokens);
    let state = hit?.state ?? base.state();
    let at = hit?.n ?? 0;
    const cached = at;
    if (at === tokens.length) return { state, cached };
    const h = seed.clone();
    for (let i = 0; i < at; i++) h.push(tokens[i]);
    const interval = this.loadParams!.checkpointInterval;
    while (at < tokens.length) {
      if (background) await this.priority.idle();
      const boundary = (Math.floor(at / interval) + 1) * interval;
      const end = Math.min(tokens.length, boundary, at + (background ? this.backgroundChunk() : Infinity));
      const r = await model.feed(tokens.slice(at, end), state, { shouldStop, background });
      for (let i = at; i < end; i++) h.push(tokens[i]);
      state = r.state;
      at = end;
      if (at === boundary || at === tokens.length) this.store.put(h.key(at), at, state);
    }
    return { state, cached };
  }

  async warm(uri: string, line: number | undefined, shouldStop: ShouldStop): Promise<{ fedTokens: number }> {
    const d = this.docs.get(uri);
    if (!d) throw badRequest(`document not open: ${uri}`);
    const upto = Math.max(0, Math.min(line ?? d.lineCount, d.lineCount));
    const tokens = [...this.header(d), ...d.tokensBeforeLine(upto)];
    const r = await this.advance(tokens, shouldStop, true);
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
      completions: [], promptTokens: 0, cachedTokens: 0, generatedTokens: 0, latencyMs: 0,
      timings: { prefixMs: 0, suffixMs: 0, decodeMs: 0 }, ep: model.ep, arch: m.architecture, layout,
    };
    if (!d.contains(p.position)) return { ...empty, latencyMs: performance.now() - t0 };

    // Fast path: the checkpoint at the start of the cursor's line (typing on a line hits it every
    // time); otherwise the longest cached prefix of the whole stream.
    const header = this.header(d);
    const start = d.lineStart(p.position.line, this.rootKey(), header);
    const suffix = layout !== 'plain' && p.suffixMaxTokens > 0 ? tok.encode(d.suffixText(p.position, p.suffixMaxTokens * 8)).slice(0, p.suffixMaxTokens) : [];
    const lineText = d.line(p.position.line).slice(0, p.position.character);
    const { kept, tail: heal } = splitHealTail(lineText);
    const keptTokens = tok.encode((p.position.line > 0 ? '\n' : '') + kept);
    let tail = completionTail(layout, { fimSuffix: m.specialTokens.fim_suffix, fimMiddle: m.specialTokens.fim_middle }, keptTokens, suffix);
    // The next-token logits come from feeding at least one token: at the very start of a document
    // (plain layout, nothing typed) the header's last token is fed again from the state before it.
    const atDocStart = tail.length === 0;
    if (atDocStart) tail = header.slice(-1);
    let lineState = atDocStart ? undefined : this.store.get(start.hash.key(start.pos));
    let cached = start.pos;
    if (!lineState) {
      const r = await this.advance(atDocStart ? header.slice(0, -1) : [...header, ...d.tokensBeforeLine(p.position.line)], shouldStop, false);
      lineState = r.state;
      cached = r.cached;
    }
    const t1 = performance.now();
    const fed = await model.feed(tail, lineState, { shouldStop });
    const t2 = performance.now();

    const stops = new Set([m.specialTokens.fim_end, m.specialTokens.endoftext, m.specialTokens.file]);
    const banned = new Set([...tok.specialIds].filter((id) => !stops.has(id)));
    const healBytes = new TextEncoder().encode(heal);
    const completions: string[] = [];
    let generated = 0;
    for (let k = 0; k < Math.max(1, p.n); k++) {
      const temperature = k === 0 ? p.temperature : Math.max(p.temperature, 0.8);
      const r = await decode(model, tok, {
        logits: fed.logits!, state: fed.state, maxTokens: p.maxTokens, stops, banned, temperature, topP: p.topP,
        rng: seededRng(1234 + k), heal: healBytes, shouldStop,
        onToken: (text) => p.singleLine && text.slice(heal.length).includes('\n'),
      });
      if (r.stop === 'cancelled') throw cancelled();
      generated += r.generated;
      const out = r.text.startsWith(heal) ? r.text.slice(heal.length) : '';
      const text = p.singleLine ? out.split('\n')[0] : out;
      if (!completions.includes(text)) completions.push(text);
    }
    const t3 = performance.now();
    const top = p.topTokens ? topTokens(fed.logits!, Math.min(64, p.topTokens)).map(({ id, p }) => ({ text: tok.tokenText(id), p })) : undefined;
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
    };
  }

  // --- ask ------------------------------------------------------------------------------------

  async ask(p: EngineAskParams, shouldStop: ShouldStop, onPartial: OnPartial): Promise<EngineAskResult> {
    const { m, model, tok } = this.need();
    if (typeof p.question !== 'string' || p.question.trim() === '') throw badRequest('ask: the question is empty');
    const host: AskHost = {
      manifest: m, model, tok,
      document: (q) => {
        const open = q.uri === undefined ? undefined : this.docs.get(q.uri);
        if (open && open.version === q.version && open.path === q.path) return open;
        if (typeof q.text !== 'string') throw badRequest(`ask: ${q.uri ?? q.path} is not open at version ${q.version} and no text was given`);
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
      workspace: this.root ? { ...this.summary(this.root), fingerprint: this.root.fingerprint } : undefined,
    };
  }
}

