// One generation in flight, newer requests win.

export class AbortError extends Error {
  override name = 'AbortError';
  constructor(message = 'superseded by a newer request') {
    super(message);
  }
}

/** True for our AbortError and any other error named AbortError (DOMException from AbortSignal, fetch). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/**
 * `run(fn)` aborts the signal of the run before it and returns fn's result. Guarantees:
 * - a superseded run's promise rejects with an AbortError at once, whatever its fn does later;
 * - at most one fn executes at a time: a new fn starts only after the previous fn's promise has
 *   settled (fn should stop soon after its signal aborts); a run superseded while waiting never
 *   calls its fn.
 */
export class SingleFlight {
  private controller: AbortController | undefined;
  /** Settles when the last fn started or queued settles; undefined when none is left. */
  private running: Promise<void> | undefined;

  /** Whether a run has neither settled nor been superseded. */
  get busy(): boolean {
    return this.controller !== undefined;
  }

  /** Calls fn at once when no earlier fn is still running, else once that one has settled. */
  run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.controller?.abort(new AbortError());
    const controller = new AbortController();
    this.controller = controller;
    const { signal } = controller;
    const start = (): Promise<T> => {
      if (signal.aborted) return Promise.reject(signal.reason);
      try {
        return Promise.resolve(fn(signal));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const task = this.running ? this.running.then(start) : start();
    const settled = task.then(noop, noop);
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        if (this.controller === controller) this.controller = undefined;
      };
      task.then(
        (value) => {
          done();
          if (signal.aborted) reject(signal.reason);
          else resolve(value);
        },
        (error: unknown) => {
          done();
          reject(signal.aborted ? signal.reason : error);
        },
      );
    });
  }

  /** Aborts the current run, if any (document closed, completion cancelled). */
  abort(reason: unknown = new AbortError('cancelled')): void {
    this.controller?.abort(reason);
    this.controller = undefined;
  }
}

function noop(): void {}
