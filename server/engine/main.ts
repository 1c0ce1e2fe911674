// Engine process entry (dist/engine.js), forked by the language server or the CLI. Speaks ipc.ts
// over the IPC channel: one response per request; a cancel message stops the request between steps.
import '../shared/noTelemetry'; // first: onnxruntime-node must never run with its telemetry on
import { EngineError, isCancelled } from '../protocol/errors';
import type { FromEngine, Method, RequestMap, RequestMessage, ToEngine } from '../protocol/ipc';
import { Engine } from './engine';
import { badRequest } from './errors';

if (!process.send) {
  console.error('statewise engine: start me with child_process.fork (I talk over the IPC channel)');
  process.exit(2);
}
const send = (m: FromEngine) => process.send!(m);
const engine = new Engine((level, message) => send({ kind: 'log', level, message }));
const cancelledIds = new Set<number>();
let queue: Promise<unknown> = Promise.resolve();

/** What a handler gets besides its params: the request's id (for progress and partial messages)
 *  and whether it was cancelled. */
interface Call {
  id: number;
  stop: () => boolean;
}
/** One handler per method of the protocol, taking its params and returning its result: a method
 *  added to RequestMap without a handler here, or a handler of the wrong types, does not compile. */
type Handlers = { [M in Method]: (params: RequestMap[M][0], call: Call) => RequestMap[M][1] | Promise<RequestMap[M][1]> };

const handlers: Handlers = {
  load: (p) => engine.load(p),
  setWorkspace: (p, { id, stop }) =>
    engine.setWorkspace(p, stop, (done, total, tokens) => send({ kind: 'progress', id, done, total, tokens })),
  openDocument: (p) => {
    engine.openDocument(p);
    return null;
  },
  editDocument: (p) => {
    engine.editDocument(p);
    return null;
  },
  closeDocument: (p) => {
    engine.closeDocument(p.uri);
    return null;
  },
  warm: (p, { stop }) => engine.warm(p.uri, p.line, stop),
  complete: (p, { stop }) => engine.complete(p, stop),
  info: () => engine.info(),
  score: (p, { stop }) => engine.score(p, stop),
  ask: (p, { id, stop }) => engine.ask(p, stop, (text, tokens) => send({ kind: 'partial', id, text, tokens })),
  crash: (p) => {
    setTimeout(() => process.exit(70), p.afterMs);
    return null;
  },
  documentText: (p) => engine.documentText(p.uri),
};

async function handle<M extends Method>(req: RequestMessage<M>): Promise<RequestMap[M][1]> {
  // The method comes off the IPC channel: check it names a handler before calling it.
  if (!Object.hasOwn(handlers, req.method)) throw badRequest(`unknown method ${String(req.method)}`);
  const handler: Handlers[M] = handlers[req.method];
  return handler(req.params, { id: req.id, stop: () => cancelledIds.has(req.id) });
}

// Document edits and loads must apply in order; completions, warming and workspace builds run
// concurrently with them (the engine gives completions priority over background work).
const ORDERED: ReadonlySet<string> = new Set<Method>(['load', 'openDocument', 'editDocument', 'closeDocument']);

function respond(id: number, run: () => Promise<unknown>): Promise<void> {
  return run()
    .then(
      (result) => {
        send({ kind: 'response', id, result: result ?? null });
      },
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        if (!isCancelled(err) && !(err instanceof EngineError)) send({ kind: 'log', level: 'error', message: err.stack ?? err.message });
        send({ kind: 'response', id, error: { name: err.name === 'Error' ? 'EngineError' : err.name, message: err.message } });
      },
    )
    .finally(() => cancelledIds.delete(id));
}

process.on('message', (msg: ToEngine) => {
  if (msg.kind === 'cancel') {
    cancelledIds.add(msg.id);
    return;
  }
  if (msg.kind !== 'request') return;
  if (ORDERED.has(msg.method)) {
    queue = queue.then(() => respond(msg.id, () => handle(msg)));
  } else {
    // wait for earlier ordered work (e.g. the edit that produced this version), then run
    const after = queue;
    void after.then(() => respond(msg.id, () => handle(msg)));
  }
});
process.on('disconnect', () => process.exit(0));
