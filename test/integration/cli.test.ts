// The statewise CLI bundle (dist/cli.js) with the real engine and model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATTERN_DOC, PATTERN_END } from '../helpers/engineRequests';
import { CLI_JS, MODELS_DIR, REPO, requireBuild } from '../helpers/realEngine';
import { DEFAULT_ARCH } from '../helpers/models';

const CACHE_DIR = mkdtempSync(join(tmpdir(), 'sw-cli-cache-'));
function cli(...args: string[]) {
  requireBuild();
  return spawnSync(process.execPath, [CLI_JS, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, STATEWISE_MODELS_DIR: MODELS_DIR, STATEWISE_CACHE_DIR: CACHE_DIR },
    timeout: 120_000,
  });
}

test('integration cli: complete --json reports the completion, latency and tokens', () => {
  const file = join(tmpdir(), `statewise-cli-${process.pid}.ts`);
  writeFileSync(file, PATTERN_DOC);
  const r = cli('complete', `${file}:${PATTERN_END.line + 1}:${PATTERN_END.character + 1}`, '--ep', 'cpu', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const key of ['completion', 'latencyMs', 'arch', 'ep', 'promptTokens', 'cachedTokens', 'generatedTokens', 'timings'])
    assert.ok(key in out, key);
  assert.equal(out.arch, DEFAULT_ARCH);
  assert.equal(out.ep, 'cpu');
  assert.ok((out.promptTokens as number) > 20);
});

test('integration cli: complete with a workspace folds it in', () => {
  const r = cli('complete', 'server/shared/settings.ts:100:3', '--workspace', 'server/lsp/completion', '--ep', 'cpu', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { workspace?: { files: number; tokens: number; restored: boolean } };
  assert.ok(out.workspace && out.workspace.files > 3 && out.workspace.tokens > 1000, JSON.stringify(out.workspace));
  const again = cli('complete', 'server/shared/settings.ts:100:3', '--workspace', 'server/lsp/completion', '--ep', 'cpu', '--json');
  assert.equal(again.status, 0, again.stderr);
  const out2 = JSON.parse(again.stdout) as { workspace?: { tokens: number; restored: boolean } };
  assert.equal(out2.workspace?.restored, true, 'the second run restores the persisted workspace state');
  assert.equal(out2.workspace?.tokens, out.workspace!.tokens);
});

test('integration cli: models lists hawk as ok', () => {
  const r = cli('models', '--json');
  assert.equal(r.status, 0, r.stderr);
  const { models } = JSON.parse(r.stdout) as { models: { folder: string; ok: boolean; architecture?: string }[] };
  const hawk = models.find((m) => m.folder === 'hawk');
  assert.ok(hawk?.ok, JSON.stringify(hawk));
  assert.equal(hawk?.architecture, 'hawk');
});

test('integration cli: --arch picks the model that answers (griffin)', () => {
  const r = cli('complete', 'server/shared/settings.ts:100:3', '--arch', 'griffin', '--ep', 'cpu', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { arch: string; model: string };
  assert.equal(out.arch, 'griffin');
  assert.match(out.model, /^griffin-s@/);
});

test('integration cli: eval bpb scores code far better than the same characters shuffled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-eval-'));
  const code =
    'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a - b;\n}\n';
  let seed = 7;
  const shuffled = [...code].sort(() => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5).join('');
  writeFileSync(join(dir, 'code.ts'), code);
  writeFileSync(join(dir, 'noise.ts'), shuffled);
  const score = (f: string) => {
    const r = cli('eval', 'bpb', '--files', join(dir, f), '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { bitsPerByte: number; bytes: number; tokens: number; byPosition: { from: number; tokens: number }[] };
  };
  const a = score('code.ts');
  const b = score('noise.ts');
  assert.equal(a.bytes, Buffer.byteLength(code));
  assert.equal(a.byPosition[0]!.from, 0);
  assert.equal(
    a.byPosition.reduce((n, p) => n + p.tokens, 0),
    a.tokens,
  );
  assert.ok(a.bitsPerByte > 0 && a.bitsPerByte < 2.5, `code: ${a.bitsPerByte}`);
  assert.ok(b.bitsPerByte > a.bitsPerByte * 1.5, `noise ${b.bitsPerByte} vs code ${a.bitsPerByte}`);
  const bad = cli('eval', 'nonsense');
  assert.equal(bad.status, 2);
});
