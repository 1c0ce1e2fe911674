// The server's end of the LSP transport. With `--stdio` the message reader is ours, so a malformed
// frame from the client (a header without a numeric Content-Length, a header line without ':', a
// body that is not JSON) is not swallowed: vscode-jsonrpc only fires the reader's error event, which
// nothing listened to, and the server sat there never answering nor exiting. Now it logs the
// problem to stderr and exits with code 1, so the client restarts it (vscode-languageclient restarts
// a server that exits unexpectedly). Other transports (`--node-ipc`: whole JSON objects, no frames)
// are created by vscode-languageserver as before. A declared Content-Length past any real message
// is a protocol error too (frameGuard.ts).

import { inspect } from 'node:util';
import {
  createConnection,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  type Connection,
  type MessageReader,
} from 'vscode-languageserver/node';
import { FrameGuard } from './frameGuard';

/** Exit code for a protocol error (a malformed frame from the client). */
export const EXIT_PROTOCOL_ERROR = 1;

export interface TransportHooks {
  /** Runs before the process exits on a protocol error (stop the engine child). */
  beforeExit?: () => void;
  /** Where the one-line report goes; default process.stderr. */
  report?: (line: string) => void;
  /** default process.exit */
  exit?: (code: number) => void;
}

/** Exits (after logging) on the reader's first error: the stream cannot be trusted after it. */
export function exitOnReaderError(reader: MessageReader, hooks: TransportHooks = {}): void {
  let done = false;
  reader.onError((err) => {
    if (done) return;
    done = true;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
    (hooks.report ?? ((l) => process.stderr.write(l)))(
      `statewise-server: malformed LSP message from the client (${message}); exiting with code ${EXIT_PROTOCOL_ERROR} so the client can restart the server\n`,
    );
    try {
      hooks.beforeExit?.();
    } finally {
      (hooks.exit ?? ((c) => process.exit(c)))(EXIT_PROTOCOL_ERROR);
    }
  });
}

/** console.* must never write to stdout in stdio mode (stdout carries LSP): send them to stderr. */
function consoleToStderr(): void {
  const write = (...args: unknown[]) => process.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`);
  console.log = write;
  console.info = write;
  console.debug = write;
  console.warn = write;
  console.error = write;
  console.trace = write;
}

/** The connection for this process's command line (`--stdio`, `--node-ipc`, `--socket=N`, `--pipe=NAME`). */
export function createServerConnection(hooks: TransportHooks = {}, argv: readonly string[] = process.argv): Connection {
  if (!argv.slice(2).includes('--stdio')) return createConnection(ProposedFeatures.all);
  const reader = new StreamMessageReader(process.stdin.pipe(new FrameGuard()));
  exitOnReaderError(reader, hooks);
  consoleToStderr();
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout));
  // What vscode-languageserver does for a stdin it owns: the client went away → exit, 0 only after
  // a shutdown request.
  // onShutdown keeps one handler (the server's, registered later): wrap it to note the request.
  let shutdown = false;
  const onShutdown = connection.onShutdown.bind(connection);
  connection.onShutdown = (handler) =>
    onShutdown((token) => {
      shutdown = true;
      return handler(token);
    });
  connection.onShutdown(() => undefined);
  const gone = () => {
    hooks.beforeExit?.();
    (hooks.exit ?? ((c) => process.exit(c)))(shutdown ? 0 : 1);
  };
  process.stdin.on('end', gone);
  process.stdin.on('close', gone);
  return connection;
}
