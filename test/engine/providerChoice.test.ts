// `auto`'s choice of provider per job from repeated timings (pure), and the release of the sessions
// of providers that lose (fake sessions: only what a session must do to be kept or released).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseProviders, median, providerSummary, type ProviderTimings } from '../../server/engine/providerChoice';
import { assignSessions, measureJobs, releasePair, shortError, type GraphPair } from '../../server/engine/providerSessions';

const reps = (ms: number, n = 5, jitter = 0) => Array.from({ length: n }, (_, i) => ms + (i % 2 ? jitter : -jitter));
const cpu: ProviderTimings = { provider: 'cpu', ms: { step: reps(1.3), keystroke: reps(6.8), ingest: reps(34) } };

test('median: odd, even, unsorted, non-finite dropped, empty is NaN', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, NaN, 1, Infinity, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('the issue 17 H100 figures: the CPU keeps every job and WebGPU is released', () => {
  const gpu: ProviderTimings = { provider: 'webgpu', ms: { step: reps(24.2), keystroke: reps(183), ingest: reps(186) } };
  const c = chooseProviders([cpu, gpu], { tokens: { step: 1, keystroke: 16, ingest: 256 } });
  assert.deepEqual([c.jobs.step.provider, c.jobs.keystroke.provider, c.jobs.ingest.provider], ['cpu', 'cpu', 'cpu']);
  assert.deepEqual(c.used, ['cpu']);
  assert.deepEqual(c.unused, ['webgpu']);
  assert.match(c.reason, /^auto, median of 5, margin 10%: decode step \(1 tok\): cpu \(1\.30 ms; webgpu 24\.2 ms\)/);
  assert.match(c.reason, /ingestion chunk \(256 tok\): cpu \(34\.0 ms; webgpu 186 ms\)/);
  assert.match(c.reason, /released webgpu$/);
});

test('a provider much slower on one job and faster on another gets only the job it wins', () => {
  const gpu: ProviderTimings = { provider: 'webgpu', ms: { step: reps(24), keystroke: reps(7), ingest: reps(3) } };
  const c = chooseProviders([cpu, gpu]);
  assert.equal(c.jobs.step.provider, 'cpu');
  assert.equal(c.jobs.keystroke.provider, 'cpu'); // 7 vs 6.8: slower
  assert.equal(c.jobs.ingest.provider, 'webgpu');
  assert.match(c.jobs.ingest.why, /ingestion chunk: webgpu \(3\.00 ms; cpu 34\.0 ms; 91% faster than cpu\)/);
  assert.deepEqual(c.used, ['cpu', 'webgpu']);
  assert.deepEqual(c.unused, []);
  assert.equal(providerSummary({ step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' }), 'cpu+webgpu');
});

test('ties and differences inside the margin stay on the CPU', () => {
  const same: ProviderTimings = { provider: 'webgpu', ms: { step: reps(1.3), keystroke: reps(6.5), ingest: reps(34 * 0.91) } };
  const c = chooseProviders([cpu, same]);
  assert.deepEqual(c.used, ['cpu']);
  assert.match(c.jobs.keystroke.why, /webgpu within the 10% margin/);
  assert.match(c.jobs.ingest.why, /webgpu within the 10% margin/);
  // just past the margin: it wins
  const past: ProviderTimings = { provider: 'webgpu', ms: { ingest: reps(34 * 0.89) } };
  assert.equal(chooseProviders([cpu, past]).jobs.ingest.provider, 'webgpu');
  // a wider margin keeps it on the CPU
  assert.equal(chooseProviders([cpu, past], { margin: 0.2 }).jobs.ingest.provider, 'cpu');
});

test('medians: one outlier repetition does not flip the choice', () => {
  const noisyCpu: ProviderTimings = {
    provider: 'cpu',
    ms: { step: [1.3, 1.2, 40, 1.4, 1.3], keystroke: reps(6.8), ingest: reps(34, 5, 2) },
  };
  const gpu: ProviderTimings = { provider: 'webgpu', ms: { step: [0.1, 9, 9, 9, 9], keystroke: reps(50), ingest: reps(33, 5, 3) } };
  const c = chooseProviders([noisyCpu, gpu]);
  assert.equal(c.jobs.step.provider, 'cpu'); // mean would say webgpu (7.3 vs 9.0), median says cpu
  assert.equal(c.jobs.ingest.provider, 'cpu');
  assert.deepEqual(c.unused, ['webgpu']);
});

test('a provider that failed to initialise is no candidate and its error is in the reason', () => {
  const c = chooseProviders([{ provider: 'cpu' }, { provider: 'webgpu', error: 'Failed to get a WebGPU adapter' }]);
  assert.deepEqual([c.jobs.step.provider, c.jobs.keystroke.provider, c.jobs.ingest.provider], ['cpu', 'cpu', 'cpu']);
  assert.deepEqual(c.failed, { webgpu: 'Failed to get a WebGPU adapter' });
  assert.deepEqual(c.unused, []);
  assert.equal(
    c.reason,
    'auto: cpu for every job (the only provider that initialised); webgpu unavailable (Failed to get a WebGPU adapter)',
  );
  // failed with timings beside it: still not a candidate
  const both = chooseProviders([cpu, { provider: 'webgpu', error: 'lost device', ms: { step: [0.01] } }]);
  assert.equal(both.jobs.step.provider, 'cpu');
  assert.match(both.reason, /webgpu unavailable \(lost device\)/);
});

test('no baseline timings: the fastest measured provider wins; nothing measured: the baseline', () => {
  const c = chooseProviders([
    { provider: 'cpu', ms: { step: [] } },
    { provider: 'webgpu', ms: { step: [5] } },
    { provider: 'cuda', ms: { step: [2] } },
  ]);
  assert.equal(c.jobs.step.provider, 'cuda');
  assert.match(c.jobs.step.why, /cpu not measured/);
  assert.equal(c.jobs.ingest.provider, 'cpu');
  assert.match(c.jobs.ingest.why, /not measured/);
  assert.deepEqual(c.unused, ['webgpu']);
});

test('of two faster providers the faster wins', () => {
  const c = chooseProviders([cpu, { provider: 'webgpu', ms: { ingest: [10] } }, { provider: 'cuda', ms: { ingest: [5] } }]);
  assert.equal(c.jobs.ingest.provider, 'cuda');
  assert.deepEqual(c.used, ['cpu', 'cuda']);
  assert.deepEqual(c.unused, ['webgpu']);
});

class FakeSession {
  released = 0;
  constructor(
    readonly name: string,
    private readonly fail = false,
  ) {}
  async release(): Promise<void> {
    this.released++;
    if (this.fail) throw new Error(`${this.name} release failed`);
  }
}
const pair = (p: string, fail = false): GraphPair<FakeSession> => ({
  step: new FakeSession(`${p}.step`, fail),
  prefill: new FakeSession(`${p}.prefill`, fail),
});

test('assignSessions: losers are released once, winners are kept and given to their jobs', async () => {
  const cpuPair = pair('cpu');
  const gpuPair = pair('webgpu');
  const opened = new Map([
    ['cpu', cpuPair],
    ['webgpu', gpuPair],
  ]);
  const r = await assignSessions(opened, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.deepEqual(r.released, ['webgpu']);
  assert.equal(gpuPair.step.released, 1);
  assert.equal(gpuPair.prefill.released, 1);
  assert.equal(cpuPair.step.released + cpuPair.prefill.released, 0);
  assert.equal(r.jobs.step, cpuPair);
  assert.equal(r.jobs.ingest, cpuPair);
});

test('assignSessions: split jobs keep both; a failed release is reported, not thrown', async () => {
  const cpuPair = pair('cpu');
  const gpuPair = pair('webgpu');
  const split = await assignSessions(
    new Map([
      ['cpu', cpuPair],
      ['webgpu', gpuPair],
    ]),
    { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' },
  );
  assert.deepEqual(split.released, []);
  assert.equal(split.jobs.ingest, gpuPair);
  assert.equal(gpuPair.step.released + cpuPair.step.released, 0);

  const bad = pair('webgpu', true);
  const errors: string[] = [];
  const r = await assignSessions(
    new Map([
      ['cpu', pair('cpu')],
      ['webgpu', bad],
    ]),
    { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' },
    (p, e) => errors.push(`${p}: ${(e as Error).message}`),
  );
  assert.deepEqual(r.released, ['webgpu']);
  assert.equal(bad.step.released, 1);
  assert.equal(bad.prefill.released, 1); // both tried although the first failed
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^webgpu: webgpu\.(step|prefill) release failed$/);
  await assert.rejects(
    assignSessions(new Map([['cpu', pair('cpu')]]), { step: 'cpu', keystroke: 'webgpu', ingest: 'cpu' }),
    /no sessions opened for webgpu/,
  );
});

test("a keystroke is charged the state's handoff to the decode steps' provider (H200 figures, chained calls)", () => {
  // bench --ep auto on one H200, 2026-12-06: WebGPU's keystroke prefill was 17 % faster, but its state
  // then went to the CPU's decode steps on every keystroke (11.5 ms), and auto typed slower than the CPU
  const h200cpu: ProviderTimings = { provider: 'cpu', ms: { step: reps(3.01), keystroke: reps(10.88), ingest: reps(69.94) } };
  const gpu: ProviderTimings = {
    provider: 'webgpu',
    ms: { step: reps(5.6), keystroke: reps(8.99), ingest: reps(9.72) },
    handoffMs: [11.5, 11.2, 11.9, 11.5, 30],
  };
  const c = chooseProviders([h200cpu, gpu], { tokens: { step: 1, keystroke: 16, ingest: 256 } });
  assert.deepEqual([c.jobs.step.provider, c.jobs.keystroke.provider, c.jobs.ingest.provider], ['cpu', 'cpu', 'webgpu']);
  assert.match(
    c.jobs.keystroke.why,
    /^keystroke prefill \(16 tok\): cpu \(10\.9 ms; webgpu 8\.99 ms \+ 11\.5 ms handing the state to cpu's decode steps\)$/,
  );
  assert.deepEqual(c.jobs.keystroke.medianMs, { cpu: 10.88, webgpu: 8.99 });
  assert.deepEqual(c.jobs.keystroke.extraMs, { webgpu: 11.5 });
  assert.deepEqual(c.jobs.ingest.extraMs, {}); // a fold crosses once: not charged
  // unmeasured handoff (states kept on the CPU): the prefill alone decides
  const { handoffMs: _, ...noHandoff } = gpu;
  assert.equal(chooseProviders([h200cpu, noHandoff]).jobs.keystroke.provider, 'webgpu');
  // decode steps on the GPU: now the CPU's keystroke is the one that crosses
  const fastStep: ProviderTimings = { ...gpu, ms: { ...gpu.ms, step: reps(1), keystroke: reps(11.5) } };
  const d = chooseProviders([h200cpu, fastStep]);
  assert.equal(d.jobs.step.provider, 'webgpu');
  assert.equal(d.jobs.keystroke.provider, 'webgpu'); // 11.5 vs 10.88 + 11.5
  assert.deepEqual(d.jobs.keystroke.extraMs, { cpu: 11.5 });
  assert.equal(chooseProviders([h200cpu, { ...fastStep, handoffMs: [] }]).jobs.keystroke.provider, 'cpu');
});

test('measureJobs: one warm-up per job, then reps interleaved, with the sizes asked for', async () => {
  const calls: string[] = [];
  const ms = await measureJobs(
    async (g, n) => {
      calls.push(`${g}:${n}`);
    },
    { reps: 3, keystrokeTokens: 16, ingestTokens: 256 },
  );
  assert.deepEqual(calls, Array(4).fill(['step:1', 'prefill:16', 'prefill:256']).flat());
  for (const j of ['step', 'keystroke', 'ingest'] as const) {
    assert.equal(ms[j].length, 3);
    assert.ok(ms[j].every((x) => x >= 0));
  }
  assert.equal(ms.handoff, undefined);
});

test('measureJobs with toCpu: then reps keystroke calls, each followed by the timed handoff', async () => {
  const calls: string[] = [];
  const ms = await measureJobs(
    async (g, n) => {
      calls.push(`${g}:${n}`);
    },
    { reps: 2, keystrokeTokens: 16, ingestTokens: 256 },
    async () => {
      calls.push('toCpu');
      await new Promise((r) => setTimeout(r, 5));
    },
  );
  assert.deepEqual(calls.slice(9), ['prefill:16', 'toCpu', 'prefill:16', 'toCpu']);
  assert.equal(ms.handoff!.length, 2);
  assert.ok(ms.handoff!.every((x) => x >= 4));
});

test('shortError: onnxruntime source location dropped, first line only', () => {
  const e = new Error(
    '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\nmore',
  );
  assert.equal(shortError(e), 'Failed to get a WebGPU adapter: No supported adapters');
  assert.equal(shortError('plain'), 'plain');
});

test('ingest lengths that differ per provider (an ingest graph on the GPU): compared per token, each length in the reason', () => {
  // H200 figures of a 256-token chunk on the CPU against webgpu's ingest graph timed at 2,048 tokens
  const h200cpu: ProviderTimings = { provider: 'cpu', ms: { step: reps(3.01), keystroke: reps(10.88), ingest: reps(69.94) } };
  const gpu: ProviderTimings = {
    provider: 'webgpu',
    ms: { step: reps(5.6), keystroke: reps(8.99), ingest: reps(12) },
    tokens: { ingest: 2048 },
  };
  const c = chooseProviders([h200cpu, gpu], { tokens: { step: 1, keystroke: 16, ingest: 256 } });
  assert.equal(c.jobs.ingest.provider, 'webgpu');
  assert.equal(c.jobs.ingest.perToken, true);
  assert.deepEqual(c.jobs.ingest.tokens, { cpu: 256, webgpu: 2048 });
  assert.deepEqual(c.jobs.ingest.medianMs, { cpu: 69.94, webgpu: 12 }); // per call, as timed
  assert.equal(
    c.jobs.ingest.why,
    'ingestion chunk per token: webgpu (12.0 ms / 2048 tok = 5.86 µs/tok; cpu 69.9 ms / 256 tok = 273 µs/tok; 98% faster than cpu)',
  );
  assert.match(c.reason, /; ingestion chunk per token: webgpu \(12\.0 ms \/ 2048 tok/);
  // the other jobs are timed at one length on both: per call, as before
  assert.equal(c.jobs.step.perToken, false);
  assert.match(c.jobs.step.why, /^decode step \(1 tok\): cpu \(3\.01 ms; webgpu 5\.60 ms\)$/);
});

test('per token, a provider slower per call but faster per token wins the ingest job, and the reverse loses it', () => {
  // 34 ms / 256 tok = 133 µs/tok on the CPU
  const longCalls: ProviderTimings = { provider: 'webgpu', ms: { ingest: reps(200) }, tokens: { ingest: 2048 } }; // 97.7 µs/tok
  const a = chooseProviders([cpu, longCalls], { tokens: { ingest: 256 } });
  assert.equal(a.jobs.ingest.provider, 'webgpu'); // per call it would be the CPU (200 ms vs 34 ms)
  assert.match(
    a.jobs.ingest.why,
    /webgpu \(200 ms \/ 2048 tok = 97\.7 µs\/tok; cpu 34\.0 ms \/ 256 tok = 133 µs\/tok; 26% faster than cpu\)/,
  );
  const shortCalls: ProviderTimings = { provider: 'webgpu', ms: { ingest: reps(20) }, tokens: { ingest: 128 } }; // 156 µs/tok
  const b = chooseProviders([cpu, shortCalls], { tokens: { ingest: 256 } });
  assert.equal(b.jobs.ingest.provider, 'cpu'); // per call it would be webgpu (20 ms vs 34 ms)
  assert.deepEqual(b.unused, ['webgpu']);
  // the margin applies per token: 250 ms / 2048 tok = 122 µs/tok is 8 % below 133
  const close: ProviderTimings = { provider: 'webgpu', ms: { ingest: reps(250) }, tokens: { ingest: 2048 } };
  const d = chooseProviders([cpu, close], { tokens: { ingest: 256 } });
  assert.equal(d.jobs.ingest.provider, 'cpu');
  assert.match(d.jobs.ingest.why, /webgpu within the 10% margin/);
});

test("a provider's own ingest length counts where no default is given; one unknown length: per call", () => {
  const gpu: ProviderTimings = { provider: 'webgpu', ms: { ingest: reps(200) }, tokens: { ingest: 2048 } };
  const cpu256: ProviderTimings = { ...cpu, tokens: { ingest: 256 } };
  const c = chooseProviders([cpu256, gpu]);
  assert.equal(c.jobs.ingest.perToken, true);
  assert.equal(c.jobs.ingest.provider, 'webgpu');
  // the CPU's length unknown (no default, none of its own): nothing to divide by, compared per call
  const u = chooseProviders([cpu, gpu]);
  assert.equal(u.jobs.ingest.perToken, false);
  assert.equal(u.jobs.ingest.provider, 'cpu');
  assert.deepEqual(u.jobs.ingest.tokens, { webgpu: 2048 });
  assert.match(u.jobs.ingest.why, /^ingestion chunk: cpu \(34\.0 ms; webgpu 200 ms\)$/);
  // the same length on both, given per provider: per call, the length in the label
  const same = chooseProviders([cpu256, { ...gpu, tokens: { ingest: 256 } }]);
  assert.equal(same.jobs.ingest.perToken, false);
  assert.match(same.jobs.ingest.why, /^ingestion chunk \(256 tok\): cpu/);
});

test('measureJobs: the ingest job on the ingest graph at its own length where the options say so', async () => {
  const calls: string[] = [];
  await measureJobs(
    async (g, n) => {
      calls.push(`${g}:${n}`);
    },
    { reps: 1, keystrokeTokens: 16, ingestTokens: 2048, ingestGraph: 'ingest' },
  );
  assert.deepEqual(calls, Array(2).fill(['step:1', 'prefill:16', 'ingest:2048']).flat());
});

test('assignSessions and releasePair release a provider’s ingest session with its pair', async () => {
  const gpuPair: GraphPair<FakeSession> = { ...pair('webgpu'), ingest: new FakeSession('webgpu.ingest') };
  const r = await assignSessions(
    new Map([
      ['cpu', pair('cpu')],
      ['webgpu', gpuPair],
    ]),
    { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' },
  );
  assert.deepEqual(r.released, ['webgpu']);
  assert.deepEqual([gpuPair.step.released, gpuPair.prefill.released, gpuPair.ingest!.released], [1, 1, 1]);
  // a failing ingest release is reported after the others were tried
  const bad: GraphPair<FakeSession> = { ...pair('webgpu'), ingest: new FakeSession('webgpu.ingest', true) };
  await assert.rejects(releasePair(bad), /webgpu\.ingest release failed/);
  assert.deepEqual([bad.step.released, bad.prefill.released, bad.ingest!.released], [1, 1, 1]);
});
