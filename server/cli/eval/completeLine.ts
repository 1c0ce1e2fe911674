// One completion through the product's path: the request the editor would send at this cursor
// (server/lsp/completion/request.ts: mode, caps, sampling, the model's layout unless `layout` forces
// one), the engine's `complete` (checkpoints, token healing) and the editor's filters. What the
// user sees on the cursor's line is the completion's first line.
import { buildContext } from '../../lsp/completion/context';
import { postprocess } from '../../lsp/completion/filters';
import { shouldSkipAutoTrigger } from '../../lsp/completion/policy';
import { buildCompletionRequest } from '../../lsp/completion/request';
import type { EngineLike } from '../../lsp/engineClient';
import type { CompletionLayout } from '../../protocol/ipc';
import { defaultSettings } from '../../shared/settings';

const settings = defaultSettings();
let docs = 0;

/** Line and character (UTF-16) of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  let line = 0;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, character: offset - (nl + 1) };
}

export interface LineCompletion {
  completion: string;
  raw: string;
  latencyMs: number;
  layout: CompletionLayout | undefined;
  /** The definition lines the engine fed before the cursor's line. */
  definitions: string[];
}

/** What an evaluation changes in the product's request: a forced layout, no definitions. */
export interface RequestOverrides {
  layout?: CompletionLayout;
  definitions?: boolean;
}

/** The ghost text's first line at `offset` of a document `text` named `docPath` ('' when nothing is shown). */
export async function completeLine(
  engine: EngineLike,
  docPath: string,
  languageId: string,
  text: string,
  offset: number,
  overrides: RequestOverrides = {},
): Promise<LineCompletion> {
  const ctx = buildContext(text, offset, languageId);
  if (shouldSkipAutoTrigger(ctx)) return { completion: '', raw: '', latencyMs: 0, layout: undefined, definitions: [] };
  const uri = `statewise-eval:///${++docs}/${docPath}`;
  await engine.request('openDocument', { uri, path: docPath, text, version: 1 });
  try {
    const { mode, params } = buildCompletionRequest({
      uri,
      version: 1,
      position: positionAt(text, offset),
      ctx,
      settings,
      manual: false,
      ...overrides,
    });
    const r = await engine.request('complete', params);
    const raw = r.completions[0] ?? '';
    return {
      completion: postprocess(raw, ctx, mode).split('\n')[0]!,
      raw,
      latencyMs: r.latencyMs,
      layout: r.layout,
      definitions: r.definitions ?? [],
    };
  } finally {
    await engine.request('closeDocument', { uri });
  }
}
