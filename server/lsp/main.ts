// statewise-server: the Statewise language server. Speaks LSP over `--stdio` (any editor) or
// `--node-ipc` (VS Code's IPC transport); lsp/transport.ts picks the transport from argv.
// The engine runs in a child process (dist/engine.js beside this bundle).

import { EngineClient } from './engineClient';
import { createServer } from './server';
import { createServerConnection } from './transport';

// A malformed frame on --stdio: logged to stderr, exit 1 (the client restarts the server; the
// 'exit' handler below stops the engine).
const connection = createServerConnection();
// STATEWISE_ENGINE_INSPECT=PORT starts the engine under the inspector (.vscode/launch.json attaches).
const inspect = process.env.STATEWISE_ENGINE_INSPECT;
const engine = new EngineClient({
  ...(inspect && /^\d+$/.test(inspect) ? { execArgv: [`--inspect=${inspect}`] } : {}),
  logger: (level, message) => {
    if (level === 'error') connection.console.error(message);
    else if (level === 'warn') connection.console.warn(message);
    else connection.console.info(message);
  },
});
engine.start();
const server = createServer(connection, { engine });
connection.onExit(() => {
  server.dispose();
  engine.dispose();
});
process.on('exit', () => engine.dispose());
connection.listen();
