// statewise/ask: a question about a file, answered by the engine (server/engine/ask.ts). The file is
// the open document (its text, and the engine's copy with its checkpoints) or, when it is not open,
// the file on disk (binary and over-size files refused; only regular files inside a workspace folder,
// and none in an untrusted workspace: diskFileInScope). Malformed params are InvalidParams. The answer streams to the client as
// statewise/askProgress notifications; $/cancelRequest ends it with the partial answer.

import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ASK_MAX_ANSWER_TOKENS, ASK_MAX_FILE_BYTES, readAskFile, validAnswerTokens } from './askFile';
import type { EngineLike } from '../engineClient';
import { isCancelled } from '../../protocol/errors';
import type { EngineAskParams } from '../../protocol/ipc';
import { AskProgressNotification, type AskParams, type AskProgressParams, type AskResult } from '../../protocol/lsp';
import { uriToFsPath } from '../docPath';
import type { DocumentSync } from '../documents';
import type { Logger } from '../logger';
import type { ModelManager } from '../model';
import { notify } from '../notify';

/** Where Ask may read files from disk: the workspace folders, and only when the workspace is trusted. */
export interface AskScope {
  /** initializationOptions.trusted !== false. Untrusted: Ask reads only documents open in the editor. */
  trusted: boolean;
  /** Workspace folders (file-system paths). A file on disk is read only when it lies inside one. */
  roots: readonly string[];
}

export interface AskDeps {
  connection: Connection;
  engine: EngineLike;
  documents: DocumentSync;
  model: ModelManager;
  log: Logger;
  scope: () => AskScope;
}

const invalid = (message: string) => new ResponseError(ErrorCodes.InvalidParams, message);

/** Checks the shape of the client's params; returns a message for the first problem. Pure. */
export function checkAskParams(p: unknown): string | undefined {
  const a = p as Partial<AskParams> | null;
  if (!a || typeof a !== 'object' || Array.isArray(a)) return 'statewise/ask needs params (an object)';
  if (typeof a.askId !== 'string') return 'askId must be a string';
  if (typeof a.uri !== 'string' || a.uri === '') return 'uri must be a document URI';
  if (typeof a.question !== 'string' || a.question.trim() === '') return 'question must be a non-empty string';
  if (
    a.history !== undefined &&
    (!Array.isArray(a.history) || a.history.some((t) => typeof t?.question !== 'string' || typeof t?.answer !== 'string'))
  ) {
    return 'history must be a list of { question, answer } strings';
  }
  if (a.maxTokens !== undefined && !validAnswerTokens(a.maxTokens)) return `maxTokens must be an integer in 1..${ASK_MAX_ANSWER_TOKENS}`;
  if (a.selection !== undefined && a.selection !== null && !isRange(a.selection)) {
    return 'selection must be a range { start: { line, character }, end: { line, character } } of non-negative integers';
  }
  return undefined;
}

function isPosition(p: unknown): boolean {
  const q = p as { line?: unknown; character?: unknown } | null;
  return (
    typeof q === 'object' &&
    q !== null &&
    Number.isSafeInteger(q.line) &&
    Number.isSafeInteger(q.character) &&
    (q.line as number) >= 0 &&
    (q.character as number) >= 0
  );
}

/** An LSP range: two positions of non-negative integers. Pure. */
export function isRange(r: unknown): boolean {
  const q = r as { start?: unknown; end?: unknown } | null;
  return typeof q === 'object' && q !== null && !Array.isArray(q) && isPosition(q.start) && isPosition(q.end);
}

/** The selected text of `text`, or undefined without a selection. Pure. */
export function selectedText(text: string, selection: AskParams['selection']): string | undefined {
  if (!selection) return undefined;
  return TextDocument.create('file:///selection', 'plaintext', 0, text).getText(selection);
}

export class AskHandler {
  constructor(private readonly deps: AskDeps) {}

