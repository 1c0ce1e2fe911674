import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSettings, languageEnabled } from '../../server/shared/settings';
import { disabledState, globallyEnabled, skipInlineCompletion, withEntry } from '../../extension/gate';

const defaults = defaultSettings().enable;

test('defaults: code on, plaintext/markdown/scminput off', () => {
  assert.equal(skipInlineCompletion(defaults, 'typescript'), false);
  assert.equal(skipInlineCompletion(defaults, 'python'), false);
  for (const lang of ['plaintext', 'markdown', 'scminput']) assert.equal(skipInlineCompletion(defaults, lang), true, lang);
});

test('global off skips unlisted languages; a language listed true keeps completions', () => {
  const enable = { '*': false, python: true };
  assert.equal(skipInlineCompletion(enable, 'typescript'), true);
  assert.equal(skipInlineCompletion(enable, 'python'), false);
});

test("the skip decision is exactly the server's languageEnabled", () => {
  const maps = [defaults, {}, { '*': false }, { '*': false, go: true }, { go: false }];
  for (const m of maps)
    for (const lang of ['go', 'rust', 'markdown']) {
      assert.equal(skipInlineCompletion(m, lang), !languageEnabled(m, lang));
      const d = disabledState(m, lang);
      assert.equal(d.languageDisabled || d.globallyDisabled, skipInlineCompletion(m, lang), `${JSON.stringify(m)} ${lang}`);
    }
});

test('disabledState says why', () => {
  assert.deepEqual(disabledState(defaults, 'markdown'), { languageDisabled: true, globallyDisabled: false, languageId: 'markdown' });
  assert.deepEqual(disabledState({ '*': false }, 'go'), { languageDisabled: false, globallyDisabled: true, languageId: 'go' });
  assert.deepEqual(disabledState({ '*': false }, undefined), { languageDisabled: false, globallyDisabled: true });
  assert.deepEqual(disabledState(defaults, undefined), { languageDisabled: false, globallyDisabled: false });
});

test('globallyEnabled and withEntry', () => {
  assert.equal(globallyEnabled({}), true);
  assert.equal(globallyEnabled({ '*': false }), false);
  assert.deepEqual(withEntry(undefined, '*', false), { '*': false });
  const base = { go: true };
  assert.deepEqual(withEntry(base, 'rust', false), { go: true, rust: false });
  assert.deepEqual(base, { go: true }, 'base is not mutated');
});
