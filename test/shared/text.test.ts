// Text helpers of the completion pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildContext } from '../../server/lsp/completion/context';
import { removeRepetition } from '../../server/lsp/completion/filters';
import { previousNonBlankLine } from '../../server/shared/text';

test('previousNonBlankLine: the nearest non-blank line above the cursor line', () => {
  assert.equal(previousNonBlankLine('a\nb\n\n  \nc'), 'b');
  assert.equal(previousNonBlankLine('a\r\n\r\nc'), 'a');
  assert.equal(previousNonBlankLine('only'), undefined);
  assert.equal(previousNonBlankLine(''), undefined);
});

test('previousNonBlankLine: a document that starts with blank lines ends the search (no endless loop)', () => {
  assert.equal(previousNonBlankLine('\nx = "'), undefined);
  assert.equal(previousNonBlankLine('\n\n  \nx'), undefined);
  // found by `statewise eval recall` (control variant): the filter pipeline hung on this document
  const text = '\nassert.equal(SIGNAL_LEDGER_88, "';
  assert.equal(removeRepetition("\", 'https://example.com')", buildContext(text, text.length, 'javascript')), "\", 'https://example.com')");
});
