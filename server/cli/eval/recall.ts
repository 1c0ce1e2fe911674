// statewise eval recall: exact-match recall of a constant's value across a token distance, for each
// variant of recallPrompt.ts. Samples are paired: sample i at distance D uses the same name, value
// and filler in every variant, so the variants differ only in where (or whether) the definition is.
import { seededRng } from '../../engine/sampler';
import type { EngineLike } from '../../lsp/engineClient';
import { UsageError } from '../args';
import type { CliIO } from '../io';
import { COMMON_USAGE, intList, intOption, modelFiles, modelLabel, parseEvalArgs, parseNameList, pct, report, withSession } from './common';
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

/** `product`: the product's path (with the definitions it feeds from beyond the model's view);
 *  `no-defs`: the same request with the state alone, what the model itself carries. */
export const RECALL_METHODS = ['product', 'no-defs'] as const;
export type RecallMethod = (typeof RECALL_METHODS)[number];

export const RECALL_USAGE = `statewise eval recall [--distances ${DEFAULT_DISTANCES.join(',')}] [--variants same,cross,control] [--methods product,no-defs] [--samples N] [--logprob] [--per-sample] ${COMMON_USAGE}`;

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

async function runCase(engine: EngineLike, c: RecallCase, fingerprint: string, method: RecallMethod): Promise<string> {
  // same/control: no workspace (the zero state); cross: the definition and filler files
  const files = c.workspace;
  await engine.request('setWorkspace', { fingerprint: files.length ? fingerprint : 'recall:none', files });
  const overrides = method === 'no-defs' ? { definitions: false } : {};
  const { completion } = await completeLine(engine, c.document.path, c.lang, c.document.text, c.document.text.length, overrides);
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
    variants: { type: 'string' },
    methods: { type: 'string' },
    samples: { type: 'string', default: '4' },
    'per-sample': { type: 'boolean', default: false },
    logprob: { type: 'boolean', default: false },
  });
  const logprob = o.values.logprob === true;
  const distances = intList('distances', o.values.distances as string, 1);
  const variants = parseNameList('variants', o.values.variants as string | undefined, VARIANTS, VARIANTS);
  const methods = parseNameList('methods', o.values.methods as string | undefined, RECALL_METHODS, RECALL_METHODS);
  const n = intOption('samples', o.values.samples as string, 1);
  const files = loadEvalFiles(io, o.files, o.maxBytes);
  const byLang = new Map<string, EvalFile[]>();
  for (const f of files) if (LANGS.includes(f.lang)) byLang.set(f.lang, [...(byLang.get(f.lang) ?? []), f]);
  if (byLang.size === 0) throw new UsageError(`recall needs TypeScript, JavaScript or Python files for filler`);

  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const { count } = modelFiles(s);
    type Cell = { accuracy: number; editSimilarity: number; samples: number; meanDistance: number; valueLogProb?: number };
    const byMethod = Object.fromEntries(methods.map((m) => [m, {} as Record<string, Record<string, Cell>>])) as Record<
      RecallMethod,
      Record<string, Record<string, Cell>>
    >;
    const perSample: {
      method: RecallMethod;
      variant: Variant;
      distance: number;
      lang: string;
      name: string;
      value: string;
      completion: string;
      correct: boolean;
      valueLogProb?: number;
    }[] = [];
    for (const m of methods) for (const v of variants) byMethod[m][v] = {};
    const cellKey = (m: RecallMethod, v: Variant) => `${m}/${v}`;
    for (const d of distances) {
      const hits = new Map<string, { ok: number; sim: number; dist: number; lp: number }>();
      for (const m of methods) for (const v of variants) hits.set(cellKey(m, v), { ok: 0, sim: 0, dist: 0, lp: 0 });
      for (let i = 0; i < n; i++) {
        for (const c of sampleCases(byLang, o.seed, d, i, variants, count)) {
          // the value's log-probability reads the state alone: the same for every method
          const lp = logprob ? await valueLogProb(s.engine, c, count) : undefined;
          for (const m of methods) {
            const completion = await runCase(s.engine, c, `recall:${o.seed}:${d}:${i}:${c.variant}`, m);
            const correct = recalled(completion, c.value);
            const h = hits.get(cellKey(m, c.variant))!;
            h.ok += correct ? 1 : 0;
            h.sim += editSimilarity(recalledLiteral(completion), c.value);
            h.dist += c.distance;
            h.lp += lp ?? 0;
            perSample.push({
              method: m,
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
      }
      for (const m of methods)
        for (const v of variants) {
          const h = hits.get(cellKey(m, v))!;
          byMethod[m][v][d] = {
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
      methods,
      // the first method's cells (the product's unless --methods says otherwise), then each method's
      results: byMethod[methods[0]!],
      byMethod,
      ms: Math.round(performance.now() - t0),
      ...(o.values['per-sample'] ? { perSample } : {}),
    };
    const w = logprob ? 22 : 14;
    const cols = methods.flatMap((m) => variants.map((v) => ({ m, v, label: methods.length > 1 ? `${v} ${m}` : v })));
    const table = [
      `${out.arch} recall, ${n} samples per cell (exact match of the value; in brackets: edit similarity of the string typed${logprob ? ', mean log-prob per value token (the state alone)' : ''}; control = no definition, the guessing floor, ~0 %; product = with the definitions the engine feeds from beyond the model's view, no-defs = the state alone):`,
      ['distance', ...cols.map((c) => c.label)].map((x) => x.padStart(Math.max(w, 18))).join(' '),
    ];
    for (const d of distances)
      table.push(
        [
          String(d),
          ...cols.map(({ m, v }) => {
            const r = byMethod[m][v][d]!;
            return `${pct(r.accuracy)} (${r.editSimilarity.toFixed(2)}${logprob ? `, ${r.valueLogProb!.toFixed(2)}` : ''})`;
          }),
        ]
          .map((x) => x.padStart(Math.max(w, 18)))
          .join(' '),
      );
    return report(io, o.json, out, table.join('\n'));
  });
}
