import assert from 'node:assert/strict';
import { test } from 'node:test';
import { architectureItems, menuEntries } from '../../extension/menu';

const base = { architecture: 'hawk', executionProvider: 'auto' };

test('menu with an editor: every action, current values shown', () => {
  const entries = menuEntries({ ...base, enable: { '*': true, markdown: false }, languageId: 'markdown' });
  assert.deepEqual(
    entries.map((e) => e.action),
    ['toggle', 'toggleLanguage', 'architecture', 'executionProvider', 'rebuildWorkspace', 'showLog', 'ask'],
  );
  assert.match(entries[0]!.label, /Disable completions/);
  assert.match(entries[1]!.label, /Enable completions for markdown/);
  assert.equal(entries[2]!.description, 'hawk');
  assert.equal(entries[3]!.description, 'auto');
});

test('menu without an editor, globally off', () => {
  const entries = menuEntries({ ...base, enable: { '*': false } });
  assert.ok(!entries.some((e) => e.action === 'toggleLanguage' || e.action === 'ask'), 'no editor: nothing to ask about');
  assert.match(entries[0]!.label, /Enable completions/);
});

test('architectures: installed ones selectable, the current one marked, missing ones with the reason, how well each is trained', () => {
  const tokens: Record<string, number> = { hawk: 346.3e6, griffin: 552.9e6 };
  const items = architectureItems(
    ['hawk', 'griffin', 'based', 'alibi'],
    'griffin',
    (a) => (a === 'based' ? 'no folder models/based' : undefined),
    (a) => tokens[a] ?? (a === 'alibi' ? 6.3e6 : undefined),
  );
  assert.deepEqual(items, [
    { arch: 'hawk', label: 'hawk', detail: 'recurrent (RG-LRU) only: the smallest state, fastest, weaker · trained on 346M tokens' },
    {
      arch: 'griffin',
      label: 'griffin',
      description: 'current',
      detail: 'recurrent (RG-LRU) + attention over the last 256 tokens · trained on 553M tokens',
    },
    {
      arch: 'based',
      label: '$(circle-slash) based',
      description: 'not installed',
      unavailable: 'no folder models/based',
      detail: 'no folder models/based',
    },
    {
      arch: 'alibi',
      label: 'alibi',
      detail: 'softmax transformer (the baseline), cache capped at 2,048 tokens · trained on 6.3M tokens only: weak answers',
    },
  ]);
  assert.equal(
    architectureItems(['hawk'], 'hawk', () => undefined)[0]!.detail,
    'recurrent (RG-LRU) only: the smallest state, fastest, weaker · training unknown',
  );
});
