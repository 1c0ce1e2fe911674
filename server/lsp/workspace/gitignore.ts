// .gitignore semantics over a folder walk, on top of the `ignore` package. Pure: callers read the
// files. Each .gitignore applies to its own folder's subtree with paths relative to that folder;
// for one path, the deepest .gitignore with a matching rule decides (negations included), as in git.

import ignore from 'ignore';

export interface GitignoreLayer {
  /** Folder of the .gitignore, workspace-relative with a trailing '/', or '' for the root. */
  base: string;
  rules: ignore.Ignore;
}

/** Layers from the root down; share a parent's array and extend it per folder (never mutated). */
export type GitignoreStack = readonly GitignoreLayer[];

/** The stack for a folder at `base` ('' or 'a/b/') whose .gitignore holds `text`. */
export function withGitignore(stack: GitignoreStack, base: string, text: string, ignoreCase = false): GitignoreStack {
  const lines = text.split(/\r?\n/);
  if (!lines.some((l) => l.trim() !== '' && !l.startsWith('#'))) return stack;
  return [...stack, { base, rules: ignore({ ignorecase: ignoreCase }).add(lines) }];
}

/** Whether `relPath` (workspace-relative, '/' separators, no trailing '/') is ignored. */
export function isGitignored(stack: GitignoreStack, relPath: string, isDir: boolean): boolean {
  let ignored = false;
  for (const layer of stack) {
    if (!relPath.startsWith(layer.base)) continue;
    const sub = relPath.slice(layer.base.length);
    if (sub === '' || !ignore.isPathValid(sub)) continue;
    const r = layer.rules.test(isDir ? `${sub}/` : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}
