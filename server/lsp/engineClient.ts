// The parent side of server/protocol/ipc.ts: forks the engine child process, sends typed requests,
// routes responses, progress and log lines, and restarts the child when it dies. A child that keeps
// crashing is stopped for a while, never for good: crashes older than the window are forgotten, a
// stopped engine is retried after a back-off, and `restart()` or a model load restarts it at once.

import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ENGINE_ENV } from '../shared/noTelemetry';
import { EngineError } from '../protocol/errors';
import {
  ENGINE_ERRORS,
  type EngineAskParams,
  type EngineAskResult,
  type FromEngine,
  type Method,
  type ProgressMessage,
  type RequestMap,
  type ToEngine,
} from '../protocol/ipc';

export type LogLevel = 'info' | 'warn' | 'error';
export type EngineLogger = (level: LogLevel, message: string) => void;
export type Progress = Omit<ProgressMessage, 'kind' | 'id'>;
export type ProgressListener = (progress: Progress) => void;
/** The answer so far of a streaming request: the whole text up to now and its token count. */
export type PartialListener = (text: string, tokens: number) => void;

export class CancelledError extends EngineError {
  constructor(message = 'cancelled') {
    super(ENGINE_ERRORS.cancelled, message);
  }
}

export class EngineCrashedError extends EngineError {
  constructor(message = 'the engine process exited') {
    super(ENGINE_ERRORS.crashed, message);
  }
}

/** What the language server and the CLI need from an engine; tests give a fake. */
export interface EngineLike {
  request<M extends Method>(
    method: M,
    params: RequestMap[M][0],
    signal?: AbortSignal,
    onProgress?: ProgressListener,
  ): Promise<RequestMap[M][1]>;
  /** A question about a file; `onPartial` sees the answer as it grows. Aborting `signal` ends it
   *  early: the result then holds the partial answer with `cancelled: true`. */
  ask(params: EngineAskParams, onPartial?: PartialListener, signal?: AbortSignal): Promise<EngineAskResult>;
  on(event: 'restarted', listener: (restarts: number) => void): unknown;
  /** The client stopped restarting a crashing engine (for a back-off, or for good when its bundle is missing). */
  on(event: 'failed', listener: (message: string) => void): unknown;
  /** Forgets past crashes and starts a fresh engine now (a running one is replaced); emits `restarted`. */
  restart(): void;
  readonly pid: number | undefined;
  readonly restarts: number;
}

export interface EngineClientOptions {
  /** The engine bundle; default `engine.js` next to the running bundle. */
  enginePath?: string;
  logger?: EngineLogger;
  /** Extra arguments for the child. */
  args?: string[];
  /** Node flags for the child; default none (the parent's flags are not passed on). */
  execArgv?: string[];
  /** The child's environment (default process.env); ENGINE_ENV (telemetry off) is always added. */
  env?: NodeJS.ProcessEnv;
  /** Restarts allowed within the crash window before the client stops the engine. Default 5. */
  maxRestartsPerMinute?: number;
  /** Crashes older than this are forgotten. Default 60 000 ms. */
  crashWindowMs?: number;
  /** Delay before the first restart; doubles with each restart in the window. Default 250 ms. */
  restartDelayMs?: number;
  /** Longest delay between restarts. Default 5000 ms. */
  maxRestartDelayMs?: number;
  /** How long a stopped engine waits before it is tried again; doubles with each stop in a row
   *  (reset once an engine ran a whole crash window, or by `restart()`). Default 60 000 ms. */
  stoppedRetryMs?: number;
  /** Longest wait of a stopped engine. Default 600 000 ms. */
  maxStoppedRetryMs?: number;
  /** Clock, ms (tests). Default Date.now. */
  now?: () => number;
}

interface Pending {
  method: Method;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress: ProgressListener | undefined;
  onPartial?: PartialListener;
  cleanup: () => void;
}

const MINUTE = 60_000;

/**
 * Events: `restarted` (restarts) after a crashed or stopped child was replaced, or after
 * `restart()` — the owner loads the model again and replays its state; `crashed` (code, signal)
 * when the child exits unexpectedly; `failed` (message) when it stops restarting it.
 */
