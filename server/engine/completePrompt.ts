// The tokens fed after the checkpoint at the start of the cursor's line, per completion layout
// (ipc.ts CompletionLayout; docs/completion.md has the measurements behind the choice). Pure.
import type { CompletionLayout } from '../protocol/ipc';

export interface LayoutTokens {
  fimSuffix: number;
  fimMiddle: number;
}

/**
 * `line`: the cursor's line up to the cursor (after token healing), with its leading "\n" for lines
 * after the first; `suffix`: the text after the cursor (rest of the line, next lines), capped.
 */
export function completionTail(layout: CompletionLayout, t: LayoutTokens, line: readonly number[], suffix: readonly number[]): number[] {
  switch (layout) {
    case 'plain':
      return [...line];
    case 'fim':
      return [...line, t.fimSuffix, ...suffix, t.fimMiddle];
    case 'suffix-first':
      return [t.fimSuffix, ...suffix, t.fimMiddle, ...line];
  }
}

/** The layout a model answers in when a request names none: the manifest's measured choice, else plain. */
export function defaultLayout(manifestLayout: CompletionLayout | undefined): CompletionLayout {
  return manifestLayout ?? 'plain';
}
