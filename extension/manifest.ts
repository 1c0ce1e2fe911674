// What package.json contributes: commands, keybindings, menus, and the configuration generated from
// server/shared/settings.ts. scripts/gen-package.ts writes it; test/extension/manifest.test.ts checks that
// package.json is up to date. Pure: no vscode import.
import { contributedProperties } from '../server/shared/settings';

/** Command ids; commands.ts implements each one. */
export const COMMAND = {
  toggle: 'statewise.toggle',
  toggleLanguage: 'statewise.toggleLanguage',
  trigger: 'statewise.trigger',
  showLog: 'statewise.showLog',
  rebuildWorkspace: 'statewise.rebuildWorkspace',
  statusMenu: 'statewise.statusMenu',
  askFile: 'statewise.askFile',
  askSelection: 'statewise.askSelection',
  restartEngine: 'statewise.restartEngine',
} as const;
export type CommandId = (typeof COMMAND)[keyof typeof COMMAND];

const TITLES: Record<CommandId, string> = {
  'statewise.toggle': 'Enable/Disable Completions',
  'statewise.toggleLanguage': 'Enable/Disable Completions for This Language',
  'statewise.trigger': 'Trigger Inline Completion',
  'statewise.showLog': 'Show Log',
  'statewise.rebuildWorkspace': 'Rebuild Workspace State',
  'statewise.statusMenu': 'Show Menu',
  'statewise.askFile': 'Ask About This File',
  'statewise.askSelection': 'Ask About the Selection',
  'statewise.restartEngine': 'Restart Engine',
};

export function contributes(): Record<string, unknown> {
  return {
    configuration: { title: 'Statewise', properties: contributedProperties() },
    commands: Object.values(COMMAND).map((command) => ({ command, title: TITLES[command], category: 'Statewise' })),
    keybindings: [{ command: COMMAND.trigger, key: 'alt+\\', when: 'editorTextFocus' }],
    menus: {
      commandPalette: [
        { command: COMMAND.toggleLanguage, when: 'editorIsOpen' },
        { command: COMMAND.trigger, when: 'editorIsOpen' },
        { command: COMMAND.askFile, when: 'editorIsOpen' },
        { command: COMMAND.askSelection, when: 'editorHasSelection' },
      ],
      'editor/context': [
        { command: COMMAND.askFile, when: '!editorHasSelection', group: 'statewise@1' },
        { command: COMMAND.askSelection, when: 'editorHasSelection', group: 'statewise@1' },
      ],
    },
  };
}

/** package.json text with `contributes` regenerated; every other field and its position kept. */
export function withContributes(packageJsonText: string): string {
  const pkg = JSON.parse(packageJsonText) as Record<string, unknown>;
  pkg.contributes = contributes();
  return `${JSON.stringify(pkg, null, 2)}\n`;
}
