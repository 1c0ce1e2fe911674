// Engine process entry (dist/engine.js), forked by the language server or the CLI. Speaks ipc.ts
// over the IPC channel: one response per request; a cancel message stops the request between steps.
import '../shared/noTelemetry'; // first: onnxruntime-node must never run with its telemetry on
import { Engine } from './engine';
import { EngineError, isCancelled } from './errors';
import { ENGINE_ERRORS, type FromEngine, type RequestMessage, type ToEngine } from '../protocol/ipc';

if (!process.send) {
  console.error('statewise engine: start me with child_process.fork (I talk over the IPC channel)');
  process.exit(2);
}
const send = (m: FromEngine) => process.send!(m);
const engine = new Engine((level, message) => send({ kind: 'log', level, message }));
const cancelledIds = new Set<number>();
let queue: Promise<unknown> = Promise.resolve();

async function handle(req: RequestMessage): Promise<unknown> {
  const stop = () => cancelledIds.has(req.id);
  const p = req.params as never;
  switch (req.method) {
    case 'load': return engine.load(p);
    case 'setWorkspace':
      return engine.setWorkspace(p, stop, (done, total, tokens) => send({ kind: 'progress', id: req.id, done, total, tokens }));
    case 'openDocument': return engine.openDocument(p);
    case 'editDocument': return engine.editDocument(p);
    case 'closeDocument': engine.closeDocument((p as { uri: string }).uri); return null;
    case 'warm': { const w = p as { uri: string; line?: number }; return engine.warm(w.uri, w.line, stop); }
    case 'complete': return engine.complete(p, stop);
    case 'info': return engine.info();
    case 'score': return engine.score(p, stop);
    case 'ask': return engine.ask(p, stop, (text, tokens) => send({ kind: 'partial', id: req.id, text, tokens }));
    case 'crash': setTimeout(() => process.exit(70), (p as { afterMs: number }).afterMs); return null;
    case 'documentText': return engine.documentText((p as { uri: string }).uri);
    default: throw new EngineError(ENGINE_ERRORS.badRequest, `unknown method ${String(req.method)}`);
  }
}

// Document edits and loads must apply in order; completions, warming and workspace builds run
// concurrently with them (the engine gives completions priority over background work).
const ORDERED = new Set(['load', 'openDocument', 'editDocument', 'closeDocument']);

function respond(id: number, run: () => Promise<unknown>): Promise<void> {
  return run().then(
    (result) => { send({ kind: 'response', id, result: result ?? null }); },
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      if (!isCancelled(err) && !(err instanceof EngineError)) send({ kind: 'log', level: 'error', message: err.stack ?? err.message });
      send({ kind: 'response', id, error: { name: err.name === 'Error' ? 'EngineError' : err.name, message: err.message } });
    },
  ).finally(() => cancelledIds.delete(id));
}

process.on('message', (msg: ToEngine) => {
  if (msg.kind === 'cancel') { cancelledIds.add(msg.id); return; }
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
