// A document as the model sees it: lines, each tokenized on its own ("\n" + line for every line but
// the first). The tokenizer never lets a token span a line start, so the concatenation equals the
// encoding of the whole text and an edit re-tokenizes only the lines it touches.
import { StreamHash } from './checkpoints';
import { badRequest } from './errors';
import type { Position, TextEdit } from '../protocol/ipc';

export interface Encoder {
  encode(text: string): number[];
}

/** `<|file|>path\n`: the header in front of every file the model reads (workspace, document, score). */
export function fileHeader(fileToken: number, tok: Encoder, path: string): number[] {
  return [fileToken, ...tok.encode(path + '\n')];
}

export class EngineDocument {
  private lines: string[];
  private lineTokens: (number[] | undefined)[];
  version: number;
  // Rolling hash and token offset of the stream at each line start (valid for lines < `valid`), so
  // the checkpoint at the cursor's line start is found without touching the rest of the document.
  private startHash: StreamHash[] = [];
  private startPos: number[] = [];
  private valid = 0;
  private seedKey = '';

  constructor(
    readonly uri: string,
    readonly path: string,
    text: string,
    version: number,
    private readonly enc: Encoder,
  ) {
    this.lines = splitLines(text);
    this.lineTokens = new Array(this.lines.length);
    this.version = version;
  }

  get lineCount(): number {
    return this.lines.length;
  }
  line(i: number): string {
    return this.lines[i];
  }
  text(): string {
    return this.lines.join('\n');
  }

  /**
   * Applies LSP content changes in order (UTF-16 positions); a change without a range replaces all.
   * Hostile ranges are read as vscode-languageserver-textdocument reads them (the server's copy):
   * a reversed range is swapped, a line past the end is the end of the document, a negative line
   * its start, a character past the line's end that end. The server sends ranges already so
   * normalised (server/lsp/editSync.ts), and the whole text when line breaks merge across an edit.
   * A change whose positions are not integers is refused (BadRequestError) before any is applied;
   * the server then reopens the document with its text.
   */
  apply(changes: readonly TextEdit[], version: number): void {
    for (const c of changes) {
      if (typeof c?.text !== 'string') throw badRequest('editDocument: a change without text');
      if (c.range && !(integral(c.range.start) && integral(c.range.end))) {
        throw badRequest(`editDocument: range ${JSON.stringify(c.range)} has positions that are not integers`);
      }
    }
    for (const c of changes) {
      if (!c.range) {
        this.lines = splitLines(c.text);
        this.lineTokens = new Array(this.lines.length);
        this.valid = 0;
        continue;
      }
      const reversed =
        c.range.start.line > c.range.end.line ||
        (c.range.start.line === c.range.end.line && c.range.start.character > c.range.end.character);
      const s = this.clamp(reversed ? c.range.end : c.range.start);
      this.valid = Math.min(this.valid, s.line + 1);
      const e = this.clamp(reversed ? c.range.start : c.range.end);
      const head = this.lines[s.line].slice(0, s.character);
      const tail = this.lines[e.line].slice(e.character);
      const repl = splitLines(head + c.text.replace(/\r\n?/g, '\n') + tail);
      this.lines.splice(s.line, e.line - s.line + 1, ...repl);
      this.lineTokens.splice(s.line, e.line - s.line + 1, ...new Array<undefined>(repl.length));
    }
    this.version = version;
  }

  /** Whether a position lies inside the document. */
  contains(p: Position): boolean {
    return (
      Number.isInteger(p.line) &&
      Number.isInteger(p.character) &&
      p.line >= 0 &&
      p.character >= 0 &&
      p.line < this.lines.length &&
      p.character <= this.lines[p.line].length
    );
  }

  tokensOfLine(i: number): number[] {
    let t = this.lineTokens[i];
    if (!t) {
      t = this.enc.encode(i === 0 ? this.lines[0] : '\n' + this.lines[i]);
      this.lineTokens[i] = t;
    }
    return t;
  }

  /** Stream position and hash at the start of `line`: seed, then `header`, then lines [0, line). */
  lineStart(line: number, seedKey: string, header: readonly number[]): { pos: number; hash: StreamHash } {
    if (seedKey !== this.seedKey) {
      this.seedKey = seedKey;
      this.valid = 0;
    }
    if (this.valid === 0) {
      const h = StreamHash.of(seedKey);
      for (const t of header) h.push(t);
      this.startHash[0] = h;
      this.startPos[0] = header.length;
      this.valid = 1;
    }
    for (let i = this.valid; i <= line; i++) {
      const h = this.startHash[i - 1].clone();
      const toks = this.tokensOfLine(i - 1);
      for (const t of toks) h.push(t);
      this.startHash[i] = h;
      this.startPos[i] = this.startPos[i - 1] + toks.length;
    }
    this.valid = Math.max(this.valid, line + 1);
    return { pos: this.startPos[line], hash: this.startHash[line] };
  }

  /** Tokens of lines [0, line). */
  tokensBeforeLine(line: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < line; i++) for (const t of this.tokensOfLine(i)) out.push(t);
    return out;
  }

  /** Tokens of the cursor line up to the cursor (with the leading "\n" for lines after the first). */
  linePrefixTokens(p: Position): number[] {
    const text = this.lines[p.line].slice(0, p.character);
    return this.enc.encode(p.line === 0 ? text : '\n' + text);
  }

  /** Text after the cursor: the rest of the line and the following lines, at most maxChars. */
  suffixText(p: Position, maxChars: number): string {
    let s = this.lines[p.line].slice(p.character);
    for (let i = p.line + 1; i < this.lines.length && s.length < maxChars; i++) s += '\n' + this.lines[i];
    return s.slice(0, maxChars);
  }

  /** Where a position lands, as TextDocument.offsetAt puts it: past the last line → the end of the
   *  document, a negative line → its start, the character clamped into the line. */
  private clamp(p: Position): Position {
    const last = this.lines.length - 1;
    if (p.line > last) return { line: last, character: this.lines[last].length };
    if (p.line < 0) return { line: 0, character: 0 };
    return { line: p.line, character: Math.max(0, Math.min(p.character, this.lines[p.line].length)) };
  }
}

function integral(p: Position | undefined): boolean {
  return typeof p === 'object' && p !== null && Number.isSafeInteger(p.line) && Number.isSafeInteger(p.character);
}

export function splitLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split('\n');
}
