// A clock the tests drive (the debouncer's and the file watcher's Timers), and a turn of the event loop.

/** Timers that run only when `advance` passes their time, in time order (then in order of creation);
 *  a timer set by a callback during `advance` runs in the same call if it falls due by its end. */
export class FakeTimers {
  now = 0;
  private nextId = 1;
  private pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** How many timers are set and not yet run or cleared. */
  get count(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
}

/** Resolves after the pending promise callbacks and I/O of this turn have run. */
export const flush = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
