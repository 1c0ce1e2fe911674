// The typing sessions of statewise bench's LSP part: which edits a session sends, where. Pure.
// A keystroke inserts one character at the cursor (an incremental didChange), then the editor asks
// for an inline completion at the new cursor.

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
/** One incremental change: `text` replaces `range`. */
export interface Edit {
  range: Range;
  text: string;
}

export type TypingKind = 'newLine' | 'midLine' | 'endOfLine';
export const TYPING_KINDS: readonly TypingKind[] = ['newLine', 'endOfLine', 'midLine'];

/** What each kind types, cycled when a session has more keystrokes than characters here. */
export const TYPED_TEXT: Record<TypingKind, string> = {
  /** Enter at the end of the document, then a statement. */
  newLine: '\n  const totalK = 1;',
  /** Inside a line in the middle of the document: at the end of a call's last argument, or of the line's expression. */
  midLine: ' + options.totalK',
  /** Appended to the last line of the document. */
  endOfLine: ' // totalK: the sum.',
};

export const KIND_LABEL: Record<TypingKind, string> = { newLine: 'new line', midLine: 'mid-line', endOfLine: 'end of line' };

/** Keystrokes per session unless --keystrokes says otherwise: the whole statement of a new line. */
export const DEFAULT_KEYSTROKES = TYPED_TEXT.newLine.length;

export interface TypingScript {
  kind: TypingKind;
  /** The cursor before the first keystroke. */
  start: Position;
  /** The characters typed, in order (one per keystroke). */
  typed: string;
  /** One edit per keystroke, each inserting one character at the cursor. */
  edits: Edit[];
  /** The cursor after each keystroke: where its completion is asked for. */
  cursors: Position[];
  /** The edit that takes the typed text out again (the document as it was). */
  revert: Edit;
}

/** The cursor after inserting `ch` at `at`. */
export function advance(at: Position, ch: string): Position {
  return ch === '\n' ? { line: at.line + 1, character: 0 } : { line: at.line, character: at.character + ch.length };
}

/** The first `count` characters of `text` repeated as often as needed. */
export function cycle(text: string, count: number): string {
  if (text === '' || count <= 0) return '';
  return text.repeat(Math.ceil(count / text.length)).slice(0, count);
}

/** Lines of `text` (a trailing line break gives a last empty line, as in an editor). */
function linesOf(text: string): string[] {
  return text.split('\n');
}

/** The end of the document. */
export function endPosition(text: string): Position {
  const lines = linesOf(text);
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}

/** Before the closing `)` of a call with arguments at the end of line `s` (`foo(a, b|);`), if there is one. */
function callEnd(s: string): number | undefined {
  const m = /\)[\s;,]*$/.exec(s);
  if (!m) return undefined;
  const open = s.lastIndexOf('(', m.index);
  if (open < 0 || s.slice(open + 1, m.index).trim() === '' || s.slice(0, open).trim() === '') return undefined;
  return m.index;
}

/** After the last expression of line `s`, before its trailing `,` `;` `)` `]` `}` (0 when nothing is left). */
function expressionEnd(s: string): number {
  return s.trim().startsWith('//') ? 0 : s.replace(/[\s,;)\]}]*$/, '').length;
}

/**
 * A cursor inside a line near the middle of the document where the rest of the line is short
 * enough for an automatic trigger: just before the closing `)` of a call with arguments at the end
 * of a line (`foo(a, b|);`) within 10% of the lines (at least 20) of the middle; else after the last
 * expression of the non-blank line nearest the middle (`a: () => b|,`).
 */
export function midLineCursor(text: string): Position {
  const lines = linesOf(text);
  const mid = Math.floor(lines.length / 2);
  const near = (d: number): number[] => (d === 0 ? [mid] : [mid + d, mid - d]).filter((l) => l >= 0 && l < lines.length);
  const window = Math.max(20, Math.floor(lines.length / 10));
  for (let d = 0; d <= window; d++) {
    for (const line of near(d)) {
      const character = callEnd(lines[line]!);
      if (character !== undefined) return { line, character };
    }
  }
  for (let d = 0; d < lines.length; d++) {
    for (const line of near(d)) {
      const character = expressionEnd(lines[line]!);
      if (character > 0) return { line, character };
    }
  }
  return { line: mid, character: lines[mid]?.length ?? 0 };
}

/** Where a session of `kind` starts in `text`. */
export function sessionStart(text: string, kind: TypingKind): Position {
  return kind === 'midLine' ? midLineCursor(text) : endPosition(text);
}

/** The edits of `count` keystrokes typing `typed` (cycled) from `start`. */
export function typeAt(start: Position, typed: string, count: number, kind: TypingKind): TypingScript {
  const chars = [...cycle(typed, count)];
  const edits: Edit[] = [];
  const cursors: Position[] = [];
  let at = start;
  for (const ch of chars) {
    edits.push({ range: { start: at, end: at }, text: ch });
    at = advance(at, ch);
    cursors.push(at);
  }
  return { kind, start, typed: chars.join(''), edits, cursors, revert: { range: { start, end: at }, text: '' } };
}

/** The session of `kind` with `count` keystrokes on `text`. */
export function typingScript(text: string, kind: TypingKind, count: number): TypingScript {
  return typeAt(sessionStart(text, kind), TYPED_TEXT[kind], count, kind);
}

/**
 * A document that is one line of `bytes` characters (ASCII): real code with its line breaks turned
 * into spaces, as in minified or generated files. It ends in code, so typing continues the line.
 */
export function longLineDocument(source: string, bytes: number): string {
  let text = source.replace(/\r?\n\s*/g, ' ').replace(/[^\x20-\x7e]/g, ' ');
  if (text.trim() === '') text = 'x ';
  while (text.length < bytes) text += ` ${text}`;
  return text.slice(0, bytes).trimEnd().padEnd(bytes, ';');
}

/** The characters typed at the end of the long line (cycled). */
export const LONG_LINE_TYPED = ' const totalK = 1;';
