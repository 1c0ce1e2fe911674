// The one error type that crosses the IPC channel. The engine throws EngineErrors named after
// ENGINE_ERRORS (engine/errors.ts has a factory per name); the response carries name and message,
// and the client (lsp/engineClient.ts) raises an EngineError of the same name.
import { ENGINE_ERRORS } from './ipc';

/** An error the engine reported, or one the client raises; `name` is one of ENGINE_ERRORS or the engine's own. */
export class EngineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Whether `e` is an error named `name` (an EngineError, a subclass, or any error given that name). */
export function isEngineError(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === name;
}

/** Whether `e` is a cancellation (ENGINE_ERRORS.cancelled): the request was stopped, not failed. */
export function isCancelled(e: unknown): boolean {
  return isEngineError(e, ENGINE_ERRORS.cancelled);
}
