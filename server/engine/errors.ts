// Named engine errors. The name travels over IPC (ipc.ts ENGINE_ERRORS) so the server can tell them apart.
import { ENGINE_ERRORS } from '../protocol/ipc';

export class EngineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
export const modelMissing = (m: string) => new EngineError(ENGINE_ERRORS.modelMissing, m);
export const modelCorrupt = (m: string) => new EngineError(ENGINE_ERRORS.modelCorrupt, m);
export const manifestMismatch = (m: string) => new EngineError(ENGINE_ERRORS.manifestMismatch, m);
export const cancelled = () => new EngineError(ENGINE_ERRORS.cancelled, 'cancelled');
export const notLoaded = () => new EngineError(ENGINE_ERRORS.notLoaded, 'no model is loaded');
export const badRequest = (m: string) => new EngineError(ENGINE_ERRORS.badRequest, m);

export function isCancelled(e: unknown): boolean {
  return e instanceof Error && e.name === ENGINE_ERRORS.cancelled;
}
