// statewise eval qa: questions with gold answers about held-out files (models/eval/qa.jsonl.gz,
// built by models/python/build_eval_sets.py with the training side's extraction, qa.py), asked
// through the engine's Ask; accuracy by file-length bucket (real tokens of the file part) and kind.
// Every layout answers the same sampled questions:
// - `product`: the engine's Ask as the editor sends it (the model's Ask layout, manifest ask.layout: the
//   question carries its excerpt, askExcerpt.ts, for a model trained with excerpts, after a window of
//   the file that ends at the excerpt's definition: engine/ask.ts productContext);
// - `whole-file`: the engine's Ask with `context: 'file'` (the excerpt layout after the whole file, the
//   product before the window);
// - `plain`: the engine's Ask with `excerpt: false` (the bare question after the file);
// - `excerpt`: the engine's Ask with `excerpt: true`, whatever the model's layout (the product's file context);
// - `window`: the engine's Ask with `context: 'window'`: the file part is only the file's tokens that
//   end at the excerpt's definition (askPrompt.ts WINDOW_TOKENS; `window-N`: at most N tokens);
// - `excerpt-only`: the engine's Ask with `context: 'none'`: the path header, then the question with its excerpt;
// - `baseline`: no model, the first line of the excerpt's last block (for "defined" and "kind"
//   questions, the definition line).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import askFormat from '../../../models/ask-format.json';
import { excerptBlocks } from '../../engine/askExcerpt';
import { splitLines } from '../../engine/document';
import { seededRng, type Rng } from '../../engine/sampler';
import type { EngineAskParams } from '../../protocol/ipc';
import { CliError } from '../args';
import type { CliIO } from '../io';
import { COMMON_USAGE, intOption, modelFiles, modelLabel, parseEvalArgs, parseNameList, pct, report, withSession } from './common';
import { loadEvalFiles } from './evalSet';

export const QA_LAYOUTS = ['product', 'plain', 'excerpt', 'whole-file', 'window', 'excerpt-only', 'as-typed', 'baseline'] as const;
export type QaLayout = (typeof QA_LAYOUTS)[number] | `window-${number}`;

export const QA_USAGE = `statewise eval qa [--qa FILE] [--samples N] [--layout ${QA_LAYOUTS.join(',')}] [--paraphrase] [--per-sample] ${COMMON_USAGE}`;

/** `--paraphrase`: each question asked the way a user might type it instead of in its kind's
 *  template. Per kind, phrasings the engine puts back into the template (askCanonical.ts) and the
 *  last one in words it does not recognise, so the figure shows its reach as well as its effect. */
export const PARAPHRASES: Record<string, readonly string[]> = {
  value: ["what's the value of {n}?", 'what is {n} set to?', "tell me {n}'s value"],
  params: ['what arguments does {n} take?', 'how do I call {n}?', 'list the inputs of {n}'],
  returns: ['what is returned by {n}?', 'return value of `{n}`?', 'can you tell me what {n} returns?'],
  defined: ['where is {n} defined?', 'what does {n} do?', 'I want to see how {n} is implemented'],
  callers: ['who calls {n}?', 'where is {n} used?', 'list the functions that use {n}'],
  kind: ['what is {n}?', 'what kind of symbol is {n}?', '{n} is what sort of thing?'],
};

/** The question in a user's words (a phrasing of its kind drawn by `rng`); unchanged when it is not
 *  in its kind's template. */
export function paraphrase(q: Pick<QaItem, 'kind' | 'question'>, rng: Rng): string {
  const template = (askFormat.kinds as Record<string, string>)[q.kind];
  const phrasings = PARAPHRASES[q.kind];
  if (!template || !phrasings) return q.question;
  const [before, after] = template.split('{name}') as [string, string];
  if (!q.question.startsWith(before) || !q.question.endsWith(after)) return q.question;
  const name = q.question.slice(before.length, q.question.length - after.length);
  return phrasings[Math.floor(rng() * phrasings.length)]!.replace('{n}', name);
}

