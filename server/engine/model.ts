// onnxruntime-node sessions for one model folder: the single-token step graph and the chunked
// prefill graph, on the execution provider chosen by setting (with CPU fallback and the reason kept),
// or with `auto` on the provider measured fastest for each job (providerChoice.ts). A provider other
// than the CPU also opens the manifest's ingest graph where there is one (graphs.ingest: prefill's
// function, exact for longer calls) and folds in its longer chunks: a GPU call costs about the same
// at 16 or 256 tokens, so longer chunks fold more tokens a second. Where the manifest also names a
// blocked ingest graph (graphs.ingestBlocked: the same function with its attention block by block,
// exact for calls of a multiple of its multipleOf up to its maxTokens, e.g. 8,192 in multiples of
// 1,024), such a provider opens that too and the ingest job's chunks grow to its maxTokens: the
// largest multiple a chunk holds runs through the blocked graph, the tail under multipleOf through
// the ingest graph. The CPU keeps prefill's chunks: a 2,048-token call there would hold a keystroke
// arriving mid-chunk for ~0.6 s.
import '../shared/noTelemetry'; // before onnxruntime-node: no telemetry, also when the engine runs in process
import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { GraphCalls, IngestChunk } from '../protocol/ipc';
import type { ExecutionProviderSetting } from '../shared/settings';
import { cancelled, modelCorrupt } from './errors';
import { checkGraph, type Manifest } from './manifest';
import { chooseProviders, JOBS, median, providerSummary, type Job, type ProviderTimings } from './providerChoice';
import {
  assignSessions,
  isFullPair,
  MEASURE_DEFAULTS,
  measureJobs,
  pairSessions,
  releasePair,
  shortError,
  type GraphPair,
  type IngestGraphs,
  type JobSessions,
  type MeasuredGraph,
  type ProviderSessions,
  type Releasable,
  type MeasureOptions,
} from './providerSessions';
import { sessionDownloader } from './gpuDownload';
import { sessionUploader, type Uploader } from './gpuUpload';
import { advanced, filledSlots, partsWorthIt, windowedEntries, windowsWorthCounting, type WindowedEntry } from './stateWindows';
import { intraOpThreads } from './threads';
import { RECORD_MAX_AGE_MS, type AutoRecord } from './autoRecord';
import { machineProbe, missingPrerequisite } from './providerPrereq';
import {
  adopt,
  assertLive,
  DEVICE_STATE_PROVIDERS,
  holding,
  installDownloader,
  isDeviceSession,
  markDeviceSession,
  release,
  retain,
  setParts,
  toCpu,
} from './deviceState';

/** A model state: one tensor per manifest state entry, keyed by the entry's name. Never mutated. Its
 *  tensors may live in GPU memory: deviceState.ts says who owns it and when it is freed. */
export type State = ReadonlyMap<string, ort.Tensor>;

export { stateBytes } from './deviceState';

type Sessions = GraphPair<ort.InferenceSession>;
type Opened = ProviderSessions<ort.InferenceSession>;
type Jobs = JobSessions<ort.InferenceSession>;

/** Where a session puts its outputs: every state output on the device, the logits (and any other
 *  output: onnxruntime keeps an output it is not told about on the CPU) read back. Asking for every
 *  output on the GPU, logits included, aborts the process in onnxruntime-node 1.30 / 1.31. */
export function deviceOutputLocations(m: Manifest): Record<string, 'cpu' | 'gpu-buffer'> {
  return { [m.outputs.logits]: 'cpu', ...Object.fromEntries(m.state.map((s) => [s.output, 'gpu-buffer' as const])) };
}

async function createSession(
  dir: string,
  file: string,
  ep: string,
  threads: number,
  outputLocations?: Record<string, 'cpu' | 'gpu-buffer'>,
): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: ep === 'cpu' ? ['cpu'] : [ep as 'webgpu', 'cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
  };
  opts.intraOpNumThreads = intraOpThreads(threads, availableParallelism());
  if (outputLocations) opts.preferredOutputLocation = outputLocations;
  const session = await ort.InferenceSession.create(join(dir, file), opts);
  if (outputLocations) {
    markDeviceSession(session);
    useSessionDownloads(ep);
  }
  return session;
}

/**
 * One provider's sessions: step and prefill (either failing throws, nothing left open), and on a
 * provider other than the CPU the manifest's ingest graph, if any, then its blocked ingest graph, if
 * any, each checked against the manifest. An ingest graph that does not open is logged and left out
 * (the blocked one with it: its tails need the ingest graph): the provider then ingests with prefill.
 * A blocked ingest graph that does not open is logged and left out: the provider ingests with the
 * ingest graph. `create` opens one graph file with the provider's options.
 */
