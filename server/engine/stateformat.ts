// The bytes of one persisted model state (a fold checkpoint, `fold-<key>.bin`). Pure: persist.ts
// does the file I/O.
//
//   "SWST" | u32 LE format version | u32 LE header length | header (UTF-8 JSON, space-padded so the
//   payload starts 4-byte aligned) | payload: the tensors' float32 values, little-endian, back to back.
//
// The header is { meta, tensors: [{ name, dims, byteOffset, byteLength }], payloadBytes, payloadSha256 },
// byteOffset counted from the start of the payload.
// Version 2: meta.fingerprint is the fold chain key of the state (fingerprint.ts foldChainKeys) and
// meta.files the number of files folded into it. Version 1 (one `workspace-state.bin` named by a
// path+size+mtime fingerprint) is refused.

import { createHash } from 'node:crypto';

export const MAGIC = 'SWST';
export const FORMAT_VERSION = 2;
const PREFIX_BYTES = 12;

export interface PersistMeta {
  modelId: string;
  modelVersion: string;
  /** The fold chain key of the state (foldChainKeys in fingerprint.ts). */
  fingerprint: string;
  /** Tokens folded into the state. */
  tokens: number;
  /** ISO 8601 time the state was built. */
  createdAt: string;
  /** Files folded in (the checkpoint's place in the chain) and their bytes. */
  files?: number;
  bytes?: number;
}

export interface StateTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface StateExpectation {
  modelId: string;
  modelVersion: string;
  fingerprint: string;
}

interface TensorEntry {
  name: string;
  dims: number[];
  byteOffset: number;
  byteLength: number;
}
interface Header {
  meta: PersistMeta;
  tensors: TensorEntry[];
  payloadBytes: number;
  payloadSha256: string;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** The float32 values as little-endian bytes (a view, no copy, on little-endian hosts). */
function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/** The file's bytes as chunks to write in order (tensor chunks are views of the caller's data). */
export function encodeState(meta: PersistMeta, tensors: readonly StateTensor[]): Uint8Array[] {
  const entries: TensorEntry[] = [];
  const payload: Uint8Array[] = [];
  const sha = createHash('sha256');
  let offset = 0;
  for (const t of tensors) {
    if (!t.dims.every((d) => Number.isInteger(d) && d >= 0) || elementCount(t.dims) !== t.data.length) {
      throw new Error(`tensor ${t.name}: dims [${t.dims.join(', ')}] do not match ${t.data.length} values`);
    }
    const bytes = littleEndianBytes(t.data);
    sha.update(bytes);
    payload.push(bytes);
    entries.push({ name: t.name, dims: [...t.dims], byteOffset: offset, byteLength: bytes.byteLength });
    offset += bytes.byteLength;
  }
  const header: Header = { meta, tensors: entries, payloadBytes: offset, payloadSha256: sha.digest('hex') };
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((4 - ((PREFIX_BYTES + jsonBytes) % 4)) % 4);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(FORMAT_VERSION, 4);
  prefix.writeUInt32LE(headerBytes.length, 8);
  return [prefix, headerBytes, ...payload];
}

export type DecodeResult = { ok: true; meta: PersistMeta; tensors: StateTensor[] } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why a parsed header is not a Header, or undefined if it is one. */
function headerProblem(h: unknown): string | undefined {
  if (!isObject(h)) return 'header is not an object';
  const m = h.meta;
  if (!isObject(m)) return 'meta missing';
  for (const k of ['modelId', 'modelVersion', 'fingerprint', 'createdAt']) if (typeof m[k] !== 'string') return `meta.${k} missing`;
  if (!isCount(m.tokens)) return 'meta.tokens missing';
  if (!isCount(h.payloadBytes) || typeof h.payloadSha256 !== 'string') return 'payload size or checksum missing';
  if (!Array.isArray(h.tensors)) return 'tensor table missing';
  for (const t of h.tensors as unknown[]) {
    if (
      !isObject(t) ||
      typeof t.name !== 'string' ||
      !Array.isArray(t.dims) ||
      !t.dims.every(isCount) ||
      !isCount(t.byteOffset) ||
      !isCount(t.byteLength)
    )
      return 'tensor table entry malformed';
    if (t.byteLength !== elementCount(t.dims as number[]) * 4) return `tensor ${t.name}: byteLength does not match dims`;
    if (t.byteOffset % 4 !== 0 || t.byteOffset + t.byteLength > (h.payloadBytes as number)) return `tensor ${t.name}: outside the payload`;
  }
  return undefined;
}

/** Parses and checks a state file against what the caller expects; never throws. */
export function decodeState(file: Uint8Array, expect: StateExpectation): DecodeResult {
  const fail = (reason: string): DecodeResult => ({ ok: false, reason });
  if (file.length < PREFIX_BYTES) return fail(`truncated (${file.length} bytes)`);
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.toString('latin1', 0, 4) !== MAGIC) return fail('not a Statewise state file (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== FORMAT_VERSION) return fail(`format version ${version}, expected ${FORMAT_VERSION}`);
  const headerLength = buf.readUInt32LE(8);
  const payloadStart = PREFIX_BYTES + headerLength;
  if (payloadStart > buf.length) return fail(`truncated header (${buf.length} of ${payloadStart}+ bytes)`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(PREFIX_BYTES, payloadStart)));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  const problem = headerProblem(header);
  if (problem) return fail(`header malformed: ${problem}`);
  const h = header as Header;

  if (h.meta.modelId !== expect.modelId) return fail(`built for model ${h.meta.modelId}, expected ${expect.modelId}`);
  if (h.meta.modelVersion !== expect.modelVersion)
    return fail(`built for model version ${h.meta.modelVersion}, expected ${expect.modelVersion}`);
  if (h.meta.fingerprint !== expect.fingerprint) return fail('a state of other workspace files (fingerprint mismatch)');

  const payload = buf.subarray(payloadStart);
  if (payload.length < h.payloadBytes) return fail(`truncated payload (${payload.length} of ${h.payloadBytes} bytes)`);
  if (payload.length > h.payloadBytes) return fail(`${payload.length - h.payloadBytes} unexpected bytes after the payload`);
  const sha = createHash('sha256').update(payload).digest('hex');
  if (sha !== h.payloadSha256) return fail('payload checksum mismatch');

  const tensors = h.tensors.map((t) => ({
    name: t.name,
    dims: t.dims,
    data: float32FromLittleEndian(payload.subarray(t.byteOffset, t.byteOffset + t.byteLength)),
  }));
  return { ok: true, meta: h.meta, tensors };
}
