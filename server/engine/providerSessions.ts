// Sessions per execution provider for `auto`: timing each job on one provider's graphs, and giving
// each job the sessions of its chosen provider while releasing those of every provider that runs
// none (a WebGPU pair left loaded holds device memory for nothing). The choice is providerChoice.ts.

import { JOBS, type Job } from './providerChoice';

export interface Releasable {
  release(): Promise<void>;
}

/** One provider's step and prefill graphs, its ingest graph where it has one and its blocked ingest
 *  graph where it has that too (never the CPU: model.ts opens the manifest's graphs.ingest and
 *  graphs.ingestBlocked on the other providers only). */
export interface GraphPair<S extends Releasable = Releasable> {
  step: S;
  prefill: S;
  ingest?: S;
  ingestBlocked?: S;
}

/** A provider opened for the ingest job alone (`auto` keeping a choice that gives it no other job,
 *  model.ts): its ingest graph, and its blocked ingest graph where it has that. */
export interface IngestGraphs<S extends Releasable = Releasable> {
  ingest: S;
  ingestBlocked?: S;
}

/** What a provider opened: every graph, or the ingest graphs alone. */
export type ProviderSessions<S extends Releasable = Releasable> = GraphPair<S> | IngestGraphs<S>;

/** Each job's sessions: decode steps and keystrokes need a provider's full pair, the ingest job
 *  its ingest graphs at least. */
export interface JobSessions<S extends Releasable = Releasable> {
  step: GraphPair<S>;
  keystroke: GraphPair<S>;
  ingest: ProviderSessions<S>;
}

/** Whether a provider opened every graph (not the ingest graphs alone). */
export function isFullPair<S extends Releasable>(p: ProviderSessions<S>): p is GraphPair<S> {
  return 'step' in p;
}

/** A graph call of the measurement: the step graph (1 token), prefill, ingest or ingestBlocked (n tokens). */
export type MeasuredGraph = 'step' | 'prefill' | 'ingest' | 'ingestBlocked';

/** Repetitions and call sizes of the `auto` measurement. The ingest job is timed on `ingestGraph`
 *  (default prefill) at `ingestTokens`: a provider with an ingest graph (or a blocked one) at its
 *  chunk length. */
export interface MeasureOptions {
  reps: number;
  keystrokeTokens: number;
  ingestTokens: number;
  ingestGraph?: 'prefill' | 'ingest' | 'ingestBlocked';
}

export const MEASURE_DEFAULTS: MeasureOptions = { reps: 5, keystrokeTokens: 16, ingestTokens: 256 };

/** Milliseconds per call of each job, `reps` times after one warm-up call each. `call` runs one
 *  graph call: the step graph (n = 1) or the prefill or ingest graph on n tokens (model.ts chains the calls, each
 *  going on from the state the previous one returned). With `toCpu` (bring the current state to the
 *  CPU), also `handoff`: `reps` times a keystroke call, then the timed `toCpu` (providerChoice.ts). */
export async function measureJobs(
  call: (graph: MeasuredGraph, n: number) => Promise<unknown>,
  o: MeasureOptions,
  toCpu?: () => Promise<unknown>,
): Promise<Record<Job, number[]> & { handoff?: number[] }> {
  const plan: Record<Job, [MeasuredGraph, number]> = {
    step: ['step', 1],
    keystroke: ['prefill', o.keystrokeTokens],
    ingest: [o.ingestGraph ?? 'prefill', o.ingestTokens],
  };
  const ms = { step: [], keystroke: [], ingest: [] } as Record<Job, number[]>;
  for (const job of JOBS) await call(...plan[job]);
  // interleaved, so a slow stretch of a shared machine does not land on one job only
  for (let r = 0; r < o.reps; r++) {
    for (const job of JOBS) {
      const t = performance.now();
      await call(...plan[job]);
      ms[job].push(performance.now() - t);
    }
  }
  if (!toCpu) return ms;
  const handoff: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    await call('prefill', o.keystrokeTokens);
    const t = performance.now();
    await toCpu();
    handoff.push(performance.now() - t);
  }
  return { ...ms, handoff };
}

/** Gives each job its provider's pair and releases every opened pair no job uses. A release that
 *  fails is reported through `onError`, never thrown: the chosen sessions are already in hand. */
export async function assignSessions<S extends Releasable>(
  opened: ReadonlyMap<string, ProviderSessions<S>>,
  providers: Record<Job, string>,
  onError: (provider: string, e: unknown) => void = () => {},
): Promise<{ jobs: JobSessions<S>; released: string[] }> {
  const pairOf = (job: Job): ProviderSessions<S> => {
    const pair = opened.get(providers[job]);
    if (!pair) throw new Error(`no sessions opened for ${providers[job]} (${job})`);
    return pair;
  };
  const full = (job: Job): GraphPair<S> => {
    const pair = pairOf(job);
    if (!isFullPair(pair)) throw new Error(`${providers[job]} opened its ingest graphs alone, not the graphs ${job} needs`);
    return pair;
  };
  const jobs: JobSessions<S> = { step: full('step'), keystroke: full('keystroke'), ingest: pairOf('ingest') };
  const used = new Set(JOBS.map((j) => providers[j]));
  const released: string[] = [];
  for (const [provider, pair] of opened) {
    if (used.has(provider)) continue;
    released.push(provider);
    await releasePair(pair).catch((e) => onError(provider, e));
  }
  return { jobs, released };
}

/** Every session a provider opened: step and prefill where open, ingest and ingestBlocked where open. */
export function pairSessions<S extends Releasable>(pair: ProviderSessions<S>): S[] {
  const full = isFullPair(pair) ? [pair.step, pair.prefill] : [];
  return [...full, ...(pair.ingest ? [pair.ingest] : []), ...(pair.ingestBlocked ? [pair.ingestBlocked] : [])];
}

/** Releases a provider's sessions, its ingest sessions too; every release is tried, the first error thrown. */
export async function releasePair(pair: ProviderSessions): Promise<void> {
  const all = new Set<Releasable>(pairSessions(pair));
  const results = await Promise.allSettled([...all].map((s) => s.release()));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/** The first line of an initialisation error, without onnxruntime's source location. */
export function shortError(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return line.replace(/^\S+\.(cc|cpp|h):\d+ .*? was false\. /, '').slice(0, 200);
}
