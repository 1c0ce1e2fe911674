// Where `statewise eval lines` puts the cursor: kinds that reflect typing, each a rule for the
// positions in a line where a user would wait for ghost text. The rest of the line is deleted (as
// when typing it) and is the expected completion. Pure and deterministic in the random source.
import type { Rng } from '../../engine/sampler';
import { normalizeLine } from './similarity';

export const CURSOR_KINDS = ['newline', 'dot', 'call', 'assign', 'return', 'ident', 'mid'] as const;
export type CursorKind = (typeof CURSOR_KINDS)[number];

export const KIND_HELP: Readonly<Record<CursorKind, string>> = {
  newline: 'a new line after Enter: the indentation typed, nothing else',
  dot: 'right after a member access "."',
  call: 'right after "(" of a call or signature',
  assign: 'after "= " of an assignment or initializer',
  return: 'after "return "',
  ident: 'inside an identifier (at least one letter typed, one left)',
  mid: "anywhere strictly inside the line's code",
};

export interface Cursor {
  file: number;
  line: number;
  character: number;
  kind: CursorKind;
  truth: string;
}

/** Lines worth completing: some code (4+ non-blank characters) and not minified-long. */
export function eligibleLines(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    const t = l.trim();
    if (t.length >= 4 && l.length <= 300) out.push(i);
  });
  return out;
}

const IDENT = /[\p{L}\p{N}_$]/u;

/** Character offsets in `line` where a cursor of `kind` may stand; something non-blank always follows. */
export function positionsOf(line: string, kind: CursorKind): number[] {
  const indent = line.length - line.trimStart().length;
  const end = line.trimEnd().length;
  const out: number[] = [];
  const rest = (at: number) => at < end && line.slice(at).trim().length > 0;
  switch (kind) {
    case 'newline':
      if (rest(indent)) out.push(indent);
      break;
    case 'mid':
      for (let at = indent + 1; at < end; at++) out.push(at);
      break;
    case 'ident':
      for (let at = indent + 1; at < end; at++) if (IDENT.test(line[at - 1]!) && IDENT.test(line[at]!)) out.push(at);
      break;
    case 'dot':
      for (let at = indent + 1; at < end; at++)
        if (line[at - 1] === '.' && /[\p{L}\p{N}_$)\]]/u.test(line[at - 2] ?? '') && IDENT.test(line[at]!)) out.push(at);
      break;
    case 'call':
      for (let at = indent + 1; at < end; at++) if (line[at - 1] === '(' && line[at] !== ')') out.push(at);
      break;
    case 'assign':
      for (let at = indent + 2; at < end; at++)
        if (line[at - 1] === ' ' && line[at - 2] === '=' && !/[=!<>+\-*/%&|^?]/.test(line[at - 3] ?? '') && line[at] !== ' ') out.push(at);
      break;
    case 'return':
      for (let at = indent + 7; at < end; at++)
        if (line.slice(at - 7, at) === 'return ' && (at - 7 === indent || !IDENT.test(line[at - 8]!)) && line[at] !== ';') out.push(at);
      break;
  }
  return out.filter(rest);
}

/**
 * `perKind` cursors of each kind, deterministic in `rng`: a file uniformly, a line uniformly among
 * its eligible ones, a position uniformly among the line's positions of that kind (lines without
 * one are drawn again, a bounded number of times). Sorted by file and line so that the engine's
 * checkpoints carry from one to the next.
 */
export function pickCursors(
  files: readonly { text: string }[],
  perKind: number,
  rng: Rng,
  kinds: readonly CursorKind[] = CURSOR_KINDS,
): Cursor[] {
  const lines = files.map((f) => f.text.split('\n'));
  const eligible = files.map((f) => eligibleLines(f.text));
  const usable = eligible.map((e, i) => (e.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (usable.length === 0) return [];
  const out: Cursor[] = [];
  const seen = new Set<string>();
  for (const kind of kinds) {
    let got = 0;
    for (let tries = 0; got < perKind && tries < perKind * 400; tries++) {
      const file = usable[Math.floor(rng() * usable.length)]!;
      const line = eligible[file]![Math.floor(rng() * eligible[file]!.length)]!;
      const text = lines[file]![line]!;
      const at = positionsOf(text, kind);
      if (at.length === 0) continue;
      const character = at[Math.floor(rng() * at.length)]!;
      const key = `${file}:${line}:${character}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ file, line, character, kind, truth: normalizeLine(text.slice(character)) });
      got++;
    }
  }
  return out.sort((a, b) => a.file - b.file || a.line - b.line || a.character - b.character);
}

/** The document as it is while typing at the cursor: the rest of its line is not there yet. */
export function cursorDocument(text: string, c: Pick<Cursor, 'line' | 'character'>): { text: string; offset: number } {
  const lines = text.split('\n');
  const head = lines.slice(0, c.line).join('\n') + (c.line > 0 ? '\n' : '');
  const typed = lines[c.line]!.slice(0, c.character);
  const after = lines.slice(c.line + 1);
  return { text: head + typed + (after.length ? '\n' + after.join('\n') : ''), offset: head.length + typed.length };
}
