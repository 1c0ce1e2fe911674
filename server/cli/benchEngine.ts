// statewise bench, engine part: warm completion latency after one typed character at the end of
// documents of ~1k, ~10k and ~100k tokens, each without and with a workspace state, measured on the
// engine alone (no language server). A keystroke is: append one character to the document
// (editDocument), then complete at the end; both the latency the engine reports and the end-to-end
// wall time are recorded. With several --gpu-state values (on,off) every case runs once per value,
// each in an engine loaded with statewise.engine.gpuState set so, in the same run.

import * as path from 'node:path';
import { buildContext } from '../lsp/completion/context';
import { LatencyWindow } from '../lsp/completion/latency';
import { buildCompletionRequest } from '../lsp/completion/request';
import type { EngineClient } from '../lsp/engineClient';
import { manifestFiles, readManifest } from '../engine/manifest';
import { CodeTokenizer } from '../engine/tokenizer';
import type { CompleteResult, GraphCalls, LoadResult, PartialTransfers } from '../protocol/ipc';
import { defaultSettings, type ExecutionProviderSetting } from '../shared/settings';
import type { JobProviders } from '../protocol/lsp';
import { devicesOf, jobsText } from './benchDevice';
import { graphCallsSince, graphCallsText } from './benchGraphCalls';
import { benchSource, documentOf, endOf, TYPED } from './benchText';
import type { CliIO } from './io';
import { mib } from './models';
import { openSession } from './session';
import { setWorkspace, workspaceFiles } from './workspace';

const WORKSPACE_FILES = 30;

export interface Percentiles {
  p50: number;
  p95: number;
  mean: number;
}

export interface BenchRow {
  targetTokens: number;
  workspace: boolean;
  docChars: number;
  /** Document tokens (engine's prompt tokens at the end, minus the workspace's). */
  docTokens: number;
  workspaceFiles: number;
  workspaceTokens: number;
  /** Time to feed the document's checkpoints (warm) before the keystrokes. */
  warmMs: number;
  keystrokes: number;
  engineMs: Percentiles;
  wallMs: Percentiles;
  prefixMs: Percentiles;
  decodeMs: Percentiles;
  cachedTokensMean: number;
  promptTokensMean: number;
  generatedTokensMean: number;
  rssBytes: number;
  stateCacheBytes: number;
  checkpoints: number;
  /** statewise.engine.gpuState of the engine that ran the case, where the state lived between calls
   *  (LoadResult.stateLocation) and the states on the GPU after the case (every holder together). */
  gpuState?: 'on' | 'off';
  stateLocation?: string;
  gpuStates?: number;
  partialTransfers?: PartialTransfers;
  /** The graph calls that fed the document (warm), and those that folded the workspace (where it was
   *  folded, not restored): their ms beside warmMs / the fold's show what the graphs cost. */
  fedGraphCalls?: GraphCalls;
  foldGraphCalls?: GraphCalls;
  foldMs?: number;
}

function summarize(samples: number[]): Percentiles {
  const w = new LatencyWindow({ size: samples.length || 1 });
  for (const s of samples) w.record(s);
  const mean = samples.reduce((a, b) => a + b, 0) / (samples.length || 1);
  return { p50: round(w.p50 ?? 0), p95: round(w.p95 ?? 0), mean: round(mean) };
}

const round = (n: number): number => Math.round(n * 10) / 10;
/** A keystroke at least this slow is logged as it comes (a run cut by its time limit keeps it). */
const SLOW_KEYSTROKE_MS = 1000;
const mean = (xs: number[]): number => round(xs.reduce((a, b) => a + b, 0) / (xs.length || 1));

interface RunContext {
  engine: EngineClient;
  settings: ReturnType<typeof defaultSettings>;
  keystrokes: number;
  log: (line: string) => void;
  /** How the engine's ingest job fed (LoadResult.ingestChunk), for the log. */
  ingestChunk?: LoadResult['ingestChunk'];
  /** Tokens between a document's checkpoints (LoadResult.checkpointEvery). */
  checkpointEvery?: number;
}

