// The post-processing pipeline: the model's raw text in, what the editor shows as ghost text out.

import type { CompletionContext } from '../context';
import type { CompletionMode } from '../policy';
import { balanceBrackets } from './balanceBrackets';
import { limitScopeByIndentation } from './limitScopeByIndentation';
import { removeRepetition } from './removeRepetition';
import { stopAtSuffixRepeat } from './stopAtSuffixRepeat';
import { trimToLine } from './trimToLine';
import { trimTrailingWhitespace } from './trimTrailingWhitespace';

/** A filter returns the completion, shortened, or '' to drop it. */
export type Filter = (completion: string, ctx: CompletionContext) => string;

/**
 * Order, each step seeing the previous one's output:
 * 1. shape by mode: single → trimToLine (one line); multi → limitScopeByIndentation (stay in the
 *    block). These cut the most and make the later checks look at the right lines.
 * 2. stopAtSuffixRepeat: stop where the text repeats what follows the cursor.
 * 3. removeRepetition: cut loops, drop a copy of the line above (after 1–2, so it judges what is
 *    left, e.g. a single line that only repeats the line above).
 * 4. balanceBrackets: stop before closing what the rest of the line closes (after the cuts above,
 *    which may already have removed the closer).
 * 5. trimTrailingWhitespace: tidy the end and drop what is blank (last: earlier cuts leave
 *    trailing line breaks and spaces).
 */
export const PIPELINES: Readonly<Record<CompletionMode, readonly Filter[]>> = {
  single: [trimToLine, stopAtSuffixRepeat, removeRepetition, balanceBrackets, trimTrailingWhitespace],
  multi: [limitScopeByIndentation, stopAtSuffixRepeat, removeRepetition, balanceBrackets, trimTrailingWhitespace],
};

/** Applies the pipeline for `mode`; '' means show nothing. */
export function postprocess(completion: string, ctx: CompletionContext, mode: CompletionMode): string {
  let out = completion;
  for (const filter of PIPELINES[mode]) {
    out = filter(out, ctx);
    if (out === '') return '';
  }
  return out;
}

export { balanceBrackets, limitScopeByIndentation, removeRepetition, stopAtSuffixRepeat, trimToLine, trimTrailingWhitespace };
