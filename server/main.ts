// statewise-server: the Statewise language server. Speaks LSP over `--stdio` (any editor) or
// `--node-ipc` (VS Code's IPC transport); createConnection picks the transport from argv.
// The engine runs in a child process (dist/engine.js beside this bundle).

import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { EngineClient } from './engineClient';
import { createServer } from './lsp/server';

const connection = createConnection(ProposedFeatures.all);
const engine = new EngineClient({
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
