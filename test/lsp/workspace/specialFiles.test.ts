// Special files where the scan or Ask expects a regular file (issue 16 item 4): a FIFO at
// .git/info/exclude, as a .gitignore or as a source file, a socket, a device, a link to a FIFO.
// Opening a FIFO for reading blocks until a writer comes, holding one of libuv's four I/O threads;
// nothing here may block, and each case must finish quickly with a clear verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAskFile } from '../../../server/lsp/ask/askFile';
import { readRegularFile } from '../../../server/lsp/workspace/safeRead';
import { scanVerdict, scanWorkspace } from '../../../server/lsp/workspace/scan';

const posix = process.platform !== 'win32';

/** Rejects when `p` does not settle within `ms` (a blocked open never would). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still blocked after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function fifoWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'sw-fifo-'));
  mkdirSync(join(ws, '.git', 'info'), { recursive: true });
  mkdirSync(join(ws, 'src'));
  execFileSync('mkfifo', [join(ws, '.git', 'info', 'exclude')]);
  execFileSync('mkfifo', [join(ws, 'src', '.gitignore')]);
  execFileSync('mkfifo', [join(ws, 'src', 'pipe.ts')]);
  symlinkSync(join(ws, 'src', 'pipe.ts'), join(ws, 'src', 'link-to-pipe.ts'));
  writeFileSync(join(ws, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(ws, '.gitignore'), 'ignored.ts\n');
  writeFileSync(join(ws, 'ignored.ts'), 'no\n');
  return ws;
}

test('scan: FIFOs at .git/info/exclude, .gitignore and a source file never block; the scan finishes', { skip: !posix }, async () => {
  const ws = fifoWorkspace();
  const lines: string[] = [];
  // Several scans in a row: before the fix each one held an I/O thread for ever, so the fourth hung.
  for (let i = 0; i < 6; i++) {
    const r = await within(
      scanWorkspace(ws, { maxFileBytes: 1 << 20 }, (l) => lines.push(l)),
      5000,
      `scan ${i}`,
    );
    assert.deepEqual(
      r.files.map((f) => f.path),
      ['.gitignore', 'src/a.ts'],
    );
  }
  assert.deepEqual(await within(scanVerdict(ws, 'src/a.ts', { maxFileBytes: 1 << 20 }), 5000, 'verdict'), { kind: 'file' });
  assert.deepEqual(await within(scanVerdict(ws, 'src/pipe.ts', { maxFileBytes: 1 << 20 }), 5000, 'verdict'), {
    kind: 'skipped',
    reason: 'not a regular file',
  });
  assert.equal((await scanVerdict(ws, 'ignored.ts', { maxFileBytes: 1 << 20 })).kind, 'ignored', 'the regular .gitignore still applies');
  // The thread pool is free: an ordinary read completes at once.
  const ok = await within(readAskFile(join(ws, 'src', 'a.ts')), 5000, 'ask read');
  assert.deepEqual(ok, { ok: true, text: 'export const a = 1;\n' });
});

test('readRegularFile: FIFO, socket, device, folder and links are refused by type without a blocking open', { skip: !posix }, async (t) => {
  const ws = fifoWorkspace();
  const sock = join(ws, 'sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  t.after(() => server.close());
  const cases: [string, RegExp, boolean][] = [
    [join(ws, 'src', 'pipe.ts'), /FIFO/, false],
    [join(ws, 'src', 'link-to-pipe.ts'), /symbolic link/, false],
    [join(ws, 'src', 'link-to-pipe.ts'), /FIFO/, true],
    [sock, /socket/, false],
    ['/dev/zero', /device/, true],
    [join(ws, 'src'), /folder/, false],
  ];
  for (const [path, kind, follow] of cases) {
    const r = await within(readRegularFile(path, 1 << 20, { follow }), 5000, path);
    assert.ok('notFile' in r, `${path}: ${JSON.stringify(r)}`);
    assert.match(r.notFile, kind, path);
  }
  const big = await readRegularFile(join(ws, 'src', 'a.ts'), 4);
  assert.deepEqual(big, { tooBig: 20 });
});

test('readAskFile: a FIFO (or a link to one) is refused with a clear reason, at once', { skip: !posix }, async () => {
  const ws = fifoWorkspace();
  for (const name of ['pipe.ts', 'link-to-pipe.ts']) {
    const r = await within(readAskFile(join(ws, 'src', name)), 5000, name);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /is a FIFO \(named pipe\), not a regular file/);
  }
  const dev = await within(readAskFile('/dev/zero'), 5000, '/dev/zero');
  assert.match((dev as { reason: string }).reason, /a device, not a regular file/);
});
