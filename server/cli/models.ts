// statewise models: the installed model folders and what their manifests say; a folder whose
// manifest is missing or broken is listed with the reason.

import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseErrorWhere, unsafeRelativePath } from '../engine/integrity';
import { readManifest } from '../engine/manifest';
import { ARCHITECTURES } from '../shared/settings';
import { trainedTokens, trainingNote } from '../shared/training';
import { CliError, parse } from './args';
import type { CliIO } from './io';
import { sharedOptions, sharedUsage } from './options';
import { modelsDirOf } from './session';

export const MODELS_USAGE = `statewise models ${sharedUsage('models', 'json')}`;

export interface ModelEntry {
  folder: string;
  dir: string;
  ok: boolean;
  error?: string;
  name?: string;
  architecture?: string;
  version?: string;
  params?: number;
  stateBytes?: number;
  /** Training tokens over all runs, and that in words. */
  trainedTokens?: number;
  training?: string;
  files: { name: string; bytes: number | null }[];
  totalBytes: number;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Files a manifest names: graphs, weights, tokenizer. */
function namedFiles(m: Json): string[] {
  const names = new Set<string>(['manifest.json']);
  if (typeof m.tokenizer === 'string') names.add(m.tokenizer);
  if (isObj(m.graphs)) for (const g of Object.values(m.graphs)) if (isObj(g) && typeof g.file === 'string') names.add(g.file);
  if (Array.isArray(m.weights)) for (const w of m.weights) if (typeof w === 'string') names.add(w);
  return [...names];
}

/** Bytes of one state: the manifest's stateBytes, else the float32 state tensors it lists. */
function stateBytesOf(m: Json): number | undefined {
  if (typeof m.stateBytes === 'number') return m.stateBytes;
  if (!Array.isArray(m.state)) return undefined;
  return m.state.reduce(
    (n: number, s: unknown) => n + (isObj(s) && Array.isArray(s.shape) ? (s.shape as number[]).reduce((a, d) => a * d, 1) * 4 : 0),
    0,
  );
}

export function describeModel(dir: string): ModelEntry {
  const entry: ModelEntry = { folder: path.basename(dir), dir, ok: false, files: [], totalBytes: 0 };
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { ...entry, error: 'no manifest.json' };
  if (!lstatSync(manifestPath).isFile()) return { ...entry, error: 'manifest.json is not a regular file' };
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    return { ...entry, error: `manifest.json is not valid JSON (${parseErrorWhere(err)})` };
  }
  if (!isObj(m)) return { ...entry, error: 'manifest.json is not an object' };
  entry.name = typeof m.name === 'string' ? m.name : undefined;
  entry.architecture = typeof m.architecture === 'string' ? m.architecture : undefined;
  entry.version = typeof m.version === 'string' ? m.version : undefined;
  entry.params = isObj(m.params) && typeof m.params.total === 'number' ? m.params.total : undefined;
  entry.stateBytes = stateBytesOf(m);
  entry.trainedTokens = trainedTokens(m);
  entry.training = trainingNote(entry.trainedTokens);
  for (const name of namedFiles(m)) {
    // a name that leads out of the folder is not looked at (readManifest below says why)
    if (name !== 'manifest.json' && unsafeRelativePath(name)) continue;
    let bytes: number | null = null;
    try {
      bytes = statSync(path.join(dir, name)).size;
      entry.totalBytes += bytes;
    } catch {
      // listed with a null size; readManifest below says which file is missing
    }
    entry.files.push({ name, bytes });
  }
  try {
    readManifest(dir);
    entry.ok = true;
  } catch (err) {
    entry.error = (err as Error).message;
  }
  return entry;
}

/**
 * Every model folder in `modelsDir`. A folder without manifest.json is listed (with that error)
 * when it looks like a model folder: named after an architecture, or holding .onnx files; other
 * folders (models/python, models/corpus) are not models.
 */
export function listModels(modelsDir: string): ModelEntry[] {
  return readdirSync(modelsDir)
    .filter((name) => !name.startsWith('.') && statSync(path.join(modelsDir, name), { throwIfNoEntry: false })?.isDirectory())
    .map((name) => describeModel(path.join(modelsDir, name)))
    .filter((m) => m.error !== 'no manifest.json' || looksLikeModel(m.dir))
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

function looksLikeModel(dir: string): boolean {
  if ((ARCHITECTURES as readonly string[]).includes(path.basename(dir))) return true;
  try {
    return readdirSync(dir).some((f) => f.endsWith('.onnx'));
  } catch {
    return false;
  }
}

export function mib(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function formatParams(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(0)}k`;
}

export function modelsTable(modelsDir: string, models: ModelEntry[]): string {
  if (models.length === 0) return `no model folders in ${modelsDir}\n`;
  const rows = [['FOLDER', 'NAME', 'ARCH', 'VERSION', 'PARAMS', 'STATE', 'SIZE', 'TRAINING', 'STATUS']];
  for (const m of models) {
    rows.push([
      m.folder,
      m.name ?? '-',
      m.architecture ?? '-',
      m.version ?? '-',
      formatParams(m.params),
      mib(m.stateBytes),
      mib(m.totalBytes),
      m.training ?? '-',
      m.ok ? 'ok' : `error: ${m.error}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  const files = models
    .filter((m) => m.files.length > 0)
    .map((m) => `${m.folder}: ${m.files.map((f) => `${f.name} ${mib(f.bytes)}`).join(', ')}`);
  return `models in ${modelsDir}\n${lines.join('\n')}\n\n${files.join('\n')}\n`;
}

export async function modelsCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, sharedOptions('models', 'json'), { min: 0, max: 0, names: '' });
  const modelsDir = modelsDirOf(io, values.models);
  if (!existsSync(modelsDir)) throw new CliError(`models folder not found: ${modelsDir} (use --models DIR or set STATEWISE_MODELS_DIR)`);
  const models = listModels(modelsDir);
  io.stdout(values.json ? `${JSON.stringify({ modelsDir, models }, null, 2)}\n` : modelsTable(modelsDir, models));
  return 0;
}
