// Composition root of the thin client: starts the language server, renders its status, logs its
// per-request lines and registers the commands. No completion logic lives here (docs/architecture.md).
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import {
  AskProgressNotification,
  RequestLogNotification,
  StatusNotification,
  type AskProgressParams,
  type RequestLogParams,
  type StatusParams,
} from '../server/protocol/lsp';
import { ASK_VIEW_TYPE, AskPanel } from './askPanel';
import { createClient } from './client';
import { registerCommands } from './commands';
import { readSettings } from './config';
import { formatRequestLog } from './format';
import { StatusBar } from './status';

/** What activate() returns, for tests running in the extension host. */
export interface StatewiseApi {
  /** Resolves at the first "ready" (or "slow") status; rejects only if the server cannot start. */
  ready: Promise<void>;
  /** The last status shown in the status bar. */
  status(): StatusParams | undefined;
  /** The inline-completion provider the language client registered for a document, if any. */
  inlineCompletionProvider(document: vscode.TextDocument): vscode.InlineCompletionItemProvider | undefined;
}

let client: LanguageClient | undefined;
let stopping = false;

export function activate(context: vscode.ExtensionContext): StatewiseApi {
  const log = vscode.window.createOutputChannel('Statewise', { log: true });
  const statusBar = new StatusBar();
  const { settings, warnings } = readSettings();
  for (const w of warnings) log.warn(w);

  let markReady!: () => void;
  let markFailed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => undefined); // Nobody has to await it; the failure is shown in the status bar.

  const c = (client = createClient(context, log, settings, vscode.workspace.isTrusted));
  c.onNotification(StatusNotification.method, (p: StatusParams) => {
    statusBar.update(p);
    if (p.state === 'ready' || p.state === 'slow') markReady();
  });
  c.onNotification(RequestLogNotification.method, (p: RequestLogParams) => {
    log.info(formatRequestLog(p, vscode.workspace.asRelativePath(vscode.Uri.parse(p.uri))));
  });
  const askPanel = new AskPanel(c, log);
  c.onNotification(AskProgressNotification.method, (p: AskProgressParams) => askPanel.onProgress(p));
  c.onDidChangeState((e) => {
    if (e.newState === State.Stopped && !stopping) {
      statusBar.update({ state: 'error', message: 'The Statewise server stopped. Run "Statewise: Show Log" for details.' });
    }
  });

  context.subscriptions.push(
    log,
    statusBar,
    askPanel,
    ...registerCommands({ client: c, statusBar, log, askPanel, extensionPath: context.extensionPath }),
    // A panel left open when the window closed comes back with the conversation its webview saved.
    vscode.window.registerWebviewPanelSerializer(ASK_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => askPanel.restore(panel, state),
    }),
  );
  // Trust granted later: restart the server so it starts indexing (trust is passed at initialize).
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: restarting the server to index the workspace');
      void c.restart().catch((err: unknown) => log.error(`restart failed: ${String(err)}`));
    }),
  );
  c.start().catch((err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    log.error(`The Statewise server did not start: ${reason}`);
    statusBar.update({ state: 'error', message: `The Statewise server did not start: ${reason}` });
    markFailed(err);
  });
  return {
    ready,
    status: () => statusBar.current,
    inlineCompletionProvider: (document) => c.getFeature('textDocument/inlineCompletion')?.getProvider(document),
  };
}

export async function deactivate(): Promise<void> {
  stopping = true;
  await client?.stop();
  client = undefined;
}