export interface QaItem {
  path: string;
  kind: string;
  question: string;
  answer: string;
}
export interface QaAnswer {
  got: string;
  exact: boolean;
  contains: boolean;
  /** The engine's latency for this answer (ms; absent for the baseline). Layouts run in the order
   *  given, one after the other: a later one finds what an earlier one fed cached. */
  ms?: number;
}
/** got/exact/contains: the first layout's; byLayout: every layout's. */
export interface QaSample extends QaItem, QaAnswer {
  bucket: string;
  fileTokens: number;
  /** Length of the excerpt the product's question carried (0: none). */
  excerptChars: number;
  /** With --paraphrase: the question as asked (`question` is the template it stands for). */
  asked?: string;
  /** The template the product put the asked question back into, when it did. */
  askedAs?: string;
  byLayout: Partial<Record<QaLayout, QaAnswer>>;
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

/** Layouts from `--layout` (a comma list of QA_LAYOUTS and `window-N`), in the order given;
 *  default product, plain, baseline. */
export function parseQaLayouts(value: string | undefined): QaLayout[] {
  const fallback: QaLayout[] = ['product', 'plain', 'baseline'];
  if (value === undefined) return fallback;
  const sized = (n: string) => /^window-[1-9][0-9]*$/.test(n);
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // the fixed names checked (and an empty list refused) as every --layout list is
  const fixed = names.filter((n) => !sized(n));
  if (fixed.length > 0 || names.length === 0) parseNameList<QaLayout>('layout', fixed.join(','), QA_LAYOUTS, fallback);
  return [...new Set(names)] as QaLayout[];
}

/** What a model layout changes in the engine's Ask request (nothing for `product`). */
export function qaRequestOptions(
  l: Exclude<QaLayout, 'baseline'>,
): Pick<EngineAskParams, 'excerpt' | 'canonical' | 'context' | 'windowTokens'> {
  if (l === 'plain') return { excerpt: false };
  if (l === 'excerpt') return { excerpt: true };
  if (l === 'as-typed') return { canonical: false };
  if (l === 'whole-file') return { context: 'file' };
  if (l === 'window') return { context: 'window' };
  if (l === 'excerpt-only') return { context: 'none' };
  if (l.startsWith('window-')) return { context: 'window', windowTokens: Number(l.slice('window-'.length)) };
  return {};
}

/** The trivial answer: the first line of the excerpt's last block (the most important one), trimmed;
 *  '' when the question names nothing in the file. */
export function baselineAnswer(text: string, question: string): string {
  return excerptBlocks(splitLines(text).join('\n'), question).at(-1)?.[0]?.trim() ?? '';
}

function answerOf(got: string, gold: string): QaAnswer {
  return { got, exact: exactMatch(got, gold), contains: containsMatch(got, gold) };
}

export interface QaRate {
  samples: number;
  exactMatch: number;
  containsMatch: number;
}
export interface QaScores extends QaRate {
  buckets: Record<string, QaRate>;
  kinds: Record<string, QaRate>;
}

/** One layout's figures over the samples: overall, by bucket, by kind. */
export function scoresOf(samples: readonly QaSample[], layout: QaLayout): QaScores {
  const rate = (xs: readonly QaSample[]): QaRate => {
    const got = xs.map((x) => x.byLayout[layout]).filter((a) => a !== undefined);
    const n = got.length;
    return {
      samples: n,
      exactMatch: n ? got.filter((a) => a.exact).length / n : 0,
      containsMatch: n ? got.filter((a) => a.contains).length / n : 0,
    };
  };
  return {
    ...rate(samples),
    buckets: Object.fromEntries(BUCKETS.map((b) => [b.name, rate(samples.filter((x) => x.bucket === b.name))])),
    kinds: Object.fromEntries([...new Set(samples.map((x) => x.kind))].sort().map((k) => [k, rate(samples.filter((x) => x.kind === k))])),
  };
}

/** Rows by bucket, then by kind, then all; a column "exact / contains" per layout. */
export function qaTable(layouts: readonly QaLayout[], scores: Record<string, QaScores>): string {
  const first = scores[layouts[0]!]!;
  const cells = (pick: (s: QaScores) => QaRate) =>
    layouts.map((l) => `${pct(pick(scores[l]!).exactMatch)} / ${pct(pick(scores[l]!).containsMatch)}`);
  const head = ['', 'n', ...layouts.map((l) => `${l} exact / contains`)];
  const rows = [head];
  for (const b of BUCKETS)
    if (first.buckets[b.name]!.samples > 0)
      rows.push([`${b.name} tokens`, String(first.buckets[b.name]!.samples), ...cells((s) => s.buckets[b.name]!)]);
  for (const k of Object.keys(first.kinds)) rows.push([k, String(first.kinds[k]!.samples), ...cells((s) => s.kinds[k]!)]);
  rows.push(['all', String(first.samples), ...cells((s) => s)]);
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
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
    layout: { type: 'string' },
    paraphrase: { type: 'boolean', default: false },
    'per-sample': { type: 'boolean', default: false },
  });
  const paraphrased = o.values.paraphrase === true;
  const n = intOption('samples', o.values.samples as string, 1);
  const layouts = parseQaLayouts(o.values.layout as string | undefined);
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
    const prng = seededRng(o.seed + 7);
    for (const q of chosen) {
      const f = files.get(q.path)!;
      const byLayout: QaSample['byLayout'] = {};
      let excerptChars = 0;
      let askedAs: string | undefined;
      const question = paraphrased ? paraphrase(q, prng) : q.question;
      for (const l of layouts) {
        if (l === 'baseline') {
          byLayout.baseline = answerOf(baselineAnswer(f.text, question), q.answer);
          continue;
        }
        const r = await s.engine.ask({ path: f.path, text: f.text, question, ...qaRequestOptions(l) });
        if (l === 'product') {
          excerptChars = r.excerptChars ?? 0;
          askedAs = r.askedAs;
        }
        byLayout[l] = { ...answerOf(r.answer, q.answer), ms: Math.round(r.latencyMs) };
      }
      perSample.push({
        ...q,
        fileTokens: tokensOf.get(q.path)!,
        excerptChars,
        ...(paraphrased ? { asked: question } : {}),
        ...(askedAs ? { askedAs } : {}),
        ...byLayout[layouts[0]!]!,
        byLayout,
      });
    }
    const scores = Object.fromEntries(layouts.map((l) => [l, scoresOf(perSample, l)])) as Record<QaLayout, QaScores>;
    const main = scores[layouts[0]!];
    const withExcerpt = perSample.filter((x) => x.excerptChars > 0);
    const out = {
      metric: 'qa',
      arch: s.load.arch,
      model: modelLabel(s),
      ep: s.load.ep,
      seed: o.seed,
      // the first layout's figures at the top level (the product's unless --layout says otherwise)
      ...main,
      layouts: scores,
      // mean engine latency per question (ms), per layout
      latencyMs: Object.fromEntries(
        layouts
          .filter((l) => l !== 'baseline')
          .map((l) => {
            const ms = perSample.map((x) => x.byLayout[l]?.ms ?? 0);
            return [l, ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) : 0];
          }),
      ),
      ...(layouts.includes('product')
        ? {
            excerpt: {
              share: perSample.length ? withExcerpt.length / perSample.length : 0,
              meanChars: withExcerpt.length ? Math.round(withExcerpt.reduce((a, x) => a + x.excerptChars, 0) / withExcerpt.length) : 0,
            },
          }
        : {}),
      ...(paraphrased ? { paraphrase: true, canonicalized: perSample.filter((x) => x.askedAs).length } : {}),
      ms: Math.round(performance.now() - t0),
      ...(o.values['per-sample'] ? { perSample } : {}),
    };
    const excerptNote = out.excerpt
      ? `; product: ${pct(out.excerpt.share)} of questions carry an excerpt, mean ${out.excerpt.meanChars} chars`
      : '';
    const paraNote = paraphrased
      ? `; asked in a user's words (--paraphrase), ${perSample.filter((x) => x.askedAs).length} put back into their kind's template`
      : '';
    return report(
      io,
      o.json,
      out,
      `${out.arch} qa (${out.model}), ${main.samples} questions, seed ${o.seed}, ${(out.ms / 1000).toFixed(1)} s${excerptNote}${paraNote}\n` +
        qaTable(layouts, scores),
    );
  });
}
