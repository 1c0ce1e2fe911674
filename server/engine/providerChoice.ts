// Which execution provider runs which job, from repeated timings (setting `auto`). Pure: the
// timings come in, the choice and its reason go out; providerSessions.ts measures and owns sessions.
//   step:      one decode step (completions generate token by token);
//   keystroke: a short prefill call (the tokens typed since the last checkpoint);
//   ingest:    a full prefill chunk (folding the workspace, Ask over a long file, warming a document).
// Rule: the baseline (CPU) runs a job unless another provider's median is below the baseline's
// median by more than `margin` (a fraction); among such providers the lowest median wins. Ties and
// small differences stay on the baseline: no device memory held, no noise flipping the choice. A
// provider that failed to initialise, or has no timings for a job, is not a candidate for it; if the
// baseline has none, the fastest candidate wins.
// A keystroke's prefill is followed by the decode steps of its completion: where the two run on
// different providers, the state crosses between them on every keystroke. The decode step is chosen
// first; a keystroke candidate other than the step's provider is charged the measured handoff
// (`handoffMs`: bringing that device's state to the CPU, or taking it there; one median stands for
// both directions). Ingestion is charged nothing: a fold crosses once for hundreds of chunks.
// Calls of a job may differ in length between providers: a provider with the manifest's ingest graph
// folds in longer chunks (2,048 tokens) than the CPU (prefill's 256). Where the measured lengths of a
// job differ, the providers are compared per token (median / tokens per call), not per call.

export const JOBS = ['step', 'keystroke', 'ingest'] as const;
export type Job = (typeof JOBS)[number];

export const JOB_LABELS: Record<Job, string> = { step: 'decode step', keystroke: 'keystroke prefill', ingest: 'ingestion chunk' };

/** Timings of one provider: milliseconds per call, one entry per repetition; or why it failed. */
export interface ProviderTimings {
  provider: string;
  error?: string;
  ms?: Partial<Record<Job, readonly number[]>>;
  /** ms to bring a state this provider left on its device to the CPU, one entry per repetition
   *  (absent for the CPU, or where states stay on the CPU). */
  handoffMs?: readonly number[];
  /** Tokens per timed call of a job on this provider, where it differs from ChoiceOptions.tokens
   *  (the ingest job on a provider with an ingest graph). */
  tokens?: Partial<Record<Job, number>>;
}

export interface JobChoice {
  provider: string;
  /** Median ms per provider that was measured for this job. */
  medianMs: Record<string, number>;
  /** What each provider was charged besides its median (the keystroke's handoff to the step's provider). */
  extraMs: Record<string, number>;
  /** Tokens per timed call, per measured provider whose length is known. */
  tokens: Record<string, number>;
  /** The measured lengths differ: providers were compared per token (ms per call / tokens). */
  perToken: boolean;
  /** One line, e.g. "decode step: cpu (1.3 ms; webgpu 24.2 ms)", or per token "ingestion chunk per
   *  token: webgpu (19.5 ms / 2048 tok = 9.52 µs/tok; cpu 70.0 ms / 256 tok = 273 µs/tok; …)". */
  why: string;
}

export interface ProviderChoice {
  jobs: Record<Job, JobChoice>;
  /** Providers that run at least one job (baseline first). */
  used: string[];
  /** Providers that initialised but run no job: their sessions are to be released. */
  unused: string[];
  /** Providers that failed (to initialise, or while timed), with the first line of why. */
  failed: Record<string, string>;
  reason: string;
}

export interface ChoiceOptions {
  baseline?: string;
  /** A provider replaces the baseline only when faster by more than this fraction (default 0.1). */
  margin?: number;
  /** Tokens per call of each job (for the reason text), unless a provider's own `tokens` says otherwise. */
  tokens?: Partial<Record<Job, number>>;
}

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

const fmtUs = (us: number): string => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));

interface JobOptions {
  baseline: string;
  margin: number;
  /** The job's label; " (N tok)" is added when every measured provider's calls had N tokens. */
  label: string;
  /** Tokens per call when no provider says otherwise (ProviderTimings.tokens). */
  tokens?: number;
  /** ms charged to a provider besides its median (compared on the sum); `extraWhy` says for what. */
  extraMs?: Record<string, number>;
  extraWhy?: string;
}

/** The provider of one job. Where the measured providers' tokens per call differ, they are compared
 *  per token. */
