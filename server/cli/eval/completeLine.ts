// One single-line completion through the product's path: the engine's `complete` (checkpoints,
// fill-in-the-middle with the lines after the cursor, token healing) and the editor's filters.
import { buildContext } from '../../completion/context';
import { postprocess } from '../../completion/filters';
import type { EngineLike } from '../../engineClient';
import { defaultSettings } from '../../settings';

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

/** The completion shown at `offset` of a document `text` named `docPath` ('' when nothing is shown). */
export async function completeLine(engine: EngineLike, docPath: string, languageId: string, text: string, offset: number): Promise<{ completion: string; raw: string; latencyMs: number }> {
  const uri = `statewise-eval:///${++docs}/${docPath}`;
  await engine.request('openDocument', { uri, path: docPath, text, version: 1 });
  try {
    const r = await engine.request('complete', {
      uri, version: 1, position: positionAt(text, offset), singleLine: true,
      maxTokens: settings['completion.maxSingleLineTokens'], suffixMaxTokens: settings['completion.suffixMaxTokens'],
      temperature: 0, topP: settings['completion.topP'], n: 1,
    });
    const raw = r.completions[0] ?? '';
    return { completion: postprocess(raw, buildContext(text, offset, languageId), 'single'), raw, latencyMs: r.latencyMs };
  } finally {
    await engine.request('closeDocument', { uri });
  }
}
