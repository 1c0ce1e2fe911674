// One reading of a didChange for the server and the engine. The server's copy of a document is a
// vscode-languageserver-textdocument TextDocument, which forgives hostile ranges in its own way: a
// reversed range is swapped, a line past the end means the end of the document, a negative line the
// start, a character past the line's end its end. The engine's copy (engine/document.ts) is kept as
// lines with "\n" endings, so it cannot see a "\r" inserted before an existing "\n" (or a "\n" after
// a lone "\r") merging two line breaks into one. Sent raw, such changes left the engine holding other
// text than the server, and completions ran on it.
//
// So each change is applied here to the TextDocument and re-expressed as the engine must apply it:
// an ordered range inside the document as it was before the change (positionAt(offsetAt(p)), i.e.
// exactly the span the TextDocument replaces; the server applies that same range). Coordinates that
// are not integers are read as integers first. When two line breaks merge across a change's edges
// ("\r" meets "\n"), the batch is sent as the whole resulting text instead.

import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import type { Position, TextEdit } from '../protocol/ipc';

const CR = 13;
const LF = 10;

/** A coordinate as an integer: fractions truncated, ±Infinity far out, anything else (NaN, a
 *  string, missing) 0. TextDocument itself would compute NaN offsets from those. */
function coordinate(x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x)) return 0;
  if (!Number.isFinite(x)) return x > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  return Math.trunc(x);
}

const position = (p: Partial<Position> | undefined): Position => ({ line: coordinate(p?.line), character: coordinate(p?.character) });

/** The range as TextDocument.update reads it: start and end swapped when reversed. */
function wellFormed(r: { start: Position; end: Position }): { start: Position; end: Position } {
  const { start, end } = r;
  return start.line > end.line || (start.line === end.line && start.character > end.character) ? { start: end, end: start } : r;
}

/**
 * Applies `changes` to `doc` (TextDocument.update, in place as it does) and returns the edits that
 * bring the engine's copy to the same text: normalised ranges, or one full-text edit.
 */
export function applyChanges(doc: TextDocument, changes: readonly TextDocumentContentChangeEvent[], version: number): TextEdit[] {
  const edits: TextEdit[] = [];
  let full = false;
  for (const raw of changes) {
    const text = typeof raw.text === 'string' ? raw.text : String(raw.text ?? '');
    if (!('range' in raw) || !raw.range) {
      TextDocument.update(doc, [{ text }], version);
      edits.push({ text });
      continue;
    }
    const change = { range: raw.range, text };
    const range = wellFormed({ start: position(change.range.start), end: position(change.range.end) });
    const startOffset = doc.offsetAt(range.start);
    const endOffset = doc.offsetAt(range.end);
    // The span TextDocument would replace, as an ordered range inside the document; applied here
    // too, so both copies (and TextDocument's line index) take the same span.
    const normalised = { start: doc.positionAt(startOffset), end: doc.positionAt(endOffset) };
    TextDocument.update(doc, [{ range: normalised, text }], version);
    // TextDocument's own test: a "\r" before the edit's edge now meets a "\n" after it. A position is
    // never between the two of an existing "\r\n" (offsetAt stops before a line's break), so this
    // only happens when two breaks merged into one, which the engine's "\n" lines cannot follow.
    const now = doc.getText();
    const insertedEnd = startOffset + text.length;
    const crlfAtStart = now.charCodeAt(startOffset - 1) === CR && now.charCodeAt(startOffset) === LF;
    const crlfAtEnd = now.charCodeAt(insertedEnd - 1) === CR && now.charCodeAt(insertedEnd) === LF;
    if (crlfAtStart || crlfAtEnd) full = true;
    edits.push({ range: normalised, text });
  }
  return full ? [{ text: doc.getText() }] : edits;
}
