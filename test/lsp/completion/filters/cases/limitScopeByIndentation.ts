// limitScopeByIndentation: keep a multi-line completion inside the cursor's block.

import { text, type Case } from '../../helpers';

const body = text('', '  return 1;', '}', '', 'function g() {}');

export const cases: Case[] = [
  // TypeScript, cursor after an opener: the completion is the block's body.
  { name: 'ts: } below closes the block → closing line dropped', doc: ['function f() {║', '}'], completion: body, want: '\n  return 1;' },
  { name: 'ts: end of document → closing line kept once', doc: ['function f() {║'], completion: body, want: '\n  return 1;\n}' },
  {
    name: 'ts: other code below → closing line kept once',
    doc: ['function f() {║', '', 'function h() {}'],
    completion: body,
    want: '\n  return 1;\n}',
  },
  {
    name: 'ts: } right of the cursor closes the block',
    doc: ['function f() {║}'],
    completion: text('', '  return 1;', '}'),
    want: '\n  return 1;',
  },
  {
    name: 'ts: nested, the } below closes the outer block only → inner } kept',
    doc: ['class A {', '  m() {║', '}'],
    completion: text('', '    return 1;', '  }', '}'),
    want: '\n    return 1;\n  }',
  },
  {
    name: 'ts: inner blocks stay',
    doc: ['function f() {║', '}'],
    completion: text('', '  if (x) {', '    y();', '  }', '  return 1;', '}'),
    want: text('', '  if (x) {', '    y();', '  }', '  return 1;'),
  },
  {
    name: 'ts: "} else {" is not a closing line',
    doc: ['if (x) {║'],
    completion: text('', '  a();', '} else {', '  b();', '}'),
    want: '\n  a();',
  },
  {
    name: 'ts: after =, the value ends with };',
    doc: ['const o =║'],
    completion: text(' {', '  a: 1,', '};', 'const p = 2;'),
    want: text(' {', '  a: 1,', '};'),
  },
  {
    name: 'ts: after (, ) on its own line kept',
    doc: ['foo(║'],
    completion: text('', '  a,', '  b,', ');', 'bar();'),
    want: text('', '  a,', '  b,', ');'),
  },
  // Cursor on a blank line: the completion continues the current block.
  {
    name: 'ts: blank line, end of document → closing } kept',
    doc: ['function f() {', '  a();', '  ║'],
    completion: text('b();', '  c();', '}', 'f();'),
    want: text('b();', '  c();', '}'),
  },
  {
    name: 'ts: blank line, } below → stop before the closing }',
    doc: ['function f() {', '  a();', '  ║', '}'],
    completion: text('b();', '  c();', '}', 'f();'),
    want: text('b();', '  c();'),
  },
  {
    name: 'ts: mid-statement, lines at the same indentation stay, lower ones go',
    doc: ['  const x = a +║'],
    completion: text(' b +', '    c;', '  foo();', 'bar();'),
    want: text(' b +', '    c;', '  foo();'),
  },
  { name: 'ts: tabs', doc: ['\tif (x) {║', '\t}'], completion: text('', '\t\ty();', '\t}', '\tz();'), want: '\n\t\ty();' },
  { name: 'single line → unchanged', doc: ['function f() {║'], completion: ' return 1; }', want: ' return 1; }' },
  { name: 'empty completion', doc: ['function f() {║'], completion: '', want: '' },
  // Python: no closing lines, the dedent ends the block.
  {
    name: 'python: body after def, blank line inside kept, top-level line cut',
    doc: ['def f(x):║'],
    lang: 'python',
    completion: text('', '    y = x * 2', '', '    return y', '', 'print(f(1))'),
    want: text('', '    y = x * 2', '', '    return y'),
  },
  {
    name: 'python: blank line in a body, next def cut',
    doc: ['def f(x):', '    y = 1', '    ║'],
    lang: 'python',
    completion: text('return y', '', 'def g():', '    pass'),
    want: 'return y',
  },
  {
    name: 'python: cursor at column 0 below a def → scope from the first line',
    doc: ['def f(x):', '║'],
    lang: 'python',
    completion: text('    return x', 'f(1)'),
    want: '    return x',
  },
  {
    name: 'python: if body ends at else (same indentation as the if)',
    doc: ['def f(x):', '    if x:║', '    return 0'],
    lang: 'python',
    completion: text('', '        return 1', '    else:', '        return 2'),
    want: '\n        return 1',
  },
  {
    name: 'python: ) closing a call kept',
    doc: ['x = foo(║'],
    lang: 'python',
    completion: text('', '    1,', '    2,', ')', 'y = 3'),
    want: text('', '    1,', '    2,', ')'),
  },
  {
    name: 'python: unicode',
    doc: ['def grüße():║'],
    lang: 'python',
    completion: text('', '    return "😀"', 'grüße()'),
    want: '\n    return "😀"',
  },
  {
    name: 'python: CRLF',
    doc: ['def f():║', 'x = 1'],
    lang: 'python',
    eol: '\r\n',
    completion: '\r\n    return 1\r\nx = 1',
    want: '\r\n    return 1',
  },
];
