// Extrapolation windows (pure): every window of a region ends with the same target tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeTokenizer } from '../../../server/engine/tokenizer';
import { trainLengthOf } from '../../../server/cli/eval/extrapolation';
import { fileRegions, planRegions, windowText } from '../../../server/cli/eval/windows';
import { modelDir, REPO } from '../../helpers/models';

const tok = CodeTokenizer.fromFile(join(modelDir('hawk'), 'tokenizer.json'));
const lines = readFileSync(join(REPO, 'server', 'engine', 'engine.ts'), 'utf8').split('\n');
const cost = lines.map((l) => tok.encode('\n' + l).length);

test('windows of 1x..8x end with identical target tokens, within their budgets', () => {
  const L = 64;
  const regions = fileRegions(0, cost, L);
  assert.ok(regions.length >= 3, `${regions.length} regions`);
  for (const r of regions.slice(0, 3)) {
    const target = tok.encode(windowText(lines, r.targetStart, r.end));
    assert.equal(target.length, r.targetTokens);
    assert.ok(r.targetTokens <= L && r.targetTokens > L / 2);
    for (const w of r.windows) {
      const ids = tok.encode(windowText(lines, w.start, r.end));
      assert.equal(ids.length, w.tokens, `factor ${w.factor}`);
      assert.ok(w.tokens <= w.factor * L, `factor ${w.factor}: ${w.tokens}`);
      assert.deepEqual(ids.slice(-r.targetTokens), target, `factor ${w.factor}`);
    }
    assert.equal(r.windows[0].start, r.targetStart, '1x is the target alone');
    assert.ok(r.windows[3].tokens >= 0.9 * 8 * L);
    for (let i = 1; i < r.windows.length; i++) assert.ok(r.windows[i].start <= r.windows[i - 1].start);
  }
  // targets do not overlap: each ends where the next (earlier) one starts, except across lines
  // longer than the training length, which no target can hold and which are skipped
  for (let i = 1; i < regions.length; i++) {
    assert.ok(regions[i].end <= regions[i - 1].targetStart);
    for (let k = regions[i].end; k < regions[i - 1].targetStart; k++) assert.ok(cost[k] > L, `line ${k} skipped with ${cost[k]} tokens`);
  }
});

test('planRegions: round-robin over files, capped; a file too short for 8x gives none', () => {
  const short = cost.slice(0, 20);
  const plan = planRegions([short, cost, cost], 64, 5);
  assert.equal(plan.length, 5);
  assert.deepEqual(
    plan.map((r) => r.file),
    [1, 2, 1, 2, 1],
  );
  assert.deepEqual(fileRegions(0, short, 64), []);
  assert.deepEqual(fileRegions(0, [600, 3, 3], 64), []);
});

test('trainLengthOf: manifest trainLength, else training.seq, else 2048', () => {
  assert.equal(trainLengthOf({ trainLength: 1024 }), 1024);
  assert.equal(trainLengthOf({ training: { seq: 512 } }), 512);
  assert.equal(trainLengthOf({}), 2048);
});
