// Waits out a burst of keystrokes: only the newest request of a burst goes on to the model.

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * `wait()` resolves true once the delay has passed with no newer `wait()`; false at once when a
 * newer `wait()` supersedes it or its signal aborts. Manual triggers should not wait at all.
 */
export class Debouncer {
  private delayMs = 0;
  private pending: ((ok: boolean) => void) | undefined;

  constructor(
    delayMs: number,
    private readonly timers: Timers = { setTimeout, clearTimeout },
  ) {
    this.setDelay(delayMs);
  }

  get delay(): number {
    return this.delayMs;
  }

  /** Applies to the next `wait()`; a wait already running keeps its delay. Negative counts as 0. */
  setDelay(ms: number): void {
    this.delayMs = Number.isFinite(ms) ? Math.max(0, ms) : 0;
  }

  wait(signal?: AbortSignal): Promise<boolean> {
    this.pending?.(false);
    return new Promise<boolean>((resolve) => {
      if (signal?.aborted) {
        resolve(false);
        return;
      }
      let handle: unknown;
      const finish = (ok: boolean): void => {
        if (this.pending !== finish) return;
        this.pending = undefined;
        if (!ok) this.timers.clearTimeout(handle);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = (): void => finish(false);
      this.pending = finish;
      signal?.addEventListener('abort', onAbort, { once: true });
      handle = this.timers.setTimeout(() => finish(true), this.delayMs);
    });
  }

  /** Resolves the pending `wait()` (if any) with false. */
  cancel(): void {
    this.pending?.(false);
  }
}
