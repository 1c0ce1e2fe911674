// Implements the commands package.json contributes (ids and titles live in manifest.ts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  RebuildWorkspaceRequest,
  RestartEngineRequest,
  type RebuildWorkspaceResult,
  type RestartEngineResult,
} from '../server/protocol/lsp';
import { findModelFolder, resolveModelsDir, shippedModelsDir } from '../server/shared/modelDir';
import { ARCHITECTURES, EXECUTION_PROVIDERS, languageEnabled } from '../server/shared/settings';
import { trainedTokens } from '../server/shared/training';
import type { AskPanel } from './askPanel';
import { enableMap, readSettings, setEnableEntry, writeSetting } from './config';
import { rebuildMessage, restartMessage } from './format';
import { globallyEnabled } from './gate';
import { COMMAND } from './manifest';
import { architectureItems, menuEntries, type MenuAction, type MenuEntry } from './menu';
import type { StatusBar } from './status';

export interface CommandDeps {
  client: LanguageClient;
  statusBar: StatusBar;
  log: vscode.LogOutputChannel;
  askPanel: AskPanel;
  /** The extension's folder: the bundled models are in its models/ (as the server finds them). */
  extensionPath: string;
}

/** Optional argument of the Ask commands (tests, keybindings): ask this question at once. */
interface AskArgs {
  question?: string;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const run: Record<MenuAction, () => Promise<unknown>> = {
    toggle: () => setEnableEntry('*', !globallyEnabled(enableMap())),
    toggleLanguage: () => toggleLanguage(deps.statusBar.activeLanguageId),
    architecture: () => pickArchitecture(deps.extensionPath),
    executionProvider: () => pick('engine.executionProvider', EXECUTION_PROVIDERS, 'onnxruntime execution provider'),
    rebuildWorkspace: () => rebuildWorkspace(deps.client),
    showLog: async () => deps.log.show(true),
    ask: async () => ask(deps.askPanel, false),
  };
  const reg = vscode.commands.registerCommand;
  return [
    reg(COMMAND.toggle, run.toggle),
    reg(COMMAND.toggleLanguage, run.toggleLanguage),
    reg(COMMAND.trigger, () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger')),
    reg(COMMAND.showLog, run.showLog),
    reg(COMMAND.rebuildWorkspace, run.rebuildWorkspace),
    reg(COMMAND.restartEngine, () => restartEngine(deps.client)),
    reg(COMMAND.askFile, (args?: AskArgs) => ask(deps.askPanel, false, args)),
    reg(COMMAND.askSelection, (args?: AskArgs) => ask(deps.askPanel, true, args)),
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

/** Opens the Ask panel for the active editor's file (and its selection when asked for one). */
async function ask(panel: AskPanel, withSelection: boolean, args?: AskArgs): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Statewise: open a file to ask about it.');
    return;
  }
  const selection = withSelection && !editor.selection.isEmpty ? editor.selection : undefined;
  panel.open(
    { uri: editor.document.uri, ...(selection ? { selection } : {}) },
    typeof args?.question === 'string' ? args.question : undefined,
  );
}

/** The architectures, those without a model folder shown with the reason and not selectable. */
async function pickArchitecture(extensionPath: string): Promise<void> {
  const { settings } = readSettings();
  const current = settings['model.architecture'];
  // Same rule as the server: model.path, else $STATEWISE_MODELS_DIR, else <extension>/models.
  const modelsDir = resolveModelsDir(settings['model.path'], process.env, shippedModelsDir(extensionPath));
  const items = architectureItems(
    ARCHITECTURES,
    current,
    (arch) => {
      const f = findModelFolder(modelsDir, arch);
      return f.ok ? undefined : f.message;
    },
    (arch) => {
      try {
        return trainedTokens(JSON.parse(readFileSync(path.join(modelsDir, arch, 'manifest.json'), 'utf8')));
      } catch {
        return undefined; // unreadable: the picker says "training unknown", the server reports the error on load
      }
    },
  );
  const chosen = await vscode.window.showQuickPick(items, { title: 'Statewise: Model architecture that answers', placeHolder: current });
  if (!chosen || chosen.arch === current) return;
  if (chosen.unavailable) {
    void vscode.window.showWarningMessage(`Statewise: ${chosen.unavailable}`);
    return;
  }
  await writeSetting('model.architecture', chosen.arch);
}

async function pick(key: 'model.architecture' | 'engine.executionProvider', options: readonly string[], title: string): Promise<void> {
  const current = readSettings().settings[key];
  const items = options.map((label) => ({ label, description: label === current ? 'current' : undefined }));
  const chosen = await vscode.window.showQuickPick(items, { title: `Statewise: ${title}`, placeHolder: current });
  if (chosen && chosen.label !== current) await writeSetting(key, chosen.label);
}

/** Forgets the engine's crashes and starts it again (also when it was stopped after crashing). */
async function restartEngine(client: LanguageClient): Promise<void> {
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Statewise: restarting the engine' },
      () => client.sendRequest<RestartEngineResult>(RestartEngineRequest.method),
    );
    const message = restartMessage(result);
    if (result.error) void vscode.window.showErrorMessage(message);
    else void vscode.window.showInformationMessage(message);
  } catch (err) {
    void vscode.window.showErrorMessage(`Statewise: restarting the engine failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function rebuildWorkspace(client: LanguageClient): Promise<void> {
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Statewise: rebuilding the workspace state' },
      () => client.sendRequest<RebuildWorkspaceResult>(RebuildWorkspaceRequest.method),
    );
    void vscode.window.showInformationMessage(rebuildMessage(result));
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Statewise: rebuilding the workspace state failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
