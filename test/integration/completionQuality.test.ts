// The guard of issue "completions that never lose to the model": on a fixed sample of held-out
// cursors (greedy, seed 1, 3 per cursor kind), the product's path with the default model is not
// worse than plain left-to-right decoding of the same model on any kind, and beats the trivial
// baseline (copy the most similar earlier line). Measured through `statewise eval lines`, the
// product's own request builder, engine and filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { defaultSettings } from '../../server/shared/settings';
import { CLI_JS, MODELS_DIR, REPO, requireBuild } from '../helpers/realEngine';

type Score = { exactMatch: number; editSimilarity: number; samples: number };

test('default model: product path >= plain decoding on every cursor kind, and above the trivial baseline', () => {
  requireBuild();
  const arch = defaultSettings()['model.architecture'];
  const r = spawnSync(
    process.execPath,
    [CLI_JS, 'eval', 'lines', '--arch', arch, '--samples', '21', '--seed', '1', '--layout', 'product,plain', '--ep', 'cpu', '--json'],
    { cwd: REPO, encoding: 'utf8', env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR }, timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { byKind: Record<string, Record<string, Score>>; overall: Record<string, Score> };
  const worse: string[] = [];
  for (const [kind, m] of Object.entries(out.byKind)) {
    assert.equal(m.product!.samples, 3, kind);
    if (m.product!.exactMatch < m.plain!.exactMatch) worse.push(`${kind}: exact ${m.product!.exactMatch} < plain ${m.plain!.exactMatch}`);
    if (m.product!.editSimilarity < m.plain!.editSimilarity - 1e-9)
      worse.push(`${kind}: edit similarity ${m.product!.editSimilarity.toFixed(3)} < plain ${m.plain!.editSimilarity.toFixed(3)}`);
  }
  assert.deepEqual(worse, []);
  const { product, baseline } = out.overall;
  assert.ok(
    product!.editSimilarity > baseline!.editSimilarity,
    `product ${product!.editSimilarity.toFixed(3)} vs baseline ${baseline!.editSimilarity.toFixed(3)}`,
  );
});
