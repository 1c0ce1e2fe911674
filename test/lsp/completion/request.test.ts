// The one completion request builder (server/lsp/completion/request.ts): what the LSP handler, the CLI,
// eval and bench send to the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCompletionRequest, MANUAL_ALTERNATIVES } from '../../../server/lsp/completion/request';
import { defaultSettings } from '../../../server/shared/settings';
import { at } from './helpers';

const settings = defaultSettings();
const base = { uri: 'file:///a.ts', version: 3, position: { line: 1, character: 2 }, settings, manual: false };

test('single line mid-statement: the single-line cap, greedy settings, one answer, no forced layout', () => {
  const r = buildCompletionRequest({ ...base, ctx: at(['function f() {', '  return a.║']) });
  assert.equal(r.mode, 'single');
  assert.deepEqual(r.params, {
    uri: 'file:///a.ts',
    version: 3,
    position: { line: 1, character: 2 },
    singleLine: true,
    maxTokens: settings['completion.maxSingleLineTokens'],
    suffixMaxTokens: settings['completion.suffixMaxTokens'],
    temperature: settings['completion.temperature'],
    topP: settings['completion.topP'],
    n: 1,
  });
});

test('a blank new line asks for several lines with the multi-line cap; manual triggers ask for alternatives', () => {
  const r = buildCompletionRequest({ ...base, manual: true, ctx: at(['function f() {', '  ║', '}']) });
  assert.equal(r.mode, 'multi');
  assert.equal(r.params.singleLine, false);
  assert.equal(r.params.maxTokens, settings['completion.maxTokens']);
  assert.equal(r.params.n, MANUAL_ALTERNATIVES);
});

test('settings flow through: multiline never, caps, sampling; an evaluation may force a layout', () => {
  const s = {
    ...settings,
    'completion.multiline': 'never' as const,
    'completion.maxSingleLineTokens': 7,
    'completion.suffixMaxTokens': 0,
    'completion.temperature': 0.5,
    'completion.topP': 0.5,
  };
  const r = buildCompletionRequest({ ...base, settings: s, layout: 'fim', ctx: at(['function f() {', '  ║', '}']) });
  assert.equal(r.mode, 'single');
  assert.deepEqual(
    [r.params.maxTokens, r.params.suffixMaxTokens, r.params.temperature, r.params.topP, r.params.layout],
    [7, 0, 0.5, 0.5, 'fim'],
  );
});
