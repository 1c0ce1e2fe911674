// Fold checkpoints: the workspace state after each of the first i files of the fold, keyed by the
// file list's chain key (server/workspace/fingerprint.ts foldChainKeys), so a new file list restores
// the longest prefix it shares with what was folded before and folds only the files after it.
// Kept in memory under a byte cap; which boundaries are kept is decided by foldPlan.
import { type State, stateBytes } from './model';

export interface FoldCheckpoint {
  /** Chain key of the files folded into the state. */
  key: string;
  /** Files folded into the state (its boundary: after file `files`). */
  files: number;
  /** Tokens folded into the state. */
  tokens: number;
  state: State;
}

/**
 * Which file boundaries (1..n: the state after file i) to keep when at most `slots` states fit: all
 * of them when they fit; otherwise the last ceil(slots / 2), at least 2 (the newest files come
 * last in the fold order, so edits land there) and the rest spread evenly over the earlier ones.
 * n (the root) is always kept when slots >= 1.
 */
export function foldPlan(n: number, slots: number): Set<number> {
  const keep = new Set<number>();
  slots = Math.max(0, Math.floor(slots));
  if (n <= 0 || slots === 0) return keep;
  if (slots >= n) {
    for (let i = 1; i <= n; i++) keep.add(i);
    return keep;
  }
  const tail = Math.max(Math.min(slots, 2), Math.ceil(slots / 2));
  for (let i = n - tail + 1; i <= n; i++) keep.add(i);
  const spread = slots - tail;
  const span = n - tail; // boundaries 1..span are left for the spread
  for (let j = 1; j <= spread; j++) keep.add(Math.max(1, Math.round((j * span) / (spread + 1))));
  return keep;
}

interface Entry { cp: FoldCheckpoint; bytes: number }

/** Fold checkpoints in memory, least recently used first out when over the byte cap. */
export class FoldStore {
  private readonly map = new Map<string, Entry>(); // insertion order = LRU order
  private total = 0;
  constructor(private capBytes: number) {}

  get bytes(): number { return this.total; }
  get size(): number { return this.map.size; }
  get cap(): number { return this.capBytes; }
  setCap(bytes: number): void { this.capBytes = bytes; this.evict(new Set()); }

  get(key: string): FoldCheckpoint | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.cp;
  }

  has(key: string): boolean { return this.map.has(key); }
  keys(): string[] { return [...this.map.keys()]; }

  /** Adds a checkpoint; over the cap, drops the least recently used ones not in `protect` first. */
  put(cp: FoldCheckpoint, protect: ReadonlySet<string> = new Set()): void {
    const old = this.map.get(cp.key);
    if (old) { this.map.delete(cp.key); this.total -= old.bytes; }
    const bytes = stateBytes(cp.state);
    this.map.set(cp.key, { cp, bytes });
    this.total += bytes;
    this.evict(protect);
  }

  /** Drops every checkpoint whose key is not in `keys`. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const [k, e] of this.map) {
      if (keys.has(k)) continue;
      this.map.delete(k);
      this.total -= e.bytes;
    }
  }

  clear(): void { this.map.clear(); this.total = 0; }

  private evict(protect: ReadonlySet<string>): void {
    for (const pass of [false, true]) {
      for (const [k, e] of this.map) {
        if (this.total <= this.capBytes) return;
        if (!pass && protect.has(k)) continue;
        this.map.delete(k);
        this.total -= e.bytes;
      }
    }
  }
}
