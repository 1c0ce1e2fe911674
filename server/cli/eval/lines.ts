// statewise eval lines: cursors of the kinds a user types at (cursors.ts), in held-out files, the
// rest of the line deleted. Each cursor is completed by every method in one run, on the same inputs:
// - `product`: the product's path (the request the editor sends, the model's measured layout, filters);
// - `no-defs`: the same without the definitions fed from beyond the model's view (the state alone);
// - a forced layout (`plain`, `fim`, `suffix-first`): the same path with that prompt layout;
// - `baseline`: the trivial baseline, the rest of the most similar earlier line (baseline.ts).
// Exact match and edit similarity of the first line against the deleted text, per cursor kind.
import { COMPLETION_LAYOUTS, type CompletionLayout } from '../../protocol/ipc';
import { seededRng } from '../../engine/sampler';
import type { CliIO } from '../io';
import { copyEarlierLine } from './baseline';
import { parseEvalArgs, intOption, modelLabel, parseNameList, pct, report, withSession, COMMON_USAGE } from './common';
import { completeLine } from './completeLine';
import { CURSOR_KINDS, cursorDocument, pickCursors, type Cursor, type CursorKind } from './cursors';
import { loadEvalFiles, type EvalFile } from './evalSet';
import { editSimilarity, normalizeLine } from './similarity';

export const LINES_USAGE = `statewise eval lines [--samples N] [--kinds ${CURSOR_KINDS.join(',')}] [--layout product,no-defs,${COMPLETION_LAYOUTS.join(',')}] [--per-sample] ${COMMON_USAGE}`;

export type Method = 'product' | 'no-defs' | CompletionLayout | 'baseline';
export const DEFAULT_METHODS: readonly Method[] = ['product', 'no-defs', 'plain', 'baseline'];

export interface Score {
  exactMatch: number;
  editSimilarity: number;
  shown: number;
  samples: number;
}
export interface LineSample {
  path: string;
  line: number;
  character: number;
  kind: CursorKind;
  truth: string;
  /** What each method showed (first line, trailing whitespace trimmed). */
  got: Partial<Record<Method, string>>;
  /** The layout the product path used. */
  productLayout?: CompletionLayout;
  /** The definition lines the product path fed before the cursor's line (when any). */
  productDefinitions?: string[];
}

export function scoreOf(truth: string, got: string): { exact: boolean; similarity: number } {
  return { exact: got === truth, similarity: editSimilarity(got, truth) };
}

export function summarize(samples: readonly LineSample[], method: Method): Score {
  const n = samples.length;
  let exact = 0,
    sim = 0,
    shown = 0;
  for (const s of samples) {
    const got = s.got[method] ?? '';
    const r = scoreOf(s.truth, got);
    exact += r.exact ? 1 : 0;
    sim += r.similarity;
    shown += got !== '' ? 1 : 0;
  }
  return { exactMatch: n ? exact / n : 0, editSimilarity: n ? sim / n : 0, shown: n ? shown / n : 0, samples: n };
}

/** Methods from `--layout` (comma list of product, no-defs and layouts); the baseline is always added. */
export function parseMethods(value: string | undefined): Method[] {
  const known: readonly Method[] = ['product', 'no-defs', ...COMPLETION_LAYOUTS];
  if (value === undefined) return [...DEFAULT_METHODS];
  return [...new Set([...parseNameList('layout', value, known, []), 'baseline' as const])];
}

export function parseKinds(value: string | undefined): CursorKind[] {
  return parseNameList('kinds', value, CURSOR_KINDS, CURSOR_KINDS);
}

