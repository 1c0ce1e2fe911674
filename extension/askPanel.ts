// The Ask panel (webview): one panel, one conversation per file. Sends `statewise/ask` with the
// earlier turns as history, folds `statewise/askProgress` into the state, cancels through the
// request's CancellationToken ($/cancelRequest). State changes live in askState.ts, HTML in askHtml.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AskRequest, type AskParams, type AskProgressParams, type AskResult } from '../server/protocol/lsp';
import { parseWebviewMessage, renderMessage, renderPage, renderTranscript } from './askHtml';
import {
  applyProgress,
  emptyState,
  failTurn,
  finishTurn,
  historyOf,
  parseAskState,
  restored,
  startTurn,
  streamingTurn,
  type AskState,
} from './askState';
import { formatAskLog } from './format';

export const ASK_VIEW_TYPE = 'statewise.ask';

/** What an Ask command is about: a document and, optionally, a selection in it. */
export interface AskTarget {
  uri: vscode.Uri;
  selection?: vscode.Range;
}

/** Conversations remembered for files the panel is not showing (switching back restores them). */
const MAX_SAVED = 20;

export class AskPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private state: AskState | undefined;
  private selection: vscode.Range | undefined;
  private readonly saved = new Map<string, AskState>();
  private inflight: { askId: string; cts: vscode.CancellationTokenSource } | undefined;

  constructor(
    private readonly client: LanguageClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Shows the panel for a file (its earlier conversation, if any); asks `question` at once if given. */
  open(target: AskTarget, question?: string): void {
    const uri = target.uri.toString();
    if (this.state?.uri !== uri) {
      if (this.state) this.remember(this.state);
      this.state = this.saved.get(uri) ?? emptyState(uri, vscode.workspace.asRelativePath(target.uri));
    }
    this.selection = target.selection && !target.selection.isEmpty ? target.selection : undefined;
    if (!this.panel) this.attach(this.createPanel());
    else this.panel.reveal(undefined, false);
    this.render();
    if (question?.trim()) this.ask(question.trim());
  }

  /** A panel VS Code restored after a reload, with the state its webview saved (checked: the webview
   *  could have stored anything). */
  restore(panel: vscode.WebviewPanel, saved: unknown): void {
    const state = parseAskState(saved);
    if (state) this.state = restored(state);
    else if (saved !== undefined && saved !== null)
      this.log.warn('Ask panel: the restored conversation has the wrong shape; starting a new one');
    this.attach(panel);
  }

  /** A `statewise/askProgress` notification. */
  onProgress(p: AskProgressParams): void {
    if (!this.state || !this.state.turns.some((t) => t.askId === p.askId)) return;
    this.state = applyProgress(this.state, p);
    this.render();
  }

  cancel(): void {
    this.inflight?.cts.cancel();
  }

  dispose(): void {
    this.cancel();
    this.panel?.dispose();
  }

  private ask(question: string): void {
    const state = this.state;
    if (!state || streamingTurn(state)) return;
    const askId = randomUUID();
    const sel = this.selection;
    const params: AskParams = {
      askId,
      uri: state.uri,
      question,
      history: historyOf(state),
      ...(sel ? { selection: { start: sel.start, end: sel.end } } : {}),
    };
    this.state = startTurn(state, askId, question, sel ? { start: sel.start.line + 1, end: sel.end.line + 1 } : undefined);
    this.render();
    const cts = new vscode.CancellationTokenSource();
    this.inflight = { askId, cts };
    const uri = state.uri;
    const started = Date.now();
    this.client
      .sendRequest<AskResult>(AskRequest.method, params, cts.token)
      .then(
        (r) => {
          this.log.info(formatAskLog(r, state.label));
          this.update(uri, (s) => finishTurn(s, askId, r));
        },
        (err: unknown) => {
          const cancelled = cts.token.isCancellationRequested;
          const message = err instanceof Error ? err.message : String(err);
          this.log.info(`ask ${state.label} ${cancelled ? 'cancelled' : `error: ${message}`} after ${Date.now() - started}ms`);
          this.update(uri, (s) => failTurn(s, askId, cancelled ? undefined : message));
        },
      )
      .finally(() => {
        if (this.inflight?.askId === askId) this.inflight = undefined;
        cts.dispose();
      });
  }

  /** Applies a change to the conversation about `uri`, shown or saved. */
  private update(uri: string, f: (s: AskState) => AskState): void {
    if (this.state?.uri === uri) {
      this.state = f(this.state);
      this.render();
    } else {
      const s = this.saved.get(uri);
      if (s) this.saved.set(uri, f(s));
    }
  }

  private remember(s: AskState): void {
    this.saved.delete(s.uri);
    this.saved.set(s.uri, s);
    if (this.saved.size > MAX_SAVED) this.saved.delete(this.saved.keys().next().value!);
  }

  private createPanel(): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(
      ASK_VIEW_TYPE,
      'Statewise: Ask',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      {
        enableScripts: true,
        // History survives the panel being hidden behind another tab; the state is also re-sent on show.
        retainContextWhenHidden: true,
        localResourceRoots: [],
      },
    );
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    const nonce = randomBytes(16).toString('hex');
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    panel.webview.html = renderPage({
      nonce,
      cspSource: panel.webview.cspSource,
      title: 'Statewise: Ask',
      transcriptHtml: this.state ? renderTranscript(this.state) : '',
    });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const m = parseWebviewMessage(raw);
      if (m?.type === 'ready') this.render();
      else if (m?.type === 'ask') this.ask(m.question);
      else if (m?.type === 'cancel') this.cancel();
    });
    panel.onDidChangeViewState(() => {
      if (panel.visible) this.render();
    });
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.cancel();
      if (this.state) this.remember(this.state);
      this.state = undefined;
    });
  }

  private render(): void {
    if (!this.panel || !this.state) return;
    this.panel.title = `Ask: ${this.state.label.slice(this.state.label.lastIndexOf('/') + 1)}`;
    void this.panel.webview.postMessage(renderMessage(this.state));
  }
}
