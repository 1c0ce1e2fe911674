// What a keystroke costs in the engine: a new line is fed from the line start above it (not from
// the whole document), and a very long line is fed from its last MAX_LINE_CHARS characters only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, cursorLineWindow, leftScope, MAX_LINE_CHARS } from '../../server/engine/engine';
import type { CompleteParams } from '../../server/protocol/ipc';
import { cpuLoad } from '../helpers/engineRequests';
import { modelDir } from '../helpers/models';

const load = cpuLoad(modelDir('hawk'), { checkpointInterval: 256 });
const never = () => false;
const req = (uri: string, version: number, line: number, character: number): CompleteParams => ({
  uri,
  version,
  position: { line, character },
  singleLine: true,
  maxTokens: 6,
  suffixMaxTokens: 0,
  temperature: 0,
  topP: 1,
  n: 1,
  topTokens: 3,
});
const FUNCS = Array.from({ length: 300 }, (_, i) => `export function f${i}(x: number): number {\n  return x * ${i} + ${i % 7};\n}\n`).join(
  '\n',
);

test('a new line after Enter is fed from the start of the line above, and gives what a fresh engine gives', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  const uri = 'file:///k.ts';
  const lines = FUNCS.split('\n');
  const last = lines.length - 1;
  e.openDocument({ uri, path: 'k.ts', text: FUNCS + 'const total = ', version: 1 });
  await e.complete(req(uri, 1, last, 14), never); // checkpoints the start of the last line
  // Enter at the end of the line, then type two characters on the new line
  e.editDocument({
    uri,
    version: 2,
    changes: [{ range: { start: { line: last, character: 14 }, end: { line: last, character: 14 } }, text: '1;\nco' }],
  });
  // the whole-stream search (a hash of every token of the document) must not run for a new line
  const store = (e as unknown as { store: { longestPrefix: (...a: unknown[]) => unknown } }).store;
  const search = store.longestPrefix.bind(store);
  let searches = 0;
  store.longestPrefix = (...a: unknown[]) => {
    searches++;
    return search(...a);
  };
  const next = await e.complete(req(uri, 2, last + 1, 2), never);
  assert.equal(searches, 0, 'fed from the checkpoint at the start of the line above');
  assert.ok(next.promptTokens - next.cachedTokens < 30, `fed ${next.promptTokens - next.cachedTokens} tokens`);
  const fresh = new Engine(() => {});
  await fresh.load(load);
  fresh.openDocument({ uri, path: 'k.ts', text: FUNCS + 'const total = 1;\nco', version: 1 });
  const want = await fresh.complete(req(uri, 1, last + 1, 2), never);
  assert.deepEqual(
    next.top!.map((t) => t.text),
    want.top!.map((t) => t.text),
  );
  assert.deepEqual(next.completions, want.completions);
});

test('a 100 KB line costs a bounded prompt: the last MAX_LINE_CHARS characters before the cursor', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  const uri = 'file:///long.js';
  const long = 'const data = [' + Array.from({ length: 30_000 }, (_, i) => `${i % 97}`).join(', ');
  assert.ok(long.length > 100_000);
  e.openDocument({ uri, path: 'long.js', text: `// data\n${long}`, version: 1 });
  const t0 = performance.now();
  const r = await e.complete(req(uri, 1, 1, long.length), never);
  const ms = performance.now() - t0;
  assert.equal(r.completions.length, 1);
  assert.ok(r.promptTokens - r.cachedTokens <= MAX_LINE_CHARS, `fed ${r.promptTokens - r.cachedTokens} tokens`);
  assert.ok(ms < 20_000, `${ms} ms`); // a generous bound: unbounded, this line costs minutes on 2 cores
});

test('cursorLineWindow: short lines whole; long ones cut to MAX_LINE_CHARS, never inside a surrogate pair', () => {
  assert.deepEqual(cursorLineWindow('abc def', 3), { text: 'abc', windowed: false });
  const long = 'x'.repeat(MAX_LINE_CHARS + 10);
  assert.deepEqual(cursorLineWindow(long, long.length), { text: 'x'.repeat(MAX_LINE_CHARS), windowed: true });
  const emoji = '😀'.repeat(MAX_LINE_CHARS);
  const w = cursorLineWindow(emoji, emoji.length - 1);
  assert.ok(w.windowed && w.text.length <= MAX_LINE_CHARS && !/^[\udc00-\udfff]/.test(w.text));
});

test('leftScope: a finished line with code, less indented than the cursor line, ends a multi-line completion', () => {
  assert.equal(leftScope('x = 1;\n    y = 2;\n', 4), false, 'same block');
  assert.equal(leftScope('x = 1;\n  }\n', 4), true, 'the closer line is finished: decoding stops after it');
  assert.equal(leftScope('x = 1;\n  }', 4), false, 'not finished yet');
  assert.equal(leftScope('x = 1;\n\n    y();\n', 4), false, 'blank lines do not count');
  assert.equal(leftScope('\n}\n', 4), true, 'the cursor line ends empty, the next closes the block');
  assert.equal(leftScope('}\n    x\n', 4), false, 'the first line (the rest of the cursor line) never counts');
  assert.equal(leftScope('a\n}\n', 0), false, 'at the top level nothing is out of scope');
  assert.equal(leftScope('a\n\t}\n', 8), true, 'a tab is 4 columns');
});
