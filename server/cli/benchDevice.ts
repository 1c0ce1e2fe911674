// statewise bench: which device each execution provider ran on, and the provider of each engine job,
// for the report (JSON) and the table titles. The GPU's name comes from nvidia-smi or the NVIDIA
// driver's /proc entry where there is one; onnxruntime-node does not say which adapter WebGPU took.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { JobProviders } from '../protocol/lsp';

/** The GPU's name, e.g. "NVIDIA H100 80GB HBM3", or undefined where none is known. */
export function gpuName(): string | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const names = out
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length) return names.length === 1 ? names[0] : `${names[0]} (×${names.length})`;
  } catch {
    // no nvidia-smi: try the driver's /proc entry
  }
  try {
    const dir = '/proc/driver/nvidia/gpus';
    for (const bus of readdirSync(dir)) {
      const m = /^Model:\s*(.+)$/m.exec(readFileSync(`${dir}/${bus}/information`, 'utf8'));
      if (m) return m[1]!.trim();
    }
  } catch {
    // not an NVIDIA machine, or no driver
  }
  return undefined;
}

/** The device behind each provider the bench used: the CPU's model for "cpu", the GPU's name for the rest. */
export function devicesOf(providers: JobProviders | undefined, gpu = gpuName()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of new Set(Object.values(providers ?? { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' }))) {
    out[p] = p === 'cpu' ? `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)` : (gpu ?? 'unknown GPU');
  }
  return out;
}

/** "cpu" or "decode steps cpu, keystrokes cpu, ingestion webgpu" when the jobs are split. */
export function jobsText(ep: string | undefined, providers: JobProviders | undefined): string {
  if (!providers || (providers.step === providers.keystroke && providers.step === providers.ingest)) return providers?.step ?? ep ?? '?';
  return `decode steps ${providers.step}, keystrokes ${providers.keystroke}, ingestion ${providers.ingest}`;
}
