// `auto`'s choice kept between loads. Timing every job on every provider costs a GPU machine seconds at
// each load (one H100: 1.5-3.4 s, on top of creating the WebGPU sessions: docs/bench/h100-2026-12-07-calls/).
// After a timed load the engine writes which provider won each job, with the timings, to a small JSON
// file in the extension's storage; a later load whose key matches (the model's files, onnxruntime's
// version, the engine settings that shape a session, this machine's CPU and GPUs) and whose record is
// younger than RECORD_MAX_AGE_MS opens only the providers that won and times nothing. Anything else (no
// file, another key, too old, unreadable, a provider that no longer opens) is timed again and rewritten.

import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { basename, join } from 'node:path';
import type { Manifest } from './manifest';
import { JOBS, type Job } from './providerChoice';
import { intraOpThreads } from './threads';

export const RECORD_FORMAT = 'statewise-auto-choice/1';
/** A record is timed again after this long, so a driver or system change is picked up within a week. */
export const RECORD_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** What `auto` decided at a timed load. */
export interface AutoRecord {
  format: typeof RECORD_FORMAT;
  key: string;
  /** When the jobs were timed (ISO). */
  timedAt: string;
  /** The provider of each job. */
  providers: Record<Job, string>;
  /** The timed load's reason (chooseProviders'), without the ingest chunk's description. */
  reason: string;
  /** The timed load's median ms per job and provider (ModelRunner.timings). */
  timings: Record<string, number>;
}

/** What the record's key is made of: a change in any part times the jobs again. */
export interface RecordKeyParts {
  /** The model: name, version, and each graph and weights file with its sha256 (or size where the
   *  manifest has no checksums). */
  model: Record<string, string | number>;
  onnxruntime: string;
  threads: number;
  gpuState: boolean;
  machine: MachineIdentity;
}

export interface MachineIdentity {
  platform: string;
  arch: string;
  cpu: string;
  cores: number;
  /** The GPUs the system lists, where it lists them (Linux: PCI ids, NVIDIA's model and driver). */
  gpus: string[];
}

