// Where the server's log lines go: the client's log (window/logMessage) in the server, stderr in
// tests and the CLI.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
