// The definitions fed before the cursor's line (server/engine/cursorDefinitions.ts): which names a
// line asks for, which lines define them, and when the model's own view makes them unnecessary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cursorDefinitions,
  definedName,
  definition,
  exactView,
  fileDefinitions,
  indexDefinitions,
  namedBeyondView,
  lineNames,
  MAX_DEFINITIONS,
  MAX_LINE,
  type CursorDefinitionsInput,
} from '../../server/engine/cursorDefinitions';

/** A document of `lines`, each line counted as `perLine` tokens, the cursor at the end of the last line. */
function at(lines: string[], view: number, perLine = 10, extra: Partial<CursorDefinitionsInput> = {}): string[] {
  return cursorDefinitions({
    prefix: lines.at(-1)!,
    cursorLine: lines.length - 1,
    line: (i) => lines[i]!,
    tokens: () => perLine,
    view,
    path: 'src/app.ts',
    ...extra,
  });
}
const filler = (n: number) => Array.from({ length: n }, (_, i) => `call(${i});`);

test('definedName: top-level one-line definitions of names that do not change, opening no block', () => {
  assert.equal(definedName('const RETRY_LIMIT = "x1y2z3";'), 'RETRY_LIMIT');
  assert.equal(definedName('export const Z: number = 5;'), 'Z');
  assert.equal(definedName('type Id = string | number;'), 'Id');
  assert.equal(definedName('TIMEOUT = 30'), 'TIMEOUT');
  assert.equal(definedName('MAX_SIZE: int = 4'), 'MAX_SIZE');
  assert.equal(definedName('let count = 0'), undefined); // changes later: its first value misleads
  assert.equal(definedName('var count = 0'), undefined);
  assert.equal(definedName('limit = 4'), undefined); // a Python name that is not a constant's
  assert.equal(definedName('  const local = this.items[0];'), undefined); // a function's local
  assert.equal(definedName('    TOTAL = 1'), undefined);
  assert.equal(definedName('const f = (a) => {'), undefined); // opens a block
  assert.equal(definedName('const g = (a) =>'), undefined);
  assert.equal(definedName('const xs = ['), undefined);
  assert.equal(definedName('const v = compute(a,'), undefined);
  assert.equal(definedName('class Cart {'), undefined);
  assert.equal(definedName('  method(a) {'), undefined);
  assert.equal(definedName('    def inner(a):'), undefined);
  assert.equal(definedName('A == B'), undefined);
  assert.equal(definedName(`const LONG = "${'x'.repeat(MAX_LINE)}";`), undefined);
});

test('definition: a top-level function whose signature fits its line, fed with an empty body', () => {
  assert.deepEqual(definition('export async function load(dir: string, n = f(2)): Promise<void> {'), {
    name: 'load',
    text: 'export async function load(dir: string, n = f(2)): Promise<void> {}',
  });
  assert.deepEqual(definition('function* ids<T>(xs: T[]) {\r'), { name: 'ids', text: 'function* ids<T>(xs: T[]) {}' });
  assert.deepEqual(definition('def parse(text, *, strict=False) -> Node:'), {
    name: 'parse',
    text: 'def parse(text, *, strict=False) -> Node: ...',
  });
  assert.deepEqual(definition('async def fetch(url):  '), { name: 'fetch', text: 'async def fetch(url): ...' });
  assert.equal(definition('function split(a,'), undefined); // the signature goes on
  assert.equal(definition('function f(a) { return a; }'), undefined); // a body on the line: not a signature
  assert.deepEqual(definition('const K = 1;'), { name: 'K', text: 'const K = 1;' });
});

test('lineNames: nearest the cursor first, no properties, keywords or the name being defined', () => {
  assert.deepEqual(lineNames('assert.equal(RECORD_QUARTZ_42, "'), ['RECORD_QUARTZ_42']);
  assert.deepEqual(lineNames('const total = price * TAX_RATE + shipping('), ['shipping', 'TAX_RATE', 'price']);
  assert.deepEqual(lineNames('return this.items.map(fmt).join(sep'), ['sep', 'fmt']);
  assert.deepEqual(lineNames('if x is None and y'), []); // keywords and one-letter names
  assert.deepEqual(lineNames('a(LIMIT, LIMIT'), ['LIMIT']);
});

test('cursorDefinitions: a definition beyond the view is fed, one inside it is not', () => {
  const lines = ['const RECORD_QUARTZ_42 = "ab12cd";', ...filler(40), 'assert.equal(RECORD_QUARTZ_42, "'];
  assert.deepEqual(at(lines, 256), ['const RECORD_QUARTZ_42 = "ab12cd";']); // 400 tokens away
  assert.deepEqual(at(lines, 1024), []); // the model sees it
  assert.deepEqual(at(['const KK = 1;  ', 'f(KK'], 0), ['const KK = 1;']); // trimmed
});

