import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyHead, decodeUtf8, HEAD_BYTES } from '../../../server/lsp/workspace/content';
import { fileKind, isMinifiedName, isTextFileName } from '../../../server/lsp/workspace/filetypes';

const utf8 = (s: string) => new TextEncoder().encode(s);

test('classifyHead: text, NUL byte, invalid UTF-8, long line', () => {
  assert.deepEqual(classifyHead(utf8('const a = 1;\nconst é = "ü";\n'), true), { ok: true });
  assert.deepEqual(classifyHead(new Uint8Array([0x61, 0x00, 0x62]), true), { ok: false, reason: 'binary' });
  assert.deepEqual(classifyHead(new Uint8Array([0x61, 0xff, 0x62]), true), { ok: false, reason: 'binary' });
  const verdict = classifyHead(utf8(`${'x'.repeat(1001)}\n`), true);
  assert.equal(verdict.ok, false);
  assert.match(!verdict.ok ? verdict.reason : '', /^minified/);
  assert.deepEqual(classifyHead(utf8(`${'x'.repeat(1000)}\n`), true), { ok: true });
});

test('classifyHead: only the first 8 KiB count, and a character cut at 8 KiB is fine', () => {
  const lines = 'ab\n'.repeat(Math.floor((HEAD_BYTES - 1) / 3));
  const pad = 'a'.repeat(HEAD_BYTES - 1 - lines.length);
  const text = `${lines}${pad}é${'\u0000'.repeat(4)}`; // é straddles byte 8192; NULs lie after it
  assert.equal(utf8(text).length > HEAD_BYTES, true);
  assert.deepEqual(classifyHead(utf8(text), true), { ok: true });
  assert.deepEqual(classifyHead(utf8(text).subarray(0, HEAD_BYTES), false), { ok: true });
});

test('decodeUtf8: strict, drops a BOM', () => {
  assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])), 'hi');
  assert.equal(decodeUtf8(new Uint8Array([0xc3])), undefined);
});

test('filetypes: allow-list, minified names, kinds', () => {
  for (const p of ['a.ts', 'src/b.PY', 'Makefile', 'x/Dockerfile', '.gitignore', 'c.yaml', 'README', 'go.sum'])
    assert.ok(isTextFileName(p), p);
  for (const p of ['a.png', 'b.exe', 'c', 'd.woff2', 'e.zip']) assert.ok(!isTextFileName(p), p);
  assert.ok(isMinifiedName('lib/jquery.min.js'));
  assert.ok(!isMinifiedName('admin.js'));
  assert.equal(fileKind('src/a.ts'), 'source');
  assert.equal(fileKind('Makefile'), 'source');
  assert.equal(fileKind('README.md'), 'doc');
  assert.equal(fileKind('tsconfig.json'), 'config');
  assert.equal(fileKind('package-lock.json'), 'lock');
});
