// The definitions a completion needs from beyond the model's exact view. The model copies what lies
// in its attention window (griffin: 256 tokens) and keeps only a gist of the rest in its state: a
// constant defined 2k tokens up the file, or in another workspace file, is lost to it (eval recall:
// 0 % beyond the window). So right before the cursor's line the engine feeds the lines that define
// the identifiers the line names, when those lines are out of view: from the document above the
// cursor, else from the workspace's files (Tabby's declarations, Copilot's neighbour snippets).
//
// Only top-level one-line definitions of names that do not change (`const X = "…";`, Python's
// `MAX_SIZE = 5`, `type T = …`) that open no block, so the line after them reads as the next
// statement and the value is still the value at the cursor (a `let x = 0` or a function's local
// const copied from far away misled the model: eval lines, docs/completion.md). The most recently
// named identifier's line comes last, nearest the cursor. Pure: no I/O (the engine passes the
// document's lines and token counts).

/** Definition lines fed before the cursor's line, at most. */
export const MAX_DEFINITIONS = 3;
/** Longer lines (minified code, data) are never fed. */
export const MAX_LINE = 200;
/** Identifiers of the cursor's line looked up, nearest the cursor first. */
const CANDIDATES = 8;
/** Lines scanned up the document for a definition. */
const MAX_SCAN = 50_000;
/** Definitions kept per name in the workspace index. */
const PER_NAME = 4;

const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*/g;
const KEYWORD_DEF = /^(?:export[ \t]+)?(?:declare[ \t]+)?(?:const|type)[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)[ \t]*(?::[^=]*)?=/;
const CONSTANT_DEF = /^([A-Z][A-Z0-9_]*[A-Z0-9])[ \t]*(?::[^=]*)?=(?![=>])/; // Python's constants by convention
const DEFINING = /(?:const|let|var|function\*?|def|class|interface|type|enum)[ \t]+$/;
const BLOCK_DEF = /(?:function\*?|def|class|interface|enum)[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)/;
// A top-level function's signature on one line, its block opened at the end of it
const PARAMS = '\\((?:[^()]|\\([^()]*\\))*\\)';
const JS_FUNCTION = new RegExp(
  `^((?:export[ \\t]+)?(?:default[ \\t]+)?(?:async[ \\t]+)?function\\*?[ \\t]+([A-Za-z_$][A-Za-z0-9_$]*)[ \\t]*(?:<[^<>]*>)?[ \\t]*${PARAMS}[ \\t]*(?::[^{]*)?)\\{[ \\t]*$`,
);
const PY_FUNCTION = new RegExp(`^((?:async[ \\t]+)?def[ \\t]+([A-Za-z_][A-Za-z0-9_]*)[ \\t]*${PARAMS}[ \\t]*(?:->[^:]+)?:)[ \\t]*$`);

// Names a definition line never helps with: keywords and the runtime's own objects.
const COMMON = new Set(
  `abstract and as assert async await break case catch class const continue debugger def default del delete do elif else
enum except export extends false finally for from function global if implements import in instanceof interface is
lambda let new none nonlocal not null of or pass private protected public raise readonly return self static super
switch this throw true try type typeof undefined var void while with yield True False None Array Boolean Date Error
JSON Map Math Number Object Promise RegExp Set String Symbol console document module exports require window process
print len range str int dict list tuple float bool isinstance`.split(/\s+/),
);

/** What a top-level line defines and the line to feed for it: a name defined for good in one line
 *  that opens no block, as it is; a function whose signature fits the line, as a one-line definition
 *  with an empty body (`function f(a, b) {}`, `def f(a, b): ...`), so the next line reads as the next
 *  statement. Else undefined. */
