// Text pictures for completion tests: a document with ║ where the cursor is.

import { buildContext, type CompletionContext } from '../../../server/lsp/completion/context';

export const CURSOR = '║';

/** Context for a document given as lines (joined with `eol`) holding exactly one ║. */
export function at(lines: string | readonly string[], languageId = 'typescript', eol = '\n'): CompletionContext {
  const picture = typeof lines === 'string' ? lines : lines.join(eol);
  const i = picture.indexOf(CURSOR);
  if (i < 0 || picture.indexOf(CURSOR, i + 1) >= 0) throw new Error(`picture needs exactly one ${CURSOR}: ${picture}`);
  return buildContext(picture.slice(0, i) + picture.slice(i + 1), i, languageId);
}

/** Lines joined with `\n` (completions are written as arrays too, for readability). */
export function text(...lines: string[]): string {
  return lines.join('\n');
}

/** One row of a filter table. */
export interface Case {
  name: string;
  doc: readonly string[];
  lang?: string;
  /** Line break of the document; default `\n`. */
  eol?: string;
  completion: string;
  want: string;
}