export async function evalLines(
  engine: Parameters<typeof completeLine>[0],
  files: readonly EvalFile[],
  cursors: readonly Cursor[],
  methods: readonly Method[],
): Promise<LineSample[]> {
  const out: LineSample[] = [];
  for (const c of cursors) {
    const f = files[c.file]!;
    const doc = cursorDocument(f.text, c);
    const s: LineSample = { path: f.path, line: c.line + 1, character: c.character + 1, kind: c.kind, truth: c.truth, got: {} };
    for (const m of methods) {
      if (m === 'baseline') {
        s.got.baseline = normalizeLine(copyEarlierLine(doc.text.slice(0, doc.offset)));
        continue;
      }
      const overrides = m === 'product' ? {} : m === 'no-defs' ? { definitions: false } : { layout: m };
      const r = await completeLine(engine, f.path, f.lang, doc.text, doc.offset, overrides);
      s.got[m] = normalizeLine(r.completion);
      if (m === 'product') {
        s.productLayout = r.layout;
        if (r.definitions.length) s.productDefinitions = r.definitions;
      }
    }
    out.push(s);
  }
  return out;
}

export function linesTable(
  kinds: readonly CursorKind[],
  methods: readonly Method[],
  byKind: Record<string, Record<string, Score>>,
  overall: Record<string, Score>,
): string {
  const head = ['kind', 'n', ...methods.map((m) => `${m} exact / sim`)];
  const row = (name: string, cell: Record<string, Score>) => [
    name,
    String(cell[methods[0]!]!.samples),
    ...methods.map((m) => `${pct(cell[m]!.exactMatch).padStart(6)} / ${cell[m]!.editSimilarity.toFixed(3)}`),
  ];
  const rows = [head, ...kinds.filter((k) => byKind[k]![methods[0]!]!.samples > 0).map((k) => row(k, byKind[k]!)), row('all', overall)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export async function linesCommand(args: string[], io: CliIO): Promise<number> {
  const o = parseEvalArgs(args, {
    samples: { type: 'string', default: '70' },
    kinds: { type: 'string' },
    layout: { type: 'string' },
    'per-sample': { type: 'boolean', default: false },
  });
  const n = intOption('samples', o.values.samples as string, 1);
  const kinds = parseKinds(o.values.kinds as string | undefined);
  const methods = parseMethods(o.values.layout as string | undefined);
  const files = loadEvalFiles(io, o.files, o.maxBytes);
  const cursors = pickCursors(files, Math.ceil(n / kinds.length), seededRng(o.seed), kinds);
  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const samples = await evalLines(s.engine, files, cursors, methods);
    const per = (xs: readonly LineSample[]) => Object.fromEntries(methods.map((m) => [m, summarize(xs, m)])) as Record<Method, Score>;
    const overall = per(samples);
    const byKind = Object.fromEntries(kinds.map((k) => [k, per(samples.filter((x) => x.kind === k))])) as Record<
      CursorKind,
      Record<Method, Score>
    >;
    const main = methods[0]!;
    const layouts = [...new Set(samples.map((x) => x.productLayout).filter(Boolean))];
    const withDefinitions = samples.filter((x) => x.productDefinitions).length;
    const out = {
      metric: 'lines',
      arch: s.load.arch,
      model: modelLabel(s),
      ep: s.load.ep,
      seed: o.seed,
      files: files.length,
      methods,
      productLayout: layouts.join(','),
      /** Cursors where the product fed definitions from beyond the model's view. */
      withDefinitions,
      // the first method's figures at the top level (the product's unless --layout says otherwise)
      ...overall[main],
      overall,
      byKind,
      ms: Math.round(performance.now() - t0),
      ...(o.values['per-sample'] ? { perSample: samples } : {}),
    };
    return report(
      io,
      o.json,
      out,
      `${out.arch} (${out.model}; product layout: ${out.productLayout || 'not run'}), ${samples.length} cursors in ${files.length} files, seed ${o.seed}, ${(out.ms / 1000).toFixed(1)} s` +
        (methods.includes('product') ? `; definitions fed at ${withDefinitions} cursors` : '') +
        '\n' +
        linesTable(kinds, methods, byKind, overall),
    );
  });
}
