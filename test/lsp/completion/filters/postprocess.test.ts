import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postprocess } from '../../../../server/lsp/completion/filters/index';
import { decideMode } from '../../../../server/lsp/completion/policy';
import { at, text } from '../helpers';

// End to end: the mode the policy picks, then the whole pipeline.
const cases: { name: string; doc: string[]; lang?: string; completion: string; want: string }[] = [
  {
    name: 'ts single: one line, stop before the ) the line already has',
    doc: ['const total = items.reduce(║)'],
    completion: text('(a, b) => a + b, 0);', 'console.log(total);'),
    want: '(a, b) => a + b, 0',
  },
  {
    name: 'ts multi: function body, nothing repeated from below',
    doc: ['function add(a, b) {║', '}', '', 'export default add;'],
    completion: text('', '  return a + b;', '}', '', 'export default add;', ''),
    want: '\n  return a + b;',
  },
  {
    name: 'ts multi: end of document keeps the closing }',
    doc: ['function add(a, b) {║'],
    completion: text('', '  return a + b;', '}', '', 'function sub(a, b) {'),
    want: '\n  return a + b;\n}',
  },
  {
    name: 'ts multi: loop inside the body cut',
    doc: ['function f() {', '  ║', '}'],
    completion: text('a();', '  a();', '  a();', '  a();', '}'),
    want: 'a();',
  },
  {
    name: 'ts single: only repeats the line above → nothing',
    doc: ['foo();', 'bar();', '║ // end'],
    completion: text('bar();', 'baz();'),
    want: '',
  },
  { name: 'ts single: whitespace only → nothing', doc: ['const x = ║'], completion: '  \n  ', want: '' },
  {
    name: 'python multi: body, top-level line cut',
    doc: ['def add(a, b):║', '', 'print(add(1, 2))'],
    lang: 'python',
    completion: text('', '    return a + b', '', 'print(add(1, 2))', ''),
    want: '\n    return a + b',
  },
  { name: 'python single: call argument', doc: ['print(len(║))'], lang: 'python', completion: 'items)) # count', want: 'items' },
  {
    name: 'python multi: blank line in a method, stop at the next method below',
    doc: ['class A:', '    def a(self):', '        ║', '', '    def b(self):', '        pass'],
    lang: 'python',
    completion: text('return 1', '', '    def b(self):', '        pass'),
    want: 'return 1',
  },
  { name: 'empty completion', doc: ['x = ║'], completion: '', want: '' },
  { name: 'unicode single', doc: ['const s = "║";'], completion: 'grüße 😀";', want: 'grüße 😀' },
];
for (const c of cases) {
  test(`postprocess: ${c.name}`, () => {
    const ctx = at(c.doc, c.lang);
    assert.equal(postprocess(c.completion, ctx, decideMode(ctx, 'auto')), c.want);
  });
}

test('postprocess: CRLF multi-line', () => {
  const ctx = at(['if (x) {║', '}'], 'typescript', '\r\n');
  assert.equal(decideMode(ctx, 'auto'), 'multi');
  assert.equal(postprocess('\r\n  y();\r\n}\r\n', ctx, 'multi'), '\r\n  y();');
});

test('postprocess: the mode decides how much survives', () => {
  const ctx = at(['function f() {', '  ║', '}']);
  const completion = text('a();', '  b();', '}');
  assert.equal(postprocess(completion, ctx, 'single'), 'a();');
  assert.equal(postprocess(completion, ctx, 'multi'), 'a();\n  b();');
});
