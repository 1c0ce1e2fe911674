import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { scanWorkspace, type ScanOptions } from '../../../server/lsp/workspace/scan';
import { makeTree } from '../../helpers/fixtures';

const OPTS: ScanOptions = { maxFileBytes: 262144, ignoreCase: false };

async function scan(files: Record<string, string | Uint8Array>, opts: Partial<ScanOptions> = {}, setup?: (root: string) => void) {
  const tree = makeTree(files);
  const lines: string[] = [];
  try {
    setup?.(tree.root);
    const result = await scanWorkspace(tree.root, { ...OPTS, ...opts }, (l) => lines.push(l));
    return { result, lines, paths: result.files.map((f) => f.path).sort(), root: tree.root };
  } finally {
    tree.cleanup();
  }
}

test('scan: reads text files with relative paths, sizes, mtimes; skips VCS/dependency/build folders', async () => {
  const { result, paths, lines, root } = await scan({
    'src/a.ts': 'export const a = 1;\n',
    'README.md': '# hi\n',
    'image.png': 'not really a png',
    '.git/config': '[core]\n',
    'node_modules/x/index.js': 'module.exports = 1;\n',
    'pkg/node_modules/y/index.js': 'module.exports = 2;\n',
    'dist/out.js': 'x\n',
    'build/out.js': 'x\n',
    'target/debug/x.rs': 'x\n',
    'py/__pycache__/m.py': 'x\n',
    '.venv/lib/site.py': 'x\n',
    'coverage/lcov.txt': 'x\n',
  });
  assert.deepEqual(paths, ['README.md', 'src/a.ts']);
  assert.deepEqual(lines, []);
  const a = result.files.find((f) => f.path === 'src/a.ts')!;
  assert.equal(a.text, 'export const a = 1;\n');
  assert.equal(a.bytes, 20);
  assert.equal(a.absPath, path.join(root, 'src', 'a.ts'));
  assert.ok(a.mtimeMs > 0);
  assert.equal(result.totalBytes, 20 + 5);
  assert.equal(result.truncated, false);
});

test('scan: nested .gitignore applies to its subtree; negations re-include', async () => {
  const { paths } = await scan({
    '.gitignore': '*.log.txt\nsecret/\n/top-only.ts\ngenerated-*.ts\n!generated-keep.ts\n',
    'a.log.txt': 'x\n',
    'top-only.ts': 'x\n',
    'generated-1.ts': 'x\n',
    'generated-keep.ts': 'x\n',
    'secret/key.ts': 'x\n',
    'sub/top-only.ts': 'x\n',
    'sub/b.log.txt': 'x\n',
    'sub/.gitignore': '!b.log.txt\nlocal.ts\n',
    'sub/local.ts': 'x\n',
    'sub/deeper/local.ts': 'x\n',
    'other/local.ts': 'x\n',
    'other/.gitignore': '# only a comment\n\n',
  });
  assert.deepEqual(paths, [
    '.gitignore',
    'generated-keep.ts',
    'other/.gitignore',
    'other/local.ts',
    'sub/.gitignore',
    'sub/b.log.txt',
    'sub/top-only.ts',
  ]);
});

test('scan: a file under an ignored folder cannot be re-included (as in git)', async () => {
  const { paths } = await scan({
    '.gitignore': 'vendor/\n!vendor/keep.ts\n',
    'vendor/keep.ts': 'x\n',
    'vendor/.gitignore': '!keep.ts\n',
    'main.ts': 'x\n',
  });
  assert.deepEqual(paths, ['.gitignore', 'main.ts']);
});

test('scan: .git/info/exclude applies like a root .gitignore', async () => {
  const { paths } = await scan({ '.git/info/exclude': 'scratch.ts\n', 'scratch.ts': 'x\n', 'main.ts': 'x\n' });
  assert.deepEqual(paths, ['main.ts']);
});

test('scan: files.exclude globs (files and folders, only true keys)', async () => {
  const { paths } = await scan(
    { 'a.ts': 'x\n', 'a.spec.ts': 'x\n', 'gen/x.ts': 'x\n', 'src/gen/y.ts': 'x\n', 'docs/a.md': 'x\n', 'docs/b.txt': 'x\n' },
    { exclude: { '**/*.spec.ts': true, '**/gen': true, 'docs/*.{md,rst}': true, '**/*.txt': false } },
  );
  assert.deepEqual(paths, ['a.ts', 'docs/b.txt']);
});

test('scan: a 50 MB file is skipped from its size, with a log line', async () => {
  const { paths, lines, result } = await scan({ 'big.txt': '', 'small.ts': 'x\n' }, {}, (root) => {
    fs.truncateSync(path.join(root, 'big.txt'), 52428800);
  });
  assert.deepEqual(paths, ['small.ts']);
  assert.deepEqual(lines, ['skipped big.txt: 52428800 bytes > maxFileBytes 262144']);
  assert.deepEqual(result.skipped, [{ path: 'big.txt', reason: '52428800 bytes > maxFileBytes 262144' }]);
});

test('scan: binary content and minified files are skipped, with log lines', async () => {
  const minified = `var a=1;${'b=2;'.repeat(400)}\n`;
  const { paths, lines } = await scan({
    'data.json': new Uint8Array([0x7b, 0x00, 0x7d]),
    'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    'lib/jquery.min.js': 'x\n',
    'bundle.js': minified,
    'ok.js': 'const ok = true;\n',
  });
  assert.deepEqual(paths, ['ok.js']);
  assert.deepEqual(lines.sort(), [
    'skipped bundle.js: minified (a line over 1000 chars)',
    'skipped data.json: binary',
    'skipped latin1.txt: binary',
    'skipped lib/jquery.min.js: minified (.min. in the name)',
  ]);
});

test('scan: maxFiles bounds the walk', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`f${i}.ts`] = 'x\n';
  const { result, lines } = await scan(files, { maxFiles: 4 });
  assert.equal(result.files.length, 4);
  assert.equal(result.truncated, true);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /maxFiles 4/);
});

test('scan: an aborted signal stops the scan', async () => {
  const tree = makeTree({ 'a.ts': 'x\n' });
  try {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(
      scanWorkspace(tree.root, OPTS, () => {}, ac.signal),
      /stop/,
    );
  } finally {
    tree.cleanup();
  }
});

test('scan: symbolic links are not followed', async () => {
  const { paths } = await scan({ 'real/a.ts': 'x\n' }, {}, (root) => {
    try {
      fs.symlinkSync(path.join(root, 'real'), path.join(root, 'link'), 'dir');
      fs.symlinkSync(path.join(root, 'real', 'a.ts'), path.join(root, 'b.ts'));
    } catch {
      // no symlink permission (Windows): nothing to check
    }
  });
  assert.deepEqual(paths, ['real/a.ts']);
});