export async function openSessions<S extends Releasable & GraphMeta>(
  m: Manifest,
  ep: string,
  log: (s: string) => void,
  create: (file: string) => Promise<S>,
): Promise<GraphPair<S>> {
  const step = await create(m.graphs.step.file);
  let prefill: S;
  try {
    prefill = await create(m.graphs.prefill.file);
  } catch (e) {
    await step.release().catch(() => {});
    throw e;
  }
  const g = m.graphs.ingest;
  if (ep === 'cpu' || !g) return { step, prefill };
  const b = m.graphs.ingestBlocked;
  const ingest = await openChecked(m, 'ingest', g.file, create, (e) =>
    log(
      `${ep}: the ingest graph ${g.file} did not open (${shortError(e)}); ${ep} ingests with ${m.graphs.prefill.file} in chunks of up to ${m.graphs.prefill.maxTokens} tokens${b ? ` (${b.file}, whose tails need ${g.file}, is not opened)` : ''}`,
    ),
  );
  if (!ingest) return { step, prefill };
  const ingestBlocked = await openBlocked(m, ep, log, create);
  return ingestBlocked ? { step, prefill, ingest, ingestBlocked } : { step, prefill, ingest };
}

/**
 * The ingest graphs alone, for a provider that `auto`'s kept choice gives the ingest job and no other
 * (creating a WebGPU session costs 0.3–0.9 s; its step and prefill graphs would be released unused):
 * the manifest's ingest graph, which must open (else this throws, nothing left open), then its
 * blocked ingest graph where it has one (left out where it does not open, logged, as openSessions).
 */
export async function openIngestGraphs<S extends Releasable & GraphMeta>(
  m: Manifest,
  ep: string,
  log: (s: string) => void,
  create: (file: string) => Promise<S>,
): Promise<IngestGraphs<S>> {
  const g = m.graphs.ingest;
  if (!g) throw new Error(`${ep}: the manifest names no ingest graph`);
  let failure: unknown;
  const ingest = await openChecked(m, 'ingest', g.file, create, (e) => (failure = e));
  if (!ingest) throw failure;
  const ingestBlocked = await openBlocked(m, ep, log, create);
  return ingestBlocked ? { ingest, ingestBlocked } : { ingest };
}

/** `file` opened and checked as graph `name`, or undefined where that fails (released, `failed` told). */
async function openChecked<S extends Releasable & GraphMeta>(
  m: Manifest,
  name: 'ingest' | 'ingestBlocked',
  file: string,
  create: (file: string) => Promise<S>,
  failed: (e: unknown) => void,
): Promise<S | undefined> {
  let s: S | undefined;
  try {
    s = await create(file);
    checkGraphOf(m, name, s);
    return s;
  } catch (e) {
    await s?.release().catch(() => {});
    failed(e);
    return undefined;
  }
}

/** The manifest's blocked ingest graph on `ep`, or undefined where it has none or it does not open (logged). */
function openBlocked<S extends Releasable & GraphMeta>(
  m: Manifest,
  ep: string,
  log: (s: string) => void,
  create: (file: string) => Promise<S>,
): Promise<S | undefined> {
  const b = m.graphs.ingestBlocked;
  const g = m.graphs.ingest;
  if (!b || !g) return Promise.resolve(undefined);
  return openChecked(m, 'ingestBlocked', b.file, create, (e) =>
    log(
      `${ep}: the blocked ingest graph ${b.file} did not open (${shortError(e)}); ${ep} ingests with ${g.file} in chunks of up to ${g.maxTokens} tokens`,
    ),
  );
}

/** `ep`'s full pair in `opened` (only a kept choice opens a provider's ingest graphs alone). */
function fullPairOf(opened: ReadonlyMap<string, Opened>, ep: string): Sessions {
  const s = opened.get(ep);
  if (!s || !isFullPair(s)) throw new Error(`${ep}: not every graph is open`);
  return s;
}

/** What checkGraph reads of a session: its inputs' and outputs' names and shapes. */
type GraphMeta = { inputMetadata: Parameters<typeof checkGraph>[2]; outputMetadata: Parameters<typeof checkGraph>[3] };

function checkGraphOf(m: Manifest, name: string, s: GraphMeta): void {
  checkGraph(m, name, s.inputMetadata, s.outputMetadata);
}

const downloaders = new Set<string>();
/** Carries the filled slots of a CPU state's shift-register caches to `ep`'s device sessions (gpuUpload.ts). */
let deviceUploader: Uploader | undefined;

