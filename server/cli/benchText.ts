// Text for the benchmark: synthetic documents of a given token count made by concatenating real
// source code, and what a "keystroke" appends.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface BenchSource {
  /** Where the text came from, for the report. */
  description: string;
  text: string;
}

/**
 * Real source text, in order of preference: TypeScript's own compiler (node_modules/typescript/lib/
 * typescript.js, ~9 MB of hand-written code that no model here was trained on), else this repo's
 * server/**\/*.ts concatenated.
 */
export function benchSource(repo: string): BenchSource {
  const ts = path.join(repo, 'node_modules', 'typescript', 'lib', 'typescript.js');
  if (existsSync(ts)) return { description: path.relative(repo, ts), text: readFileSync(ts, 'utf8') };
  const files = listTs(path.join(repo, 'server'));
  return { description: `${files.length} files under server/ (concatenated)`, text: files.map((f) => readFileSync(f, 'utf8')).join('\n') };
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return listTs(p);
      return e.name.endsWith('.ts') ? [p] : [];
    })
    .sort();
}

/** The first `chars` characters of `source` (repeated if it is shorter), cut after a line break. */
export function documentOf(source: string, chars: number): string {
  let text = source;
  while (text.length < chars) text += `\n${source}`;
  const cut = text.lastIndexOf('\n', chars);
  return text.slice(0, cut > 0 ? cut + 1 : chars);
}

/** Characters typed one per keystroke, cycling: a plausible line of code. */
export const TYPED = 'const result = compute(value, options);\n';

/** The LSP position of the end of `text`. */
export function endOf(text: string): { line: number; character: number } {
  let line = 0;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, character: text.length - last - 1 };
}
