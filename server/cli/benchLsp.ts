// statewise bench, LSP part: what an editor gets. The bundled language server (dist/server.js
// --stdio) is started as an editor starts it and driven over LSP: typing sessions in documents of
// ~1k/10k/100k tokens (a new line at the end, inside a line in the middle, at the end of the last
// line), each keystroke one incremental didChange then one automatic textDocument/inlineCompletion,
// timed from the request to its response; and a document that is a single long line. The completion
// debounce is set to 0 so it is not part of the figures.

import * as path from 'node:path';
import type { JobProviders } from '../protocol/lsp';
import { defaultSettings, type Architecture, type ExecutionProviderSetting, type Settings } from '../shared/settings';
import { devicesOf, jobsText } from './benchDevice';
import type { RequestLogParams } from '../protocol/lsp';
import { formatTable, ms, ratio, round1, stats, type Stats } from './benchStats';
import { benchSource, documentOf } from './benchText';
import {
  endPosition,
  KIND_LABEL,
  LONG_LINE_TYPED,
  longLineDocument,
  typeAt,
  TYPING_KINDS,
  typingScript,
  type Position,
  type TypingKind,
} from './benchTyping';
import type { CliIO } from './io';
import { LspClient } from './lspClient';
import { MODELS_ENV } from '../shared/modelDir';

export interface LspBenchOptions {
  sizes: number[];
  keystrokes: number;
  /** Bytes of the single-line document; 0 leaves the long-line case out. */
  longLineBytes: number;
  longLineKeystrokes: number;
  arch: Architecture;
  ep: ExecutionProviderSetting;
  /** Folder of model folders the server reads (passed as $STATEWISE_MODELS_DIR). */
  modelsDir: string;
}

export interface KeystrokeSample {
  /** Wall time from sending the inlineCompletion request to its response. */
  ms: number;
  /** The server's statewise/requestLog for the request. */
  outcome: RequestLogParams['outcome'] | 'unknown';
  serverMs: number;
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  items: number;
}

export interface SessionRow {
  targetTokens: number;
  kind: TypingKind;
  docChars: number;
  docLines: number;
  /** Prompt tokens of the first completion at the end of the document (the document plus its path header). */
  docTokens: number;
  /** Where typing started (0-based line and character). */
  start: Position;
  typed: string;
  /** The unmeasured request at the session's start that brings the engine's state up to the cursor. */
  warmupMs: number;
  ms: Stats;
  serverMs: Stats;
  outcomes: Record<string, number>;
  samples: KeystrokeSample[];
}

export interface LspBenchReport {
  method: string;
  settings: Partial<Settings>;
  source: string;
  charsPerToken: number;
  /** From spawning the server to its first ready status. */
  startupMs: number;
  server: {
    arch?: string;
    ep?: string;
    modelVersion?: string;
    epReason?: string;
    providers?: JobProviders;
    devices: Record<string, string>;
  };
  /** Per size: from didOpen to the first completion at the end of the document (the whole document read). */
  firstCompletion: { targetTokens: number; docTokens: number; ms: number }[];
  sessions: SessionRow[];
  /** p50 of the largest size over p50 of the smallest, per kind. */
  ratios: { kind: TypingKind; fromTokens: number; toTokens: number; p50Ratio: number | null }[];
  longLine?: { bytes: number; typed: string; ms: Stats; samples: KeystrokeSample[] };
}

/** The settings the bench's client reports: defaults, the model and provider asked for, no debounce. */
export function benchSettings(arch: Architecture, ep: ExecutionProviderSetting): Settings {
  return { ...defaultSettings(), 'model.architecture': arch, 'engine.executionProvider': ep, 'completion.debounceMs': 0 };
}

/** The server's environment: this one, with the models folder the CLI resolved. */
export function serverEnv(io: CliIO, modelsDir: string): NodeJS.ProcessEnv {
  return { ...io.env, [MODELS_ENV]: modelsDir };
}

const READY_TIMEOUT_MS = 300_000;
const LANGUAGE = 'javascript';

function sample(r: Awaited<ReturnType<LspClient['inline']>>): KeystrokeSample {
  return {
    ms: round1(r.ms),
    outcome: r.log?.outcome ?? 'unknown',
    serverMs: r.log?.latencyMs ?? 0,
    promptTokens: r.log?.promptTokens ?? 0,
    cachedTokens: r.log?.cachedTokens ?? 0,
    generatedTokens: r.log?.generatedTokens ?? 0,
    items: r.items.length,
  };
}

