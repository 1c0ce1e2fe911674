// Model states kept on the GPU between calls (issue 17). On WebGPU a session's state outputs stay in
// device memory ('gpu-buffer' tensors) and are fed straight back as the next call's state inputs;
// only the logits come back to the CPU. This file owns those states' lifetime and their way back to
// the CPU; model.ts creates the sessions and marks them (markDeviceSession).
//
// Ownership, by reference counting per state (the Map of tensors):
//   - A state the model returns (ModelRunner.step, feed, scoreChunk) comes with one reference, owned
//     by the caller, who releases it when done (or hands it on: a function that returns a state
//     returns an owned reference too).
//   - Passing a state to a function lends it; whoever keeps it beyond the call (a checkpoint store,
//     the fold store, the workspace root, a local variable across an await) takes its own reference
//     with retain() and gives it back with release().
//   - The last release() disposes the state's device tensors, exactly once. A state used after that
//     (retain, a model call, a download) throws StateReleasedError instead of reading freed memory.
//   - onnxruntime allocates new outputs for every call, so one state fed to several calls (forked
//     alternatives, a checkpoint and the request reading it) is shared, never consumed.
//   - A state without device tensors (the zero state, one read from disk, every state of a CPU
//     session) is not counted: retain and release do nothing, so the CPU path is unchanged.
// Conversion: toCpu() brings a state's device tensors to the CPU in place (every holder sees the CPU
// copy; the device copy is freed at once), for a CPU session fed a GPU state (`auto` splitting jobs
// across providers) and for writing a state to disk (stateTensors). A CPU state given to a GPU session
// is uploaded by onnxruntime, as before. How a download happens is the installed Downloader's business:
// onnxruntime-node 1.30 / 1.31 implement no download of a 'gpu-buffer' tensor (its getData() throws a
// C string from native code, which aborts the process), so model.ts installs one that runs the tensors
// through an identity graph on the GPU session's provider with outputs on the CPU (gpuDownload.ts).
// Parts: a state whose shift-register caches are partly filled (stateWindows.ts) can carry the parts
// a download need bring back (setParts, model.ts); toCpu checks each part against its mask once the
// state is on the CPU and brings back whole any entry whose filled slots the part did not hold.

import { filledSlots, type Part, type WindowPart } from './stateWindows';

/** What this file needs of a tensor: onnxruntime's Tensor, or a test's stand-in. */
export interface StateTensorLike {
  readonly location: string;
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
  getData(releaseData?: boolean): Promise<unknown>;
  dispose(): void;
}
export type AnyState = ReadonlyMap<string, StateTensorLike>;

/** Providers whose state outputs can stay on the device: onnxruntime-node binds 'gpu-buffer' outputs
 *  to WebGPU memory only (CUDA, DirectML and CoreML outputs come back to the CPU as before). */
export const DEVICE_STATE_PROVIDERS: ReadonlySet<string> = new Set(['webgpu']);

/** A state used after its last reference was released (its device tensors are disposed). */
export class StateReleasedError extends Error {
  constructor(what: string) {
    super(`a model state was used after it was released (${what})`);
    this.name = 'StateReleasedError';
  }
}

interface Record_ {
  refs: number;
  bytes: number;
  /** Still in GPU memory (false once toCpu brought it back). */
  onGpu: boolean;
}
const tracked = new WeakMap<AnyState, Record_>();
const released = new WeakSet<AnyState>();
const stats = { live: 0, bytes: 0, adopted: 0, disposed: 0, partial: 0, partialMisses: 0 };

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, float16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

/** Bytes of a state's tensors, from their shapes (a device tensor's data is not readable). */
export function stateBytes(s: AnyState): number {
  let n = 0;
  for (const t of s.values()) n += t.dims.reduce((a, b) => a * b, 1) * (BYTES_PER_ELEMENT[t.type] ?? 4);
  return n;
}

function onCpu(t: StateTensorLike): boolean {
  return t.location === 'cpu' || t.location === 'cpu-pinned';
}

/** Whether any tensor of the state is in device memory. */
export function onDevice(s: AnyState): boolean {
  for (const t of s.values()) if (!onCpu(t) && t.location !== 'none') return true;
  return false;
}

