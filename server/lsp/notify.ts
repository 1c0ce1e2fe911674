// Sends a notification to the client without ever throwing: a disposed or closed connection
// (shutdown, tests) must not turn background work into unhandled rejections.

import type { Connection } from 'vscode-languageserver/node';

export function notify(connection: Connection, method: string, params: unknown): void {
  try {
    void connection.sendNotification(method, params).catch(() => {});
  } catch {
    // the connection is gone
  }
}
