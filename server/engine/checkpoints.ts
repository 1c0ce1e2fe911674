// Cached model states ("checkpoints") keyed by the exact token stream that produced them: a rolling
// hash over (root state id, tokens). Lookup finds the longest cached prefix of a stream; an LRU keeps
// the total under a memory cap. Because keys are content hashes, an edit above a checkpoint simply
// makes it unreachable; nothing has to be invalidated by hand.
//
// The cap is soft by one state: the most recently used checkpoint is never evicted, so a state
// larger than the whole cap (an ALiBi KV cache at 32k tokens) is kept alone rather than dropped as
// it is stored, which made every keystroke re-read the document. `onOverCap` hears of each such put.
//
// The store holds a reference to each state it keeps (deviceState.ts): taken by put, given back when
// the entry is evicted or cleared. get and longestPrefix lend the state: a caller that keeps it past
// an await retains it first.
import type { StateOverCap } from '../protocol/ipc';
import { release, retain } from './deviceState';
import { type State, stateBytes } from './model';

/** Incremental 53-bit hash of a token sequence (two 32-bit multiplicative mixes). */
export class StreamHash {
  constructor(
    public a = 0x9e3779b9,
    public b = 0x85ebca6b,
  ) {}
  static of(seed: string): StreamHash {
    const h = new StreamHash();
    for (let i = 0; i < seed.length; i++) h.push(seed.charCodeAt(i));
    return h;
  }
  push(t: number): void {
    this.a = Math.imul(this.a ^ t, 0x01000193) >>> 0;
    this.b = Math.imul((this.b + t) ^ (this.b >>> 15), 0x2c1b3c6d) >>> 0;
  }
  clone(): StreamHash {
    return new StreamHash(this.a, this.b);
  }
  key(n: number): string {
    return `${n}:${this.a.toString(36)}${(this.b & 0x1fffff).toString(36)}`;
  }
}

interface Entry {
  state: State;
  bytes: number;
  tokens: number;
}

export class CheckpointStore {
  private readonly map = new Map<string, Entry>(); // insertion order = LRU order
  private total = 0;
  constructor(
    private capBytes: number,
    private readonly onOverCap: (o: StateOverCap) => void = () => {},
  ) {}

  get bytes(): number {
    return this.total;
  }
  get size(): number {
    return this.map.size;
  }
  setCap(bytes: number): void {
    this.capBytes = bytes;
    this.evict();
  }

  put(key: string, tokens: number, state: State): void {
    if (this.map.has(key)) {
      this.touch(key);
      return;
    }
    const bytes = stateBytes(state);
    if (bytes > this.capBytes) this.onOverCap({ bytes, capBytes: this.capBytes });
    this.map.set(key, { state: retain(state), bytes, tokens });
    this.total += bytes;
    this.evict();
  }

  get(key: string): State | undefined {
    const e = this.map.get(key);
    if (e) this.touch(key);
    return e?.state;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Longest prefix of `tokens` (streamed after `seed`) that has a checkpoint, scanning at most `limit` tokens. */
  longestPrefix(seed: StreamHash, tokens: readonly number[], limit = tokens.length): { n: number; state: State } | undefined {
    const h = seed.clone();
    let best: { n: number; key: string } | undefined;
    if (this.map.has(h.key(0))) best = { n: 0, key: h.key(0) };
    for (let i = 0; i < limit; i++) {
      h.push(tokens[i]);
      const k = h.key(i + 1);
      if (this.map.has(k)) best = { n: i + 1, key: k };
    }
    return best ? { n: best.n, state: this.get(best.key)! } : undefined;
  }

  clear(): void {
    const states = [...this.map.values()].map((e) => e.state);
    this.map.clear();
    this.total = 0;
    for (const s of states) release(s);
  }

  private touch(key: string): void {
    const e = this.map.get(key)!;
    this.map.delete(key);
    this.map.set(key, e);
  }

  /** Least recently used first, down to the cap, but never the most recently used entry. */
  private evict(): void {
    for (const [k, e] of this.map) {
      if (this.total <= this.capBytes || this.map.size === 1) break;
      this.map.delete(k);
      this.total -= e.bytes;
      release(e.state);
    }
  }
}