/** Where a state lives: 'gpu-buffer', 'cpu', or 'released'. */
export function locationOf(s: AnyState): string {
  if (released.has(s)) return 'released';
  for (const t of s.values()) if (!onCpu(t)) return t.location === 'none' ? 'released' : t.location;
  return 'cpu';
}

/** Starts counting a state the model just returned when it holds device tensors: one reference,
 *  the caller's. Returns the state. */
export function adopt<S extends AnyState>(s: S): S {
  if (tracked.has(s) || !onDevice(s)) return s;
  const bytes = stateBytes(s);
  tracked.set(s, { refs: 1, bytes, onGpu: true });
  stats.live++;
  stats.bytes += bytes;
  stats.adopted++;
  return s;
}

/** Whether the state's reference count is kept (it held device tensors when the model returned it). */
export function isCounted(s: AnyState): boolean {
  return tracked.has(s);
}

/** Throws StateReleasedError when the state's device tensors are disposed. */
export function assertLive(s: AnyState, what: string): void {
  if (released.has(s)) throw new StateReleasedError(what);
  for (const t of s.values()) if (t.location === 'none') throw new StateReleasedError(what);
}

/** One more holder of the state. Returns it. */
export function retain<S extends AnyState>(s: S): S {
  const r = tracked.get(s);
  if (r) r.refs++;
  else assertLive(s, 'retain');
  return s;
}

