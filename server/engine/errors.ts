// Named engine errors. The name travels over IPC (protocol/ipc.ts ENGINE_ERRORS) so the server can
// tell them apart; the class and the predicates are protocol/errors.ts.
import { EngineError } from '../protocol/errors';
import { ENGINE_ERRORS } from '../protocol/ipc';

export const modelMissing = (m: string) => new EngineError(ENGINE_ERRORS.modelMissing, m);
export const modelCorrupt = (m: string) => new EngineError(ENGINE_ERRORS.modelCorrupt, m);
export const manifestMismatch = (m: string) => new EngineError(ENGINE_ERRORS.manifestMismatch, m);
export const cancelled = () => new EngineError(ENGINE_ERRORS.cancelled, 'cancelled');
export const notLoaded = () => new EngineError(ENGINE_ERRORS.notLoaded, 'no model is loaded');
export const badRequest = (m: string) => new EngineError(ENGINE_ERRORS.badRequest, m);
