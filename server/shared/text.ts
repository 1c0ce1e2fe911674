// Line and bracket helpers shared by the completion policy and filters. Pure string functions.

/** One line of a text: `text` excludes the line break; [start, end) is its span in the source. */
export interface Line {
  text: string;
  start: number;
  end: number;
}

/** Splits on `\n` or `\r\n`; a trailing line break gives a last, empty line. */
export function splitLines(s: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) {
      out.push({ text: s.slice(start), start, end: s.length });
      return out;
    }
    const end = nl > start && s[nl - 1] === '\r' ? nl - 1 : nl;
    out.push({ text: s.slice(start, end), start, end });
    start = nl + 1;
  }
}

/** Everything up to the end of line `i` of `s`, without its line break. */
export function textThroughLine(s: string, lines: readonly Line[], i: number): string {
  return s.slice(0, lines[i]!.end);
}

export function isBlank(s: string): boolean {
  return s.trim() === '';
}

export function leadingWhitespace(s: string): string {
  return /^[ \t]*/.exec(s)![0];
}

/** Visual width of leading whitespace; a tab advances to the next multiple of `tabSize`. */
export function indentWidth(ws: string, tabSize = 4): number {
  let w = 0;
  for (const c of ws) w = c === '\t' ? w + tabSize - (w % tabSize) : w + 1;
  return w;
}

export const OPEN_TO_CLOSE: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
export const CLOSE_TO_OPEN: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

/** A line (already trimmed) made only of closing brackets, optionally ending in `;` or `,`: `}`, `});`, `],`. */
export function isClosingLine(trimmed: string): boolean {
  return /^[)\]}]+[;,]?$/.test(trimmed);
}

/** Whether `s` (already trimmed) begins with a closing bracket: `}`, `} else {`, `)`. */
export function startsWithCloser(trimmed: string): boolean {
  return /^[)\]}]/.test(trimmed);
}

/**
 * The first non-blank line below the cursor's line in `suffix` (text after the cursor), without
 * its line break, or undefined when there is none.
 */
export function nextNonBlankLine(suffix: string): string | undefined {
  let start = suffix.indexOf('\n');
  while (start >= 0) {
    const nl = suffix.indexOf('\n', start + 1);
    const line = suffix.slice(start + 1, nl < 0 ? suffix.length : nl).replace(/\r$/, '');
    if (!isBlank(line)) return line;
    start = nl;
  }
  return undefined;
}

/** The nearest non-blank line above the cursor's line in `prefix` (text before the cursor). */
export function previousNonBlankLine(prefix: string): string | undefined {
  let end = prefix.lastIndexOf('\n');
  while (end >= 0) {
    // (lastIndexOf reads a negative start as 0: at end 0 it would find this same newline forever)
    const nl = end > 0 ? prefix.lastIndexOf('\n', end - 1) : -1;
    const line = prefix.slice(nl + 1, end).replace(/\r$/, '');
    if (!isBlank(line)) return line;
    if (nl < 0) return undefined;
    end = nl;
  }
  return undefined;
}

/** Moves a cut index forward off the low half of a surrogate pair, so a cut never splits a character. */
export function safeCut(s: string, i: number): number {
  if (i > 0 && i < s.length) {
    const hi = s.charCodeAt(i - 1);
    const lo = s.charCodeAt(i);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) return i + 1;
  }
  return i;
}
