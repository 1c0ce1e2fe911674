// The file watcher rebuilds the workspace state only for changes that can alter the fold: not for
// gitignored, files.exclude'd, skipped or storage paths (code-server's logs under a gitignored
// .e2e/ used to rebuild the state on every write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileUri, startServer, waitFor, workspace } from '../helpers/lspHarness';
import { DEFAULT_ARCH } from '../helpers/models';

test('watcher: gitignored, excluded, storage, skipped-folder, non-text and too-big paths do not rebuild; folded files do', async (t) => {
  const ws = workspace({
    '.gitignore': '.e2e/\n',
    'a.ts': 'export const a = 1;\n',
    'big.ts': 'y'.repeat(3000),
    'gen/x.ts': 'x\n',
    '.e2e/start/logs/exthost.txt': 'log\n',
  });
  const storage = path.join(ws, '.storage');
  const h = await startServer({
    config: { completion: { debounceMs: 0 }, workspace: { rebuildDelayMs: 20, maxFileBytes: 2048 } },
    filesExclude: { '**/gen': true, '.storage': false },
    workspaceDir: ws,
    initializationOptions: { storagePath: storage },
    capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } } },
  });
  t.after(() => h.dispose());
  await waitFor(() => h.server.indexer?.summary !== undefined, 'first build');
  const indexer = h.server.indexer!;
  const sets = () => h.engine.callsOf('setWorkspace').length;
  assert.equal(sets(), 1);
  assert.deepEqual(
    h.engine
      .callsOf('setWorkspace')[0]!
      .files.map((f) => f.path)
      .sort(),
    ['.gitignore', 'a.ts'],
  );
  const changed = (rel: string) => indexer.fileChanged(fileUri(path.join(ws, rel)));

  mkdirSync(path.join(storage, 'workspace-state', DEFAULT_ARCH), { recursive: true });
  writeFileSync(path.join(storage, 'workspace-state', DEFAULT_ARCH, 'fold-x.bin'), 'x');
  writeFileSync(path.join(ws, 'picture.png'), 'png');
  for (const rel of [
    '.e2e/start/logs/exthost.txt',
    '.e2e/start/logs/new.ts',
    'gen/x.ts',
    '.storage/workspace-state/hawk/fold-x.bin',
    'node_modules/p/index.js',
    'big.ts',
    'picture.png',
    'never-there.ts',
  ]) {
    assert.equal(await changed(rel), false, rel);
  }
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sets(), 1, 'no rebuild');

  // a folded file, a new foldable file, a .gitignore, a folded file deleted: each schedules; one rebuild
  writeFileSync(path.join(ws, 'b.ts'), 'export const b = 2;\n');
  assert.equal(await changed('a.ts'), true);
  assert.equal(await changed('b.ts'), true);
  assert.equal(await changed('.gitignore'), true);
  await waitFor(() => sets() === 2, 'one coalesced rebuild');
  await waitFor(() => h.server.indexer?.summary?.files === 3, 'b.ts folded');
  rmSync(path.join(ws, 'b.ts'));
  assert.equal(await changed('b.ts'), true, 'a folded file deleted');
  await waitFor(() => sets() === 3, 'rebuild after the deletion');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sets(), 3);
});

test('watcher: statewise/rebuildWorkspace asks the engine to drop its fold checkpoints', async (t) => {
  const ws = workspace({ 'a.ts': 'export const a = 1;\n' });
  const h = await startServer({
    config: { completion: { debounceMs: 0 } },
    workspaceDir: ws,
    initializationOptions: { storagePath: `${ws}-storage` },
  });
  t.after(() => h.dispose());
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'first build');
  assert.equal(h.engine.callsOf('setWorkspace')[0]!.rebuild, undefined);
  await h.client.sendRequest('statewise/rebuildWorkspace');
  const sets = h.engine.callsOf('setWorkspace');
  assert.equal(sets[sets.length - 1]!.rebuild, true);
});