/** How the ingest job feeds, for the log: "ingest.onnx on webgpu, chunks of up to 2048 tokens" (with
 *  the blocked ingest graph "…, chunks of up to 8192 tokens (multiples of 1024; tails through
 *  ingest.onnx)"), and when `checkpointEvery` is shorter, that a document's warm ends its chunks at
 *  its checkpoints. */
export function ingestFeedText(c: LoadResult['ingestChunk'], checkpointEvery?: number): string {
  if (!c) return 'ingestion chunks not reported by the engine';
  const blocked = c.multipleOf !== undefined && c.tail ? ` (multiples of ${c.multipleOf}; tails through ${c.tail.file})` : '';
  const cut = checkpointEvery !== undefined && checkpointEvery < c.tokens ? `, cut at the checkpoints every ${checkpointEvery} tokens` : '';
  return `ingestion: ${c.file} on ${c.provider}, chunks of up to ${c.tokens} tokens${blocked}${cut}`;
}

function completeAtEnd(ctx: RunContext, uri: string, version: number, text: string): Promise<CompleteResult> {
  const position = endOf(text);
  const { params } = buildCompletionRequest({
    uri,
    version,
    position,
    ctx: buildContext(text, text.length, 'javascript'),
    settings: ctx.settings,
    manual: false,
  });
  return ctx.engine.request('complete', params);
}

async function runOne(
  ctx: RunContext,
  uri: string,
  text0: string,
  rootTokens: number,
): Promise<Omit<BenchRow, 'targetTokens' | 'workspace' | 'workspaceFiles' | 'workspaceTokens'>> {
  const { engine } = ctx;
  let text = text0;
  let version = 1;
  await engine.request('openDocument', { uri, path: 'bench/document.js', text, version });
  const before = (await engine.request('info', {})).graphCalls;
  const warmStart = performance.now();
  await engine.request('warm', { uri });
  const fedMs = performance.now() - warmStart;
  const fedGraphCalls = graphCallsSince(before, (await engine.request('info', {})).graphCalls);
  // progress as it comes, so that a run cut by a time limit (a slow model at a long context) still shows it
  ctx.log(
    `bench engine:   document fed in ${Math.round(fedMs)} ms (${ingestFeedText(ctx.ingestChunk, ctx.checkpointEvery ?? ctx.settings['workspace.checkpointInterval'])}${withText(graphCallsText(fedGraphCalls, fedMs))})`,
  );
  const firstStart = performance.now();
  const first = await completeAtEnd(ctx, uri, version, text); // warms the last line too; not measured
  const warmMs = fedMs + performance.now() - firstStart;
  const docTokens = first.promptTokens - rootTokens;
  const engineMs: number[] = [];
  const wallMs: number[] = [];
  const prefixMs: number[] = [];
  const decodeMs: number[] = [];
  const cached: number[] = [];
  const prompt: number[] = [];
  const generated: number[] = [];
  for (let k = 0; k < ctx.keystrokes; k++) {
    const ch = TYPED[k % TYPED.length]!;
    const at = endOf(text);
    version++;
    text += ch;
    const started = performance.now();
    const [, r] = await Promise.all([
      engine.request('editDocument', { uri, version, changes: [{ range: { start: at, end: at }, text: ch }] }),
      completeAtEnd(ctx, uri, version, text),
    ]);
    wallMs.push(performance.now() - started);
    if (r.latencyMs >= SLOW_KEYSTROKE_MS)
      ctx.log(`bench engine:   keystroke ${k + 1}: ${Math.round(r.latencyMs)} ms (${r.generatedTokens} tokens generated)`);
    engineMs.push(r.latencyMs);
    prefixMs.push(r.timings.prefixMs);
    decodeMs.push(r.timings.decodeMs);
    cached.push(r.cachedTokens);
    prompt.push(r.promptTokens);
    generated.push(r.generatedTokens);
  }
  const info = await engine.request('info', {});
  await engine.request('closeDocument', { uri });
  return {
    docChars: text0.length,
    docTokens,
    warmMs: round(warmMs),
    keystrokes: ctx.keystrokes,
    engineMs: summarize(engineMs),
    wallMs: summarize(wallMs),
    prefixMs: summarize(prefixMs),
    decodeMs: summarize(decodeMs),
    cachedTokensMean: mean(cached),
    promptTokensMean: mean(prompt),
    generatedTokensMean: mean(generated),
    rssBytes: info.rssBytes,
    stateCacheBytes: info.stateCacheBytes,
    checkpoints: info.checkpoints,
    ...(info.gpuStates !== undefined ? { gpuStates: info.gpuStates } : {}),
    ...(info.partialTransfers ? { partialTransfers: info.partialTransfers } : {}),
    ...(fedGraphCalls ? { fedGraphCalls } : {}),
  };
}