/** Device states of `ep` come back to the CPU through an identity session on `ep` (gpuDownload.ts):
 *  onnxruntime-node's own download of a 'gpu-buffer' tensor aborts the process. CPU states whose
 *  shift-register caches are mostly empty go to them through a pad session on `ep` (gpuUpload.ts). */
function useSessionDownloads(ep: string): void {
  if (downloaders.has(ep)) return;
  if (downloaders.size > 0) throw new Error(`device states on ${ep} and ${[...downloaders].join(', ')}: one download path only`);
  downloaders.add(ep);
  installDownloader(sessionDownloader(ep));
  deviceUploader = sessionUploader(ep);
}

/** Why partial uploads stopped, where the pad graph failed (then onnxruntime uploads states whole). */
let uploadFailure: string | undefined;

/** The pad graph's failure, if any (info().partialTransfers). */
export function partialUploadFailure(): string | undefined {
  return uploadFailure;
}

/** Sets how CPU states' shift-register caches reach device sessions (one for the process; tests give a
 *  fake GPU's). Returns the one it replaces. */
export function installUploader(u: Uploader | undefined): Uploader | undefined {
  const prev = deviceUploader;
  deviceUploader = u;
  return prev;
}

/** Filled slots per mask entry of each state a model call returned (its input's, advanced by the
 *  call's tokens): a device state's masks cannot be read without a download. */
const filledOf = new WeakMap<State, ReadonlyMap<string, number>>();

/** The filled slots of `state`'s shift-register caches, per mask entry: as counted by the model calls
 *  that made it, else read from masks on the CPU; a mask on the device with no count is left out. */
export function filledCounts(state: State, windows: readonly WindowedEntry[]): ReadonlyMap<string, number> {
  const known = filledOf.get(state);
  if (known) return known;
  const out = new Map<string, number>();
  for (const w of windows) {
    const mask = state.get(w.valid);
    if (out.has(w.valid) || !mask || mask.location !== 'cpu') continue;
    const n = filledSlots(mask.data as Float32Array);
    if (n !== undefined) out.set(w.valid, n);
  }
  return out;
}

/** Where each job's state lives between calls: "gpu-buffer" when its sessions keep it on the device. */
export type StateLocations = Record<Job, 'cpu' | 'gpu-buffer'>;

/** "gpu-buffer", "cpu", or the split per job, e.g. "gpu-buffer (keystroke, ingest), cpu (step)". */
export function stateLocationSummary(l: StateLocations): string {
  const by = new Map<string, Job[]>();
  for (const j of JOBS) by.set(l[j], [...(by.get(l[j]) ?? []), j]);
  if (by.size === 1) return [...by.keys()][0]!;
  return [...by].map(([where, jobs]) => `${where} (${jobs.join(', ')})`).join(', ');
}

/** Providers `auto` tries besides the CPU. */
const AUTO_CANDIDATES = ['webgpu'];
/** A provider replaces the CPU for a job only when its median is this fraction faster. */
const AUTO_MARGIN = 0.1;
/** Prefill calls of at most this many tokens count as keystrokes; longer ones as ingestion. */
export const KEYSTROKE_MAX_TOKENS = 64;

export type { IngestChunk };

/** Tokens between a document's checkpoints: the setting (workspace.checkpointInterval), or the ingest
 *  graph's chunk (the blocked ingest graph's where it runs) where the ingest job runs one (a GPU,
 *  where a call's cost barely grows with its length): a document's warm ends its chunks at its
 *  checkpoints, so the setting's 256 would cut every 2,048-token chunk into eight calls. A keystroke
 *  far from a checkpoint then feeds up to that many tokens, as one ingest chunk. */
export function checkpointEvery(setting: number, c: IngestChunk): number {
  return c.graph === 'prefill' ? setting : Math.max(setting, c.tokens);
}

/** Within this long after a foreground request, background feeds on the CPU stay short. */
export const KEYSTROKE_QUIET_MS = 3000;

/** Tokens per background feed (folding, warming), `msSinceForeground` after the last foreground
 *  request: the ingest job's chunk (the blocked ingest graph's maxTokens where it runs), or at most 64
 *  right after a keystroke where the CPU ingests, so the next request does not wait behind a call
 *  whose cost grows with its length. A GPU's barely grows (H100: a 2,048-token ingest call 23.9 ms, a
 *  16-token keystroke prefill 12.4 ms), and under `auto` the keystrokes run on the CPU beside it:
 *  64-token chunks there folded ~20x slower. */
export function backgroundChunkTokens(c: IngestChunk, prefillMax: number, msSinceForeground: number): number {
  return c.provider === 'cpu' && msSinceForeground < KEYSTROKE_QUIET_MS ? Math.min(64, prefillMax, c.tokens) : c.tokens;
}

