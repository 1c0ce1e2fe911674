// statewise eval qa: questions with gold answers about held-out files (models/eval/qa.jsonl.gz,
// built by models/python/build_eval_sets.py with the training side's extraction, qa.py), asked
// through the engine's Ask; accuracy by file-length bucket (real tokens of the file part).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { seededRng, type Rng } from '../../engine/sampler';
import { CliError } from '../args';
import type { CliIO } from '../io';
import { COMMON_USAGE, intOption, modelFiles, modelLabel, parseEvalArgs, pct, report, withSession } from './common';
import { loadEvalFiles } from './evalSet';

export const QA_USAGE = `statewise eval qa [--qa FILE] [--samples N] [--per-sample] ${COMMON_USAGE}`;

export interface QaItem {
  path: string;
  kind: string;
  question: string;
  answer: string;
}
export interface QaSample extends QaItem {
  bucket: string;
  fileTokens: number;
  got: string;
  exact: boolean;
  contains: boolean;
}

/** Buckets by tokens of the file: the same bounds as build_eval_sets.py (which estimates them). */
export const BUCKETS: readonly { name: string; below: number }[] = [
  { name: '1k', below: 1500 },
  { name: '2k', below: 3000 },
  { name: '4k', below: 6000 },
  { name: '8k', below: 12000 },
  { name: '16k', below: Infinity },
];
export function bucketOf(tokens: number): string {
  return BUCKETS.find((b) => tokens < b.below)!.name;
}

/** Case, surrounding quotes/backticks, a trailing `;` or `.` and runs of whitespace do not count. */
export function normalizeAnswer(s: string): string {
  let t = s
    .trim()
    .replace(/^```\w*\n?|\n?```$/g, '')
    .trim()
    .replace(/[;.]+$/, '')
    .trim();
  t = t.replace(/^`(.*)`$/s, '$1').replace(/[;.]+$/, '');
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}
export function exactMatch(answer: string, gold: string): boolean {
  return normalizeAnswer(answer) === normalizeAnswer(gold);
}
/** The gold answer appears in the answer (both normalized); an empty gold never matches. */
export function containsMatch(answer: string, gold: string): boolean {
  const g = normalizeAnswer(gold);
  return g !== '' && normalizeAnswer(answer).includes(g);
}

export function readQa(file: string): QaItem[] {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return (file.endsWith('.gz') ? gunzipSync(raw) : raw)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as QaItem);
}

/** Up to `n` items per bucket, chosen by `rng`, in file order (a file's checkpoints serve all its questions). */
export function sampleByBucket<T extends { path: string; bucket: string }>(items: readonly T[], n: number, rng: Rng): T[] {
  const out: T[] = [];
  for (const b of BUCKETS) {
    const pool = items.filter((x) => x.bucket === b.name);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    out.push(...pool.slice(0, n));
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function qaCommand(args: string[], io: CliIO): Promise<number> {
  const o = parseEvalArgs(args, {
    qa: { type: 'string' },
    samples: { type: 'string', default: '8' },
    'per-sample': { type: 'boolean', default: false },
  });
  const n = intOption('samples', o.values.samples as string, 1);
  const qaFile =
    o.values.qa === undefined
      ? path.join(io.bundleDir, '..', 'models', 'eval', 'qa.jsonl.gz')
      : path.resolve(io.cwd, o.values.qa as string);
  const files = new Map(loadEvalFiles(io, o.files, o.maxBytes).map((f) => [f.path, f]));
  const items = readQa(qaFile).filter((q) => files.has(q.path));
  if (items.length === 0) throw new CliError(`no question in ${qaFile} is about the eval files`);
  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const { count } = modelFiles(s);
    const tokensOf = new Map([...files.values()].map((f) => [f.path, count(f.text)]));
    const chosen = sampleByBucket(
      items.map((q) => ({ ...q, bucket: bucketOf(tokensOf.get(q.path)!) })),
      n,
      seededRng(o.seed),
    );
    const perSample: QaSample[] = [];
    for (const q of chosen) {
      const f = files.get(q.path)!;
      const r = await s.engine.ask({ path: f.path, text: f.text, question: q.question });
      perSample.push({
        ...q,
        fileTokens: tokensOf.get(q.path)!,
        got: r.answer,
        exact: exactMatch(r.answer, q.answer),
        contains: containsMatch(r.answer, q.answer),
      });
    }
    const rate = (xs: readonly QaSample[]) => ({
      samples: xs.length,
      exactMatch: xs.length ? xs.filter((x) => x.exact).length / xs.length : 0,
      containsMatch: xs.length ? xs.filter((x) => x.contains).length / xs.length : 0,
    });
    const buckets = Object.fromEntries(BUCKETS.map((b) => [b.name, rate(perSample.filter((x) => x.bucket === b.name))]));
    const kinds = Object.fromEntries(
      [...new Set(perSample.map((x) => x.kind))].sort().map((k) => [k, rate(perSample.filter((x) => x.kind === k))]),
    );
    const all = rate(perSample);
    const out = {
      metric: 'qa',
      arch: s.load.arch,
      model: modelLabel(s),
      ep: s.load.ep,
      seed: o.seed,
      ...all,
      buckets,
      kinds,
      ms: Math.round(performance.now() - t0),
      ...(o.values['per-sample'] ? { perSample } : {}),
    };
    const lines = [`${out.arch} qa: exact ${pct(all.exactMatch)}, contains ${pct(all.containsMatch)} over ${all.samples} questions`];
    for (const b of BUCKETS)
      lines.push(
        `  ${b.name.padStart(3)} tokens: exact ${pct(buckets[b.name].exactMatch).padStart(6)}, contains ${pct(buckets[b.name].containsMatch).padStart(6)} (${buckets[b.name].samples})`,
      );
    return report(io, o.json, out, lines.join('\n'));
  });
}
