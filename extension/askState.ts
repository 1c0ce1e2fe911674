// The Ask panel's conversation as data: what was asked about which file, the answers so far and
// their numbers. Pure (no vscode import): askPanel.ts feeds it LSP events, askHtml.ts renders it.
import type { AskParams, AskProgressParams, AskResult } from '../server/protocol';

export type TurnStatus = 'streaming' | 'done' | 'cancelled' | 'error';

export interface Turn {
  askId: string;
  question: string;
  answer: string;
  status: TurnStatus;
  /** Lines of the selection asked about (1-based, inclusive), if any. */
  lines?: { start: number; end: number };
  tokens: number;
  result?: Pick<AskResult, 'fileTokens' | 'promptTokens' | 'cachedTokens' | 'generatedTokens' | 'firstTokenMs' | 'latencyMs' | 'arch' | 'ep'>;
  error?: string;
}

export interface AskState {
  /** Document the conversation is about. */
  uri: string;
  /** How the file is named to people (workspace-relative path). */
  label: string;
  turns: Turn[];
}

export function emptyState(uri: string, label: string): AskState {
  return { uri, label, turns: [] };
}

/** The one turn still streaming, if any (there is at most one). */
export function streamingTurn(s: AskState): Turn | undefined {
  return s.turns.find((t) => t.status === 'streaming');
}

/** Earlier answered turns, oldest first, as `AskParams.history` (cancelled turns keep their partial answer). */
export function historyOf(s: AskState): NonNullable<AskParams['history']> {
  return s.turns
    .filter((t) => (t.status === 'done' || t.status === 'cancelled') && t.answer.trim() !== '')
    .map((t) => ({ question: t.question, answer: t.answer }));
}

export function startTurn(s: AskState, askId: string, question: string, lines?: Turn['lines']): AskState {
  const turn: Turn = { askId, question, answer: '', status: 'streaming', tokens: 0, ...(lines ? { lines } : {}) };
  return { ...s, turns: [...s.turns, turn] };
}

function update(s: AskState, askId: string, f: (t: Turn) => Turn): AskState {
  return { ...s, turns: s.turns.map((t) => (t.askId === askId ? f(t) : t)) };
}

/** A progress notification: its text is the whole answer so far. Late ones (after the end) are ignored. */
export function applyProgress(s: AskState, p: AskProgressParams): AskState {
  return update(s, p.askId, (t) => (t.status === 'streaming' ? { ...t, answer: p.text, tokens: p.tokens } : t));
}

export function finishTurn(s: AskState, askId: string, r: AskResult): AskState {
  return update(s, askId, (t) => ({
    ...t,
    answer: r.answer,
    tokens: r.generatedTokens,
    status: r.cancelled ? 'cancelled' : 'done',
    result: {
      fileTokens: r.fileTokens, promptTokens: r.promptTokens, cachedTokens: r.cachedTokens, generatedTokens: r.generatedTokens,
      firstTokenMs: r.firstTokenMs, latencyMs: r.latencyMs, arch: r.arch, ep: r.ep,
    },
  }));
}

/** The request ended without a result: cancelled before any answer, or an error. */
export function failTurn(s: AskState, askId: string, error: string | undefined): AskState {
  return update(s, askId, (t) => (error === undefined ? { ...t, status: 'cancelled' } : { ...t, status: 'error', error }));
}

/** The file's token count from the newest turn that measured it. */
export function fileTokens(s: AskState): number | undefined {
  for (let i = s.turns.length - 1; i >= 0; i--) {
    const n = s.turns[i]!.result?.fileTokens;
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Whether a value read back from webview state (JSON) is an AskState; anything else is dropped. */
export function isAskState(v: unknown): v is AskState {
  const s = v as AskState;
  return typeof v === 'object' && v !== null && typeof s.uri === 'string' && typeof s.label === 'string' && Array.isArray(s.turns) &&
    s.turns.every((t) => typeof t?.askId === 'string' && typeof t.question === 'string' && typeof t.answer === 'string');
}

/** A restored conversation: a turn that was streaming when the window went away did not finish. */
export function restored(s: AskState): AskState {
  return { ...s, turns: s.turns.map((t) => (t.status === 'streaming' ? { ...t, status: 'cancelled' as const } : t)) };
}