/** The ingest job's chunks on `provider`: the blocked ingest graph where that job's sessions have it
 *  open (its tails through the ingest graph), else the ingest graph where they have that (never on
 *  the CPU), else prefill's. */
function ingestChunkOf(m: Manifest, jobs: Jobs, provider: string): IngestChunk {
  const ingest = jobs.ingest.ingest && m.graphs.ingest;
  const g = ingest || m.graphs.prefill;
  const plain = { graph: ingest ? ('ingest' as const) : ('prefill' as const), file: g.file, tokens: g.maxTokens };
  const b = jobs.ingest.ingestBlocked && m.graphs.ingestBlocked;
  if (!b) return { ...plain, provider };
  return { graph: 'ingestBlocked', file: b.file, tokens: b.maxTokens, provider, multipleOf: b.multipleOf, tail: plain };
}

const zeroCalls = () => ({ calls: 0, tokens: 0, ms: 0 });

/** "chunks of up to 2048 tokens (ingest.onnx on webgpu)"; with the blocked ingest graph "chunks of up
 *  to 8192 tokens (ingest-blocked.onnx on webgpu, multiples of 1024; tails through ingest.onnx)". */
export function ingestChunkText(c: IngestChunk): string {
  const blocked = c.multipleOf !== undefined && c.tail ? `, multiples of ${c.multipleOf}; tails through ${c.tail.file}` : '';
  return `chunks of up to ${c.tokens} tokens (${c.file} on ${c.provider}${blocked})`;
}

/** What `auto` measured (empty when only the CPU initialised or a provider was named). */
export interface Selection {
  reps: number;
  margin: number;
  /** Tokens per call of each job; the ingest job's where no provider's own (`ingestTokens`) differs. */
  tokens: Record<Job, number>;
  /** Tokens per timed ingest call, per provider: prefill's maxTokens, or the ingest graph's (the
   *  blocked ingest graph's) where the provider has one. */
  ingestTokens: Record<string, number>;
  /** ms per call, per provider and job. */
  samples: Record<string, Record<Job, number[]>>;
  /** ms to bring a provider's device state to the CPU, per provider that keeps states on its device. */
  handoffs: Record<string, number[]>;
  failed: Record<string, string>;
}

export class ModelRunner {
  /** "cpu", "webgpu" or "cpu+webgpu" when jobs are split (see `providers`). */
  readonly ep: string;
  /** Where each job's sessions leave the state: on the GPU (deviceState.ts) or on the CPU. */
  readonly stateLocations: StateLocations;
  /** The ingest job's chunks: the blocked ingest graph's maxTokens where its provider has that graph
   *  open, else the ingest graph's where it has that, else prefill's. feed() uses it, and the engine
   *  cuts its background chunks to it. */
  readonly ingestChunk: IngestChunk;
  /** The manifest's shift-register caches where a transfer of their filled slots alone can pay
   *  (stateWindows.windowsWorthCounting); none for a model whose windows are small. */
  private readonly windows: readonly WindowedEntry[];
  private readonly calls: GraphCalls = { step: zeroCalls(), keystroke: zeroCalls(), ingest: zeroCalls() };

  private constructor(
    readonly manifest: Manifest,
    private readonly jobs: Jobs,
    /** The provider of each job: step = decode steps, keystroke = short prefill, ingest = long prefill. */
    readonly providers: Record<Job, string>,
    readonly epReason: string,
    readonly timings: Record<string, number> = {},
    readonly selection?: Selection,
    /** `auto` with more than the CPU open: the choice's reason, and when it was timed where it came
     *  from a record (autoRecord.ts) instead of this load's timing. */
    readonly autoChoice?: { reason: string; timedAt?: string },
  ) {
    this.ep = providerSummary(providers);
    this.stateLocations = Object.fromEntries(
      JOBS.map((j) => {
        const s = jobs[j];
        const device = isFullPair(s) ? isDeviceSession(s.step) && isDeviceSession(s.prefill) : isDeviceSession(s.ingest);
        return [j, device ? 'gpu-buffer' : 'cpu'];
      }),
    ) as StateLocations;
    this.ingestChunk = ingestChunkOf(manifest, jobs, providers.ingest);
    this.windows = windowsWorthCounting(windowedEntries(manifest));
  }

  /** `reason`, and how the ingest job chunks where it uses the ingest graph (or the blocked one). */
  private static withChunks(reason: string, c: IngestChunk): string {
    return c.graph === 'prefill' ? reason : `${reason}; ingestion in ${ingestChunkText(c)}`;
  }

  /** A runner over sessions opened elsewhere, each job on its provider's pair (tests). */
  static withJobs(m: Manifest, jobs: Jobs, providers: Record<Job, string>, reason: string): ModelRunner {
    return new ModelRunner(m, jobs, providers, reason);
  }