test('cursorDefinitions: the nearest definition above wins; a function or class of the document comes before the workspace', () => {
  const lines = ['const KK = 1;', ...filler(30), 'const KK = 2;', ...filler(30), 'use(KK'];
  assert.deepEqual(at(lines, 100), ['const KK = 2;']);
  const workspace = indexDefinitions([{ path: 'src/k.ts', text: 'export const fmt = 3;\n' }]);
  assert.deepEqual(at(['function fmt(x) {', ...filler(40), 'print(fmt('], 100, 10, { workspace }), ['function fmt(x) {}']);
  assert.deepEqual(at(['class fmt {', ...filler(40), 'print(fmt('], 100, 10, { workspace }), []);
  assert.deepEqual(at([...filler(40), 'print(fmt('], 100, 10, { workspace }), ['export const fmt = 3;']);
});

test('cursorDefinitions: the workspace, not the document itself, the last file folded wins', () => {
  const workspace = indexDefinitions([
    { path: 'src/a.ts', text: 'export const KEY = "a";\nexport const OTHER = 1;' },
    { path: 'src/b.ts', text: 'export const KEY = "b";' },
    { path: 'src/app.ts', text: 'const KEY = "self";' },
  ]);
  assert.deepEqual(at(['import { KEY } from "./b";', 'check(KEY'], 256, 10, { workspace }), ['export const KEY = "b";']);
  assert.deepEqual(at(['x', 'check(MISSING'], 256, 10, { workspace }), []);
});

test('cursorDefinitions: at most MAX_DEFINITIONS lines, the name nearest the cursor last', () => {
  const names = ['AA', 'BB', 'CC', 'DD', 'EE'];
  const lines = [...names.map((n) => `const ${n} = 0;`), ...filler(50), `f(${names.join(', ')}`];
  const got = at(lines, 64);
  assert.equal(got.length, MAX_DEFINITIONS);
  assert.deepEqual(got, ['const CC = 0;', 'const DD = 0;', 'const EE = 0;']);
});

test('exactView: the window, else the cache, else the local group, else 64', () => {
  assert.equal(exactView({ window: 256, max_chunk: 256 }), 256);
  assert.equal(exactView({ max_context: 2048 }), 2048);
  assert.equal(exactView({ group: 64 }), 64);
  assert.equal(exactView({ d_model: 384 }), 64);
  assert.equal(exactView({ window: 'x' }), 64);
});

test('indexDefinitions over cached per-file definitions (the engine reuses unchanged files) equals a fresh index', () => {
  const files = [
    { path: 'a.ts', text: 'export const A = 1;\nfunction f(x) {\n  return x;\n}\n' },
    { path: 'b.py', text: 'TIMEOUT = 30\ndef g(a, b):\n    pass\n' },
  ];
  const parsed = files.map((f) => fileDefinitions(f.text));
  assert.deepEqual(
    parsed.map((d) => d.map((x) => x.name)),
    [
      ['A', 'f'],
      ['TIMEOUT', 'g'],
    ],
  );
  const calls: number[] = [];
  const cached = indexDefinitions(files, (_, i) => {
    calls.push(i);
    return parsed[i]!;
  });
  assert.deepEqual(calls, [0, 1]);
  assert.deepEqual([...cached], [...indexDefinitions(files)]);
});

test('namedBeyondView: the first name the completion completes that needs a definition not fed; none when fed or unfinished', () => {
  const defsAt = (prefix: string) => (/\bKEY\b/.test(prefix) ? ['const KEY = "v";'] : []);
  assert.deepEqual(namedBeyondView('expect(', 'KEY).toBe("x");', [], defsAt), { end: 3, defs: ['const KEY = "v";'] });
  assert.equal(namedBeyondView('expect(', 'KEY).toBe("x");', ['const KEY = "v";'], defsAt), undefined, 'already fed');
  assert.equal(namedBeyondView('expect(', 'KEY', [], defsAt), undefined, 'a name at the very end may be unfinished');
  assert.equal(namedBeyondView('expect(', 'other).toBe(1);', [], defsAt), undefined);
  // a name begun before the cursor and finished by the completion
  assert.deepEqual(namedBeyondView('expect(KE', 'Y).toBe("x");', [], defsAt), { end: 1, defs: ['const KEY = "v";'] });
});