const withText = (t: string): string => (t ? `; ${t}` : '');

/** Characters per token of `source` under the model's own tokenizer (the engine's CodeTokenizer on
 *  the manifest's tokenizer file): sizes the documents without feeding a sample through the model,
 *  which for a large-state model (ALiBi uncapped: 769 MiB a call) cost minutes. */
function charsPerToken(modelDir: string, source: string): number {
  const sample = documentOf(source, 40_000);
  const manifest = readManifest(modelDir); // loaded by the engine already: valid, its files inside the folder
  const tok = CodeTokenizer.fromFile(manifestFiles(modelDir, manifest).get(manifest.tokenizer)!);
  return sample.length / Math.max(1, tok.encode(sample).length);
}

export function engineTable(rows: BenchRow[]): string {
  // where the state lived, when it was not the CPU or runs with gpuState on and off are compared
  const stateColumn =
    rows.some((r) => r.gpuState === 'off') || rows.some((r) => r.stateLocation !== undefined && r.stateLocation !== 'cpu');
  const head = [
    ...(stateColumn ? ['state'] : []),
    'tokens',
    'workspace',
    'doc tok',
    'ws tok',
    'warm ms',
    'engine p50',
    'p95',
    'wall p50',
    'p95',
    'cached %',
    'gen',
    'RSS',
    'state cache',
  ];
  const lines = rows.map((r) => [
    ...(stateColumn ? [`${r.stateLocation ?? '?'}${r.gpuState === 'off' ? ' (gpuState off)' : ''}`] : []),
    `~${r.targetTokens / 1000}k`,
    r.workspace ? `${r.workspaceFiles} files` : 'none',
    String(r.docTokens),
    String(r.workspaceTokens),
    String(Math.round(r.warmMs)),
    r.engineMs.p50.toFixed(1),
    r.engineMs.p95.toFixed(1),
    r.wallMs.p50.toFixed(1),
    r.wallMs.p95.toFixed(1),
    ((100 * r.cachedTokensMean) / Math.max(1, r.promptTokensMean)).toFixed(1),
    r.generatedTokensMean.toFixed(1),
    mib(r.rssBytes),
    mib(r.stateCacheBytes),
  ]);
  const all = [head, ...lines];
  const widths = head.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  return all.map((l) => l.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}

export interface EngineBenchOptions {
  sizes: number[];
  keystrokes: number;
  arch: string;
  ep: ExecutionProviderSetting;
  models?: string;
  /** statewise.engine.gpuState values to run every case with, in order (default: the setting's default). */
  gpuState?: boolean[];
  /** statewise.engine.maxMemoryMB of the engine (default: the setting's default). */
  maxMemoryMB?: number;
}

export interface EngineBenchReport {
  model: { arch: string; name: string; version: string; dir: string };
  /** The --ep asked for; `ep` is what runs (e.g. "cpu" after a fallback, "cpu+webgpu" when split). */
  requestedEp: ExecutionProviderSetting;
  ep: string;
  epReason: string;
  /** The provider of each job, and the device behind each provider. */
  providers?: JobProviders;
  devices: Record<string, string>;
  /** `auto`: median ms per call per provider and job, and every repetition that chose them. */
  autoTimings: Record<string, number>;
  /** How the ingest job fed (folding, warming): graph, chunk length, provider. */
  ingestChunk?: LoadResult['ingestChunk'];
  selection?: LoadResult['selection'];
  /** One engine per --gpu-state value: where it kept the state between model calls. */
  gpuStateRuns: { gpuState: 'on' | 'off'; stateLocation: string; epReason: string }[];
  method: string;
  sources: { document: string; workspace: string };
  rows: BenchRow[];
}

export async function runEngineBench(io: CliIO, opts: EngineBenchOptions, log: (line: string) => void): Promise<EngineBenchReport> {
  const repo = path.resolve(io.bundleDir, '..');
  const source = benchSource(repo);
  const wsDir = path.join(repo, 'server');
  const files = await workspaceFiles(wsDir, { maxFiles: WORKSPACE_FILES });

  const rows: BenchRow[] = [];
  const runs: EngineBenchReport['gpuStateRuns'] = [];
  let first: { load: LoadResult; modelDir: string } | undefined;
  for (const gpuState of opts.gpuState ?? [defaultSettings()['engine.gpuState']]) {
    const session = await openSession(io, { models: opts.models, arch: opts.arch, ep: opts.ep, gpuState, maxMemoryMB: opts.maxMemoryMB });
    const load: LoadResult = session.load;
    first ??= { load, modelDir: session.modelDir };
    const onOff = gpuState ? 'on' : 'off';
    const stateLocation = load.stateLocation ?? 'cpu';
    runs.push({ gpuState: onOff, stateLocation, epReason: load.epReason });
    log(
      `bench engine: ${load.modelName} ${load.modelVersion} (${load.arch}) on ${jobsText(load.ep, load.providers)} (--ep ${opts.ep}: ${load.epReason}); gpuState ${onOff}: state on ${stateLocation}; ${opts.keystrokes} keystrokes per case`,
    );
    const ctx: RunContext = {
      engine: session.engine,
      settings: defaultSettings(),
      keystrokes: opts.keystrokes,
      log,
      ingestChunk: load.ingestChunk,
      checkpointEvery: load.checkpointEvery,
    };
    try {
      const cpt = charsPerToken(session.modelDir, source.text);
      log(
        `bench engine: document text from ${source.description} (${cpt.toFixed(2)} chars/token); workspace: ${files.length} files from ${path.relative(repo, wsDir) || '.'}/`,
      );
      for (const target of opts.sizes) {
        const text = documentOf(source.text, Math.round(target * cpt));
        for (const withWorkspace of [false, true]) {
          const before = (await session.engine.request('info', {})).graphCalls;
          const ws = withWorkspace
            ? await setWorkspace(session.engine, load, files)
            : await session.engine.request('setWorkspace', { fingerprint: 'bench:none', files: [] });
          const didFold = withWorkspace && !ws.restored;
          const fold = didFold ? graphCallsSince(before, (await session.engine.request('info', {})).graphCalls) : undefined;
          const folded = didFold
            ? `, folded in ${Math.round(ws.ms)} ms (${ingestFeedText(load.ingestChunk)}${withText(graphCallsText(fold, ws.ms))})`
            : '';
          log(
            `bench engine: ~${target} tokens, ${withWorkspace ? `workspace ${ws.files} files / ${ws.tokens} tokens${folded}` : 'no workspace'}…`,
          );
          const r = await runOne(ctx, `file:///bench/${target}-${withWorkspace ? 'ws' : 'nows'}.js`, text, ws.tokens);
          rows.push({
            targetTokens: target,
            workspace: withWorkspace,
            workspaceFiles: ws.files,
            workspaceTokens: ws.tokens,
            ...r,
            ...(fold ? { foldGraphCalls: fold, foldMs: round(ws.ms) } : {}),
            gpuState: onOff,
            stateLocation,
          });
        }
      }
    } finally {
      session.close();
    }
  }
  const { load, modelDir } = first!;
  return {
    model: { arch: load.arch, name: load.modelName, version: load.modelVersion, dir: modelDir },
    requestedEp: opts.ep,
    ep: load.ep,
    epReason: load.epReason,
    providers: load.providers,
    devices: devicesOf(load.providers),
    autoTimings: load.timings,
    ...(load.ingestChunk ? { ingestChunk: load.ingestChunk } : {}),
    ...(load.selection ? { selection: load.selection } : {}),
    gpuStateRuns: runs,
    method:
      'keystroke = editDocument appending one character at the end, then complete at the end (single line, greedy); ' +
      'document warmed first (warm + one completion); engineMs = engine-reported latency, wallMs = edit + complete round trip',
    sources: { document: source.description, workspace: `${files.length} files from server/ of this repository` },
    rows,
  };
}