export class EngineClient extends EventEmitter implements EngineLike {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private restartCount = 0;
  /** When the child crashed, within the crash window. */
  private readonly crashTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Why no child runs and none will until `start()`, `restart()` or a load (a missing bundle). */
  private gaveUp: string | undefined;
  /** Why the crashing child was stopped; a timer retries it after the back-off. */
  private stoppedReason: string | undefined;
  /** Stops in a row (the back-off doubles with each). */
  private stops = 0;
  private spawnedAt = 0;
  private readonly now: () => number;
  private readonly enginePath: string;
  private readonly log: EngineLogger;

  constructor(private readonly options: EngineClientOptions = {}) {
    super();
    this.enginePath = options.enginePath ?? path.join(__dirname, 'engine.js');
    this.log = options.logger ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Times the child was restarted after a crash. */
  get restarts(): number {
    return this.restartCount;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Set while the client does not restart a crashing engine (until the back-off ends). */
  get stopped(): string | undefined {
    return this.gaveUp ?? this.stoppedReason;
  }

  /** Forks the child (no-op when it runs). */
  start(): void {
    if (this.disposed || this.child) return;
    this.gaveUp = undefined;
    this.spawn();
  }

  /**
   * Forgets past crashes and starts a fresh child now; a running one is killed (its pending
   * requests reject) and a scheduled restart is dropped. Emits `restarted`: the owner loads again.
   */
  restart(): void {
    if (this.disposed) return;
    this.log('info', 'engine restart requested');
    this.revive();
    const old = this.child;
    if (old) {
      this.child = undefined;
      this.rejectAll(new EngineCrashedError('the engine was restarted'));
      kill(old);
    }
    this.restartCount++;
    this.spawn();
    if (this.child) this.emit('restarted', this.restartCount);
  }

  /** Clears the crash history, the back-off and any scheduled restart. */
  private revive(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.crashTimes.length = 0;
    this.stops = 0;
    this.stoppedReason = undefined;
    this.gaveUp = undefined;
  }

  request<M extends Method>(
    method: M,
    params: RequestMap[M][0],
    signal?: AbortSignal,
    onProgress?: ProgressListener,
  ): Promise<RequestMap[M][1]> {
    return this.call(method, params, signal, onProgress, undefined);
  }

  ask(params: EngineAskParams, onPartial?: PartialListener, signal?: AbortSignal): Promise<EngineAskResult> {
    return this.call('ask', params, signal, undefined, onPartial);
  }

  private call<M extends Method>(
    method: M,
    params: RequestMap[M][0],
    signal: AbortSignal | undefined,
    onProgress: ProgressListener | undefined,
    onPartial: PartialListener | undefined,
  ): Promise<RequestMap[M][1]> {
    if (this.disposed) return Promise.reject(new EngineCrashedError('the engine client was disposed'));
    if (!this.child && method === 'load' && this.stoppedReason) {
      // A new load (a settings change, a new session) deserves a fresh engine, back-off or not.
      this.log('info', 'a model load restarts the stopped engine');
      this.revive();
      this.restartCount++;
      this.spawn();
    }
    if (!this.child && !this.restartTimer && !this.gaveUp) this.start();
    if (!this.child) return Promise.reject(new EngineCrashedError(this.stopped ?? 'the engine is restarting'));
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<RequestMap[M][1]>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.pending.has(id)) this.send(child, { kind: 'cancel', id });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress,
        onPartial,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      if (!this.send(child, { kind: 'request', id, method, params } as ToEngine)) {
        this.settle(id, undefined, new EngineCrashedError('could not send to the engine process'));
      }
    });
  }

  /** Kills the child; pending requests reject; no restart follows. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    this.rejectAll(new EngineCrashedError('the engine client was disposed'));
    if (child) kill(child);
  }

  private spawn(): void {
    if (!existsSync(this.enginePath)) {
      this.gaveUp = `the engine bundle is missing: ${this.enginePath} (run node scripts/build.mjs)`;
      this.log('error', this.gaveUp);
      this.emit('failed', this.gaveUp);
      return;
    }
    const child = fork(this.enginePath, this.options.args ?? [], {
      serialization: 'json',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: this.options.execArgv ?? [],
      env: { ...(this.options.env ?? process.env), ...ENGINE_ENV },
    });
    this.child = child;
    this.spawnedAt = this.now();
    // The child's stdout must never reach ours: over --stdio it would corrupt the LSP stream.
    for (const [stream, level] of [
      [child.stdout, 'info'],
      [child.stderr, 'warn'],
    ] as const) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.log(level, `[engine] ${line}`));
    }
    child.on('message', (msg: FromEngine) => this.onMessage(msg));
    child.on('error', (err) => {
      this.log('error', `engine process error: ${err.message}`);
      this.onExit(child, null, null);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private send(child: ChildProcess, msg: ToEngine): boolean {
    if (!child.connected) return false;
    try {
      child.send(msg);
      return true;
    } catch (err) {
      this.log('error', `engine send failed: ${(err as Error).message}`);
      return false;
    }
  }

  private onMessage(msg: FromEngine): void {
    switch (msg.kind) {
      case 'response':
        if (msg.error) this.settle(msg.id, undefined, toError(msg.error));
        else this.settle(msg.id, msg.result ?? null, undefined);
        return;
      case 'progress': {
        const p = this.pending.get(msg.id);
        try {
          p?.onProgress?.({ done: msg.done, total: msg.total, tokens: msg.tokens });
        } catch (err) {
          this.log('error', `progress listener failed: ${(err as Error).message}`);
        }
        return;
      }
      case 'partial': {
        const p = this.pending.get(msg.id);
        try {
          p?.onPartial?.(msg.text, msg.tokens);
        } catch (err) {
          this.log('error', `partial listener failed: ${(err as Error).message}`);
        }
        return;
      }
      case 'log':
        this.log(msg.level, msg.message);
        return;
      default:
        this.log('warn', `unknown message from the engine: ${JSON.stringify(msg).slice(0, 200)}`);
    }
  }

  private settle(id: number, result: unknown, error: Error | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (error) p.reject(error);
    else p.resolve(result);
  }

  private rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, error);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return; // already handled, or disposed
    this.child = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.rejectAll(new EngineCrashedError(`the engine process exited (${how})`));
    if (this.disposed) return;
    this.log('error', `engine process exited unexpectedly (${how})`);
    this.emit('crashed', code, signal);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const now = this.now();
    const window = this.options.crashWindowMs ?? MINUTE;
    // An engine that ran a whole window was healthy: the back-off of earlier stops starts over.
    if (now - this.spawnedAt >= window) this.stops = 0;
    while (this.crashTimes.length > 0 && now - this.crashTimes[0]! >= window) this.crashTimes.shift();
    const max = this.options.maxRestartsPerMinute ?? 5;
    if (this.crashTimes.length >= max) {
      this.crashTimes.push(now);
      const wait = Math.min((this.options.stoppedRetryMs ?? MINUTE) * 2 ** this.stops, this.options.maxStoppedRetryMs ?? 10 * MINUTE);
      this.stops++;
      this.stoppedReason =
        `the engine crashed ${this.crashTimes.length} times within ${seconds(window)}; not restarting it for ${seconds(wait)} ` +
        '(a model load or "Statewise: Restart Engine" restarts it now)';
      this.log('error', this.stoppedReason);
      this.emit('failed', this.stoppedReason);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.stoppedReason = undefined;
        this.respawn('after the back-off');
      }, wait);
      this.restartTimer.unref(); // a stopped engine keeps no process alive (the CLI exits)
      return;
    }
    const base = this.options.restartDelayMs ?? 250;
    const delay = Math.min(base * 2 ** this.crashTimes.length, this.options.maxRestartDelayMs ?? 5000);
    this.crashTimes.push(now);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.respawn('');
    }, delay);
  }

  private respawn(why: string): void {
    if (this.disposed || this.child) return;
    this.restartCount++;
    this.spawn();
    const child = this.child as ChildProcess | undefined; // spawn() sets it unless the bundle is missing
    if (!child) return;
    this.log('info', `engine restarted${why ? ` ${why}` : ''} (pid ${child.pid}, restart ${this.restartCount})`);
    this.emit('restarted', this.restartCount);
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** Ends a child: SIGTERM, then SIGKILL if it is still there after 2 s. */
function kill(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill();
  const force = setTimeout(() => child.kill('SIGKILL'), 2000);
  force.unref();
  child.once('exit', () => clearTimeout(force));
}

function toError(e: { name: string; message: string }): EngineError {
  if (e.name === ENGINE_ERRORS.cancelled) return new CancelledError(e.message);
  if (e.name === ENGINE_ERRORS.crashed) return new EngineCrashedError(e.message);
  return new EngineError(e.name, e.message);
}
