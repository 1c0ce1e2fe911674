// The files an evaluation runs on: the committed held-out sample (models/eval/heldout.jsonl.gz, one
// JSON object per line: {pkg, license, path, lang, text}), or files named on the command line
// (plain source files, or eval sets in the same JSON-lines format, gzipped or not).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CliError } from '../args';
import type { CliIO } from '../io';
import { languageOf } from '../language';

export interface EvalFile {
  path: string;
  lang: string;
  text: string;
  pkg?: string;
  license?: string;
}

/** The committed held-out sample, in the repository's models/ folder beside the bundle (dist/). */
export function defaultEvalSet(io: CliIO): string {
  return path.join(io.bundleDir, '..', 'models', 'eval', 'heldout.jsonl.gz');
}

/** Lines of {path, text, lang?, pkg?, license?}; CRLF becomes LF (the editor's model of a line). */
export function parseEvalSet(jsonl: string, source: string): EvalFile[] {
  return jsonl
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      const o = JSON.parse(line) as Partial<EvalFile>;
      if (typeof o.path !== 'string' || typeof o.text !== 'string')
        throw new CliError(`${source}:${i + 1}: expected {"path", "text", ...}`);
      return { path: o.path, lang: o.lang ?? languageOf(o.path), text: normalizeText(o.text), pkg: o.pkg, license: o.license };
    });
}

export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function readOrFail(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function isEvalSet(file: string): boolean {
  return /\.jsonl(\.gz)?$/.test(file);
}

export function readEvalSet(file: string): EvalFile[] {
  const raw = readOrFail(file);
  return parseEvalSet((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'), file);
}

/** --files F... (source files or eval sets), or the committed sample when none are given; only
 *  files of at most `maxBytes` UTF-8 bytes. */
export function loadEvalFiles(io: CliIO, names: readonly string[], maxBytes = Infinity): EvalFile[] {
  const files = readAll(io, names).filter((f) => Buffer.byteLength(f.text) <= maxBytes);
  if (files.length === 0) throw new CliError(`no eval file${maxBytes < Infinity ? ` of at most ${maxBytes} bytes` : ''}`);
  return files;
}

function readAll(io: CliIO, names: readonly string[]): EvalFile[] {
  if (names.length === 0) {
    const file = defaultEvalSet(io);
    try {
      return readEvalSet(file);
    } catch (err) {
      throw new CliError(`no eval set at ${file} (${(err as Error).message}); give files with --files F...`);
    }
  }
  return names.flatMap((name) => {
    const abs = path.resolve(io.cwd, name);
    if (isEvalSet(abs)) return readEvalSet(abs);
    const rel = path.relative(io.cwd, abs).split(path.sep).join('/');
    return [
      {
        path: rel.startsWith('..') ? path.basename(abs) : rel,
        lang: languageOf(abs),
        text: normalizeText(readOrFail(abs).toString('utf8')),
      },
    ];
  });
}
