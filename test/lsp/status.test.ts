// The server's status: what it pushes (`statewise/status`) as the model loads and completions report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'vscode-languageserver/node';
import type { StatusParams } from '../../server/protocol/lsp';
import { OVER_CAP_NOTE, StatusReporter } from '../../server/lsp/status';

function reporter(): { status: StatusReporter; sent: StatusParams[] } {
  const sent: StatusParams[] = [];
  const connection = { sendNotification: (_: string, p: StatusParams) => (sent.push(p), Promise.resolve()) };
  return { status: new StatusReporter(connection as unknown as Connection), sent };
}

test('a state over the memory cap shows in the status until the next model load, pushed once', () => {
  const { status, sent } = reporter();
  status.setModel({ phase: 'ready', arch: 'alibi', ep: 'cpu' });
  status.setLatency(120, false);
  assert.equal(status.current().stateOverCap, undefined);
  const over = { bytes: 769 * 2 ** 20, capBytes: 128 * 2 ** 20 };
  status.setStateOverCap(over);
  status.setStateOverCap({ ...over });
  const now = status.current();
  assert.equal(now.state, 'ready');
  assert.deepEqual(now.stateOverCap, over);
  assert.equal(now.message, `alibi on cpu · 120 ms · ${OVER_CAP_NOTE}`);
  assert.match(OVER_CAP_NOTE, /statewise\.engine\.maxMemoryMB.*re-read the document/);
  assert.equal(sent.filter((p) => p.stateOverCap).length, 1, 'an unchanged status is not sent again');
  status.setLatency(9000, true);
  assert.ok(status.current().message.endsWith(OVER_CAP_NOTE), 'also when slow');
  status.setModel({ phase: 'loading', arch: 'alibi' });
  status.setModel({ phase: 'ready', arch: 'alibi', ep: 'cpu' });
  assert.equal(status.current().stateOverCap, undefined, 'a load starts with an empty cache');
});
