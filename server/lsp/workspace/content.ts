// What a file's first bytes say about it: binary, minified or ordinary text. Pure.

export const HEAD_BYTES = 8192;
export const MAX_LINE_CHARS = 1000;

export type ContentVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Judges the first HEAD_BYTES of a file. `complete` says whether `head` is the whole file; when it
 * is not, a UTF-8 sequence cut by the end of `head` does not count against it.
 */
export function classifyHead(head: Uint8Array, complete: boolean): ContentVerdict {
  const bytes = head.subarray(0, HEAD_BYTES);
  if (bytes.includes(0)) return { ok: false, reason: 'binary' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete || head.length > HEAD_BYTES });
  } catch {
    return { ok: false, reason: 'binary' };
  }
  if (longestLine(text) > MAX_LINE_CHARS) return { ok: false, reason: `minified (a line over ${MAX_LINE_CHARS} chars)` };
  return { ok: true };
}

function longestLine(text: string): number {
  let longest = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    longest = Math.max(longest, end - start);
    if (nl === -1) return longest;
    start = nl + 1;
  }
}

/** Decodes a whole file as strict UTF-8 (a leading BOM is dropped), or undefined if it is not. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A whole file's bytes as text, or why they are not: NUL bytes (binary) or invalid UTF-8. Pure. */
export function textOfBytes(bytes: Uint8Array): { ok: true; text: string } | { ok: false; reason: string } {
  if (bytes.includes(0)) return { ok: false, reason: 'the file is binary (it contains NUL bytes)' };
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false, reason: 'the file is not UTF-8 text' };
  return { ok: true, text };
}