export function definition(line: string): { name: string; text: string } | undefined {
  if (line.length > MAX_LINE) return undefined;
  const body = line.trimEnd().replace(/\r$/, '');
  const f = JS_FUNCTION.exec(body);
  if (f) return { name: f[2]!, text: `${f[1]!.trimEnd()} {}` };
  const d = PY_FUNCTION.exec(body);
  if (d) return { name: d[2]!, text: `${d[1]} ...` };
  if (/[{([,:\\]$/.test(body) || /=>[ \t]*\{?$/.test(body)) return undefined; // opens a block or continues
  const m = KEYWORD_DEF.exec(body) ?? CONSTANT_DEF.exec(body);
  return m ? { name: m[1]!, text: body.trim() } : undefined;
}

/** The name `definition` finds in a line, else undefined. */
export function definedName(line: string): string | undefined {
  return definition(line)?.name;
}

/** Identifiers the cursor's line names before the cursor, nearest the cursor first: no property
 *  (after "."), keyword or name the line itself defines. */
export function lineNames(prefix: string): string[] {
  const found: string[] = [];
  for (const m of prefix.matchAll(IDENT)) {
    const name = m[0];
    const before = prefix.slice(0, m.index);
    if (name.length < 2 || COMMON.has(name) || /[.\w$]$/.test(before) || DEFINING.test(before)) continue;
    if (/\d/.test(name[0]!)) continue;
    found.push(name);
  }
  const out: string[] = [];
  for (let i = found.length - 1; i >= 0 && out.length < CANDIDATES; i--) if (!out.includes(found[i]!)) out.push(found[i]!);
  return out;
}

export interface IndexedDefinition {
  path: string;
  line: string;
}
/** Name → its one-line definitions in the workspace's files, in the files' order. */
export type DefinitionIndex = ReadonlyMap<string, readonly IndexedDefinition[]>;

/** One file's one-line definitions, in its order (a regex pass a line). */
export function fileDefinitions(text: string): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    const def = definition(line);
    if (def) out.push(def);
  }
  return out;
}

/** The workspace's one-line definitions (built when the workspace is set). `defsOf` gives a file's
 *  definitions: fileDefinitions, or a cache of it keyed by the file's content (the engine's). */
export function indexDefinitions(
  files: readonly { path: string; text: string }[],
  defsOf: (file: { path: string; text: string }, i: number) => readonly { name: string; text: string }[] = (f) => fileDefinitions(f.text),
): DefinitionIndex {
  const index = new Map<string, IndexedDefinition[]>();
  files.forEach((f, i) => {
    for (const def of defsOf(f, i)) {
      const defs = index.get(def.name) ?? [];
      if (defs.length === PER_NAME) defs.shift();
      defs.push({ path: f.path, line: def.text });
      index.set(def.name, defs);
    }
  });
  return index;
}

/** Tokens before the cursor's line a model sees exactly, from its manifest config: the attention
 *  window (griffin, based), the cache (alibi), the local group (linearized), else 64 (hawk's
 *  recurrence alone keeps no exact copy). */
export function exactView(config: Readonly<Record<string, unknown>>): number {
  for (const key of ['window', 'max_context', 'group']) {
    const v = config[key];
    if (typeof v === 'number' && v > 0) return v;
  }
  return 64;
}

export interface CursorDefinitionsInput {
  /** The cursor's line up to the cursor. */
  prefix: string;
  cursorLine: number;
  /** The document's lines and their token counts (lines above the cursor's are read). */
  line: (i: number) => string;
  tokens: (i: number) => number;
  /** Tokens before the cursor's line the model sees exactly (its attention window). */
  view: number;
  /** The workspace's definitions; the document's own path is skipped in it. */
  workspace?: DefinitionIndex;
  path: string;
}

/** The definition lines to feed before the cursor's line, farthest-named first ([] for none). */
export function cursorDefinitions(p: CursorDefinitionsInput): string[] {
  const names = lineNames(p.prefix);
  if (names.length === 0) return [];
  const open = new Set(names);
  const found = new Map<string, string>();
  let seen = 0; // tokens between the scanned line and the cursor's line
  for (let i = p.cursorLine - 1; i >= Math.max(0, p.cursorLine - MAX_SCAN) && open.size > 0; i--) {
    const text = p.line(i);
    for (const name of open) {
      if (!text.includes(name)) continue;
      const def = definition(text);
      if (def?.name === name) {
        open.delete(name);
        if (seen + p.tokens(i) > p.view) found.set(name, def.text); // out of view: the model needs it
      } else if (BLOCK_DEF.exec(text)?.[1] === name) open.delete(name); // the document's own function or class
    }
    seen += p.tokens(i);
  }
  if (p.workspace)
    for (const name of open) {
      const defs = p.workspace.get(name)?.filter((d) => d.path !== p.path);
      if (defs?.length) found.set(name, defs.at(-1)!.line); // the most relevant file is folded last
    }
  return names
    .filter((n) => found.has(n))
    .slice(0, MAX_DEFINITIONS)
    .reverse()
    .map((n) => found.get(n)!);
}

/** Where a completion itself finishes a name whose definition the model needs and was not fed: the
 *  end of the first such name in `completion` (chars) and the definition lines for the line up to
 *  there, else undefined. A name counts once something follows it (it is complete); `defsAt` is
 *  cursorDefinitions for a prefix of the cursor's line. The engine then feeds those lines and decodes
 *  the rest again from there: typed key by key, a line is often completed before its names are. */
export function namedBeyondView(
  linePrefix: string,
  completion: string,
  fed: readonly string[],
  defsAt: (prefix: string) => string[],
): { end: number; defs: string[] } | undefined {
  const full = linePrefix + completion;
  const ends = [...full.matchAll(IDENT)].map((m) => m.index + m[0].length).filter((e) => e >= linePrefix.length && e < full.length);
  if (ends.length === 0) return undefined;
  // One scan of the document decides the common case: the names of a shorter prefix are a subset of the
  // whole line's, each with the same definition, so when the whole line needs nothing new (and neither
  // cap, on names or on definitions, left one out) neither does any prefix.
  const wholeLine = full.slice(0, ends.at(-1));
  const whole = defsAt(wholeLine);
  if (lineNames(wholeLine).length < CANDIDATES && whole.length < MAX_DEFINITIONS && whole.every((d) => fed.includes(d))) return undefined;
  for (const end of ends) {
    const defs = defsAt(full.slice(0, end));
    if (defs.some((d) => !fed.includes(d))) return { end: end - linePrefix.length, defs };
  }
  return undefined;
}
