import assert from 'node:assert/strict';
import { test } from 'node:test';
import { menuEntries } from '../../extension/menu';

const base = { architecture: 'hawk', executionProvider: 'auto' };

test('menu with an editor: every action, current values shown', () => {
  const entries = menuEntries({ ...base, enable: { '*': true, markdown: false }, languageId: 'markdown' });
  assert.deepEqual(entries.map((e) => e.action), ['toggle', 'toggleLanguage', 'architecture', 'executionProvider', 'rebuildWorkspace', 'showLog']);
  assert.match(entries[0]!.label, /Disable completions/);
  assert.match(entries[1]!.label, /Enable completions for markdown/);
  assert.equal(entries[2]!.description, 'hawk');
  assert.equal(entries[3]!.description, 'auto');
});

test('menu without an editor, globally off', () => {
  const entries = menuEntries({ ...base, enable: { '*': false } });
  assert.ok(!entries.some((e) => e.action === 'toggleLanguage'));
  assert.match(entries[0]!.label, /Enable completions/);
});
