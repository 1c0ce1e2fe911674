// The completion prompt after the line-start checkpoint, per layout (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionTail, defaultLayout } from '../../server/engine/completePrompt';

const T = { fimSuffix: 3, fimMiddle: 4 };
const line = [10, 11];
const suffix = [20, 21, 22];

test('completionTail: plain is the typed line; fim puts the suffix after it; suffix-first before it', () => {
  assert.deepEqual(completionTail('plain', T, line, suffix), [10, 11]);
  assert.deepEqual(completionTail('fim', T, line, suffix), [10, 11, 3, 20, 21, 22, 4]);
  assert.deepEqual(completionTail('suffix-first', T, line, suffix), [3, 20, 21, 22, 4, 10, 11]);
  assert.deepEqual(completionTail('plain', T, [], suffix), [], 'nothing typed at the start of a document');
  assert.deepEqual(completionTail('fim', T, [], []), [3, 4]);
});

test("defaultLayout: the manifest's choice, plain when it names none", () => {
  assert.equal(defaultLayout(undefined), 'plain');
  assert.equal(defaultLayout('suffix-first'), 'suffix-first');
});
