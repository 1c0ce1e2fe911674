// What a model folder may make the engine read, and whether its files are the ones exported.
// A model folder is data from anywhere (statewise.model.path): every path its manifest names must
// stay inside the folder (no absolute paths, no '..', no symbolic link leading out: checked on the
// real path), must be a regular file (a FIFO would block the load for ever), and names used in other
// paths (the architecture names the persisted-state folder) are checked against strict patterns.
// Error messages name files and hashes, never file contents.
// Checksums: manifest.json `checksums.sha256` maps each file the manifest names to its hex digest
// (models/python/export_onnx.py writes it). Every load re-hashes the files: the ~39 MB of a shipped
// model in 35-50 ms on this 2-core machine (AMD EPYC with SHA-NI, files in the page cache), against
// a load of ~1.2 s, so nothing is cached (no cache to invalidate or to fool by restoring an mtime).
// A manifest without checksums loads, reported as unverified.

import { createHash } from 'node:crypto';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { manifestMismatch, modelCorrupt, modelMissing } from './errors';

/** A model's name and version: shown, and part of cache keys. */
export const MODEL_LABEL = /^[A-Za-z0-9._+-]{1,128}$/;
/** One segment of a file path a manifest names. */
const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Why `rel` is not a plain relative path inside a folder ('a.onnx', 'sub/b.bin'), or undefined. Pure. */
export function unsafeRelativePath(rel: unknown): string | undefined {
  if (typeof rel !== 'string' || rel === '') return 'is not a file name';
  if (rel.length > 1024) return 'is too long';
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return 'is an absolute path';
  if (rel.includes('\\')) return 'contains a backslash';
  const parts = rel.split('/');
  if (parts.some((p) => p === '..')) return "leads out of the model folder ('..')";
  if (parts.some((p) => p === '' || p === '.')) return 'has an empty or "." segment';
  if (!parts.every((p) => SEGMENT.test(p))) return 'has characters other than letters, digits, ".", "_" and "-"';
  return undefined;
}

/** Shown in messages: a name from a manifest, quoted and cut short (it is manifest data, not file contents). */
export function quoted(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** The folder's real path (links resolved); throws ModelMissingError when it is not a folder. */
export function realFolder(dir: string): string {
  try {
    const real = realpathSync(dir);
    if (statSync(real).isDirectory()) return real;
  } catch {
    // below
  }
  throw modelMissing(`model folder not found: ${dir}`);
}

/**
 * The real path of the file `rel` a manifest names (`what`: "tokenizer", "graph step", ...), checked:
 * a plain relative path, inside `realDir` once links are resolved, a regular file. Throws
 * ManifestMismatchError for a path that is not allowed and ModelCorruptError for a missing file.
 */
export function modelFile(dir: string, realDir: string, rel: unknown, what: string): string {
  const bad = unsafeRelativePath(rel);
  if (bad) throw manifestMismatch(`model ${dir}: manifest.json ${what} ${quoted(rel)} ${bad}; files must lie inside the model folder`);
  let real: string;
  try {
    real = realpathSync(path.join(realDir, rel as string));
  } catch {
    throw modelCorrupt(`model ${dir}: file ${rel as string} named in manifest.json is missing`);
  }
  const inside = path.relative(realDir, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw manifestMismatch(`model ${dir}: manifest.json ${what} ${quoted(rel)} is a symbolic link leading out of the model folder`);
  }
  if (!lstatSync(real).isFile()) throw manifestMismatch(`model ${dir}: manifest.json ${what} ${quoted(rel)} is not a regular file`);
  return real;
}

/** Checks `checksums` of a manifest: { sha256: { file: hex } } or absent. Returns the map, or undefined. */
export function checksumMap(dir: string, checksums: unknown): Map<string, string> | undefined {
  if (checksums === undefined) return undefined;
  const sha = (checksums as { sha256?: unknown } | null)?.sha256;
  if (typeof sha !== 'object' || sha === null || Array.isArray(sha)) {
    throw manifestMismatch(`model ${dir}: manifest.json checksums must be { "sha256": { "<file>": "<64 hex digits>" } }`);
  }
  const out = new Map<string, string>();
  for (const [file, hex] of Object.entries(sha as Record<string, unknown>)) {
    const bad = unsafeRelativePath(file);
    if (bad) throw manifestMismatch(`model ${dir}: manifest.json checksums name ${quoted(file)}, which ${bad}`);
    if (typeof hex !== 'string' || !HEX64.test(hex))
      throw manifestMismatch(`model ${dir}: manifest.json checksum of ${file} is not 64 lowercase hex digits`);
    out.set(file, hex);
  }
  return out;
}

/** sha256 of a file, hex, read through `buf` (one buffer reused: fresh buffers per chunk made the
 *  first hash in a process 4-5x slower, page faults of new memory). */
export async function sha256File(file: string, buf: Buffer = Buffer.allocUnsafe(1 << 20)): Promise<string> {
  const h = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return h.digest('hex');
}

export interface Integrity {
  /** Every file the manifest names matched its sha256 in manifest.json. */
  verified: boolean;
  /** One line for the log: what was verified and how long it took, or why not. */
  note: string;
}

/**
 * Hashes each file (`files`: manifest name → real path) and compares with `sums`. A file the
 * manifest names without a checksum, or a mismatch, is a ModelCorruptError (naming the file only).
 */
export async function verifyChecksums(
  dir: string,
  files: ReadonlyMap<string, string>,
  sums: ReadonlyMap<string, string> | undefined,
): Promise<Integrity> {
  if (!sums) return { verified: false, note: 'unverified: manifest.json has no checksums' };
  const t0 = performance.now();
  const missing = [...files.keys()].filter((f) => !sums.has(f));
  if (missing.length) throw modelCorrupt(`model ${dir}: manifest.json has no checksum for ${missing.join(', ')}`);
  let bytes = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const [name, real] of files) {
    const digest = await sha256File(real, buf);
    bytes += statSync(real).size;
    if (digest !== sums.get(name)) {
      throw modelCorrupt(`model ${dir}: ${name} does not match its sha256 in manifest.json (damaged or replaced); reinstall the model`);
    }
  }
  const ms = performance.now() - t0;
  return { verified: true, note: `sha256 verified: ${files.size} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${Math.round(ms)} ms` };
}

/** Where a JSON.parse error happened, without the text it quotes (Node's messages echo the input). */
export function parseErrorWhere(e: unknown): string {
  const m = /position (\d+)/.exec((e as Error)?.message ?? '');
  return m ? `invalid JSON at character ${m[1]}` : 'invalid JSON';
}
