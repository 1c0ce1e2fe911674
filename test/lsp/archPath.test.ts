// The workspace state is persisted under <storagePath>/workspace-state/<architecture>; the name
// comes from a model folder's manifest (issue 16 item 6). The engine refuses names other than
// /^[a-z0-9_-]+$/ (test/engine/modelIntegrity.test.ts); the server checks again and never builds a
// path outside its storage from one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures';
import { loadResult, startServer, waitFor, workspace } from '../helpers/lspHarness';

test('an architecture name with ../ never becomes a persist folder outside the storage path', async (t) => {
  const storagePath = tempDir('sw-storage-');
  const ws = workspace({ 'a.ts': 'export const a = 1;\n' });
  const h = await startServer({ workspaceDir: ws, initializationOptions: { storagePath } });
  t.after(() => h.dispose());
  const indexer = h.server.indexer!;
  assert.equal(indexer.persistDir('hawk'), join(storagePath, 'workspace-state', 'hawk'));
  for (const arch of ['../../escape', '..', 'a/b', 'A', '']) assert.equal(indexer.persistDir(arch), undefined, arch);
  await waitFor(
    () => h.logs.some((l) => /workspace state not persisted: architecture name "\.\.\/\.\.\/escape" is not a plain name/.test(l)),
    'the warning',
  );
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 1, 'first build');
  // a load whose result names such an architecture builds the state in memory only
  h.engine.handlers.load = (p) => ({ ...loadResult(p.modelDir), arch: '../../../escape' });
  h.engine.restart();
  await waitFor(() => h.engine.callsOf('setWorkspace').length === 2, 'second build');
  assert.equal(h.engine.callsOf('setWorkspace')[1]!.persistDir, undefined);
  assert.equal(h.engine.callsOf('setWorkspace')[0]!.persistDir, join(storagePath, 'workspace-state', 'griffin'));
});
