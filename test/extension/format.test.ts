import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileOf, formatAskLog, formatBytes, formatRequestLog, rebuildMessage } from '../../extension/format';

const p = {
  uri: 'file:///w/src/my%20file.ts',
  promptTokens: 120,
  cachedTokens: 96,
  generatedTokens: 12,
  latencyMs: 41.7,
  ep: 'cpu',
  arch: 'hawk',
  outcome: 'ok' as const,
};

test('request log line', () => {
  assert.equal(formatRequestLog(p), 'complete my file.ts prompt=120 cached=96 gen=12 42ms cpu hawk ok');
  assert.equal(
    formatRequestLog({ ...p, outcome: 'cancelled' }, 'src/a.ts'),
    'complete src/a.ts prompt=120 cached=96 gen=12 42ms cpu hawk cancelled',
  );
  assert.equal(formatRequestLog({ ...p, definitions: 2 }, 'a.ts'), 'complete a.ts prompt=120 cached=96 gen=12 42ms cpu hawk ok defs=2');
});

test('fileOf', () => {
  assert.equal(fileOf('untitled:Untitled-1'), 'untitled:Untitled-1');
  assert.equal(fileOf('file:///a/b.py?x=1#L2'), 'b.py');
  assert.equal(fileOf('file:///a/%E0%A4%A.ts'), '%E0%A4%A.ts');
});

test('bytes and the rebuild message', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MB');
  assert.equal(rebuildMessage({ files: 1, bytes: 2048 }), 'Statewise: workspace state rebuilt from 1 file (2.0 KB).');
  assert.equal(rebuildMessage({ files: 120, bytes: 10 }), 'Statewise: workspace state rebuilt from 120 files (10 B).');
});

test('ask log line', () => {
  const r = {
    answer: 'x',
    cancelled: false,
    fileTokens: 24310,
    cachedTokens: 24000,
    promptTokens: 24330,
    generatedTokens: 57,
    firstTokenMs: 812.4,
    latencyMs: 3204.2,
    arch: 'hawk',
    ep: 'cpu',
  };
  assert.equal(
    formatAskLog(r, 'src/long.ts'),
    'ask src/long.ts file=24310 prompt=24330 cached=24000 gen=57 first=812ms 3204ms cpu hawk ok',
  );
  assert.match(formatAskLog({ ...r, cancelled: true }, 'a'), / cancelled$/);
});
