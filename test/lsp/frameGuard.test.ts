// The LSP frame guard (server/lsp/frameGuard.ts): passes every byte through unchanged whatever the
// chunking, and fails the stream on a declared body or a header block past its limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentLength, FrameGuard } from '../../server/lsp/frameGuard';

const frame = (body: string): string =>
  `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${body}`;

/** Feeds `input` to a guard in chunks of `size` bytes; resolves with what came out or the error. */
function feed(input: Buffer, size: number, guard = new FrameGuard(64, 128)): Promise<{ out: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    guard.on('data', (d: Buffer) => parts.push(d));
    guard.on('error', (e) => resolve({ out: Buffer.concat(parts), error: e.message }));
    guard.on('end', () => resolve({ out: Buffer.concat(parts) }));
    for (let i = 0; i < input.length; i += size) guard.write(input.subarray(i, i + size));
    guard.end();
    guard.resume();
  });
}

test('frame guard: frames pass through byte for byte at every chunk size', async () => {
  const input = Buffer.from(frame('{"a":1}') + frame('{"b":"é\\r\\n\\r\\n"}') + frame(''));
  for (let size = 1; size <= input.length; size++) {
    const r = await feed(input, size);
    assert.equal(r.error, undefined, `chunk ${size}`);
    assert.deepEqual(r.out, input, `chunk ${size}`);
  }
});

test('frame guard: a declared body over the limit fails the stream, whatever the chunking', async () => {
  const input = Buffer.from(frame('{"a":1}') + 'Content-Length: 65\r\n\r\n' + 'x'.repeat(65));
  for (const size of [1, 7, input.length]) {
    const r = await feed(input, size);
    assert.match(r.error ?? '', /65 bytes declared; the limit is 64/, `chunk ${size}`);
  }
  assert.equal((await feed(Buffer.from(`Content-Length: 64\r\n\r\n${'x'.repeat(64)}`), 5)).error, undefined);
});

test('frame guard: a header block without an end fails past its limit; unparsable frames pass', async () => {
  assert.match((await feed(Buffer.from(`Content-Type: ${'x'.repeat(200)}`), 9)).error ?? '', /header block over 128 bytes/);
  const junk = Buffer.from(`Content-Length: abc\r\n\r\n${'y'.repeat(500)}`);
  const r = await feed(junk, 11);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.out, junk);
});

test('contentLength: case-insensitive header, digits only', () => {
  assert.equal(contentLength('content-length: 12'), 12);
  assert.equal(contentLength('Content-Type: a\r\nCONTENT-LENGTH:7'), 7);
  assert.equal(contentLength('Content-Length: 1e3'), undefined);
  assert.equal(contentLength('Content-Length: -1'), undefined);
  assert.equal(contentLength('Content-Type: a'), undefined);
});
