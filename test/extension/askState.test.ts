import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyProgress,
  emptyState,
  failTurn,
  fileTokens,
  finishTurn,
  historyOf,
  isAskState,
  restored,
  startTurn,
  streamingTurn,
} from '../../extension/askState';
import type { AskResult } from '../../server/protocol/lsp';

const result = (answer: string, over: Partial<AskResult> = {}): AskResult => ({
  answer,
  cancelled: false,
  fileTokens: 24310,
  cachedTokens: 24000,
  promptTokens: 24330,
  generatedTokens: 12,
  firstTokenMs: 800,
  latencyMs: 1500,
  arch: 'hawk',
  ep: 'cpu',
  ...over,
});

test('a turn streams, finishes, and becomes history for the next', () => {
  let s = startTurn(emptyState('file:///w/a.ts', 'a.ts'), 'q1', 'What does it do?');
  assert.equal(streamingTurn(s)?.askId, 'q1');
  assert.deepEqual(historyOf(s), [], 'a streaming turn is not history yet');
  s = applyProgress(s, { askId: 'q1', text: 'It ', tokens: 1 });
  s = applyProgress(s, { askId: 'q1', text: 'It parses.', tokens: 3 });
  assert.equal(s.turns[0]!.answer, 'It parses.');
  assert.equal(fileTokens(s), undefined);
  s = finishTurn(s, 'q1', result('It parses.'));
  assert.equal(streamingTurn(s), undefined);
  assert.equal(s.turns[0]!.status, 'done');
  assert.equal(fileTokens(s), 24310);
  s = applyProgress(s, { askId: 'q1', text: 'late', tokens: 9 });
  assert.equal(s.turns[0]!.answer, 'It parses.', 'progress after the end is ignored');
  s = startTurn(s, 'q2', 'And then?', { start: 3, end: 9 });
  assert.deepEqual(historyOf(s), [{ question: 'What does it do?', answer: 'It parses.' }]);
  assert.deepEqual(s.turns[1]!.lines, { start: 3, end: 9 });
  assert.equal(applyProgress(s, { askId: 'other', text: 'x', tokens: 1 }).turns[1]!.answer, '', 'other ids leave turns alone');
});

test('cancelled and failed turns', () => {
  let s = startTurn(emptyState('u', 'u'), 'a', 'q');
  s = applyProgress(s, { askId: 'a', text: 'partial', tokens: 2 });
  const cancelledByServer = finishTurn(s, 'a', result('partial', { cancelled: true }));
  assert.equal(cancelledByServer.turns[0]!.status, 'cancelled');
  assert.deepEqual(historyOf(cancelledByServer), [{ question: 'q', answer: 'partial' }], 'a partial answer is still context');
  const cancelledByClient = failTurn(s, 'a', undefined);
  assert.equal(cancelledByClient.turns[0]!.status, 'cancelled');
  assert.equal(cancelledByClient.turns[0]!.answer, 'partial', 'the streamed text stays');
  const failed = failTurn(s, 'a', 'engine crashed');
  assert.equal(failed.turns[0]!.status, 'error');
  assert.equal(failed.turns[0]!.error, 'engine crashed');
  assert.deepEqual(historyOf(failed), [], 'errors are not history');
});

test('state read back from the webview', () => {
  const s = startTurn(emptyState('u', 'a.ts'), 'a', 'q');
  assert.ok(isAskState(JSON.parse(JSON.stringify(s))));
  for (const bad of [null, 3, {}, { uri: 'u', label: 'l', turns: [{ askId: 1 }] }]) assert.equal(isAskState(bad), false);
  assert.equal(restored(s).turns[0]!.status, 'cancelled', 'a turn cut off by a reload is not streaming');
});
