// Shift-register caches in a model's state (issue 17, "copy only what changed"): ALiBi's KV cache,
// the local-attention windows of griffin and based. Such an entry holds W slots along one axis; each
// model call shifts its T new tokens in at the end, so after n tokens the last min(n, W) slots are
// filled and the rest are still the zero state's (their mask entry, [1, W], is 1.0 exactly on the
// filled slots). A state crossing between the CPU and a GPU need only carry the filled slots: the
// rest are zeros, and masked anyway. The manifest declares these entries (StateSpec.window); this
// file holds the arithmetic, pure: which entries, how many slots are filled, and cutting a tensor's
// filled slots out and putting them back.
import type { Manifest } from './manifest';

/** A state entry that is a shift-register cache. */
export interface WindowedEntry {
  name: string;
  /** The slot axis of the entry's shape (shape[axis] = slots). */
  axis: number;
  slots: number;
  /** The mask entry, shape [1, slots]: 1.0 on the filled slots. */
  valid: string;
  /** Bytes of one slot (float32). */
  slotBytes: number;
}

/** The last `keep` slots along `axis`: what a transfer carries of a windowed entry. */
export interface Part {
  axis: number;
  keep: number;
}

/** A part and the mask entry that says it is right. */
export interface WindowPart extends Part {
  valid: string;
}

/** A transfer carries only the filled slots where that saves at least this many bytes of a state:
 *  below it the extra inputs are not worth a separate graph (griffin's windows are 64 KiB a tensor). */
export const PARTIAL_MIN_BYTES = 1 << 20;

/** ... and at least this share of the windowed entries' bytes. On one H100 (WebGPU, ALiBi's 16 caches of
 *  2,048 slots, scripts/gpu-transfer-bench.mjs) parts were faster with 16 and 1,024 slots filled (down
 *  29 vs 69 ms, 71 vs 80; up 75 vs 107, 139 vs 161) and slower with 2,000 (down 88 vs 75, up 150 vs 141):
 *  the slice and pad graphs cost more than the bytes they skip once the caches are mostly full. */
export const PARTIAL_MIN_SHARE = 0.5;

/** The manifest's windowed entries (readManifest has checked them). */
export function windowedEntries(m: Pick<Manifest, 'state'>): WindowedEntry[] {
  const out: WindowedEntry[] = [];
  for (const s of m.state) {
    if (!s.window) continue;
    const slots = s.shape[s.window.axis]!;
    out.push({ name: s.name, axis: s.window.axis, slots, valid: s.window.valid, slotBytes: (4 * size(s.shape)) / Math.max(1, slots) });
  }
  return out;
}

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** n where the mask is n ones after W - n zeros (a shift register's filled tail), else undefined. */
export function filledSlots(mask: ArrayLike<number>): number | undefined {
  let i = 0;
  while (i < mask.length && mask[i] === 0) i++;
  for (let j = i; j < mask.length; j++) if (mask[j] !== 1) return undefined;
  return mask.length - i;
}

/** Filled slots per mask entry after `tokens` more tokens: min(W, n + tokens). */
export function advanced(filled: ReadonlyMap<string, number>, tokens: number, entries: readonly WindowedEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) {
    const n = filled.get(e.valid);
    if (n !== undefined) out.set(e.valid, Math.min(e.slots, n + tokens));
  }
  return out;
}

/** The parts a transfer carries, per windowed entry, where together they save at least
 *  PARTIAL_MIN_BYTES and PARTIAL_MIN_SHARE of the entries' bytes; undefined where a mask's count is
 *  unknown or the saving is smaller. */
export function partsWorthIt(
  entries: readonly WindowedEntry[],
  filled: ReadonlyMap<string, number>,
  minBytes = PARTIAL_MIN_BYTES,
  minShare = PARTIAL_MIN_SHARE,
): Map<string, WindowPart> | undefined {
  if (entries.length === 0) return undefined;
  const parts = new Map<string, WindowPart>();
  let saved = 0;
  let total = 0;
  for (const e of entries) {
    const n = filled.get(e.valid);
    if (n === undefined) return undefined;
    // at least one slot: a graph over an empty tensor is a corner case GPU providers may not take
    const keep = Math.max(1, n);
    saved += (e.slots - keep) * e.slotBytes;
    total += e.slots * e.slotBytes;
    parts.set(e.name, { axis: e.axis, keep, valid: e.valid });
  }
  return saved >= minBytes && saved >= minShare * total ? parts : undefined;
}

/** `entries` where carrying only their filled slots can ever save enough (at the zero state, the most it
 *  saves), else none: a runner counts filled slots on every call only for models where that pays
 *  (ALiBi, not Griffin's or Based's small windows). */
export function windowsWorthCounting(entries: readonly WindowedEntry[], minBytes = PARTIAL_MIN_BYTES): readonly WindowedEntry[] {
  const empty = new Map(entries.map((e) => [e.valid, 0]));
  return partsWorthIt(entries, empty, minBytes) ? entries : [];
}

/** Row-major layout around `axis`: outer blocks, slots, inner elements per slot. */
function around(dims: readonly number[], axis: number): { outer: number; slots: number; inner: number } {
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) throw new Error(`axis ${axis} is not an axis of [${dims.join(',')}]`);
  return { outer: size(dims.slice(0, axis)), slots: dims[axis]!, inner: size(dims.slice(axis + 1)) };
}

/** The part's dims: `dims` with `keep` slots along `axis`. */
export function partDims(dims: readonly number[], p: Part): number[] {
  return dims.map((d, i) => (i === p.axis ? p.keep : d));
}

/** The last `keep` slots along `axis` of a row-major tensor of `dims`. */
export function sliceTail(data: Float32Array, dims: readonly number[], p: Part): Float32Array {
  const { outer, slots, inner } = around(dims, p.axis);
  if (data.length !== outer * slots * inner) throw new Error(`sliceTail: ${data.length} values for [${dims.join(',')}]`);
  if (!(p.keep >= 0 && p.keep <= slots)) throw new Error(`sliceTail: keep ${p.keep} of ${slots} slots`);
  const out = new Float32Array(outer * p.keep * inner);
  for (let o = 0; o < outer; o++) {
    const from = (o * slots + slots - p.keep) * inner;
    out.set(data.subarray(from, from + p.keep * inner), o * p.keep * inner);
  }
  return out;
}

/** sliceTail's inverse: a tensor of `dims` holding `part` in its last `keep` slots along `axis`,
 *  zeros before. */
export function padTail(part: Float32Array, dims: readonly number[], p: Part): Float32Array {
  const { outer, slots, inner } = around(dims, p.axis);
  if (!(p.keep >= 0 && p.keep <= slots)) throw new Error(`padTail: keep ${p.keep} of ${slots} slots`);
  if (part.length !== outer * p.keep * inner) throw new Error(`padTail: ${part.length} values for ${p.keep} of [${dims.join(',')}]`);
  const out = new Float32Array(outer * slots * inner);
  for (let o = 0; o < outer; o++)
    out.set(part.subarray(o * p.keep * inner, (o + 1) * p.keep * inner), (o * slots + slots - p.keep) * inner);
  return out;
}
