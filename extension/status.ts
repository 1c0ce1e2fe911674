// The status bar item: renders the last `statewise/status` from the server plus the active editor's
// enable state (statusText.ts does the mapping). Clicking it opens the Statewise menu.
import * as vscode from 'vscode';
import type { StatusParams } from '../server/protocol/lsp';
import { enableMap } from './config';
import { disabledState } from './gate';
import { COMMAND } from './manifest';
import { renderStatus } from './statusText';

/** Schemes the client serves; other editors (output, settings) do not change the language shown. */
const SERVED_SCHEMES = new Set(['file', 'untitled']);

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('statewise.status', vscode.StatusBarAlignment.Right, 1000);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private params: StatusParams | undefined;
  private languageId: string | undefined;

  constructor() {
    this.item.name = 'Statewise';
    this.item.command = COMMAND.statusMenu;
    this.trackEditor(vscode.window.activeTextEditor);
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        this.trackEditor(e);
        this.render();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('statewise.enable')) this.render();
      }),
    );
    this.render();
    this.item.show();
  }

  /** The last status the server sent (or the client set on a failure). */
  get current(): StatusParams | undefined {
    return this.params;
  }

  /** The language of the last served editor, used by the per-language commands. */
  get activeLanguageId(): string | undefined {
    return this.languageId;
  }

  update(params: StatusParams): void {
    this.params = params;
    this.render();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private trackEditor(editor: vscode.TextEditor | undefined): void {
    if (!editor) this.languageId = undefined;
    else if (SERVED_SCHEMES.has(editor.document.uri.scheme)) this.languageId = editor.document.languageId;
  }

  private render(): void {
    const r = renderStatus(this.params, disabledState(enableMap(), this.languageId));
    this.item.text = r.text;
    this.item.tooltip = r.tooltip;
    this.item.backgroundColor = r.severity ? new vscode.ThemeColor(`statusBarItem.${r.severity}Background`) : undefined;
  }
}
