// Whitespace and token healing at the cursor, through the real language server, engine and default
// model: no duplicated or missing indentation, no dropped or repeated characters or keywords, at
// line starts, after spaces, inside words, and after accepting a completion with Tab. Each row is a
// picture (║ is the cursor) and what the line must look like once the ghost text is accepted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readyServer } from '../helpers/realEngine';

const CART = [
  'export interface Item {',
  '  name: string;',
  '  price: number;',
  '  quantity: number;',
  '}',
  '',
  'export class Cart {',
  '  private items: Item[] = [];',
  '',
  '  add(item: Item): void {',
  '    this.items.push(item);',
  '  }',
  '',
  '  remove(name: string): void {',
  '    this.items = this.items.filter((i) => i.name !== name);',
  '  }',
  '',
  '  get count(): number {',
  '    @@',
  '  }',
  '}',
  '',
];

interface Case {
  name: string;
  /** The cursor's line, ║ at the cursor; it replaces @@ in CART (or `doc` when given). */
  line: string;
  doc?: string[];
  /** The cursor's line once the first line of the ghost text is accepted. */
  accepted: RegExp;
}

const CASES: Case[] = [
  { name: 'new line after Enter, indentation typed', line: '    ║', accepted: /^ {4}return this\.items\.length;$/ },
  {
    name: 'new line, tab indentation typed',
    line: '\t\t║',
    doc: ['class A {', '\tget n() {', '\t\treturn 1;', '\t}', '\tget m() {', '@@', '\t}', '}'],
    accepted: /^\t\treturn \S/,
  },
  { name: 'inside a keyword', line: '    ret║', accepted: /^ {4}return this\.items\.length;$/ },
  { name: 'after a keyword and its space', line: '    return ║', accepted: /^ {4}return this\.items\.length;$/ },
  { name: 'after a keyword, no space yet', line: '    return║', accepted: /^ {4}return this\.items\.length;$/ },
  { name: 'after a member dot', line: '    return this.║', accepted: /^ {4}return this\.items\.length;$/ },
  { name: 'inside an identifier after a dot', line: '    return this.it║', accepted: /^ {4}return this\.items\.length;$/ },
  {
    name: 'after "(" of a call',
    line: '    this.items.push(║',
    doc: [...CART.slice(0, 9), '  add(item: Item): void {', '@@', '  }', '}'],
    accepted: /^ {4}this\.items\.push\(item\);$/,
  },
];

/** What the editor shows after accepting `ghost` at the end of `typed`: the cursor's line. */
function acceptedLine(typed: string, ghost: string): string {
  return typed + ghost.split('\n')[0];
}

/** Junction checks that hold whatever the model: a typed space or indentation is never doubled, a keyword never repeated. */
function checkJunction(typed: string, ghost: string): void {
  const first = ghost.split('\n')[0]!;
  if (/\s$/.test(typed))
    assert.doesNotMatch(first, /^\s/, `typed ${JSON.stringify(typed)}: the ghost text repeats whitespace: ${JSON.stringify(ghost)}`);
  const word = /([\p{L}_$][\p{L}\p{N}_$]*)\s+$/u.exec(typed)?.[1];
  if (word)
    assert.ok(!first.startsWith(word), `typed ${JSON.stringify(typed)}: the ghost text repeats "${word}": ${JSON.stringify(ghost)}`);
}

const start = (t: TestContext) =>
  readyServer(t, { config: { engine: { executionProvider: 'cpu' }, completion: { debounceMs: 0 }, workspace: { enable: false } } });

test('whitespace and healing: the accepted line of every case', async (t) => {
  const { h } = await start(t);
  const failures: string[] = [];
  for (const [i, c] of CASES.entries()) {
    const lines = (c.doc ?? CART).map((l) => (l === '@@' || l.trim() === '@@' ? c.line : l));
    const row = lines.findIndex((l) => l.includes('║'));
    const col = lines[row]!.indexOf('║');
    const typed = lines[row]!.slice(0, col);
    lines[row] = typed + lines[row]!.slice(col + 1);
    const uri = `file:///work/src/case${i}.ts`;
    h.open(uri, lines.join('\n'));
    const items = await h.complete(uri, row, col);
    const ghost = String(items[0]?.insertText ?? '');
    const line = acceptedLine(typed, ghost);
    try {
      checkJunction(typed, ghost);
      assert.match(line, c.accepted, `${c.name}: ${JSON.stringify(typed)}║${JSON.stringify(ghost)}`);
    } catch (e) {
      failures.push((e as Error).message.split('\n')[0]!);
    }
  }
  assert.deepEqual(failures, []);
});

test('Tab acceptance: after accepting the ghost text the next one repeats nothing', async (t) => {
  const { h } = await start(t);
  const lines = CART.map((l) => (l.trim() === '@@' ? '    return ' : l));
  const row = lines.indexOf('    return ');
  const uri = 'file:///work/src/cart.ts';
  h.open(uri, lines.join('\n'));
  const ghost = String((await h.complete(uri, row, 11))[0]?.insertText ?? '');
  assert.ok(ghost.length > 0, 'a ghost text to accept');
  const first = ghost.split('\n')[0]!;
  h.change(uri, 2, [{ range: { start: { line: row, character: 11 }, end: { line: row, character: 11 } }, text: first }]);
  const next = String((await h.complete(uri, row, 11 + first.length))[0]?.insertText ?? '');
  const line = `    return ${first}${next.split('\n')[0]}`;
  assert.doesNotMatch(line, /return\s+return/, line);
  assert.ok(!next.startsWith(first.slice(0, 6)), `the accepted text comes again: ${JSON.stringify(next)}`);
  assert.match(line, /^ {4}return this\.items\.length;/);
});
