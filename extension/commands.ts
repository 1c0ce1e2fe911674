// Implements the commands package.json contributes (ids and titles live in manifest.ts).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RebuildWorkspaceRequest, type RebuildWorkspaceResult } from '../server/protocol';
import { ARCHITECTURES, EXECUTION_PROVIDERS, languageEnabled } from '../server/settings';
import { enableMap, readSettings, setEnableEntry, writeSetting } from './config';
import { rebuildMessage } from './format';
import { globallyEnabled } from './gate';
import { COMMAND } from './manifest';
import { menuEntries, type MenuAction, type MenuEntry } from './menu';
import type { StatusBar } from './status';

export interface CommandDeps {
  client: LanguageClient;
  statusBar: StatusBar;
  log: vscode.LogOutputChannel;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const run: Record<MenuAction, () => Promise<unknown>> = {
    toggle: () => setEnableEntry('*', !globallyEnabled(enableMap())),
    toggleLanguage: () => toggleLanguage(deps.statusBar.activeLanguageId),
    architecture: () => pick('model.architecture', ARCHITECTURES, 'Model architecture that answers'),
    executionProvider: () => pick('engine.executionProvider', EXECUTION_PROVIDERS, 'onnxruntime execution provider'),
    rebuildWorkspace: () => rebuildWorkspace(deps.client),
    showLog: async () => deps.log.show(true),
  };
  const reg = vscode.commands.registerCommand;
  return [
    reg(COMMAND.toggle, run.toggle),
    reg(COMMAND.toggleLanguage, run.toggleLanguage),
    reg(COMMAND.trigger, () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger')),
    reg(COMMAND.showLog, run.showLog),
    reg(COMMAND.rebuildWorkspace, run.rebuildWorkspace),
    reg(COMMAND.statusMenu, async () => {
      const { settings } = readSettings();
      const entries = menuEntries({
        enable: settings.enable,
        ...(deps.statusBar.activeLanguageId ? { languageId: deps.statusBar.activeLanguageId } : {}),
        architecture: settings['model.architecture'],
        executionProvider: settings['engine.executionProvider'],
      });
      const chosen = await vscode.window.showQuickPick<MenuEntry & vscode.QuickPickItem>(entries, { title: 'Statewise' });
      if (chosen) await run[chosen.action]();
    }),
  ];
}

async function toggleLanguage(languageId: string | undefined): Promise<void> {
  if (!languageId) {
    void vscode.window.showInformationMessage('Statewise: open a file to switch completions for its language.');
    return;
  }
  await setEnableEntry(languageId, !languageEnabled(enableMap(), languageId));
}

async function pick(key: 'model.architecture' | 'engine.executionProvider', options: readonly string[], title: string): Promise<void> {
  const current = readSettings().settings[key];
  const items = options.map((label) => ({ label, description: label === current ? 'current' : undefined }));
  const chosen = await vscode.window.showQuickPick(items, { title: `Statewise: ${title}`, placeHolder: current });
  if (chosen && chosen.label !== current) await writeSetting(key, chosen.label);
}

async function rebuildWorkspace(client: LanguageClient): Promise<void> {
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Statewise: rebuilding the workspace state' },
      () => client.sendRequest<RebuildWorkspaceResult>(RebuildWorkspaceRequest.method),
    );
    void vscode.window.showInformationMessage(rebuildMessage(result));
  } catch (err) {
    void vscode.window.showErrorMessage(`Statewise: rebuilding the workspace state failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
