// The Ask panel's HTML: the page shell (strict CSP, nonce'd style and script) and the transcript
// rendered from AskState. Pure: every text from the model, the user or a file name goes through
// escapeHtml. The webview's script only swaps the transcript in and posts the user's actions back.
import askFormat from '../models/ask-format.json';
import { fileTokens, streamingTurn, type AskState, type Turn } from './askState';

/** The input's hint: questions of the kinds the models were trained to answer (models/ask-format.json).
 *  Free-form ones ("What does this file do?") were never in training and get one-word answers such
 *  as `none` (issue 14), so the hint shows what works. */
export const QUESTION_HINT = `Ask about this file, e.g. ${[askFormat.kinds.returns, askFormat.kinds.params]
  .map((q) => `“${q.replace('{name}', 'f')}”`)
  .join(' or ')} (Enter sends, Shift+Enter: new line)`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A count as text; anything but a finite number renders as '?' (restored state is checked, but be safe). */
const num = (n: number): string => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');
/** A line number as plain digits, or '?'. */
const int = (n: number): string => (typeof n === 'number' && Number.isFinite(n) ? String(Math.trunc(n)) : '?');

/** Answer text: ``` fences become code blocks (the fence's language tag dropped), the rest stays text. */
export function renderAnswer(text: string): string {
  return text
    .split('```')
    .map((part, i) => {
      if (i % 2 === 0) return part === '' ? '' : `<div class="text">${escapeHtml(part)}</div>`;
      const body = /^[\w+-]*\n/.test(part) ? part.slice(part.indexOf('\n') + 1) : part;
      return `<pre><code>${escapeHtml(body)}</code></pre>`;
    })
    .join('');
}

/** `prompt 24,310 tokens (24,102 cached) · first token 812 ms · 3,204 ms · 57 tokens · hawk·cpu` */
export function statsLine(t: Turn): string {
  const r = t.result;
  if (!r) return t.status === 'streaming' ? `${num(t.tokens)} tokens so far` : '';
  return (
    `prompt ${num(r.promptTokens)} tokens (${num(r.cachedTokens)} cached) · first token ${num(r.firstTokenMs)} ms · ` +
    `${num(r.latencyMs)} ms · ${num(r.generatedTokens)} tokens · ${r.arch}·${r.ep}`
  );
}

const STATUS_TEXT: Record<Turn['status'], string> = { streaming: 'answering…', done: '', cancelled: 'cancelled', error: 'error' };

function renderTurn(t: Turn): string {
  // Every value goes through escapeHtml or num, whatever its declared type: a restored state is data
  // the webview stored, and only known statuses are rendered as such.
  const status: Turn['status'] = Object.prototype.hasOwnProperty.call(STATUS_TEXT, t.status) ? t.status : 'error';
  const where = t.lines ? `<span class="lines">lines ${int(t.lines.start)}–${int(t.lines.end)}</span> ` : '';
  const cancel = status === 'streaming' ? '<button class="cancel" data-action="cancel">Cancel</button>' : '';
  const error = t.error ? `<div class="error">${escapeHtml(String(t.error))}</div>` : '';
  const state = STATUS_TEXT[status] ? `<span class="state">${STATUS_TEXT[status]}</span>` : '';
  return (
    `<section class="turn" data-ask-id="${escapeHtml(String(t.askId))}" data-status="${status}">` +
    `<div class="question">${where}${escapeHtml(t.question)}</div>` +
    `<div class="answer">${renderAnswer(t.answer)}</div>${error}` +
    `<div class="meta">${state}<span class="stats">${escapeHtml(statsLine(t))}</span>${cancel}</div>` +
    `</section>`
  );
}

/** The transcript: which file, its token count, every turn. */
export function renderTranscript(s: AskState): string {
  const n = fileTokens(s);
  const header =
    `<header><span class="file">${escapeHtml(s.label)}</span>` +
    `<span class="file-tokens">${n === undefined ? '' : `${num(n)} tokens read`}</span></header>`;
  const body =
    s.turns.length === 0
      ? '<p class="empty">Ask a question about this file. The model reads the part of the file your question names (the whole file when it names nothing in it), then answers.</p>'
      : s.turns.map(renderTurn).join('');
  return header + body;
}

