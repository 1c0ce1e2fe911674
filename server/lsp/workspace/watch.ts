// Debounces workspace change notifications into rebuilds of the workspace state.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A rebuild runs `delayMs` after the last change. Rebuilds never overlap: when the delay ends
 * while one is running, exactly one more runs as soon as it finishes, however many changes came.
 * `rebuild` should handle its own errors; a rejection is passed to `onError` (default: ignored)
 * and does not stop later rebuilds.
 */
export class RebuildScheduler {
  private timer: unknown;
  private timerSet = false;
  private running = false;
  private rerun = false;
  private disposed = false;

  constructor(
    private readonly delayMs: number,
    private readonly rebuild: () => Promise<void>,
    private readonly timers: Timers = { setTimeout, clearTimeout },
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Records a change to `path`; any change leads to a full rebuild. */
  notifyChanged(_path: string): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.timerSet = true;
    this.timer = this.timers.setTimeout(() => {
      this.timerSet = false;
      this.start();
    }, this.delayMs);
  }

  /** Whether a rebuild is running now. */
  get busy(): boolean {
    return this.running;
  }

  /** Cancels a pending rebuild; a running one finishes, and none follows it. */
  dispose(): void {
    this.disposed = true;
    this.rerun = false;
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timerSet) this.timers.clearTimeout(this.timer);
    this.timerSet = false;
  }

  private start(): void {
    if (this.disposed) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    let done: Promise<void>;
    try {
      done = this.rebuild();
    } catch (err) {
      done = Promise.reject(err);
    }
    done
      .catch((err: unknown) => {
        try {
          this.onError(err);
        } catch {
          // a failing error handler must not stop the scheduler
        }
      })
      .finally(() => {
        this.running = false;
        if (this.rerun) {
          this.rerun = false;
          this.start();
        }
      });
  }
}
