// The lines of a file that an Ask question is about: the definitions of the identifiers it names
// (with the start of their bodies) and the places that use them (with the line that opens the
// enclosing function), at most MAX_CHARS, the most important block last, right before the answer.
// Ask sends them as the question's selection (ask-format.json's "selection" template), because the
// model's exact memory is a short attention window (griffin's 256 tokens): it cannot copy an answer
// from a definition thousands of tokens back in the file.
//
// The exact twin of models/python/statewise_models/excerpt.py (what training puts into the
// questions); models/ask-excerpt-parity.json holds cases both must reproduce
// (test/engine/askExcerpt.test.ts and models/python/tests/test_excerpt.py); excerptBlocks is the
// same result before its blocks are joined (for `statewise eval qa`'s baseline). Pure: no I/O.
// Character classes are spelled out ASCII, lengths are UTF-16 units (JS `.length`, excerpt.py's _u16).

import format from '../../models/ask-format.json';

export const MAX_CHARS = 800; // ~230 tokens: the excerpt fits griffin's window with the question
export const MAX_LINE = 300; // longer lines (minified code, data) are never hits
const DEF_BODY_LINES = 8; // a definition's block: its line and at most 7 more
const USES_PER_NAME = 6;
const MAX_NAMES = 3;
const HEADER_SCAN = 300; // how far up a use looks for the line that opens its block

const ID = 'A-Za-z0-9_$';
const NAME = /[A-Za-z_$][A-Za-z0-9_$]*/g;
const BLANK = /^[ \t\r]*$/;
const INDENT = /^[ \t]*/;
const MODIFIERS = '(?:(?:public|private|protected|static|async|readonly|override|get|set)[ \\t]+)*';

// Words of the question templates and of ordinary questions: never the name a question is about.
const STOP = new Set(
  `a about an and any are as at be by call called calls can class code constant could define defined definition
did do does doing done each else explain file for from function functions get gets give has have here how i if
in into is it its kind line lines me mean means method my no not of on or our parameter parameters return
returned returns set should show tell than that the their them then there these they thing this those to type
use used uses value variable was we what whats when where which who why will with would you your`.split(/\s+/),
);

const escapeName = (name: string) => name.replace(/\$/g, '\\$');
/** `name` as a whole identifier (not inside a longer one). */
export const word = (name: string) => new RegExp(`(?<![${ID}])${escapeName(name)}(?![${ID}])`);
const indentOf = (line: string) => INDENT.exec(line)![0].length;

// A question in one of the trained kinds' words names exactly one identifier, stop word or not
// ("Which parameters does value take?"): one pattern per kind, the name in its placeholder.
const TEMPLATES = Object.values(format.kinds as Record<string, string>).map(
  (t) => new RegExp('^' + t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('\\{name\\}', '([A-Za-z_$][A-Za-z0-9_$]*)') + '$'),
);

/** Identifiers of the question, in order, that the file has as whole words (at most MAX_NAMES);
 *  for a question in a trained kind's words, the one name it is about. */
export function questionNames(question: string, text: string): string[] {
  for (const t of TEMPLATES) {
    const m = t.exec(question);
    if (m) return word(m[1]!).test(text) ? [m[1]!] : [];
  }
  const out: string[] = [];
  for (const [n] of question.matchAll(NAME)) {
    if (n.length < 2 || STOP.has(n.toLowerCase()) || out.includes(n)) continue;
    if (word(n).test(text)) {
      out.push(n);
      if (out.length === MAX_NAMES) break;
    }
  }
  return out;
}

function defPatterns(name: string): RegExp[] {
  const n = escapeName(name);
  return [
    new RegExp(`(?:^|[^${ID}.])(?:function\\*?|def|class|interface|type|enum|const|let|var)[ \\t]+${n}(?![${ID}])`),
    new RegExp(`^[ \\t]*${MODIFIERS}${n}[ \\t]*(?:<[^<>]*>)?[ \\t]*\\([^\\n]*[{:][ \\t\\r]*$`),
    new RegExp(`^[ \\t]*(?:export[ \\t]+)?${n}[ \\t]*(?::[^=]*)?=(?![=>])`),
  ];
}

function defBlock(lines: readonly string[], i: number): number[] {
  const ind = indentOf(lines[i]!);
  const out = [i];
  for (let j = i + 1; j < lines.length && out.length < DEF_BODY_LINES; j++) {
    if (BLANK.test(lines[j]!)) continue;
    if (indentOf(lines[j]!) > ind) {
      out.push(j);
      continue;
    }
    if (indentOf(lines[j]!) === ind && ['}', ')', ']'].includes(lines[j]!.charAt(ind))) out.push(j);
    break;
  }
  return out;
}

