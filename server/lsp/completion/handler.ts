// textDocument/inlineCompletion: gates (language, position, auto-trigger policy), the type-through
// cache, the debounce for automatic triggers, one generation at a time (newer wins), the engine
// request, post-processing, latency and a statewise/requestLog line for every request.

import type { CancellationToken, Connection, InlineCompletionItem, InlineCompletionParams, Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionCache } from './cache';
import { buildContext } from './context';
import { Debouncer, type Timers } from './debounce';
import { postprocess } from './filters';
import { LatencyWindow } from './latency';
import { shouldSkipAutoTrigger } from './policy';
import { buildCompletionRequest } from './request';
import { isAbortError, SingleFlight } from './singleFlight';
import type { EngineLike } from '../engineClient';
import { isCancelled } from '../../protocol/errors';
import type { CompleteResult } from '../../protocol/ipc';
import { RequestLogNotification, type RequestLogParams } from '../../protocol/lsp';
import { languageEnabled } from '../../shared/settings';
import type { DocumentSync } from '../documents';
import type { Logger } from '../logger';
import type { ModelManager } from '../model';
import { notify } from '../notify';
import type { SettingsStore } from '../settingsStore';
import type { StatusReporter } from '../status';

/** LSP InlineCompletionTriggerKind.Invoked: the user asked (a key binding), not typing. */
const INVOKED = 1;

export interface CompletionDeps {
  connection: Connection;
  engine: EngineLike;
  documents: DocumentSync;
  settings: SettingsStore;
  model: ModelManager;
  status: StatusReporter;
  log: Logger;
  /** Changes whenever the same text could complete differently (model load, workspace, settings). */
  contextVersion: () => string;
  timers?: Timers;
  now?: () => number;
}

type Outcome = RequestLogParams['outcome'];
type Stats = Pick<CompleteResult, 'promptTokens' | 'cachedTokens' | 'generatedTokens' | 'definitions'> & { ep?: string; arch?: string };

/**
 * The document offset of an LSP position, or undefined when the position lies outside the
 * document: a negative or fractional value, a line past the last, a character past the line's end.
 */
export function offsetOf(doc: TextDocument, pos: Position): number | undefined {
  const { line, character } = pos;
  if (!Number.isInteger(line) || !Number.isInteger(character) || line < 0 || character < 0 || line >= doc.lineCount) return undefined;
  const text = doc.getText();
  const start = doc.offsetAt({ line, character: 0 });
  let end = line + 1 < doc.lineCount ? doc.offsetAt({ line: line + 1, character: 0 }) : text.length;
  if (end > start && text[end - 1] === '\n') end--;
  if (end > start && text[end - 1] === '\r') end--;
  return character > end - start ? undefined : start + character;
}

export class CompletionHandler {
  readonly cache = new CompletionCache();
  readonly latency = new LatencyWindow();
  readonly debouncer: Debouncer;
  private readonly flight = new SingleFlight();
  private readonly now: () => number;

  constructor(private readonly deps: CompletionDeps) {
    this.debouncer = new Debouncer(deps.settings.settings['completion.debounceMs'], deps.timers);
    this.now = deps.now ?? (() => performance.now());
  }

  /** Never throws: every failure is an empty answer and a log line. */
  async handle(params: InlineCompletionParams, token: CancellationToken): Promise<InlineCompletionItem[]> {
    const started = this.now();
    const uri = params.textDocument.uri;
    const finish = (items: InlineCompletionItem[], outcome: Outcome, stats?: Stats): InlineCompletionItem[] => {
      this.sendLog(uri, started, outcome, stats);
      return items;
    };
    try {
      return await this.run(params, token, finish);
    } catch (err) {
      this.deps.log.error(`inline completion failed: ${(err as Error).stack ?? String(err)}`);
      return finish([], 'error');
    }
  }

  private async run(
    params: InlineCompletionParams,
    token: CancellationToken,
    finish: (items: InlineCompletionItem[], outcome: Outcome, stats?: Stats) => InlineCompletionItem[],
  ): Promise<InlineCompletionItem[]> {
    const { documents, settings: store, model, engine, log } = this.deps;
    const uri = params.textDocument.uri;
    const doc = documents.get(uri);
    const settings = store.settings;
    if (!doc || !languageEnabled(settings.enable, doc.languageId)) return finish([], 'empty');
    const offset = offsetOf(doc, params.position);
    if (offset === undefined) return finish([], 'empty');
    const ctx = buildContext(doc.getText(), offset, doc.languageId);
    const manual = params.context?.triggerKind === INVOKED;
    if (!manual && shouldSkipAutoTrigger(ctx)) return finish([], 'empty');
    documents.touch(uri, params.position.line);
    if (!model.loaded || !documents.attached) return finish([], 'empty');

    const key = { uri, prefix: ctx.prefix, suffix: ctx.suffix, contextVersion: this.deps.contextVersion() };
    const item = (text: string): InlineCompletionItem => ({ insertText: text, range: { start: params.position, end: params.position } });
    if (!manual) {
      const hit = this.cache.get(key);
      if (hit !== undefined) return finish([item(hit)], 'cache');
    }

    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    if (token.isCancellationRequested) abort.abort();
    const version = doc.version;
    try {
      // Automatic triggers wait out a burst of keystrokes; a newer request ends this wait.
      if (!manual && !(await this.debouncer.wait(abort.signal))) return finish([], 'cancelled');
      const { mode, params: request } = buildCompletionRequest({ uri, version, position: params.position, ctx, settings, manual });
      const generationStart = this.now();
      const result = await this.flight.run((signal) => {
        if (documents.get(uri)?.version !== version) return Promise.reject(new DOMException('document changed', 'AbortError'));
        return engine.request('complete', request, AbortSignal.any([signal, abort.signal]));
      });
      const texts = [...new Set(result.completions.map((c) => postprocess(c, ctx, mode)).filter((c) => c !== ''))];
      // Latency the user feels after the debounce: waiting for the previous generation included.
      const wall = this.now() - generationStart;
      this.latency.record(wall);
      this.deps.status.setLatency(wall, this.latency.slow);
      this.deps.status.setStateOverCap(result.stateOverCap);
      if (texts.length > 0) this.cache.set(key, texts[0]!);
      return finish(texts.map(item), texts.length > 0 ? 'ok' : 'empty', result);
    } catch (err) {
      if (abort.signal.aborted || isAbortError(err) || isCancelled(err)) return finish([], 'cancelled');
      log.warn(`completion ${uri}: ${(err as Error).name}: ${(err as Error).message}`);
      return finish([], 'error');
    } finally {
      sub.dispose();
    }
  }

  /** Aborts the generation in flight (document closed, shutdown). */
  cancelAll(): void {
    this.debouncer.cancel();
    this.flight.abort();
  }

  private sendLog(uri: string, started: number, outcome: Outcome, stats?: Stats): void {
    const loaded = this.deps.model.loaded?.result;
    const params: RequestLogParams = {
      uri,
      promptTokens: stats?.promptTokens ?? 0,
      cachedTokens: stats?.cachedTokens ?? 0,
      generatedTokens: stats?.generatedTokens ?? 0,
      latencyMs: Math.round(this.now() - started),
      ep: stats?.ep ?? loaded?.ep ?? '',
      arch: stats?.arch ?? loaded?.arch ?? '',
      outcome,
      ...(stats?.definitions?.length ? { definitions: stats.definitions.length } : {}),
    };
    notify(this.deps.connection, RequestLogNotification.method, params);
  }
}
