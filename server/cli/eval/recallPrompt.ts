// The recall probe (IdentRecall, docs/models.md §9.2): a random constant is defined, then
// held-out code fills the given token distance, then a use site asks for the constant's value on
// the line the cursor is on. Variants: `same` (the definition at the top of the document), `cross`
// (the definition in another workspace file, folded into the state before the document behind
// `<|file|>` headers, as the engine's workspace does), `control` (no definition: guessing).
//
// Distance = tokens the model reads after the definition line up to the cursor, headers included.
// Token counts come from `count`, exact per line because no token spans a line start: the tokens
// of "a\nb" are those of "a" then those of "\nb".
import type { Rng } from '../../engine/sampler';

export type Variant = 'same' | 'cross' | 'control';
export const VARIANTS: readonly Variant[] = ['same', 'cross', 'control'];
export type Count = (text: string) => number;

export interface RecallCase {
  variant: Variant;
  lang: string;
  name: string;
  value: string;
  /** Tokens between the end of the definition line and the cursor (control: as if it were there). */
  distance: number;
  /** cross: the definition file, then the filler files (least relevant first, as the engine takes them). */
  workspace: { path: string; text: string }[];
  /** The cursor is at the end of the text. */
  document: { path: string; text: string };
}

const WORDS = [
  'retry',
  'cache',
  'token',
  'bucket',
  'render',
  'socket',
  'queue',
  'parser',
  'layout',
  'signal',
  'cursor',
  'shadow',
  'vector',
  'ledger',
  'beacon',
  'anchor',
  'filter',
  'stream',
  'record',
  'switch',
  'harbor',
  'marble',
  'pillar',
  'quartz',
  'velvet',
  'orbit',
];
const VALUE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

const pick = <T>(xs: readonly T[], rng: Rng): T => xs[Math.floor(rng() * xs.length)];

/** An upper-snake name of 2-3 words and two digits, and a 6-character value nothing can guess. */
export function recallKey(rng: Rng): { name: string; value: string } {
  const words = Array.from({ length: 2 + Math.floor(rng() * 2) }, () => pick(WORDS, rng).toUpperCase());
  const name = `${words.join('_')}_${10 + Math.floor(rng() * 90)}`;
  const value = Array.from({ length: 6 }, () => pick([...VALUE_CHARS], rng)).join('');
  return { name, value };
}

const python = (lang: string) => lang === 'python';
export function extensionOf(lang: string): string {
  return python(lang) ? 'py' : lang === 'javascript' ? 'js' : 'ts';
}
export function definitionLine(lang: string, name: string, value: string, exported: boolean): string {
  return python(lang) ? `${name} = "${value}"` : `${exported ? 'export ' : ''}const ${name} = "${value}";`;
}
export function importLine(lang: string, name: string): string {
  return python(lang) ? `from keys import ${name}` : `import { ${name} } from "./keys";`;
}
/** The line being typed at the use site: the value comes next. */
export function useLine(lang: string, name: string): string {
  return python(lang) ? `assert ${name} == "` : `assert.equal(${name}, "`;
}

/** Whether a completion at the use site starts with the value, as a whole token of text. */
export function recalled(completion: string, value: string): boolean {
  return completion.startsWith(value) && !/[\w]/.test(completion.charAt(value.length));
}

/** The string the completion typed at the use site: up to its closing quote. */
export function recalledLiteral(completion: string): string {
  const q = completion.indexOf('"');
  return q < 0 ? completion : completion.slice(0, q);
}

export interface FillerFile {
  path: string;
  lines: readonly string[];
}

/** Filler for one sample: the files in a random order, the first from a random line, cycling. */
export function fillerFrom(files: readonly { path: string; text: string }[], rng: Rng): FillerFile[] {
  const order = files.map((f) => ({ path: f.path, lines: f.text.split('\n') }));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  if (order.length > 0) order[0] = { path: order[0].path, lines: order[0].lines.slice(Math.floor(rng() * order[0].lines.length * 0.5)) };
  return order;
}

function* fillerLines(filler: readonly FillerFile[]): Generator<{ file: number; line: string }> {
  if (!filler.some((f) => f.lines.some((l) => l.trim()))) throw new Error('recall: no filler text');
  for (;;) for (let i = 0; i < filler.length; i++) for (const line of filler[i].lines) yield { file: i, line };
}

export function buildRecallCase(p: {
  variant: Variant;
  lang: string;
  name: string;
  value: string;
  distance: number;
  filler: readonly FillerFile[];
  count: Count;
}): RecallCase {
  const { variant, lang, name, value, count } = p;
  const ext = extensionOf(lang);
  const use = useLine(lang, name);
  const base = { variant, lang, name, value };
  if (variant !== 'cross') {
    // [definition] filler lines... use  — distance: every line after the definition, each "\n"-led
    const lines: string[] = [];
    let distance = count('\n' + use);
    const it = fillerLines(p.filler);
    while (distance < p.distance) {
      const { line } = it.next().value!;
      lines.push(line);
      distance += count('\n' + line);
    }
    const body = [...lines, use];
    const text = variant === 'same' ? [definitionLine(lang, name, value, false), ...body].join('\n') : body.join('\n');
    return { ...base, distance, workspace: [], document: { path: `src/app.${ext}`, text } };
  }
  // keys file (definition, then an empty last line) · filler files · document (import, use)
  const header = (path: string) => 1 + count(path + '\n');
  const keys = { path: `src/keys.${ext}`, text: definitionLine(lang, name, value, true) + '\n' };
  const doc = { path: `src/app.${ext}`, text: [importLine(lang, name), use].join('\n') };
  let distance = count('\n') + header(doc.path) + count(doc.text);
  const files: { path: string; lines: string[] }[] = [];
  let current = -1;
  const it = fillerLines(p.filler);
  while (distance < p.distance) {
    const { file, line } = it.next().value!;
    if (file !== current || files.length === 0) {
      current = file;
      files.push({ path: p.filler[file].path, lines: [line] });
      distance += header(p.filler[file].path) + count(line);
    } else {
      files.at(-1)!.lines.push(line);
      distance += count('\n' + line);
    }
  }
  return { ...base, distance, workspace: [keys, ...files.map((f) => ({ path: f.path, text: f.lines.join('\n') }))], document: doc };
}