  async handle(params: AskParams, token: CancellationToken): Promise<AskResult> {
    const problem = checkAskParams(params);
    if (problem) throw invalid(problem);
    const { engine, model, log, connection } = this.deps;
    const loaded = model.loaded;
    if (!loaded) throw new ResponseError(LSPErrorCodes.RequestFailed, 'no model is loaded yet (see the Statewise status)');
    const file = await this.file(params.uri);
    const req: EngineAskParams = {
      ...file,
      question: params.question,
      selection: selectedText(file.text, params.selection),
      history: params.history,
      maxTokens: params.maxTokens,
    };
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    if (token.isCancellationRequested) abort.abort();
    try {
      const r = await engine.ask(
        req,
        (text, tokens) => {
          const progress: AskProgressParams = { askId: params.askId, text, tokens };
          notify(connection, AskProgressNotification.method, progress);
        },
        abort.signal,
      );
      log.info(
        `ask ${params.uri}: ${r.generatedTokens} tokens in ${Math.round(r.latencyMs)} ms (first ${Math.round(r.firstTokenMs)} ms; ${r.cachedTokens}/${r.promptTokens} prompt tokens cached; ${r.stop})` +
          (r.askedAs ? `; asked as ${JSON.stringify(r.askedAs)}` : ''),
      );
      return {
        answer: r.answer,
        cancelled: r.cancelled,
        fileTokens: r.fileTokens,
        cachedTokens: r.cachedTokens,
        promptTokens: r.promptTokens,
        generatedTokens: r.generatedTokens,
        firstTokenMs: r.firstTokenMs,
        latencyMs: r.latencyMs,
        arch: r.arch,
        ep: r.ep,
      };
    } catch (err) {
      if (isCancelled(err)) {
        return {
          answer: '',
          cancelled: true,
          fileTokens: 0,
          cachedTokens: 0,
          promptTokens: 0,
          generatedTokens: 0,
          firstTokenMs: 0,
          latencyMs: 0,
          arch: loaded.result.arch,
          ep: loaded.result.ep,
        };
      }
      log.warn(`ask ${params.uri}: ${(err as Error).name}: ${(err as Error).message}`);
      throw new ResponseError(LSPErrorCodes.RequestFailed, `Ask failed: ${(err as Error).message}`);
    } finally {
      sub.dispose();
    }
  }

  /** The open document (with its engine copy when attached), else the file on disk. */
  private async file(uri: string): Promise<Pick<EngineAskParams, 'uri' | 'version' | 'path'> & { text: string }> {
    const { documents } = this.deps;
    const path = documents.pathOf(uri);
    const doc = documents.get(uri);
    if (doc) {
      const text = doc.getText();
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > ASK_MAX_FILE_BYTES)
        throw invalid(`${path}: the file is too large for Ask (${bytes} bytes; the limit is ${ASK_MAX_FILE_BYTES})`);
      return documents.attached ? { uri, version: doc.version, path, text } : { path, text };
    }
    const fsPath = uriToFsPath(uri);
    if (fsPath === undefined) throw invalid(`${uri} is neither open nor a file: URI`);
    const real = await diskFileInScope(fsPath, this.deps.scope());
    if (!real.ok) throw invalid(`${path}: ${real.reason}`);
    const read = await readAskFile(real.path);
    if (!read.ok) throw invalid(`${path}: ${read.reason}`);
    return { path, text: read.text };
  }
}

/** Whether `child` (a resolved path) is `root` or lies under it. Pure. */
function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Whether Ask may read the file `fsPath` from disk (it is not open in the editor): only in a trusted
 * workspace, and only when its real path (symbolic links resolved) lies inside the real path of a
 * workspace folder. Resolves to the real path to read.
 */
export async function diskFileInScope(
  fsPath: string,
  scope: AskScope,
): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  if (!scope.trusted) {
    return {
      ok: false,
      reason:
        'the workspace is not trusted (Restricted Mode): Ask reads only files open in the editor; open the file or trust the workspace',
    };
  }
  if (scope.roots.length === 0)
    return { ok: false, reason: 'no workspace folder is open: Ask reads only files open in the editor; open the file first' };
  let real: string;
  try {
    real = await realpath(fsPath);
  } catch (err) {
    return { ok: false, reason: `cannot read ${fsPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  for (const root of scope.roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue;
    }
    if (isInside(realRoot, real)) return { ok: true, path: real };
  }
  return {
    ok: false,
    reason:
      'the file lies outside the workspace folders: Ask reads files on disk only inside them; open the file in the editor to ask about it',
  };
}
