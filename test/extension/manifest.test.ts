import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SECTION, SETTINGS } from '../../server/shared/settings';
import { COMMAND, contributes, withContributes } from '../../extension/manifest';

const text = readFileSync('package.json', 'utf8');
type Contributes = {
  configuration: { title: string; properties: Record<string, Record<string, unknown>> };
  commands: { command: string; category: string }[];
  keybindings: unknown;
};
const pkg = JSON.parse(text) as { contributes: Contributes; scripts: Record<string, string> };

test('package.json contributes is what gen-package writes (run `npm run gen:package` if this fails)', () => {
  assert.deepEqual(pkg.contributes, contributes());
  assert.equal(withContributes(text), text, 'package.json would change on regeneration');
});

test('every setting is contributed with its default', () => {
  const props = pkg.contributes.configuration.properties;
  assert.equal(pkg.contributes.configuration.title, 'Statewise');
  for (const s of SETTINGS) assert.deepEqual(props[`${SECTION}.${s.key}`].default, s.default, s.key);
});

test('commands, keybinding and the npm script', () => {
  const ids = pkg.contributes.commands.map(
    (c: { command: string; category: string }) => (assert.equal(c.category, 'Statewise'), c.command),
  );
  assert.deepEqual(ids.sort(), Object.values(COMMAND).sort());
  assert.deepEqual(pkg.contributes.keybindings, [{ command: 'statewise.trigger', key: 'alt+\\', when: 'editorTextFocus' }]);
  assert.equal(pkg.scripts['gen:package'], 'node --import tsx scripts/gen-package.ts');
});

test('every contributed command is registered by extension/commands.ts', () => {
  const src = readFileSync('extension/commands.ts', 'utf8');
  for (const key of Object.keys(COMMAND)) assert.match(src, new RegExp(`reg\\(COMMAND\\.${key},`), key);
});
