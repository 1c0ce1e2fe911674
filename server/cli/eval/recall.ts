// statewise eval recall: exact-match recall of a constant's value across a token distance, for each
// variant of recallPrompt.ts. Samples are paired: sample i at distance D uses the same name, value
// and filler in every variant, so the variants differ only in where (or whether) the definition is.
import { seededRng } from '../../engine/sampler';
import type { EngineLike } from '../../lsp/engineClient';
import { UsageError } from '../args';
import type { CliIO } from '../io';
import { COMMON_USAGE, intList, intOption, modelFiles, modelLabel, parseEvalArgs, pct, report, withSession } from './common';
import { completeLine } from './completeLine';
import { loadEvalFiles, type EvalFile } from './evalSet';
import { editSimilarity } from './similarity';
import { buildRecallCase, fillerFrom, recallKey, recalled, recalledLiteral, VARIANTS, type RecallCase, type Variant } from './recallPrompt';

/** The default distances. 128 lies inside the attention window of the windowed models (Griffin's local
 *  attention sees 256 tokens): a cell where a model that copies at all must score, so that a table of
 *  zeros beyond it reads as "the state does not carry the value", not as "the probe is broken"
 *  (issue 14: griffin 100 % at 128 tokens, 0 % from 256 on, the value's probability there equal to
 *  the control's). */
export const DEFAULT_DISTANCES = [128, 512, 2048, 8192, 32768];

export const RECALL_USAGE = `statewise eval recall [--distances ${DEFAULT_DISTANCES.join(',')}] [--variants same,cross,control] [--samples N] [--logprob] [--per-sample] ${COMMON_USAGE}`;

const LANGS = ['typescript', 'javascript', 'python'];

/** A seed per (seed, distance, sample), so a cell's samples do not depend on the other cells. */
export function cellSeed(seed: number, distance: number, i: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(distance, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

/** The cases of one sample (one per variant), from files grouped by language. */
export function sampleCases(
  byLang: ReadonlyMap<string, EvalFile[]>,
  seed: number,
  distance: number,
  i: number,
  variants: readonly Variant[],
  count: (t: string) => number,
): RecallCase[] {
  const rng = seededRng(cellSeed(seed, distance, i));
  const langs = [...byLang.keys()];
  const lang = langs[Math.floor(rng() * langs.length)];
  const key = recallKey(rng);
  const filler = fillerFrom(byLang.get(lang)!, rng);
  return variants.map((variant) => buildRecallCase({ variant, lang, ...key, distance, filler, count }));
}

async function runCase(engine: EngineLike, c: RecallCase, fingerprint: string): Promise<string> {
  // same/control: no workspace (the zero state); cross: the definition and filler files
  const files = c.workspace;
  await engine.request('setWorkspace', { fingerprint: files.length ? fingerprint : 'recall:none', files });
  const { completion } = await completeLine(engine, c.document.path, c.lang, c.document.text, c.document.text.length);
  return completion;
}

/** Mean log-probability per token of the value right after the prompt, read left to right (the
 *  score graph; the workspace files as context): informative where greedy recall is all zeros. */
async function valueLogProb(engine: EngineLike, c: RecallCase, count: (t: string) => number): Promise<number> {
  const n = count(c.document.text + c.value) - count(c.document.text);
  const r = await engine.request('score', {
    files: [{ path: c.document.path, text: c.document.text + c.value, scoreLastTokens: n, context: c.workspace }],
  });
  return r.tokens ? -r.nats / r.tokens : 0;
}

export async function recallCommand(args: string[], io: CliIO): Promise<number> {
  const o = parseEvalArgs(args, {
    distances: { type: 'string', default: DEFAULT_DISTANCES.join(',') },
    variants: { type: 'string', default: VARIANTS.join(',') },
    samples: { type: 'string', default: '4' },
    'per-sample': { type: 'boolean', default: false },
    logprob: { type: 'boolean', default: false },
  });
  const logprob = o.values.logprob === true;
  const distances = intList('distances', o.values.distances as string, 1);
  const variants = (o.values.variants as string)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean) as Variant[];
  for (const v of variants)
    if (!VARIANTS.includes(v)) throw new UsageError(`--variants: unknown ${JSON.stringify(v)} (available: ${VARIANTS.join(', ')})`);
  const n = intOption('samples', o.values.samples as string, 1);
  const files = loadEvalFiles(io, o.files, o.maxBytes);
  const byLang = new Map<string, EvalFile[]>();
  for (const f of files) if (LANGS.includes(f.lang)) byLang.set(f.lang, [...(byLang.get(f.lang) ?? []), f]);
  if (byLang.size === 0) throw new UsageError(`recall needs TypeScript, JavaScript or Python files for filler`);

  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const { count } = modelFiles(s);
    const results: Record<
      string,
      Record<string, { accuracy: number; editSimilarity: number; samples: number; meanDistance: number; valueLogProb?: number }>
    > = {};
    const perSample: {
      variant: Variant;
      distance: number;
      lang: string;
      name: string;
      value: string;
      completion: string;
      correct: boolean;
      valueLogProb?: number;
    }[] = [];
    for (const v of variants) results[v] = {};
    for (const d of distances) {
      const hits = new Map(variants.map((v) => [v, { ok: 0, sim: 0, dist: 0, lp: 0 }]));
      for (let i = 0; i < n; i++) {
        for (const c of sampleCases(byLang, o.seed, d, i, variants, count)) {
          const completion = await runCase(s.engine, c, `recall:${o.seed}:${d}:${i}:${c.variant}`);
          const correct = recalled(completion, c.value);
          const h = hits.get(c.variant)!;
          h.ok += correct ? 1 : 0;
          h.sim += editSimilarity(recalledLiteral(completion), c.value);
          h.dist += c.distance;
          const lp = logprob ? await valueLogProb(s.engine, c, count) : undefined;
          h.lp += lp ?? 0;
          perSample.push({
            variant: c.variant,
            distance: c.distance,
            lang: c.lang,
            name: c.name,
            value: c.value,
            completion,
            correct,
            ...(lp === undefined ? {} : { valueLogProb: lp }),
          });
        }
      }
      for (const v of variants) {
        const h = hits.get(v)!;
        results[v][d] = {
          accuracy: h.ok / n,
          editSimilarity: h.sim / n,
          samples: n,
          meanDistance: Math.round(h.dist / n),
          ...(logprob ? { valueLogProb: h.lp / n } : {}),
        };
      }
    }
    const out = {
      metric: 'recall',
      arch: s.load.arch,
      model: modelLabel(s),
      ep: s.load.ep,
      seed: o.seed,
      distances,
      variants,
      results,
      ms: Math.round(performance.now() - t0),
      ...(o.values['per-sample'] ? { perSample } : {}),
    };
    const table = [
      `${out.arch} recall, ${n} samples per cell (exact match of the value; in brackets: edit similarity of the string typed${logprob ? ', mean log-prob per value token' : ''}; control = no definition, the guessing floor, ~0 %):`,
      ['distance', ...variants].map((x) => x.padStart(logprob ? 22 : 14)).join(' '),
    ];
    for (const d of distances)
      table.push(
        [
          String(d),
          ...variants.map(
            (v) =>
              `${pct(results[v][d].accuracy)} (${results[v][d].editSimilarity.toFixed(2)}${logprob ? `, ${results[v][d].valueLogProb!.toFixed(2)}` : ''})`,
          ),
        ]
          .map((x) => x.padStart(logprob ? 22 : 14))
          .join(' '),
      );
    return report(io, o.json, out, table.join('\n'));
  });
}
