// scanVerdict: what the scan would do with one path, by the scan's own rules (the watcher's filter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { scanVerdict, scanWorkspace, type ScanOptions } from '../../../server/lsp/workspace/scan';
import { makeTree } from '../../helpers/fixtures';

const OPTS: ScanOptions = { maxFileBytes: 100, ignoreCase: false, exclude: { '**/gen': true, '**/*.snap.ts': true } };

test('scanVerdict: agrees with the scan on every path of a tree; deleted paths are "missing" unless ignored', async () => {
  const tree = makeTree({
    '.gitignore': '.e2e/\n*.log.txt\nsecret/\n',
    'src/a.ts': 'export const a = 1;\n',
    'src/.gitignore': 'local.ts\n',
    'src/local.ts': 'x\n',
    'src/deep/local.ts': 'x\n',
    'src/app.min.js': 'x\n',
    'src/big.ts': 'y'.repeat(200),
    'src/image.png': 'png',
    'src/x.snap.ts': 'x\n',
    'gen/g.ts': 'x\n',
    '.e2e/start/logs/server.ts': 'x\n',
    'secret/key.ts': 'x\n',
    'a.log.txt': 'x\n',
    'node_modules/p/index.js': 'x\n',
    'docs/readme.md': '# hi\n',
    '.git/info/exclude': 'private.ts\n',
    'private.ts': 'x\n',
  });
  try {
    const scan = await scanWorkspace(tree.root, OPTS, () => {});
    const folded = scan.files.map((f) => f.path).sort();
    assert.deepEqual(folded, ['.gitignore', 'docs/readme.md', 'src/.gitignore', 'src/a.ts']);
    const verdict = async (rel: string) => (await scanVerdict(tree.root, rel, OPTS)).kind;
    for (const rel of folded) assert.equal(await verdict(rel), 'file', rel);
    for (const rel of [
      '.e2e/start/logs/server.ts',
      'secret/key.ts',
      'a.log.txt',
      'node_modules/p/index.js',
      'gen/g.ts',
      'src/x.snap.ts',
      'src/local.ts',
      'private.ts',
      '.e2e',
      '.git/config',
    ]) {
      assert.equal(await verdict(rel), 'ignored', rel);
    }
    assert.equal(await verdict('src/deep/local.ts'), 'ignored', 'a .gitignore applies to its subtree');
    for (const rel of ['src/app.min.js', 'src/big.ts', 'src/image.png']) assert.equal(await verdict(rel), 'skipped', rel);
    assert.equal(await verdict('src'), 'folder');
    assert.equal(await verdict('src/gone.ts'), 'missing');
    assert.equal(await verdict('.e2e/new/later.ts'), 'ignored', 'a new file in an ignored folder');
    fs.rmSync(path.join(tree.root, 'src', 'a.ts'));
    assert.equal(await verdict('src/a.ts'), 'missing');
  } finally {
    tree.cleanup();
  }
});
