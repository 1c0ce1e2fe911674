// Where a fold's time goes: the engine counts its graph calls per job (InfoResult.graphCalls); the
// bench takes the difference around a warm or a workspace fold and sets the graphs' ms beside the
// wall time, so the rest (tokenizing, checkpoints, scheduling, IPC) shows as what is left.

import type { GraphCalls } from '../protocol/ipc';

const JOB_ORDER = ['ingest', 'keystroke', 'step'] as const;

/** The calls made between two readings of the engine's counts (absent when either is). */
export function graphCallsSince(before: GraphCalls | undefined, after: GraphCalls | undefined): GraphCalls | undefined {
  if (!before || !after) return undefined;
  const d = (j: (typeof JOB_ORDER)[number]) => ({
    calls: after[j].calls - before[j].calls,
    tokens: after[j].tokens - before[j].tokens,
    ms: Math.round((after[j].ms - before[j].ms) * 10) / 10,
  });
  return { step: d('step'), keystroke: d('keystroke'), ingest: d('ingest') };
}

/** "graphs 1205 ms of 4400 (27 %): ingest 49 calls / 99323 tokens / 1205 ms"; empty without counts. */
export function graphCallsText(d: GraphCalls | undefined, wallMs: number): string {
  if (!d) return '';
  const used = JOB_ORDER.filter((j) => d[j].calls > 0);
  const ms = used.reduce((a, j) => a + d[j].ms, 0);
  const share = wallMs > 0 ? ` (${Math.round((100 * ms) / wallMs)} %)` : '';
  const parts = used.map((j) => `${j} ${d[j].calls} calls / ${d[j].tokens} tokens / ${Math.round(d[j].ms)} ms`);
  return `graphs ${Math.round(ms)} ms of ${Math.round(wallMs)}${share}${parts.length ? `: ${parts.join(', ')}` : ': no calls'}`;
}
