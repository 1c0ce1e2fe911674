// Completions by cursor context, with type-through: after a completion C was shown at prefix P,
// typing the start of C keeps serving the rest of C without asking the model again.

export interface CacheKey {
  uri: string;
  /** Document text before the cursor. */
  prefix: string;
  /** Document text after the cursor. */
  suffix: string;
  /** Changes whenever the answer could differ for the same text (model, workspace state, settings). */
  contextVersion: string;
}

/** Characters of a prefix (its end) or suffix (its start) that are hashed. */
export const HASH_WINDOW = 2048;
/** Characters of a prefix's last line kept to verify a hash match. */
const MAX_LAST_LINE = 1024;
/** Extra characters typed beyond the completion's length that may still match (indentation the editor added). */
const INDENT_SLACK = 256;

/** 32-bit FNV-1a over the UTF-16 code units of s[from, to). */
export function fnv1a(s: string, from = 0, to = s.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function prefixHash(prefix: string, end: number): number {
  return fnv1a(prefix, Math.max(0, end - HASH_WINDOW), end);
}

function lastLine(prefix: string, end: number): string {
  const start = Math.max(prefix.lastIndexOf('\n', end - 1) + 1, end - MAX_LAST_LINE);
  return prefix.slice(start, end);
}

function groupOf(key: CacheKey): string {
  const s = key.suffix;
  return `${key.uri}\u0000${key.contextVersion}\u0000${s.length}:${fnv1a(s, 0, Math.min(s.length, HASH_WINDOW))}`;
}

/** Length of the line break at s[i] (`\n` or `\r\n`), 0 if none. */
function lineBreakAt(s: string, i: number): number {
  if (s[i] === '\n') return 1;
  return s[i] === '\r' && s[i + 1] === '\n' ? 2 : 0;
}

function indentAt(s: string, i: number): number {
  let j = i;
  while (s[j] === ' ' || s[j] === '\t') j++;
  return j - i;
}

/**
 * What is left of `completion` once `typed` was typed, or undefined when `typed` departs from it.
 * Line breaks match as `\n` or `\r\n`. After a line break the indentation may differ (the editor
 * indents on Enter): if `typed` ends in that indentation, the rest starts after as much of the
 * completion's indentation as was typed, or after all of it when the editor indented differently.
 */
export function remainderAfterTyped(completion: string, typed: string): string | undefined {
  let i = 0;
  let j = 0;
  while (j < typed.length) {
    const tb = lineBreakAt(typed, j);
    const cb = lineBreakAt(completion, i);
    if (tb > 0 && cb > 0) {
      i += cb;
      j += tb;
      const ti = indentAt(typed, j);
      const ci = indentAt(completion, i);
      if (j + ti === typed.length) {
        const typedWs = typed.slice(j, j + ti);
        return completion.slice(completion.startsWith(typedWs, i) ? i + ti : i + ci);
      }
      i += ci;
      j += ti;
      continue;
    }
    if (i >= completion.length || typed[j] !== completion[i]) return undefined;
    i++;
    j++;
  }
  return completion.slice(i);
}

interface Entry {
  group: string;
  prefixLength: number;
  prefixHash: number;
  lastLine: string;
  completion: string;
  storedAt: number;
}

/**
 * LRU cache with a time to live. Per entry it keeps the completion, a hash of the prefix's last
 * HASH_WINDOW characters with its length, and the prefix's last line to verify a match; never the
 * whole prefix. Entries are grouped by uri, contextVersion and suffix (length and hash of its
 * start), so a lookup checks only the entries that could match.
 */
export class CompletionCache {
  private readonly lru = new Set<Entry>();
  private readonly groups = new Map<string, Set<Entry>>();

  constructor(
    private readonly maxEntries = 100,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.lru.size;
  }

  set(key: CacheKey, completion: string): void {
    if (completion === '' || this.maxEntries <= 0) return;
    const group = groupOf(key);
    const entry: Entry = {
      group,
      prefixLength: key.prefix.length,
      prefixHash: prefixHash(key.prefix, key.prefix.length),
      lastLine: lastLine(key.prefix, key.prefix.length),
      completion,
      storedAt: this.now(),
    };
    for (const e of this.groups.get(group) ?? []) {
      if (e.prefixLength === entry.prefixLength && e.prefixHash === entry.prefixHash && e.lastLine === entry.lastLine) this.remove(e);
    }
    this.lru.add(entry);
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Set()));
    members.add(entry);
    while (this.lru.size > this.maxEntries) this.remove(this.lru.values().next().value!);
  }

  /**
   * The completion for this exact key, or the rest of one stored at a shorter prefix whose
   * completion the user has been typing; undefined when none (or nothing would be left).
   * Among several matches the one stored at the longest prefix wins.
   */
  get(key: CacheKey): string | undefined {
    const members = this.groups.get(groupOf(key));
    if (!members) return undefined;
    const now = this.now();
    let best: { entry: Entry; rest: string } | undefined;
    for (const e of [...members]) {
      if (now - e.storedAt > this.ttlMs) {
        this.remove(e);
        continue;
      }
      const typedLength = key.prefix.length - e.prefixLength;
      if (typedLength < 0 || typedLength > e.completion.length + INDENT_SLACK) continue;
      if (best && e.prefixLength <= best.entry.prefixLength) continue;
      if (prefixHash(key.prefix, e.prefixLength) !== e.prefixHash || lastLine(key.prefix, e.prefixLength) !== e.lastLine) continue;
      const rest = remainderAfterTyped(e.completion, key.prefix.slice(e.prefixLength));
      if (rest) best = { entry: e, rest };
    }
    if (!best) return undefined;
    this.lru.delete(best.entry);
    this.lru.add(best.entry);
    return best.rest;
  }

  clear(): void {
    this.lru.clear();
    this.groups.clear();
  }

  private remove(e: Entry): void {
    this.lru.delete(e);
    const members = this.groups.get(e.group);
    members?.delete(e);
    if (members?.size === 0) this.groups.delete(e.group);
  }
}