function countOutcomes(samples: KeystrokeSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[s.outcome] = (out[s.outcome] ?? 0) + 1;
  return out;
}

/** Types `script`'s keystrokes one by one: didChange, then an automatic inlineCompletion at the cursor. */
async function typeSession(
  client: LspClient,
  uri: string,
  version: { v: number },
  script: ReturnType<typeof typeAt>,
): Promise<KeystrokeSample[]> {
  const samples: KeystrokeSample[] = [];
  for (let i = 0; i < script.edits.length; i++) {
    await client.change(uri, ++version.v, [script.edits[i]!]);
    samples.push(sample(await client.inline(uri, script.cursors[i]!)));
  }
  return samples;
}

/** Characters per token of `source`, through the server: the prompt tokens of a completion at the end of a 40k-character sample. */
async function calibrate(client: LspClient, source: string): Promise<number> {
  const text = documentOf(source, 40_000);
  const uri = 'file:///bench/calibrate.js';
  await client.open(uri, LANGUAGE, text);
  const r = await client.inline(uri, endPosition(text));
  await client.close(uri);
  return r.log && r.log.promptTokens > 0 ? text.length / r.log.promptTokens : 3.5;
}

export async function runLspBench(io: CliIO, opts: LspBenchOptions, log: (line: string) => void): Promise<LspBenchReport> {
  const repo = path.resolve(io.bundleDir, '..');
  const source = benchSource(repo);
  const settings = benchSettings(opts.arch, opts.ep);
  const client = await LspClient.start({ serverJs: path.join(io.bundleDir, 'server.js'), env: serverEnv(io, opts.modelsDir), settings });
  try {
    await client.waitReady('ready status', READY_TIMEOUT_MS);
    const startupMs = round1(client.statuses[client.statuses.length - 1]!.at - client.startedAt);
    const info = await client.info();
    log(
      `bench lsp: server ready in ${Math.round(startupMs)} ms (${info.arch} on ${jobsText(info.ep, info.providers)}: ${info.epReason}); ${opts.keystrokes} keystrokes per session`,
    );
    const cpt = await calibrate(client, source.text);
    log(`bench lsp: document text from ${source.description} (${cpt.toFixed(2)} chars/token)`);
    const sessions: SessionRow[] = [];
    const firstCompletion: LspBenchReport['firstCompletion'] = [];
    for (const target of opts.sizes) {
      const text = documentOf(source.text, Math.round(target * cpt)).replace(/\n+$/, '');
      const uri = `file:///bench/doc-${target}.js`;
      const version = { v: 1 };
      await client.open(uri, LANGUAGE, text, version.v);
      const first = await client.inline(uri, endPosition(text));
      const docTokens = first.log?.promptTokens ?? 0;
      firstCompletion.push({ targetTokens: target, docTokens, ms: round1(first.ms) });
      log(`bench lsp: ~${target} tokens (${docTokens} prompt tokens, ${text.length} chars): first completion ${Math.round(first.ms)} ms`);
      for (const kind of TYPING_KINDS) {
        const script = typingScript(text, kind, opts.keystrokes);
        const warm = await client.inline(uri, script.start);
        const samples = await typeSession(client, uri, version, script);
        await client.change(uri, ++version.v, [script.revert]);
        const row: SessionRow = {
          targetTokens: target,
          kind,
          docChars: text.length,
          docLines: text.split('\n').length,
          docTokens,
          start: script.start,
          typed: script.typed,
          warmupMs: round1(warm.ms),
          ms: stats(samples.map((s) => s.ms)),
          serverMs: stats(samples.map((s) => s.serverMs)),
          outcomes: countOutcomes(samples),
          samples,
        };
        sessions.push(row);
        log(
          `bench lsp:   ${KIND_LABEL[kind]} at ${script.start.line + 1}:${script.start.character + 1}: p50 ${ms(row.ms.p50)} ms, p95 ${ms(row.ms.p95)} ms, max ${ms(row.ms.max)} ms`,
        );
      }
      await client.close(uri);
    }
    const ratios = ratiosOf(sessions, opts.sizes);
    let longLine: LspBenchReport['longLine'];
    if (opts.longLineBytes > 0) {
      const text = longLineDocument(source.text, opts.longLineBytes);
      const uri = 'file:///bench/long-line.js';
      const version = { v: 1 };
      await client.open(uri, LANGUAGE, text, version.v);
      log(`bench lsp: one line of ${text.length} bytes, ${opts.longLineKeystrokes} keystrokes at its end…`);
      const script = typeAt(endPosition(text), LONG_LINE_TYPED, opts.longLineKeystrokes, 'endOfLine');
      const samples = await typeSession(client, uri, version, script);
      await client.close(uri);
      longLine = { bytes: text.length, typed: script.typed, ms: stats(samples.map((s) => s.ms)), samples };
      log(`bench lsp:   per request: ${samples.map((s) => `${Math.round(s.ms)} ms`).join(', ')}`);
    }
    return {
      method:
        'the bundled server over stdio (dist/server.js --stdio), no workspace folder; per size one document (didOpen, then one ' +
        'unmeasured completion at its end); per kind, one unmeasured completion at the start cursor, then per keystroke one incremental ' +
        'didChange inserting one character and one automatic textDocument/inlineCompletion at the new cursor, timed from sending the ' +
        'request to its response; the typed text is deleted again (one didChange) before the next kind. completion.debounceMs = 0.',
      settings: { 'completion.debounceMs': 0, 'engine.executionProvider': opts.ep, 'model.architecture': opts.arch },
      source: source.description,
      charsPerToken: Math.round(cpt * 100) / 100,
      startupMs,
      server: {
        arch: info.arch,
        ep: info.ep,
        modelVersion: info.modelVersion,
        epReason: info.epReason,
        providers: info.providers,
        devices: devicesOf(info.providers),
      },
      firstCompletion,
      sessions,
      ratios,
      longLine,
    };
  } finally {
    await client.stop();
  }
}