  private static on(m: Manifest, s: Sessions, ep: string, reason: string): ModelRunner {
    const jobs = { step: s, keystroke: s, ingest: s };
    return new ModelRunner(
      m,
      jobs,
      { step: ep, keystroke: ep, ingest: ep },
      reason && ModelRunner.withChunks(reason, ingestChunkOf(m, jobs, ep)),
    );
  }

  /** Loads the graphs on the CPU, then on the requested provider. A named provider runs every job
   *  (the CPU sessions are released) or, if it fails to initialise, the CPU does with the reason.
   *  `auto` times each job on every provider that initialises, gives each job the faster one
   *  (providerChoice.ts) and releases the sessions of a provider that runs none.
   *  With `gpuState` (the default, statewise.engine.gpuState), the sessions of a provider that can
   *  (DEVICE_STATE_PROVIDERS: webgpu) keep the state on the GPU between calls; the CPU's never do.
   *  A provider other than the CPU also opens the manifest's ingest graph, if any, and its blocked
   *  ingest graph, if any, with the same options; where the ingest graph fails (logged) the provider
   *  ingests with the prefill graph, where the blocked one fails with the ingest graph (openSessions). */
  static async load(
    dir: string,
    m: Manifest,
    setting: ExecutionProviderSetting,
    threads: number,
    log: (s: string) => void,
    opts: { gpuState?: boolean; recorded?: AutoRecord } = {},
  ): Promise<ModelRunner> {
    const creator = (ep: string) => {
      const where = opts.gpuState !== false && DEVICE_STATE_PROVIDERS.has(ep) ? deviceOutputLocations(m) : undefined;
      return (file: string) => createSession(dir, file, ep, threads, where);
    };
    const open = (ep: string): Promise<Sessions> => openSessions(m, ep, log, creator(ep));
    let cpu: Sessions;
    try {
      cpu = await open('cpu');
    } catch (e) {
      throw modelCorrupt(`model ${dir}: onnxruntime could not load it: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const [name, s] of Object.entries(cpu)) if (s) checkGraphOf(m, name, s);
    if (setting === 'cpu') return ModelRunner.on(m, cpu, 'cpu', 'cpu requested');
    const opened = new Map<string, Opened>([['cpu', cpu]]);
    const failed: Record<string, string> = {};
    /** Opens each provider: where `ingestAlone` says so its ingest graphs alone, and every graph
     *  where those do not open (logged). */
    const openEach = async (eps: readonly string[], ingestAlone: (ep: string) => boolean = () => false) => {
      for (const ep of eps) {
        const missing = missingPrerequisite(ep, machineProbe);
        if (missing !== undefined) {
          failed[ep] = missing;
          continue;
        }
        try {
          if (ingestAlone(ep)) {
            try {
              opened.set(ep, await openIngestGraphs(m, ep, log, creator(ep)));
              continue;
            } catch (e) {
              log(`${ep}: its ingest graphs alone did not open (${shortError(e)}); opening all its graphs`);
            }
          }
          opened.set(ep, await open(ep));
        } catch (e) {
          failed[ep] = shortError(e);
        }
      }
    };
    // `auto` with a record of an earlier timed load (autoRecord.ts): only the providers it names
    const rec = setting === 'auto' ? opts.recorded : undefined;
    if (rec) {
      const named = new Set(Object.values(rec.providers));
      const foreign = [...named].filter((ep) => ep !== 'cpu' && !AUTO_CANDIDATES.includes(ep));
      if (foreign.length === 0) {
        // a provider the record gives the ingest job alone needs its ingest graphs alone
        const ingestAlone = (ep: string) =>
          m.graphs.ingest !== undefined && JOBS.every((j) => (j === 'ingest') === (rec.providers[j] === ep));
        await openEach(
          AUTO_CANDIDATES.filter((ep) => named.has(ep)),
          ingestAlone,
        );
        if ([...named].every((ep) => opened.has(ep))) return ModelRunner.pick(m, opened, failed, log, MEASURE_DEFAULTS.reps, rec);
      }
      const why = [...named].filter((ep) => !opened.has(ep)).map((ep) => `${ep}: ${failed[ep] ?? 'not a provider auto tries'}`);
      log(`auto: the choice timed ${rec.timedAt} is not kept (${why.join('; ')}); timing the providers again`);
      // timing needs every graph of each provider: one opened for its ingest graphs alone opens again
      for (const [ep, s] of [...opened]) {
        if (isFullPair(s)) continue;
        opened.delete(ep);
        await releasePair(s).catch(() => {});
      }
    }
    await openEach((setting === 'auto' ? AUTO_CANDIDATES : [setting]).filter((ep) => !opened.has(ep) && failed[ep] === undefined));
    if (setting !== 'auto') {
      if (failed[setting] !== undefined) {
        const reason = `${setting} requested but unavailable (${failed[setting]}); cpu runs every job`;
        log(reason);
        return ModelRunner.on(m, cpu, 'cpu', reason);
      }
      await releasePair(cpu).catch(() => {});
      return ModelRunner.on(m, fullPairOf(opened, setting), setting, `${setting} requested; it runs every job`);
    }
    return ModelRunner.pick(m, opened, failed, log);
  }

  /** `auto` once the providers are open: times each job on each (when more than the CPU opened),
   *  keeps the chosen sessions and releases the rest. `opened` must hold 'cpu'. With `recorded` (an
   *  earlier timed load's choice, autoRecord.ts) whose every provider is open, nothing is timed: each
   *  job gets the recorded provider. */
  static async pick(
    m: Manifest,
    opened: ReadonlyMap<string, Opened>,
    failed: Record<string, string>,
    log: (s: string) => void,
    reps = MEASURE_DEFAULTS.reps,
    recorded?: AutoRecord,
  ): Promise<ModelRunner> {
    if (recorded && JOBS.every((j) => opened.has(recorded.providers[j]))) {
      const providers = { ...recorded.providers };
      const { jobs } = await assignSessions(opened, providers, (ep, e) => log(`releasing the ${ep} sessions failed: ${shortError(e)}`));
      const until = new Date(Date.parse(recorded.timedAt) + RECORD_MAX_AGE_MS).toISOString();
      const reason = ModelRunner.withChunks(
        `${recorded.reason} [timed ${recorded.timedAt}; kept until ${until} or a change of model, onnxruntime, settings or machine]`,
        ingestChunkOf(m, jobs, providers.ingest),
      );
      log(reason);
      return new ModelRunner(m, jobs, providers, reason, recorded.timings, undefined, {
        reason: recorded.reason,
        timedAt: recorded.timedAt,
      });
    }
    const max = m.graphs.prefill.maxTokens;
    const o: MeasureOptions = { reps, ingestTokens: max, keystrokeTokens: Math.min(MEASURE_DEFAULTS.keystrokeTokens, max) };
    const tokens: Record<Job, number> = { step: 1, keystroke: o.keystrokeTokens, ingest: o.ingestTokens };
    const timed: ProviderTimings[] = Object.entries(failed).map(([provider, error]) => ({ provider, error }));
    const samples: Record<string, Record<Job, number[]>> = {};
    const handoffs: Record<string, number[]> = {};
    if (opened.size > 1) {
      for (const ep of opened.keys()) {
        const s = fullPairOf(opened, ep);
        const r = ModelRunner.on(m, s, ep, '');
        // the ingest job as it will run: on the ingest graph (the blocked one where the provider has
        // it) at its chunk length, a multiple of the blocked graph's multipleOf
        const c = r.ingestChunk;
        const own: MeasureOptions = c.graph === 'prefill' ? o : { ...o, ingestGraph: c.graph, ingestTokens: c.tokens };
        const ids = (n: number) => Array.from({ length: n }, (_, i) => (100 + i) % m.vocabSize);
        // Each call goes on from the state the previous one returned, as decoding and folding do: on a
        // device that keeps states (gpuState) only the first call uploads one. From a fresh CPU state
        // every time, a large state's upload (ALiBi uncapped: 769 MiB) would be timed as the job.
        let cur: State = r.zeroState();
        try {
          // a measured graph is named as the pair's session of that name
          const call = async (g: MeasuredGraph, n: number) => {
            const out = await r.run(s[g]!, ids(n), cur);
            release(cur);
            cur = out.state;
          };
          // a device's state handed to the CPU (where a keystroke's decode steps may run): timed too
          const device = ep !== 'cpu' && isDeviceSession(s.prefill);
          const { handoff, ...ms } = await measureJobs(call, own, device ? () => toCpu(cur) : undefined);
          samples[ep] = ms;
          timed.push({ provider: ep, ms, tokens: { ingest: own.ingestTokens }, ...(handoff ? { handoffMs: handoff } : {}) });
          if (handoff) handoffs[ep] = handoff;
        } catch (e) {
          if (ep === 'cpu') throw e;
          timed.push({ provider: ep, error: `failed while timed: ${shortError(e)}` });
        } finally {
          release(cur);
        }
      }
    } else timed.push({ provider: 'cpu' });
    const choice = chooseProviders(timed, { tokens, margin: AUTO_MARGIN });
    const providers = Object.fromEntries(JOBS.map((j) => [j, choice.jobs[j].provider])) as Record<Job, string>;
    // releases every provider no job uses, also one that failed while timed
    const { jobs } = await assignSessions(opened, providers, (ep, e) => log(`releasing the ${ep} sessions failed: ${shortError(e)}`));
    const reason = ModelRunner.withChunks(choice.reason, ingestChunkOf(m, jobs, providers.ingest));
    log(reason);
    const timings: Record<string, number> = {};
    for (const j of JOBS)
      for (const [ep, ms] of Object.entries(choice.jobs[j].medianMs)) timings[`${ep}.${j}Ms`] = Math.round(ms * 100) / 100;
    // the length each provider's ingest call was timed at (it differs where a provider has an ingest graph)
    for (const [ep, n] of Object.entries(choice.jobs.ingest.tokens)) timings[`${ep}.ingestTokens`] = n;
    for (const [ep, ms] of Object.entries(handoffs)) timings[`${ep}.handoffMs`] = Math.round(median(ms) * 100) / 100;
    const selection: Selection | undefined =
      opened.size > 1
        ? { reps: o.reps, margin: AUTO_MARGIN, tokens, ingestTokens: choice.jobs.ingest.tokens, samples, handoffs, failed: choice.failed }
        : undefined;
    return new ModelRunner(m, jobs, providers, reason, timings, selection, opened.size > 1 ? { reason: choice.reason } : undefined);
  }

  zeroState(): State {
    return new Map(
      this.manifest.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]),
    );
  }

  /** One graph call; logits of the last position, or of every position ([T, V]) with `allLogits`.
   *  `state` is lent (held for the call); the state returned is the caller's (deviceState.ts). A
   *  session that does not keep states on the device is given CPU copies of device tensors; one that
   *  does is given a CPU state's mostly empty shift-register caches as their filled slots, padded on
   *  the device (uploadParts). A device state returned carries the parts its download needs. */
  private async run(
    sess: ort.InferenceSession,
    ids: readonly number[],
    state: State,
    allLogits = false,
  ): Promise<{ logits: Float32Array; state: State }> {
    return holding(state, async () => {
      const m = this.manifest;
      const device = isDeviceSession(sess);
      if (!device) await toCpu(state);
      assertLive(state, 'a model call');
      const filled = filledCounts(state, this.windows);
      const feeds: Record<string, ort.Tensor> = {
        [m.inputs.tokens]: new ort.Tensor(
          'int64',
          BigInt64Array.from(ids, (x) => BigInt(x)),
          [1, ids.length],
        ),
      };
      const padded = device ? await this.uploadParts(state, filled) : new Map<string, ort.Tensor>();
      for (const s of m.state) feeds[s.input] = padded.get(s.name) ?? state.get(s.name)!;
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await sess.run(feeds);
      } finally {
        for (const t of padded.values()) t.dispose();
      }
      const next = new Map<string, ort.Tensor>();
      for (const s of m.state) next.set(s.name, out[s.output]);
      adopt(next);
      if (this.windows.length > 0) {
        const after = advanced(filled, ids.length, this.windows);
        filledOf.set(next, after);
        if (device) setParts(next, partsWorthIt(this.windows, after));
      }
      const lg = out[m.outputs.logits].data as Float32Array;
      return { logits: !allLogits && lg.length > m.vocabSize ? lg.subarray(lg.length - m.vocabSize) : lg, state: next };
    });
  }

  /** For a device session: the shift-register caches of `state` that are on the CPU, as device tensors
   *  padded from their filled slots (the caller disposes them), where that saves enough
   *  (stateWindows.partsWorthIt); else none, and onnxruntime uploads the state whole. */
  private async uploadParts(state: State, filled: ReadonlyMap<string, number>): Promise<Map<string, ort.Tensor>> {
    const none = new Map<string, ort.Tensor>();
    if (!deviceUploader || this.windows.some((w) => state.get(w.name)?.location !== 'cpu')) return none;
    const parts = partsWorthIt(this.windows, filled);
    if (!parts) return none;
    const names = [...parts.keys()];
    try {
      const tensors = await deviceUploader(
        names.map((k) => {
          const t = state.get(k)!;
          return { data: t.data as Float32Array, dims: t.dims, part: parts.get(k)! };
        }),
      );
      return new Map(names.map((k, i) => [k, tensors[i]!]));
    } catch (e) {
      // a provider that cannot run the pad graph: onnxruntime uploads states whole from now on
      uploadFailure ??= shortError(e);
      deviceUploader = undefined;
      return none;
    }
  }

  /** One decode step. The state returned is the caller's to release. */
  step(id: number, state: State) {
    return this.counted('step', this.jobs.step.step, [id], state);
  }

  /** `run`, its time and tokens added to `job`'s count. */
  private async counted(job: Job, sess: ort.InferenceSession, ids: readonly number[], state: State) {
    const t0 = performance.now();
    const r = await this.run(sess, ids, state);
    const c = this.calls[job];
    c.calls++;
    c.tokens += ids.length;
    c.ms += performance.now() - t0;
    return r;
  }

  /** The graph calls of each job since load (a copy). */
  graphCalls(): GraphCalls {
    return { step: { ...this.calls.step }, keystroke: { ...this.calls.keystroke }, ingest: { ...this.calls.ingest } };
  }

  /** Feeds tokens through the prefill graph in chunks; returns the last logits and the state (the
   *  caller's to release; `state` itself, with a new reference, when `ids` is empty). A chunk of the
   *  ingest job (background, or more than KEYSTROKE_MAX_TOKENS left) runs on the ingest job's ingest
   *  session in chunks of up to ingestChunk.tokens where its provider has one (ingestCall: on the
   *  blocked ingest graph, the largest multiple of its multipleOf, the tail on the ingest graph);
   *  every other chunk is at most prefill's maxTokens. `shouldStop` is checked between calls;
   *  `onChunk` sees (is lent) the state after each call. Callers that checkpoint every N tokens cut
   *  `ids` there (engine.ts). */
  async feed(
    ids: readonly number[],
    state: State,
    opts: { shouldStop?: () => boolean; onChunk?: (fed: number, state: State) => void; background?: boolean } = {},
  ): Promise<{ logits: Float32Array | undefined; state: State }> {
    const max = this.manifest.graphs.prefill.maxTokens;
    let logits: Float32Array | undefined;
    let cur = retain(state);
    try {
      for (let i = 0; i < ids.length;) {
        if (opts.shouldStop?.()) throw cancelled();
        const left = ids.length - i;
        // one token is a step; a short chunk in the foreground a keystroke; the rest ingestion
        const ingesting = opts.background || Math.min(max, left) > KEYSTROKE_MAX_TOKENS;
        const call = ingesting ? this.ingestCall(left) : { n: Math.min(max, left), sess: this.jobs.keystroke.prefill };
        const n = call.n;
        const job: Job = n === 1 ? 'step' : ingesting ? 'ingest' : 'keystroke';
        const sess = job === 'step' ? this.jobs.step.step : call.sess;
        const r = await this.counted(job, sess, ids.slice(i, i + n), cur);
        logits = r.logits;
        release(cur);
        cur = r.state;
        i += n;
        opts.onChunk?.(i, cur);
      }
    } catch (e) {
      release(cur);
      throw e;
    }
    return { logits, state: cur };
  }

  /** The ingest job's next call with `left` tokens to go: on the blocked ingest graph the largest
   *  multiple of its multipleOf that is at most min(left, its maxTokens), where that is at least one
   *  multiple; else (the tail, under multipleOf) on the ingest graph, or prefill, up to its maxTokens. */
  private ingestCall(left: number): { n: number; sess: ort.InferenceSession } {
    const c = this.ingestChunk;
    const s = this.jobs.ingest;
    if (c.graph === 'ingestBlocked' && c.multipleOf !== undefined && s.ingestBlocked) {
      const n = Math.floor(Math.min(left, c.tokens) / c.multipleOf) * c.multipleOf;
      if (n >= c.multipleOf) return { n, sess: s.ingestBlocked };
    }
    const g = c.tail ?? c;
    // ingest graphs opened alone always hold the ingest graph (openIngestGraphs)
    return { n: Math.min(left, g.tokens), sess: (g.graph === 'ingest' && s.ingest) || !isFullPair(s) ? s.ingest! : s.prefill };
  }

  private scoreSession?: Promise<ort.InferenceSession>;

  /** Runs the all-positions `score` graph on up to graphs.score.maxTokens tokens: logits [T, V]. Its
   *  session is the CPU's: a state on the GPU is downloaded first. */
  async scoreChunk(dir: string, ids: readonly number[], state: State): Promise<{ logits: Float32Array; state: State }> {
    const g = this.manifest.graphs.score;
    if (!g) throw modelCorrupt(`model ${dir}: manifest.json names no score graph`);
    this.scoreSession ??= createSession(dir, g.file, 'cpu', 0);
    return this.run(await this.scoreSession, ids, state, true);
  }

  async release(): Promise<void> {
    const all = new Set(JOBS.flatMap((j) => pairSessions(this.jobs[j])));
    if (this.scoreSession) all.add(await this.scoreSession);
    await Promise.all([...all].map((s) => s.release()));
  }
}
