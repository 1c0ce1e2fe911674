// The bundled server (dist/server.js --stdio) fed malformed LSP frames (issue 16 item 8): it used to
// fall silent (vscode-jsonrpc only fired a reader error nobody heard), neither answering nor
// exiting, so the client never restarted it. Now it logs the problem to stderr and exits with 1.
// A well-formed session still ends with 0 after shutdown + exit, and 1 when stdin closes early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/realEngine';

const SERVER_JS = join(REPO, 'dist', 'server.js');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the server, writes `frames` (stdin left open unless `end`), waits up to `ms` for it to exit. */
function run(frames: (string | Buffer)[], opts: { end?: boolean; ms?: number } = {}): Promise<Ended> {
  assert.ok(existsSync(SERVER_JS), `${SERVER_JS} is missing: run node scripts/build.mjs`);
  const child = spawn(process.execPath, [SERVER_JS, '--stdio'], {
    env: { ...process.env, STATEWISE_MODELS_DIR: mkdtempSync(join(tmpdir(), 'sw-nomodels-')) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  for (const f of frames) child.stdin.write(f);
  if (opts.end) child.stdin.end();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.ms ?? 8000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const msg = (m: object): string => frame(JSON.stringify({ jsonrpc: '2.0', ...m }));

test('stdio: malformed frames make the server log and exit 1 (no silent hang)', async () => {
  const cases: [string, (string | Buffer)[], RegExp][] = [
    ['Content-Length not a number', ['Content-Length: abc\r\n\r\n{}'], /Content-Length value must be a number/],
    ['no Content-Length', ['Content-Type: application/json\r\n\r\n{}'], /must provide a Content-Length/],
    ['header line without a colon', ['garbage\r\n\r\n'], /separate key and value/],
    ['body not JSON', [frame('{not json')], /JSON/],
    ['body not JSON after a good request', [msg({ id: 1, method: 'statewise/info' }), frame('}{')], /JSON/],
    [
      'a huge declared Content-Length, then a good request',
      ['Content-Length: 1000000000000000\r\n\r\n', msg({ id: 1, method: 'statewise/info' })],
      /1000000000000000 bytes declared/,
    ],
    ['a header block that never ends', ['Content-Type: ' + 'x'.repeat(20000)], /header block over/],
  ];
  for (const [what, frames, reason] of cases) {
    const r = await run(frames);
    assert.equal(r.signal, null, `${what}: still running after 8 s (killed); stderr ${r.stderr}`);
    assert.equal(r.code, 1, what);
    assert.match(r.stderr, /statewise-server: malformed LSP message from the client/, what);
    assert.match(r.stderr, reason, what);
  }
});

test('stdio: shutdown + exit ends with 0; stdin closed without shutdown ends with 1', async () => {
  const init = msg({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  const clean = await run([init, msg({ id: 2, method: 'shutdown' }), msg({ method: 'exit' })]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /"id":1,"result":\{"capabilities"/);
  const early = await run([init], { end: true });
  assert.equal(early.code, 1, early.stderr);
});
