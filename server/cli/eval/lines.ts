// statewise eval lines: random cursors in held-out files, at the start of a line's code (after its
// indentation, as an editor's auto-indent leaves it) and in the middle of it. The rest of the line
// is deleted (as when typing it), the model completes one line through the product's path, and the
// completion is compared with the deleted text: exact match and edit similarity.
import { seededRng, type Rng } from '../../engine/sampler';
import type { CliIO } from '../io';
import { parseEvalArgs, intOption, modelLabel, pct, report, withSession, COMMON_USAGE } from './common';
import { completeLine } from './completeLine';
import { loadEvalFiles, type EvalFile } from './evalSet';
import { editSimilarity, normalizeLine } from './similarity';

export const LINES_USAGE = `statewise eval lines [--samples N] [--per-sample] ${COMMON_USAGE}`;

export type CursorKind = 'start' | 'mid';
export interface Cursor { file: number; line: number; character: number; kind: CursorKind; truth: string }

/** Lines worth completing: some code (4+ non-blank characters) and not minified-long. */
export function eligibleLines(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    const t = l.trim();
    if (t.length >= 4 && l.length <= 300) out.push(i);
  });
  return out;
}

/** `n` cursors, deterministic in `rng`: a file uniformly, a line uniformly among its eligible ones,
 *  then start (after the indentation) or mid (strictly inside the line's code) with equal odds.
 *  Sorted by file and line so that the engine's checkpoints carry from one to the next. */
export function pickCursors(files: readonly { text: string }[], n: number, rng: Rng): Cursor[] {
  const lines = files.map((f) => f.text.split('\n'));
  const eligible = files.map((f) => eligibleLines(f.text));
  const usable = eligible.map((e, i) => (e.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (usable.length === 0) return [];
  const out: Cursor[] = [];
  for (let k = 0; k < n; k++) {
    const file = usable[Math.floor(rng() * usable.length)];
    const line = eligible[file][Math.floor(rng() * eligible[file].length)];
    const text = lines[file][line];
    const indent = text.length - text.trimStart().length;
    const end = text.trimEnd().length;
    const kind: CursorKind = rng() < 0.5 ? 'start' : 'mid';
    const character = kind === 'start' ? indent : indent + 1 + Math.floor(rng() * (end - indent - 1));
    out.push({ file, line, character, kind, truth: normalizeLine(text.slice(character)) });
  }
  return out.sort((a, b) => a.file - b.file || a.line - b.line || a.character - b.character);
}

/** The document as it is while typing at the cursor: the rest of its line is not there yet. */
export function cursorDocument(text: string, c: Cursor): { text: string; offset: number } {
  const lines = text.split('\n');
  const head = lines.slice(0, c.line).join('\n') + (c.line > 0 ? '\n' : '');
  const typed = lines[c.line].slice(0, c.character);
  const after = lines.slice(c.line + 1);
  return { text: head + typed + (after.length ? '\n' + after.join('\n') : ''), offset: head.length + typed.length };
}

export interface LineSample { path: string; line: number; character: number; kind: CursorKind; truth: string; completion: string; exact: boolean; similarity: number }

export function summarize(samples: readonly LineSample[]): { exactMatch: number; editSimilarity: number; samples: number } {
  const n = samples.length;
  return {
    exactMatch: n ? samples.filter((s) => s.exact).length / n : 0,
    editSimilarity: n ? samples.reduce((a, s) => a + s.similarity, 0) / n : 0,
    samples: n,
  };
}

export async function evalLines(engine: Parameters<typeof completeLine>[0], files: readonly EvalFile[], cursors: readonly Cursor[]): Promise<LineSample[]> {
  const out: LineSample[] = [];
  for (const c of cursors) {
    const f = files[c.file];
    const doc = cursorDocument(f.text, c);
    const { completion } = await completeLine(engine, f.path, f.lang, doc.text, doc.offset);
    const got = normalizeLine(completion);
    out.push({ path: f.path, line: c.line + 1, character: c.character + 1, kind: c.kind, truth: c.truth, completion: got, exact: got === c.truth, similarity: editSimilarity(got, c.truth) });
  }
  return out;
}

export async function linesCommand(args: string[], io: CliIO): Promise<number> {
  const o = parseEvalArgs(args, {
    samples: { type: 'string', default: '30' },
    'per-sample': { type: 'boolean', default: false },
  });
  const n = intOption('samples', o.values.samples as string, 1);
  const files = loadEvalFiles(io, o.files, o.maxBytes);
  const cursors = pickCursors(files, n, seededRng(o.seed));
  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const samples = await evalLines(s.engine, files, cursors);
    const all = summarize(samples);
    const byKind = { start: summarize(samples.filter((x) => x.kind === 'start')), mid: summarize(samples.filter((x) => x.kind === 'mid')) };
    const out = {
      metric: 'lines', arch: s.load.arch, model: modelLabel(s), ep: s.load.ep, seed: o.seed, files: files.length, ...all, byKind,
      ms: Math.round(performance.now() - t0), ...(o.values['per-sample'] ? { perSample: samples } : {}),
    };
    return report(io, o.json, out, `${out.arch}: next-line exact match ${pct(all.exactMatch)}, edit similarity ${all.editSimilarity.toFixed(3)} over ${all.samples} cursors ` +
      `(line start ${pct(byKind.start.exactMatch)} / ${byKind.start.editSimilarity.toFixed(3)}, mid-line ${pct(byKind.mid.exactMatch)} / ${byKind.mid.editSimilarity.toFixed(3)}; ${(out.ms / 1000).toFixed(1)} s)`);
  });
}
