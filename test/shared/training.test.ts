// How well a model is trained, in words (server/shared/training.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHITECTURES } from '../../server/shared/settings';
import { ARCH_SUMMARY, trainedTokens, trainingNote, WELL_TRAINED_TOKENS } from '../../server/shared/training';
import { MODELS_DIR } from '../helpers/models';

test('trainedTokens: the running total over warm starts, else the last run tokens; nothing for a bad manifest', () => {
  assert.equal(trainedTokens({ training: { tokens_seen: 5, tokens_total: 9 } }), 9);
  assert.equal(trainedTokens({ training: { tokens_seen: 5 } }), 5);
  for (const bad of [undefined, null, {}, { training: {} }, { training: { tokens_seen: '5' } }, { training: { tokens_total: -1 } }])
    assert.equal(trainedTokens(bad), undefined);
});

test('trainingNote: short runs are called weak', () => {
  assert.equal(trainingNote(552.9e6), 'trained on 553M tokens');
  assert.equal(trainingNote(WELL_TRAINED_TOKENS - 1), 'trained on 100M tokens only: weak answers');
  assert.equal(trainingNote(6.3e6), 'trained on 6.3M tokens only: weak answers');
  assert.equal(trainingNote(undefined), 'training unknown');
});

test('every architecture has a summary and every shipped manifest a training record', () => {
  for (const a of ARCHITECTURES) {
    assert.ok(ARCH_SUMMARY[a], a);
    assert.notEqual(trainedTokens(JSON.parse(readFileSync(join(MODELS_DIR, a, 'manifest.json'), 'utf8'))), undefined, a);
  }
});
