// Every citation of a Markdown file in the repository names a file that is in it, and every
// `name.md §N` names a section that file has. A citation is a path ending in `.md` in any text file
// git knows (tracked, or new and not ignored): resolved from the repository root or from the citing
// file's folder. Not citations: URLs, a string literal that is exactly a file name ('notes.md' in
// test data), and the package lists under models/corpus/. A doc's sections are its headings that
// start with a number (`## 3. Title`, `### 3.2 Title`), outside code fences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
/** Not scanned: package names, not prose (models/corpus/*.txt, .tsv, MANIFEST.json), npm's lock
 *  file, and this file (its examples cite missing docs on purpose). */
const SKIP = [/^models\/corpus\//, /^package-lock\.json$/, /^test\/docs\/citations\.test\.ts$/];
const MAX_BYTES = 4 * 1024 * 1024;

export interface Citation {
  file: string;
  line: number;
  target: string;
  section?: string;
}

const URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"'`)\]]*/gi;
/** A host name with a path but no scheme (github.com/o/r/blob/main/README.md): a link too. */
const HOST_PATH = /(?<![\w./-])(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|rs|ai|app|sh|co|so|me)\/[^\s<>"'`)\]]*/gi;
// A path ending in .md that starts at a token boundary (not inside a word, a path, an npm scope or a URL).
const MD_PATH = /(?<![\w@/.\\-])((?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w.-]*[\w-]\.md)(?![\w-]|@)/g;
const SECTION_AFTER = /^[`'"*]*[,:]?[ \t]*§[ \t]*(\d+(?:\.\d+)*)/;

/** The citations in one file's text. */
export function citationsIn(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(URL, (u) => ' '.repeat(u.length)).replace(HOST_PATH, (u) => ' '.repeat(u.length));
    for (const m of line.matchAll(MD_PATH)) {
      const target = m[1]!;
      const start = m.index!;
      const end = start + target.length;
      const before = line[start - 1];
      if ((before === "'" || before === '"') && line[end] === before) continue; // a string literal: data
      const sec = SECTION_AFTER.exec(line.slice(end));
      out.push({ file, line: i + 1, target, ...(sec ? { section: sec[1] } : {}) });
    }
  });
  return out;
}

/** The numbered sections of a Markdown text: "3", "3.2", … from headings like `## 3. Title`. */
export function sectionsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+§?(\d+(?:\.\d+)*)\.?(?:\s|$)/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Where a citation points, if that file exists: from the root, else from the citing file's folder. */
export function resolveCitation(c: Citation, exists: (p: string) => boolean): string | undefined {
  const fromRoot = path.posix.normalize(c.target.replace(/^\.\//, ''));
  const fromDir = path.posix.normalize(path.posix.join(path.posix.dirname(c.file), c.target));
  for (const p of c.target.startsWith('.') ? [fromDir, fromRoot] : [fromRoot, fromDir]) {
    if (!p.startsWith('../') && exists(p)) return p;
  }
  return undefined;
}

/** One message per bad citation in `files` (path -> text). */
export function badCitations(files: Map<string, string>): string[] {
  const bad: string[] = [];
  const sections = new Map<string, Set<string>>();
  for (const [file, text] of files) {
    for (const c of citationsIn(file, text)) {
      const at = `${c.file}:${c.line}`;
      const target = resolveCitation(c, (p) => files.has(p));
      if (!target) {
        bad.push(`${at}: cites ${c.target}, which is not in the repository`);
        continue;
      }
      if (c.section === undefined) continue;
      if (!sections.has(target)) sections.set(target, sectionsOf(files.get(target)!));
      if (!sections.get(target)!.has(c.section)) bad.push(`${at}: cites ${c.target} §${c.section}, which ${target} does not have`);
    }
  }
  return bad;
}

/** Every text file git knows in the repository (tracked, or untracked and not ignored), by path. */
function repositoryTexts(): Map<string, string> {
  const list = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const files = new Map<string, string>();
  for (const p of new Set(list.split('\0').filter(Boolean))) {
    const abs = path.join(REPO, p);
    if (!existsSync(abs) || !statSync(abs).isFile()) continue;
    if (statSync(abs).size > MAX_BYTES) {
      files.set(p, '');
      continue;
    } // exists; too big to be prose
    const buf = readFileSync(abs);
    if (buf.subarray(0, 8000).includes(0)) {
      files.set(p, '');
      continue;
    } // binary
    files.set(p, SKIP.some((r) => r.test(p)) ? '' : buf.toString('utf8'));
  }
  return files;
}

test('every cited .md file exists and has the cited section', () => {
  const files = repositoryTexts();
  assert.ok(files.has('README.md') && files.has('docs/models.md'), 'the repository was listed');
  const bad = badCitations(files);
  assert.deepEqual(bad, [], `citations of docs that do not exist:\n${bad.join('\n')}`);
});

test('the checker finds a missing file and a missing section, and skips URLs and data', () => {
  const files = new Map([
    ['docs/a.md', '# A\n\n## 1. One\n\n### 1.2 Sub\n\n```\n## 9. not a heading\n```\n'],
    [
      'src/x.ts',
      [
        '// see docs/a.md §1.2 and `docs/a.md` §1, then a.md from here: not found',
        '// gone: design/MODELS.md §6, ARCHITECTURE.md; wrong section: docs/a.md §9',
        "// https://example.com/docs/README.md and github.com/x/y/blob/main/B.md are links: x('notes.md')",
        '// relative: ../docs/a.md',
      ].join('\n'),
    ],
  ]);
  assert.deepEqual(badCitations(files), [
    'src/x.ts:1: cites a.md, which is not in the repository',
    'src/x.ts:2: cites design/MODELS.md, which is not in the repository',
    'src/x.ts:2: cites ARCHITECTURE.md, which is not in the repository',
    'src/x.ts:2: cites docs/a.md §9, which docs/a.md does not have',
  ]);
});
