// What every `statewise eval` subcommand shares: its options, the model session, the output.
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { readManifest, type Manifest } from '../../engine/manifest';
import { CodeTokenizer } from '../../engine/tokenizer';
import { parse, UsageError } from '../args';
import type { CliIO } from '../io';
import { modelChoice, sharedOptions, sharedUsage } from '../options';
import { openSession, type Session } from '../session';

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  ...sharedOptions('arch', 'ep', 'models', 'json'),
  seed: { type: 'string', default: '1' },
  files: { type: 'string', multiple: true },
  'max-bytes': { type: 'string' },
} as const satisfies Options;

export const COMMON_USAGE = `[--files F...] [--max-bytes N] ${sharedUsage('arch', 'ep', 'models')} [--seed N] ${sharedUsage('json')}`;

/** Parses the common options plus `extra`; arguments after the options are more --files. */
export function parseEvalArgs<O extends Options>(args: string[], extra: O) {
  const { values, positionals } = parse(args, { ...COMMON_OPTIONS, ...extra }, { min: 0, max: Infinity, names: 'files' });
  const v = values as Record<string, string | boolean | string[] | undefined>;
  const { arch, ep, models } = modelChoice(values);
  return {
    values: v,
    arch,
    ep,
    models,
    json: v.json === true,
    seed: intOption('seed', v.seed as string, 0),
    files: [...((v.files as string[] | undefined) ?? []), ...positionals],
    /** Only files up to this many UTF-8 bytes (quick runs); Infinity when not given. */
    maxBytes: intOption('max-bytes', v['max-bytes'] as string | undefined, 1, Number.POSITIVE_INFINITY),
  };
}

export function intOption(name: string, value: string | undefined, min: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`missing --${name}`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export function intList(name: string, value: string, min: number): number[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs a comma-separated list`);
  return items.map((s) => intOption(name, s, min));
}

/** A comma list of names from `known` (`--name a,b`), in the order given, duplicates dropped;
 *  `fallback` when the option is absent. Unknown names and an empty list are usage errors. */
export function parseNameList<T extends string>(name: string, value: string | undefined, known: readonly T[], fallback: readonly T[]): T[] {
  if (value === undefined) return [...fallback];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!(known as readonly string[]).includes(n))
      throw new UsageError(`--${name}: unknown ${JSON.stringify(n)}; expected a comma list of ${known.join(', ')}`);
  if (names.length === 0) throw new UsageError(`--${name} needs at least one of ${known.join(', ')}`);
  return [...new Set(names as T[])];
}

export async function withSession<T>(
  io: CliIO,
  o: { arch: string; ep: ReturnType<typeof parseEvalArgs>['ep']; models?: string },
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const session = await openSession(io, { models: o.models, arch: o.arch, ep: o.ep });
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

export function modelLabel(s: Session): string {
  return `${s.load.modelName}@${s.load.modelVersion}`;
}

/** --json: the object; otherwise the summary line(s). */
export function report(io: CliIO, json: boolean, out: unknown, summary: string): number {
  io.stdout(json ? `${JSON.stringify(out, null, 2)}\n` : summary.endsWith('\n') ? summary : `${summary}\n`);
  return 0;
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The session's manifest and tokenizer, read in this process (for token accounting). */
export function modelFiles(s: Session): { manifest: Manifest; tok: CodeTokenizer; count: (text: string) => number } {
  const manifest = readManifest(s.modelDir);
  const tok = CodeTokenizer.fromFile(join(s.modelDir, manifest.tokenizer));
  return { manifest, tok, count: (text) => tok.encode(text).length };
}
