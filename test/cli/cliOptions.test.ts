// The options the statewise commands share come from one table (server/cli/options.ts), with the
// editor's defaults: every command that takes --ep defaults to the same provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASK_USAGE } from '../../server/cli/ask';
import { BENCH_USAGE, benchOptions } from '../../server/cli/bench';
import { COMPLETE_USAGE } from '../../server/cli/complete';
import { COMMON_OPTIONS, parseEvalArgs } from '../../server/cli/eval/common';
import { BPB_USAGE } from '../../server/cli/evaluate';
import { MODELS_USAGE } from '../../server/cli/models';
import { modelChoice, SHARED_OPTIONS, sharedHelp, sharedOptions } from '../../server/cli/options';
import { HELP } from '../../server/cli/run';
import { defaultSettings } from '../../server/shared/settings';

test('shared options default to the editor settings: --ep auto, --arch the default architecture', () => {
  assert.equal(SHARED_OPTIONS.ep.default, defaultSettings()['engine.executionProvider']);
  assert.equal(SHARED_OPTIONS.ep.default, 'auto');
  assert.equal(SHARED_OPTIONS.arch.default, defaultSettings()['model.architecture']);
  assert.deepEqual(modelChoice({}), { arch: defaultSettings()['model.architecture'], ep: 'auto', models: undefined });
  assert.equal(benchOptions([]).ep, 'auto');
  assert.equal(parseEvalArgs([], {}).ep, 'auto');
  assert.equal(COMMON_OPTIONS.ep.default, 'auto');
});

test('parseArgs gets only type, default and multiple from the table', () => {
  assert.deepEqual(sharedOptions('ep', 'json'), { ep: { type: 'string', default: 'auto' }, json: { type: 'boolean', default: false } });
});

test('every usage line and the help name the shared options the same way', () => {
  for (const usage of [ASK_USAGE, BENCH_USAGE, COMPLETE_USAGE, BPB_USAGE]) {
    assert.match(usage, /\[--arch NAME\] \[--ep NAME\]/);
    assert.match(usage, /\[--models DIR\]/);
  }
  assert.match(MODELS_USAGE, /\[--models DIR\] \[--json\]/);
  assert.ok(HELP.includes(sharedHelp()));
  assert.match(sharedHelp(), /--ep NAME +onnxruntime execution provider .*default auto/);
});

test('bad shared values are usage errors', () => {
  assert.throws(() => modelChoice({ ep: 'tpu' }), /--ep must be one of auto, cpu/);
  assert.throws(() => modelChoice({ arch: '../x' }), /--arch must be a model folder name/);
});