/** The key of a record: the sha256 of its parts, in a fixed order. */
export function recordKey(p: RecordKeyParts): string {
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const parts = [
    RECORD_FORMAT,
    sorted(p.model),
    p.onnxruntime,
    p.threads,
    p.gpuState,
    sorted({ ...p.machine, gpus: [...p.machine.gpus].sort() }),
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The key of a load of the model in `modelDir` (manifest `m`) with these engine settings, on this
 *  machine, under onnxruntime `onnxruntime` (its node binding's version). */
export function loadKey(
  p: { modelDir: string; threads: number; gpuState?: boolean },
  m: Manifest,
  onnxruntime: string,
  machine: MachineIdentity = machineIdentity(),
): string {
  return recordKey({
    model: modelIdentity(p.modelDir, m),
    onnxruntime,
    threads: intraOpThreads(p.threads, availableParallelism()),
    gpuState: p.gpuState !== false,
    machine,
  });
}

/** The model part of the key: the manifest's name, version and file checksums (sizes where it has none). */
export function modelIdentity(dir: string, m: Manifest): Record<string, string | number> {
  const sums = m.checksums?.sha256 ?? {};
  const graphs = Object.values(m.graphs).filter((g): g is NonNullable<typeof g> => g !== undefined);
  const files = [...new Set([...graphs.map((g) => g.file), ...(m.weights ?? [])])];
  const out: Record<string, string | number> = { name: m.name, version: m.version };
  for (const f of files) out[f] = sums[f] ?? fileSize(join(dir, f));
  return out;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** This machine's CPU and the GPUs its system lists: on Linux the PCI vendor:device of every DRM card
 *  and NVIDIA's model and driver version from /proc; elsewhere none (the age limit covers a change). */
export function machineIdentity(
  read: (path: string) => string | undefined = readOrUndefined,
  list: (dir: string) => string[] = listOrEmpty,
): MachineIdentity {
  const c = cpus();
  const gpus: string[] = [];
  if (platform() === 'linux') {
    for (const card of list('/sys/class/drm').filter((n) => /^card\d+$/.test(n))) {
      const vendor = read(`/sys/class/drm/${card}/device/vendor`)?.trim();
      const device = read(`/sys/class/drm/${card}/device/device`)?.trim();
      if (vendor && device) gpus.push(`pci ${vendor}:${device}`);
    }
    for (const bus of list('/proc/driver/nvidia/gpus')) {
      const model = /^Model:\s*(.+)$/m.exec(read(`/proc/driver/nvidia/gpus/${bus}/information`) ?? '')?.[1]?.trim();
      if (model) gpus.push(`nvidia ${model}`);
    }
    const driver = /Kernel Module\s+(\S+)/.exec(read('/proc/driver/nvidia/version') ?? '')?.[1];
    if (driver) gpus.push(`nvidia driver ${driver}`);
  }
  return { platform: platform(), arch: arch(), cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, gpus };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The record's file in `dir`: one per architecture (a new key overwrites it). */
export function recordFile(dir: string, architecture: string): string {
  return join(dir, `${architecture.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
}

/** A record read back: usable, or why not (logged by the caller). Pure. */
export function parseRecord(text: string, key: string, now: number): { record: AutoRecord } | { why: string } {
  let r: Partial<AutoRecord>;
  try {
    r = JSON.parse(text) as Partial<AutoRecord>;
  } catch {
    return { why: 'not valid JSON' };
  }
  if (typeof r !== 'object' || r === null || r.format !== RECORD_FORMAT) return { why: 'not a record of this format' };
  if (r.key !== key) return { why: 'made for another model, onnxruntime, setting or machine' };
  const at = typeof r.timedAt === 'string' ? Date.parse(r.timedAt) : NaN;
  if (!Number.isFinite(at)) return { why: 'it has no time' };
  if (now - at > RECORD_MAX_AGE_MS || at > now + 60_000)
    return { why: `timed ${r.timedAt}, over ${RECORD_MAX_AGE_MS / 86_400_000} days ago` };
  const p = r.providers as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null || !JOBS.every((j) => typeof p[j] === 'string' && p[j] !== ''))
    return { why: 'it names no provider for some job' };
  if (typeof r.reason !== 'string') return { why: 'it has no reason' };
  const timings = typeof r.timings === 'object' && r.timings !== null ? r.timings : {};
  return { record: { format: RECORD_FORMAT, key, timedAt: r.timedAt!, providers: p as Record<Job, string>, reason: r.reason, timings } };
}

/** Reads the record in `file`: usable, or why not (no file included). Never throws. */
export async function readRecord(file: string, key: string, now = Date.now()): Promise<{ record: AutoRecord } | { why: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'none yet' : `unreadable (${code ?? String(e)})` };
  }
  return parseRecord(text, key, now);
}

/** A temporary file of a write older than this was left by an engine killed mid-write. */
const STALE_TEMP_MS = 60_000;

/** Removes `file`'s temporary files that no write is still using (older than STALE_TEMP_MS). */
async function removeStaleTemps(file: string, now = Date.now()): Promise<void> {
  const dir = join(file, '..');
  const prefix = `${basename(file)}.`;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const p = join(dir, name);
    const st = await fs.stat(p).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_TEMP_MS) await fs.rm(p, { force: true }).catch(() => {});
  }
}

/** Writes the record: a temporary file renamed over the old one (and temporary files an engine killed
 *  mid-write left, removed). Throws what the disk says. */
export async function writeRecord(file: string, r: AutoRecord): Promise<void> {
  const dir = join(file, '..');
  await fs.mkdir(dir, { recursive: true });
  await removeStaleTemps(file);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, `${JSON.stringify(r, null, 1)}\n`);
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw e;
  }
}
