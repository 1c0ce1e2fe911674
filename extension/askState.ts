// The Ask panel's conversation as data: what was asked about which file, the answers so far and
// their numbers. Pure (no vscode import): askPanel.ts feeds it LSP events, askHtml.ts renders it.
import type { AskParams, AskProgressParams, AskResult } from '../server/protocol/lsp';

export type TurnStatus = 'streaming' | 'done' | 'cancelled' | 'error';

export interface Turn {
  askId: string;
  question: string;
  answer: string;
  status: TurnStatus;
  /** Lines of the selection asked about (1-based, inclusive), if any. */
  lines?: { start: number; end: number };
  tokens: number;
  result?: Pick<
    AskResult,
    'fileTokens' | 'promptTokens' | 'cachedTokens' | 'generatedTokens' | 'firstTokenMs' | 'latencyMs' | 'arch' | 'ep'
  >;
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
      fileTokens: r.fileTokens,
      promptTokens: r.promptTokens,
      cachedTokens: r.cachedTokens,
      generatedTokens: r.generatedTokens,
      firstTokenMs: r.firstTokenMs,
      latencyMs: r.latencyMs,
      arch: r.arch,
      ep: r.ep,
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

const STATUSES: ReadonlySet<string> = new Set<TurnStatus>(['streaming', 'done', 'cancelled', 'error']);
/** Most turns kept from restored state (a conversation is far shorter; the rest is dropped). */
export const MAX_RESTORED_TURNS = 500;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const line = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** One turn of restored state rebuilt from its known fields, or undefined when it has the wrong shape. */
function parseTurn(v: unknown): Turn | undefined {
  if (!isObject(v)) return undefined;
  const { askId, question, answer, status, tokens, lines, result, error } = v;
  if (typeof askId !== 'string' || typeof question !== 'string' || typeof answer !== 'string') return undefined;
  if (typeof status !== 'string' || !STATUSES.has(status)) return undefined;
  const turn: Turn = { askId, question, answer, status: status as TurnStatus, tokens: count(tokens) ? tokens : 0 };
  if (isObject(lines) && line(lines.start) && line(lines.end)) turn.lines = { start: lines.start, end: lines.end };
  if (isObject(result)) {
    const r = result;
    const nums = ['fileTokens', 'promptTokens', 'cachedTokens', 'generatedTokens', 'firstTokenMs', 'latencyMs'] as const;
    if (nums.every((k) => count(r[k])) && typeof r.arch === 'string' && typeof r.ep === 'string') {
      turn.result = {
        fileTokens: r.fileTokens as number,
        promptTokens: r.promptTokens as number,
        cachedTokens: r.cachedTokens as number,
        generatedTokens: r.generatedTokens as number,
        firstTokenMs: r.firstTokenMs as number,
        latencyMs: r.latencyMs as number,
        arch: r.arch,
        ep: r.ep,
      };
    }
  }
  if (typeof error === 'string') turn.error = error;
  return turn;
}

/**
 * State read back from the webview (JSON the webview could have altered): rebuilt from its known
 * fields only, each checked (a turn of the wrong shape is dropped; optional fields of the wrong
 * type are left out), or undefined when it is not a conversation at all.
 */
export function parseAskState(v: unknown): AskState | undefined {
  if (!isObject(v) || typeof v.uri !== 'string' || v.uri === '' || typeof v.label !== 'string' || !Array.isArray(v.turns)) return undefined;
  const turns = v.turns
    .slice(-MAX_RESTORED_TURNS)
    .map(parseTurn)
    .filter((t): t is Turn => t !== undefined);
  return { uri: v.uri, label: v.label, turns };
}

/** Whether a value read back from webview state (JSON) is a well-formed AskState (parseAskState keeps all of it). */
export function isAskState(v: unknown): v is AskState {
  const s = parseAskState(v);
  return s !== undefined && s.turns.length === (v as AskState).turns.length;
}

/** A restored conversation: a turn that was streaming when the window went away did not finish. */
export function restored(s: AskState): AskState {
  return { ...s, turns: s.turns.map((t) => (t.status === 'streaming' ? { ...t, status: 'cancelled' as const } : t)) };
}
