// Builds a real VSIX for one platform (scripts/package.ts) and checks its file list: the models and
// that platform's onnxruntime binaries inside, other platforms' binaries and test data not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkVsix, ignoreFileFor, isShippedModelFile, TARGETS, vsixName } from '../../scripts/vsix/targets';
import { zipEntries } from '../../scripts/vsix/zip';

/** models/<arch>/<file> for every model folder with a manifest (what the VSIX must carry). */
function modelFiles(): string[] {
  return readdirSync('models', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join('models', d.name, 'manifest.json')))
    .flatMap((d) =>
      readdirSync(join('models', d.name))
        .filter(isShippedModelFile)
        .map((f) => `models/${d.name}/${f}`),
    );
}

test('the five targets; each ignore file allows only its own binaries', () => {
  assert.deepEqual(Object.keys(TARGETS), ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-arm64']);
  const base = readFileSync('.vscodeignore', 'utf8');
  const rules = (t: string) => t.split('\n').filter((l) => l.includes('bin/napi-v6') && !l.startsWith('#'));
  assert.deepEqual(rules(base), [], '.vscodeignore itself names no platform binaries');
  const text = ignoreFileFor(base, 'win32-arm64');
  assert.ok(text.startsWith(base.trimEnd()));
  assert.deepEqual(rules(text), ['!node_modules/onnxruntime-node/bin/napi-v6/win32/arm64/**']);
});

test('checkVsix finds missing and foreign files', () => {
  const bin = 'extension/node_modules/onnxruntime-node/bin/napi-v6';
  const good = [
    'extension/package.json',
    'extension/dist/extension.js',
    'extension/dist/server.js',
    'extension/dist/engine.js',
    'extension/dist/cli.js',
    'extension/models/hawk/manifest.json',
    `${bin}/linux/x64/onnxruntime_binding.node`,
    'extension/node_modules/onnxruntime-node/dist/index.js',
    'extension/node_modules/onnxruntime-common/package.json',
  ];
  assert.deepEqual(checkVsix(good, 'linux-x64', ['models/hawk/manifest.json']), []);
  assert.deepEqual(checkVsix([...good, `${bin}/win32/x64/onnxruntime.dll`, 'extension/models/hawk/fixture.json'], 'linux-x64', []), [
    `another platform's binary: ${bin}/win32/x64/onnxruntime.dll`,
    'test data: extension/models/hawk/fixture.json',
  ]);
  assert.deepEqual(checkVsix(good, 'darwin-arm64', ['models/griffin/weights-0.bin']), [
    'missing models/griffin/weights-0.bin',
    'missing node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/onnxruntime_binding.node',
    `another platform's binary: ${bin}/linux/x64/onnxruntime_binding.node`,
  ]);
});

test('a packaged VSIX (linux-arm64) holds the models and only its own binaries', { timeout: 180_000 }, () => {
  if (!existsSync('dist/extension.js')) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status, 0);
  const out = mkdtempSync(join(tmpdir(), 'statewise-vsix-test-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/package.ts', '--out', out, 'linux-arm64'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const entries = zipEntries(readFileSync(join(out, vsixName('linux-arm64')))).map((e) => e.name);
    const models = modelFiles();
    assert.ok(models.some((f) => f.startsWith('models/hawk/')) && models.some((f) => f.endsWith('.onnx')));
    assert.deepEqual(checkVsix(entries, 'linux-arm64', models), []);
    assert.ok(entries.includes('extension/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