const OPENER = new RegExp(`(?:^|[^${ID}.])(?:function|def|class)(?![${ID}])|=>`);
const METHOD = new RegExp(`^[ \\t]*${MODIFIERS}([A-Za-z_$][A-Za-z0-9_$]*)[ \\t]*(?:<[^<>]*>)?[ \\t]*\\([^\\n]*\\)[^\\n]*\\{[ \\t\\r]*$`);
const KEYWORDS = new Set('if for while switch catch with return function else do try new typeof await super'.split(' '));

function opensFunction(line: string): boolean {
  if (OPENER.test(line)) return true;
  const m = METHOD.exec(line);
  return m !== null && !KEYWORDS.has(m[1]!);
}

/** The use and the line that opens the function around it (else the outermost enclosing line). */
function useBlock(lines: readonly string[], i: number): number[] {
  let ind = indentOf(lines[i]!);
  let outer = -1;
  for (let k = i - 1; k > Math.max(-1, i - 1 - HEADER_SCAN); k--) {
    if (ind === 0) break;
    const line = lines[k]!;
    if (BLANK.test(line) || indentOf(line) >= ind || line.length > MAX_LINE) continue;
    ind = indentOf(line);
    outer = k;
    if (opensFunction(line)) break;
  }
  return outer >= 0 ? [outer, i] : [i];
}

/** The excerpt's blocks as line indices of the file (`text.split('\n')`), in the order they are
 *  chosen (the most important first). */
function chosenBlocks(text: string, lines: readonly string[], question: string, maxChars: number): number[][] {
  const names = questionNames(question, text);
  if (names.length === 0) return [];
  const defs: number[][] = [];
  const uses: number[][] = [];
  for (const name of names) {
    const w = word(name);
    const pats = defPatterns(name);
    let nUses = 0;
    lines.forEach((line, i) => {
      if (line.length > MAX_LINE || !w.test(line)) return;
      if (pats.some((p) => p.test(line))) defs.push(defBlock(lines, i));
      else if (nUses < USES_PER_NAME) {
        uses.push(useBlock(lines, i));
        nUses++;
      }
    });
  }
  const chosen: number[][] = [];
  const taken = new Set<number>();
  let size = 0;
  for (const block of [...defs, ...uses]) {
    const fresh = block.filter((i) => !taken.has(i));
    const cost = fresh.reduce((s, i) => s + lines[i]!.length + 1, 0);
    if (fresh.length === 0 || size + cost > maxChars) continue;
    chosen.push(fresh);
    for (const i of fresh) taken.add(i);
    size += cost;
  }
  return chosen;
}

/** Chosen blocks (line indices, most important first) as rows in order, the most important last
 *  (nearest the answer): the file's lines with "..." where lines were skipped. */
function rowsOf(chosen: number[][], lines: readonly string[]): string[][] {
  return [...chosen]
    .reverse()
    .map((block) => block.flatMap((a, k) => (k > 0 && a !== block[k - 1]! + 1 ? ['...', lines[a]!] : [lines[a]!])));
}

/** The excerpt's blocks in order (the most important last), each as its rows: the file's lines with
 *  "..." where lines were skipped. */
export function excerptBlocks(text: string, question: string, maxChars = MAX_CHARS): string[][] {
  const lines = text.split('\n');
  return rowsOf(chosenBlocks(text, lines, question, maxChars), lines);
}

export interface Excerpt {
  /** The excerpt as one string ('' when the question names nothing in the file). */
  text: string;
  /** The line (0-based, of `text.split('\n')`) that ends its most important block (a definition of
   *  the name the question is about, when the file has one); absent without an excerpt. */
  anchorLine?: number;
}

/** The excerpt and where it is anchored, from one search of the file. */
export function excerptOf(text: string, question: string, maxChars = MAX_CHARS): Excerpt {
  const lines = text.split('\n');
  const chosen = chosenBlocks(text, lines, question, maxChars);
  const joined = rowsOf(chosen, lines)
    .map((rows) => rows.join('\n'))
    .join('\n...\n');
  return chosen[0] === undefined ? { text: joined } : { text: joined, anchorLine: Math.max(...chosen[0]) };
}

/** The lines of `text` the question names, as one string ('' when it names nothing in the file). */
export function excerpt(text: string, question: string, maxChars = MAX_CHARS): string {
  return excerptOf(text, question, maxChars).text;
}
