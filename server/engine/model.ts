// onnxruntime-node sessions for one model folder: the single-token step graph and the chunked
// prefill graph, on the execution provider chosen by setting (with CPU fallback and the reason kept).
import '../shared/noTelemetry'; // before onnxruntime-node: no telemetry, also when the engine runs in process
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { ExecutionProviderSetting } from '../shared/settings';
import { cancelled, modelCorrupt } from './errors';
import { checkGraph, type Manifest } from './manifest';

/** A model state: one tensor per manifest state entry, keyed by the entry's name. Never mutated. */
export type State = ReadonlyMap<string, ort.Tensor>;

export function stateBytes(s: State): number {
  let n = 0;
  for (const t of s.values()) n += (t.data as Float32Array).byteLength;
  return n;
}

interface Sessions { step: ort.InferenceSession; prefill: ort.InferenceSession }

async function createSession(dir: string, file: string, ep: string, threads: number): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: ep === 'cpu' ? ['cpu'] : [ep as 'webgpu', 'cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
  };
  if (threads > 0) opts.intraOpNumThreads = threads;
  return ort.InferenceSession.create(join(dir, file), opts);
}

export class ModelRunner {
  private constructor(
    readonly manifest: Manifest,
    private readonly decode: Sessions,
    private readonly ingest: Sessions,
    readonly ep: string,
    readonly epReason: string,
    readonly timings: Record<string, number>,
  ) {}

  /** Loads the graphs. `auto` times a prefill chunk and a decode step on each provider that
   *  initialises and keeps the faster one per phase. */
  static async load(dir: string, m: Manifest, setting: ExecutionProviderSetting, threads: number, log: (s: string) => void): Promise<ModelRunner> {
    const open = async (ep: string): Promise<Sessions> => {
      const step = await createSession(dir, m.graphs.step.file, ep, threads);
      const prefill = await createSession(dir, m.graphs.prefill.file, ep, threads);
      return { step, prefill };
    };
    let cpu: Sessions;
    try {
      cpu = await open('cpu');
    } catch (e) {
      throw modelCorrupt(`model ${dir}: onnxruntime could not load it: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const [name, s] of Object.entries(cpu)) checkGraph(m, name, s.inputMetadata, s.outputMetadata);
    const wanted = setting === 'auto' ? ['webgpu'] : setting === 'cpu' ? [] : [setting];
    const timings: Record<string, number> = {};
    const cpuRunner = new ModelRunner(m, cpu, cpu, 'cpu', setting === 'cpu' ? 'cpu requested' : '', timings);
    if (wanted.length === 0) return cpuRunner;
    const ep = wanted[0];
    let gpu: Sessions;
    try {
      gpu = await open(ep);
    } catch (e) {
      const reason = `${ep} unavailable (${(e as Error).message.split('\n')[0].slice(0, 200)}); using cpu`;
      log(reason);
      return new ModelRunner(m, cpu, cpu, 'cpu', reason, timings);
    }
    if (setting !== 'auto') return new ModelRunner(m, gpu, gpu, ep, `${ep} requested`, timings);
    // auto: measure both providers on a prefill chunk and a decode step
    const time = async (s: Sessions) => {
      const r = new ModelRunner(m, s, s, '', '', {});
      const chunk = Array.from({ length: Math.min(64, m.graphs.prefill.maxTokens) }, (_, i) => 100 + i);
      await r.feed(chunk, r.zeroState());
      let t = performance.now();
      const st = await r.feed(chunk, r.zeroState());
      const prefill = performance.now() - t;
      await r.step(1, st.state);
      t = performance.now();
      for (let i = 0; i < 4; i++) await r.step(1, st.state);
      return { prefill, step: (performance.now() - t) / 4 };
    };
    const tc = await time(cpu);
    const tg = await time(gpu);
    Object.assign(timings, { cpuPrefill64Ms: tc.prefill, cpuStepMs: tc.step, [`${ep}Prefill64Ms`]: tg.prefill, [`${ep}StepMs`]: tg.step });
    const decodeEp = tg.step < tc.step ? ep : 'cpu';
    const ingestEp = tg.prefill < tc.prefill ? ep : 'cpu';
    const reason = `auto: step ${tc.step.toFixed(1)} ms cpu vs ${tg.step.toFixed(1)} ms ${ep}; prefill(64) ${tc.prefill.toFixed(0)} ms cpu vs ${tg.prefill.toFixed(0)} ms ${ep}`;
    log(reason);
    return new ModelRunner(m, decodeEp === ep ? gpu : cpu, ingestEp === ep ? gpu : cpu, decodeEp === ingestEp ? decodeEp : `${decodeEp}+${ingestEp}`, reason, timings);
  }

  zeroState(): State {
    return new Map(this.manifest.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape)]));
  }

  /** One graph call; logits of the last position, or of every position ([T, V]) with `allLogits`. */
  private async run(sess: ort.InferenceSession, ids: readonly number[], state: State, allLogits = false): Promise<{ logits: Float32Array; state: State }> {
    const m = this.manifest;
    const feeds: Record<string, ort.Tensor> = {
      [m.inputs.tokens]: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, ids.length]),
    };
    for (const s of m.state) feeds[s.input] = state.get(s.name)!;
    const out = await sess.run(feeds);
    const next = new Map<string, ort.Tensor>();
    for (const s of m.state) next.set(s.name, out[s.output]);
    const lg = out[m.outputs.logits].data as Float32Array;
    return { logits: !allLogits && lg.length > m.vocabSize ? lg.subarray(lg.length - m.vocabSize) : lg, state: next };
  }

  /** One decode step. */
  step(id: number, state: State) {
    return this.run(this.decode.step, [id], state);
  }

  /** Feeds tokens through the prefill graph in chunks; returns the last logits and the state.
   *  `shouldStop` is checked between chunks; `onChunk` sees the state after each chunk. */
  async feed(
    ids: readonly number[],
    state: State,
    opts: { shouldStop?: () => boolean; onChunk?: (fed: number, state: State) => void; background?: boolean } = {},
  ): Promise<{ logits: Float32Array | undefined; state: State }> {
    const sess = opts.background ? this.ingest : this.decode;
    const max = this.manifest.graphs.prefill.maxTokens;
    let logits: Float32Array | undefined;
    for (let i = 0; i < ids.length; ) {
      if (opts.shouldStop?.()) throw cancelled();
      const n = Math.min(max, ids.length - i);
      const r = n === 1 ? await this.run(sess.step, [ids[i]], state) : await this.run(sess.prefill, ids.slice(i, i + n), state);
      logits = r.logits;
      state = r.state;
      i += n;
      opts.onChunk?.(i, state);
    }
    return { logits, state };
  }

  private scoreSession?: Promise<ort.InferenceSession>;

  /** Runs the all-positions `score` graph on up to graphs.score.maxTokens tokens: logits [T, V]. */
  async scoreChunk(dir: string, ids: readonly number[], state: State): Promise<{ logits: Float32Array; state: State }> {
    const g = this.manifest.graphs.score;
    if (!g) throw modelCorrupt(`model ${dir}: manifest.json names no score graph`);
    this.scoreSession ??= createSession(dir, g.file, 'cpu', 0);
    return this.run(await this.scoreSession, ids, state, true);
  }

  async release(): Promise<void> {
    const all = new Set([this.decode.step, this.decode.prefill, this.ingest.step, this.ingest.prefill]);
    if (this.scoreSession) all.add(await this.scoreSession);
    await Promise.all([...all].map((s) => s.release()));
  }
}