function chooseJob(job: Job, ok: ProviderTimings[], o: JobOptions): JobChoice {
  const { baseline, margin, label, extraMs = {}, extraWhy = '' } = o;
  const medianMs: Record<string, number> = {};
  const charged: Record<string, number> = {}; // the extra of each measured provider that has one
  const tokens: Record<string, number> = {};
  for (const t of ok) {
    const m = median(t.ms?.[job] ?? []);
    if (!Number.isFinite(m)) continue;
    const x = extraMs[t.provider] ?? 0;
    medianMs[t.provider] = m;
    if (x > 0) charged[t.provider] = x;
    const n = t.tokens?.[job] ?? o.tokens;
    if (n !== undefined && n > 0) tokens[t.provider] = n;
  }
  const measured = Object.keys(medianMs);
  const lengths = new Set<number | undefined>(measured.map((p) => tokens[p]));
  // per token only where every measured provider's length is known and they differ
  const perToken = lengths.size > 1 && !lengths.has(undefined);
  const cost: Record<string, number> = {};
  for (const p of measured) cost[p] = (medianMs[p]! + (charged[p] ?? 0)) / (perToken ? tokens[p]! : 1);
  const base = cost[baseline];
  const others = Object.entries(cost)
    .filter(([p]) => p !== baseline)
    .sort((a, b) => a[1] - b[1]);
  let provider = baseline;
  let note = '';
  if (base === undefined) {
    if (others.length > 0) {
      provider = others[0]![0];
      note = `; ${baseline} not measured`;
    } else note = '; not measured';
  } else if (others.length > 0) {
    const [p, ms] = others[0]!;
    if (ms < base * (1 - margin)) {
      provider = p;
      note = `; ${Math.round((1 - ms / base) * 100)}% faster than ${baseline}`;
    } else if (ms < base) note = `; ${p} within the ${Math.round(margin * 100)}% margin`;
  }
  const ms = (p: string) => {
    const call = charged[p] !== undefined ? `${fmt(medianMs[p]!)} ms + ${fmt(charged[p])} ms ${extraWhy}` : `${fmt(medianMs[p]!)} ms`;
    return perToken ? `${call} / ${tokens[p]} tok = ${fmtUs(cost[p]! * 1000)} µs/tok` : call;
  };
  const rest = measured.filter((p) => p !== provider).map((p) => `${p} ${ms(p)}`);
  const own = medianMs[provider] === undefined ? '' : ms(provider);
  const figures = [own, ...rest].filter(Boolean).join('; ');
  const one = lengths.size === 1 ? [...lengths][0] : lengths.size === 0 ? o.tokens : undefined;
  const title = perToken ? `${label} per token` : one !== undefined ? `${label} (${one} tok)` : label;
  return {
    provider,
    medianMs,
    extraMs: charged,
    tokens,
    perToken,
    why: `${title}: ${provider}${figures ? ` (${figures}${note})` : note ? ` (${note.slice(2)})` : ''}`,
  };
}

/** What each keystroke candidate is charged for handing its state to the decode steps' provider
 *  `step`: nothing on `step` itself; elsewhere the handoff median of the device end (the candidate's
 *  own, or the step provider's when the candidate is the baseline). Unmeasured: nothing. */
export function keystrokeHandoffMs(ok: readonly ProviderTimings[], step: string, baseline: string): Record<string, number> {
  const handoff = (p: string) => median(ok.find((t) => t.provider === p)?.handoffMs ?? []);
  const out: Record<string, number> = {};
  for (const t of ok) {
    if (t.provider === step) continue;
    const x = handoff(t.provider === baseline ? step : t.provider);
    if (Number.isFinite(x) && x > 0) out[t.provider] = x;
  }
  return out;
}

export function chooseProviders(timings: readonly ProviderTimings[], opts: ChoiceOptions = {}): ProviderChoice {
  const baseline = opts.baseline ?? 'cpu';
  const margin = opts.margin ?? 0.1;
  const failed: Record<string, string> = {};
  const ok: ProviderTimings[] = [];
  for (const t of timings) {
    if (t.error !== undefined) failed[t.provider] = t.error;
    else ok.push(t);
  }
  const jobs = {} as Record<Job, JobChoice>;
  // the step first: a keystroke is charged the handoff to the step's provider
  for (const job of JOBS) {
    const o: JobOptions = { baseline, margin, label: JOB_LABELS[job], tokens: opts.tokens?.[job] };
    const step = jobs.step?.provider;
    jobs[job] =
      job === 'keystroke' && step !== undefined
        ? chooseJob(job, ok, {
            ...o,
            extraMs: keystrokeHandoffMs(ok, step, baseline),
            extraWhy: `handing the state to ${step}'s decode steps`,
          })
        : chooseJob(job, ok, o);
  }
  const usedSet = new Set(JOBS.map((j) => jobs[j].provider));
  const used = [...usedSet].sort((a, b) => (a === baseline ? -1 : b === baseline ? 1 : a.localeCompare(b)));
  const unused = ok.map((t) => t.provider).filter((p) => !usedSet.has(p));
  const reps = Math.max(0, ...ok.flatMap((t) => JOBS.map((j) => t.ms?.[j]?.length ?? 0)));
  const head =
    ok.length === 1 && reps === 0
      ? `auto: ${ok[0]!.provider} for every job (the only provider that initialised)`
      : `auto, median of ${reps}, margin ${Math.round(margin * 100)}%: ${JOBS.map((j) => jobs[j].why).join('; ')}`;
  const parts = [
    head,
    ...Object.entries(failed).map(([p, e]) => `${p} unavailable (${e})`),
    ...(unused.length ? [`released ${unused.join(', ')}`] : []),
  ];
  return { jobs, used, unused, failed, reason: parts.join('; ') };
}

/** "cpu", or "cpu+webgpu" when the jobs are split; the provider of each job is in `providers`. */
export function providerSummary(providers: Record<Job, string>): string {
  const set = [...new Set(JOBS.map((j) => providers[j]))];
  return set.join('+');
}