/** p50 at the largest size over p50 at the smallest, per kind (null with one size). */
export function ratiosOf(sessions: SessionRow[], sizes: number[]): LspBenchReport['ratios'] {
  const from = Math.min(...sizes);
  const to = Math.max(...sizes);
  return TYPING_KINDS.map((kind) => {
    const a = sessions.find((s) => s.kind === kind && s.targetTokens === from);
    const b = sessions.find((s) => s.kind === kind && s.targetTokens === to);
    return { kind, fromTokens: from, toTokens: to, p50Ratio: a && b && from !== to ? ratio(b.ms.p50, a.ms.p50) : null };
  });
}

export function lspTable(r: LspBenchReport): string {
  const head = ['tokens', 'kind', 'doc tok', 'keys', 'p50 ms', 'p95', 'max', 'server p50', 'warm-up', 'ok/cache/empty'];
  const rows = r.sessions.map((s) => [
    `~${s.targetTokens / 1000}k`,
    KIND_LABEL[s.kind],
    String(s.docTokens),
    String(s.ms.n),
    ms(s.ms.p50),
    ms(s.ms.p95),
    ms(s.ms.max),
    ms(s.serverMs.p50),
    ms(s.warmupMs),
    `${s.outcomes.ok ?? 0}/${s.outcomes.cache ?? 0}/${s.outcomes.empty ?? 0}`,
  ]);
  const lines = [formatTable(head, rows)];
  const ratios = r.ratios.filter((x) => x.p50Ratio !== null);
  if (ratios.length > 0) {
    lines.push(
      `p50 ~${ratios[0]!.toTokens / 1000}k / ~${ratios[0]!.fromTokens / 1000}k: ${ratios.map((x) => `${KIND_LABEL[x.kind]} ${x.p50Ratio!.toFixed(2)}×`).join(', ')}`,
    );
  }
  lines.push(
    `first completion after didOpen: ${r.firstCompletion.map((f) => `~${f.targetTokens / 1000}k ${ms(f.ms)} ms`).join(', ')}; server start to ready ${ms(r.startupMs)} ms`,
  );
  if (r.longLine) {
    lines.push(
      `one ${r.longLine.bytes}-byte line, per request: ${r.longLine.samples.map((s) => `${ms(s.ms)} ms`).join(', ')} (p50 ${ms(r.longLine.ms.p50)}, max ${ms(r.longLine.ms.max)})`,
    );
  }
  return lines.join('\n');
}