/** What the webview gets on every change: the transcript and whether the form should wait. */
export interface RenderMessage {
  type: 'render';
  html: string;
  busy: boolean;
  state: AskState;
}

export function renderMessage(s: AskState): RenderMessage {
  return { type: 'render', html: renderTranscript(s), busy: streamingTurn(s) !== undefined, state: s };
}

/** Messages the webview posts back. */
export type WebviewMessage = { type: 'ready' } | { type: 'ask'; question: string } | { type: 'cancel' };

export function parseWebviewMessage(m: unknown): WebviewMessage | undefined {
  const v = m as { type?: unknown; question?: unknown };
  if (typeof m !== 'object' || m === null) return undefined;
  if (v.type === 'ready' || v.type === 'cancel') return { type: v.type };
  if (v.type === 'ask' && typeof v.question === 'string' && v.question.trim() !== '') return { type: 'ask', question: v.question.trim() };
  return undefined;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource}`,
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px 12px; }
header { display: flex; justify-content: space-between; gap: 12px; padding: 8px 0; border-bottom: 1px solid var(--vscode-panel-border); position: sticky; top: 0; background: var(--vscode-editor-background); }
.file { font-weight: 600; } .file-tokens, .meta, .lines, .empty { color: var(--vscode-descriptionForeground); }
.turn { padding: 8px 0; border-bottom: 1px solid var(--vscode-panel-border); }
.question { font-weight: 600; margin-bottom: 6px; white-space: pre-wrap; }
.answer .text { white-space: pre-wrap; }
pre { background: var(--vscode-textCodeBlock-background); padding: 6px; overflow-x: auto; }
code, pre { font-family: var(--vscode-editor-font-family); }
.meta { display: flex; gap: 10px; align-items: center; font-size: 0.9em; margin-top: 6px; }
.error { color: var(--vscode-errorForeground); }
form { display: flex; gap: 6px; margin-top: 12px; }
textarea { flex: 1; resize: vertical; min-height: 2.4em; font-family: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 10px; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
button.cancel { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
`;

// Runs in the webview. It never builds HTML itself: the transcript arrives rendered (and escaped).
const SCRIPT = `
const vscode = acquireVsCodeApi();
const transcript = document.getElementById('transcript');
const form = document.getElementById('ask');
const input = document.getElementById('question');
const send = document.getElementById('send');
let busy = false;
function sync() { send.disabled = busy || input.value.trim() === ''; }
window.addEventListener('message', (e) => {
  const m = e.data;
  if (!m || m.type !== 'render') return;
  const atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
  transcript.innerHTML = m.html;
  busy = m.busy;
  document.body.dataset.busy = String(busy);
  vscode.setState(m.state);
  sync();
  if (atEnd) window.scrollTo(0, document.body.scrollHeight);
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const question = input.value.trim();
  if (busy || !question) return;
  vscode.postMessage({ type: 'ask', question });
  input.value = '';
  sync();
});
input.addEventListener('input', sync);
input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
document.addEventListener('click', (e) => { if (e.target.closest('[data-action="cancel"]')) vscode.postMessage({ type: 'cancel' }); });
sync();
input.focus();
vscode.postMessage({ type: 'ready' });
`;

export interface PageOptions {
  nonce: string;
  cspSource: string;
  title: string;
  transcriptHtml: string;
}

/** The whole webview document. */
export function renderPage(o: PageOptions): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(o.cspSource, o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title)}</title>
<style nonce="${o.nonce}">${STYLE}</style>
</head><body data-busy="false">
<main id="transcript">${o.transcriptHtml}</main>
<form id="ask"><textarea id="question" rows="2" placeholder="${escapeHtml(QUESTION_HINT)}"></textarea>
<button id="send" type="submit">Ask</button></form>
<script nonce="${o.nonce}">${SCRIPT}</script>
</body></html>`;
}