/** One holder fewer; the last one disposes the state's device tensors. Safe on an uncounted state. */
export function release(s: AnyState | undefined): void {
  if (!s) return;
  const r = tracked.get(s);
  if (!r) {
    if (released.has(s)) throw new StateReleasedError('release');
    return;
  }
  if (--r.refs > 0) return;
  tracked.delete(s);
  released.add(s);
  leftGpu(r);
  stats.disposed++;
  let failure: unknown;
  for (const t of s.values()) {
    try {
      t.dispose();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
}

/** Runs `fn` holding a reference to `s`, released after it settles. */
export async function holding<S extends AnyState, T>(s: S, fn: (s: S) => Promise<T>): Promise<T> {
  retain(s);
  try {
    return await fn(s);
  } finally {
    release(s);
  }
}

/** Brings device tensors to the CPU: the CPU tensors in the same order. It may return the same tensor
 *  objects, downloaded in place (tensor.getData), or new ones (the originals are then disposed). With
 *  `parts`, it may bring back only parts[i]'s slots of tensor i, the slots before them zeros. */
export type Downloader = (
  tensors: readonly StateTensorLike[],
  parts?: readonly (Part | undefined)[],
) => Promise<readonly StateTensorLike[]>;

/** The tensors' own download (getData), in place: for tensors whose download works (tests' stand-ins).
 *  onnxruntime-node's 'gpu-buffer' tensors abort the process on it: model.ts installs gpuDownload's. */
export const inPlaceDownloader: Downloader = async (tensors) => {
  await Promise.all(tensors.map((t) => t.getData(true)));
  return tensors;
};

let downloader: Downloader = inPlaceDownloader;
/** A download with parts failed once: every download since is whole (until installDownloader). */
let partsFailed = false;

/** Sets how device tensors come back to the CPU (one for the process: model.ts, when it opens a
 *  session that keeps states on the device). Returns the one it replaces. */
export function installDownloader(d: Downloader): Downloader {
  const prev = downloader;
  downloader = d;
  partsFailed = false;
  return prev;
}

const downloads = new WeakMap<AnyState, Promise<void>>();
const partsOf = new WeakMap<AnyState, ReadonlyMap<string, WindowPart>>();

/** The parts of its entries a download of `s` need bring back (the filled slots of its shift-register
 *  caches, stateWindows.partsWorthIt); none: the whole state. */
export function setParts(s: AnyState, parts: ReadonlyMap<string, WindowPart> | undefined): void {
  if (parts) partsOf.set(s, parts);
  else partsOf.delete(s);
}

/** Downloads `before` (entries `names` of `s`), each with its part where `parts` has one; a part whose
 *  mask, once downloaded, says more filled slots than it held is brought back whole instead, and so
 *  is everything where the download with parts fails. */
async function downloadParts(
  s: AnyState,
  names: readonly string[],
  before: readonly StateTensorLike[],
  parts: ReadonlyMap<string, WindowPart> | undefined,
): Promise<StateTensorLike[]> {
  const ps = names.map((k) => parts?.get(k));
  if (partsFailed || !ps.some((p) => p !== undefined)) return [...(await downloader(before))];
  stats.partial++;
  let after: StateTensorLike[];
  try {
    after = [...(await downloader(before, ps))];
  } catch {
    // a provider that cannot run the slice graph still runs the identity graph: whole from now on
    partsFailed = true;
    stats.partialMisses++;
    return [...(await downloader(before))];
  }
  const cpuTensor = (k: string) => {
    const i = names.indexOf(k);
    return i >= 0 ? after[i] : s.get(k);
  };
  const short = ps.flatMap((p, i) => {
    if (!p) return [];
    const mask = cpuTensor(p.valid);
    const n = mask && onCpu(mask) ? filledSlots(mask.data as ArrayLike<number>) : undefined;
    return n !== undefined && n <= p.keep ? [] : [i];
  });
  if (short.length > 0) {
    stats.partialMisses++;
    const whole = await downloader(short.map((i) => before[i]!));
    short.forEach((i, j) => {
      if (after[i] !== before[i]) after[i]!.dispose();
      after[i] = whole[j]!;
    });
  }
  return after;
}

/** Brings a state's device tensors to the CPU, in place: the state's entries become CPU tensors (the
 *  device copies freed), every holder seeing them from then on. Concurrent calls share one download.
 *  Returns the state. The caller holds a reference for the duration. */
export async function toCpu<S extends AnyState>(s: S): Promise<S> {
  assertLive(s, 'download');
  let p = downloads.get(s);
  if (!p) {
    const names = [...s.keys()].filter((k) => !onCpu(s.get(k)!));
    if (names.length === 0) return s;
    p = (async () => {
      const before = names.map((k) => s.get(k)!);
      const after = await downloadParts(s, names, before, partsOf.get(s));
      if (after.length !== before.length) throw new Error(`a download returned ${after.length} tensors for ${before.length}`);
      // a State is read-only to its users; this file owns its location (see the header)
      const entries = s as unknown as Map<string, StateTensorLike>;
      names.forEach((k, i) => {
        if (after[i] === before[i]) return;
        entries.set(k, after[i]!);
        before[i]!.dispose();
      });
    })().finally(() => downloads.delete(s));
    downloads.set(s, p);
  }
  await p;
  const r = tracked.get(s);
  if (r) leftGpu(r);
  return s;
}

function leftGpu(r: Record_): void {
  if (!r.onGpu) return;
  r.onGpu = false;
  stats.live--;
  stats.bytes -= r.bytes;
}

/** A state's values on the CPU, for writing it to disk: each entry's name, dims and float32 data (a
 *  device state is downloaded first, holding a reference meanwhile). */
export async function stateTensors(s: AnyState, names: readonly string[]): Promise<{ name: string; dims: number[]; data: Float32Array }[]> {
  return holding(s, async () => {
    await toCpu(s);
    return names.map((name) => {
      const t = s.get(name);
      if (!t) throw new Error(`the state has no tensor "${name}"`);
      return { name, dims: [...t.dims], data: t.data as Float32Array };
    });
  });
}

const deviceSessions = new WeakSet<object>();

/** Marks a session whose state outputs stay on the device: it is fed device states as they are. */
export function markDeviceSession(session: object): void {
  deviceSessions.add(session);
}

/** Whether a session takes device states as inputs; any other (a CPU session) is given CPU copies. */
export function isDeviceSession(session: object): boolean {
  return deviceSessions.has(session);
}

/** Counted states in GPU memory now and their bytes, how many were counted and disposed in all (leak
 *  checks in tests, info()), and how many downloads carried parts, and in how many a part fell short
 *  or the download with parts failed (the entries then came back whole). */
export function deviceStateStats(): {
  live: number;
  bytes: number;
  adopted: number;
  disposed: number;
  partial: number;
  partialMisses: number;
} {
  return { ...stats };
}
