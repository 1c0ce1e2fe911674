// Fold checkpoints: the workspace state after each of the first i files of the fold, keyed by the
// file list's chain key (server/shared/fingerprint.ts foldChainKeys), so a new file list restores
// the longest prefix it shares with what was folded before and folds only the files after it.
// Kept in memory under a byte cap; which boundaries are kept is decided by foldPlan over the fold's
// runs (foldRuns: on a GPU, consecutive small files are fed as one stream, with a checkpoint at its end).
//
// A save of an early file moves it to the end of the fold order, so the clean fold re-folds every
// file after its old place. Until that is done, a provisional root (the changed files folded on top
// of the current root: provisionalFiles, provisionalKey) puts the edit into the state at once.
//
// The store holds a reference to each checkpoint's state (deviceState.ts): taken by put, given back
// when the entry is replaced, evicted, dropped by retainOnly or cleared. get lends it.
import { createHash } from 'node:crypto';
import { nextFoldKey } from '../shared/fingerprint';
import { release, retain } from './deviceState';
import { type IngestChunk, type State, stateBytes } from './model';

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

/** Characters per token the fold's runs assume: a run of foldRunChars characters holds at least the
 *  ingest chunk's tokens for code of up to 4 characters a token (this repository's sources: 3.2). */
export const RUN_CHARS_PER_TOKEN = 4;

/** Ingest chunks a run holds at least, on a GPU. A run costs its full chunks plus one or two calls
 *  for its remainder (a shorter blocked call, a tail under its multipleOf), and on WebGPU a call's
 *  cost is mostly fixed (one H100, griffin: ~26 ms a call plus ~3 µs a token). This repository's
 *  sources (326k tokens) in runs of at least 1 / 2 / 4 / 8 chunks of 8,192 tokens: 86 / 61 / 50 / 46
 *  calls, 2.4 / 1.9 / 1.8 / 1.7-1.9 s; as one stream 41 calls, 1.7 s. Four keeps a checkpoint every
 *  ~40k tokens, so an edit re-folds at most about that much from the run before it. */
export const RUN_CHUNKS = 4;

/** How many characters of consecutive files the fold feeds as one token stream (a run) before it
 *  ends the run with a checkpoint: 0 (every file its own run) where the ingest job runs prefill (the
 *  CPU: a call's cost grows with its length, and small calls let keystrokes in between); else
 *  RUN_CHUNKS of the ingest graph's chunk (the blocked one's where it runs) in characters, so that a
 *  GPU's calls are few and long instead of one or two per small file. */
export function foldRunChars(c: IngestChunk): number {
  return c.graph === 'prefill' ? 0 : c.tokens * RUN_CHARS_PER_TOKEN * RUN_CHUNKS;
}

/**
 * The fold's runs, as the file boundaries (1..n) where each ends: from file 0, a run closes once its
 * files hold at least `runChars` characters, and at n. A pure function of the sizes, so a file list
 * that shares a prefix with an earlier one shares its run ends up to there (where its checkpoints are).
 */
export function foldRuns(chars: readonly number[], runChars: number): number[] {
  const ends: number[] = [];
  let inRun = 0;
  chars.forEach((c, i) => {
    inRun += c;
    if (inRun >= runChars || i === chars.length - 1) {
      ends.push(i + 1);
      inRun = 0;
    }
  });
  return ends;
}

/** The file boundaries that keep a checkpoint: foldPlan over the runs' ends. */
export function runPlan(ends: readonly number[], slots: number): Set<number> {
  return new Set([...foldPlan(ends.length, slots)].map((k) => ends[k - 1]!));
}

interface Entry {
  cp: FoldCheckpoint;
  bytes: number;
}

/** Fold checkpoints in memory, least recently used first out when over the byte cap. */
export class FoldStore {
  private readonly map = new Map<string, Entry>(); // insertion order = LRU order
  private total = 0;
  constructor(private capBytes: number) {}

  get bytes(): number {
    return this.total;
  }
  get size(): number {
    return this.map.size;
  }
  get cap(): number {
    return this.capBytes;
  }
  setCap(bytes: number): void {
    this.capBytes = bytes;
    this.evict(new Set());
  }

  get(key: string): FoldCheckpoint | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.cp;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }
  keys(): string[] {
    return [...this.map.keys()];
  }

  /** Adds a checkpoint; over the cap, drops the least recently used ones not in `protect` first. */
  put(cp: FoldCheckpoint, protect: ReadonlySet<string> = new Set()): void {
    retain(cp.state); // before the old entry's release: the same state put again stays alive
    const old = this.map.get(cp.key);
    if (old) {
      this.map.delete(cp.key);
      this.total -= old.bytes;
      release(old.cp.state);
    }
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
      release(e.cp.state);
    }
  }

  clear(): void {
    const states = [...this.map.values()].map((e) => e.cp.state);
    this.map.clear();
    this.total = 0;
    for (const s of states) release(s);
  }

  private evict(protect: ReadonlySet<string>): void {
    for (const pass of [false, true]) {
      for (const [k, e] of this.map) {
        if (this.total <= this.capBytes) return;
        if (!pass && protect.has(k)) continue;
        this.map.delete(k);
        this.total -= e.bytes;
        release(e.cp.state);
      }
    }
  }
}

/** A provisional root comes first when the clean fold re-folds at least this many files, or
 *  characters, besides the changed files themselves. */
export const PROVISIONAL_MIN_EXTRA_FILES = 3;
export const PROVISIONAL_MIN_EXTRA_CHARS = 4_000;

/**
 * The files a provisional root folds on top of the current root (indices into `files`, in order):
 * those whose content the root has not seen (`seen`: path → content hash of what it folded; a new
 * path or another hash), when the clean fold from boundary `start` would re-fold at least
 * PROVISIONAL_MIN_EXTRA_FILES files or PROVISIONAL_MIN_EXTRA_CHARS characters besides them and the
 * changed files are no longer than those others. Undefined: no provisional root (nothing the root
 * has not seen, or the clean fold is about as short).
 */
export function provisionalFiles(
  files: readonly { path: string; text: string }[],
  shas: readonly string[],
  start: number,
  seen: ReadonlyMap<string, string>,
): number[] | undefined {
  const changed: number[] = [];
  let changedChars = 0;
  let extraFiles = 0;
  let extraChars = 0;
  files.forEach((f, i) => {
    if (seen.get(f.path) !== shas[i]) {
      changed.push(i);
      changedChars += f.text.length;
    } else if (i >= start) {
      extraFiles++;
      extraChars += f.text.length;
    }
  });
  if (changed.length === 0) return undefined;
  if (extraFiles < PROVISIONAL_MIN_EXTRA_FILES && extraChars < PROVISIONAL_MIN_EXTRA_CHARS) return undefined;
  return changedChars <= extraChars ? changed : undefined;
}

/**
 * The key of a provisional root: the chain of the appended files (paths and content hashes) seeded
 * by the key of the root they were folded on top of. Never a clean chain key, so nothing keyed by
 * it (document checkpoints, persisted folds) is taken for a clean state.
 */
export function provisionalKey(baseKey: string, appended: readonly { path: string; sha: string }[]): string {
  let key = createHash('sha256')
    .update(JSON.stringify(['statewise-provisional-v1', baseKey]))
    .digest('hex');
  for (const f of appended) key = nextFoldKey(key, f.path, f.sha);
  return `provisional-${key}`;
}
