// Token healing. A cursor usually sits inside a word ("cons|"), where the prompt's last token is an
// unusual fragment the model rarely saw in training. We drop the word fragment from the prompt and
// make the first generated tokens reproduce it: only tokens consistent with the fragment are allowed
// until it is covered, then decoding is free. The fragment is removed from the returned text.

const TAIL = /(?: ?[\p{L}\p{M}\p{N}_$]+| ?[^\s\p{L}\p{M}\p{N}_$]+|[^\S\n]+)$/u;

/** Splits a line prefix into (kept, fragment): the fragment is the trailing word or punctuation run
 *  (with its leading space), or trailing spaces after code; at most `max` characters. */
export function splitHealTail(linePrefix: string, max = 32): { kept: string; tail: string } {
  const m = TAIL.exec(linePrefix);
  if (!m || m[0].length > max) return { kept: linePrefix, tail: '' };
  let at = m.index;
  // Trailing spaces after code ("f(a, ") are healed too: a lone space token rarely precedes a word in
  // training ("f(a," + " b"). Indentation alone (a line of spaces) is left as it is.
  if (/^[^\S\n]+$/.test(m[0])) return at === 0 ? { kept: linePrefix, tail: '' } : { kept: linePrefix.slice(0, at), tail: m[0] };
  // A space that ends indentation belongs to the indentation pre-token ("\n    " + "cons"), not to the word.
  if (m[0].startsWith(' ') && (at === 0 || /\s/.test(linePrefix[at - 1]))) at++;
  return { kept: linePrefix.slice(0, at), tail: linePrefix.slice(at) };
}

/** Tokens allowed next while `remaining` bytes of the fragment are still to be produced. When all
 *  of them are spaces or tabs (typed after code: "f(a, ║"), a token may not go on with more: the
 *  typed whitespace is the whole gap, so "return ║" never becomes "return   this". */
export function allowedTokens(tokenBytes: readonly Uint8Array[], remaining: Uint8Array, banned: ReadonlySet<number>): number[] {
  const blankOnly = isBlankFragment(remaining);
  const out: number[] = [];
  for (let id = 0; id < tokenBytes.length; id++) {
    const b = tokenBytes[id];
    if (b.length === 0 || banned.has(id)) continue;
    const n = Math.min(b.length, remaining.length);
    let ok = true;
    for (let i = 0; i < n; i++)
      if (b[i] !== remaining[i]) {
        ok = false;
        break;
      }
    if (ok && blankOnly && b.length > n && isBlankByte(b[n])) ok = false;
    if (ok) out.push(id);
  }
  return out;
}

function isBlankByte(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

/** Whether a healed fragment is spaces or tabs only (then the completion may not add more). */
export function isBlankFragment(fragment: Uint8Array): boolean {
  return fragment.length > 0 && fragment.every(isBlankByte);
}

/** Logits with the tokens that start with a space or tab set to -Infinity: the token right after a
 *  blank fragment that was produced exactly ("f(a, " then " b" would make "f(a,  b"). */
export function banLeadingBlank(logits: Float32Array, tokenBytes: readonly Uint8Array[]): Float32Array {
  const out = Float32Array.from(logits);
  for (let id = 0; id < tokenBytes.length && id < out.length; id++)
    if (tokenBytes[id].length > 0 && isBlankByte(tokenBytes[id][0])) out[id] = -Infinity;
  return out;
}

/** Logits with everything but `allowed` set to -Infinity. */
export function restrict(logits: Float32Array, allowed: readonly number[]): Float32Array {
  const out = new Float32Array(logits.length).fill(-Infinity);
  for (const id of allowed) out[id] = logits[id];
  return out;
}
