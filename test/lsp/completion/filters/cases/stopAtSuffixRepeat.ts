// stopAtSuffixRepeat: stop where the completion repeats the document below the cursor.

import { text, type Case } from '../../helpers';

export const cases: Case[] = [
  {
    name: 'ts: stops before the closing brace below',
    doc: ['function f() {', '  ║', '}'],
    completion: text('return 1;', '}'),
    want: 'return 1;',
  },
  {
    name: 'ts: first line repeats the line below → nothing',
    doc: ['function f() {', '  ║', '  return x;', '}'],
    completion: text('return x;', 'foo();'),
    want: '',
  },
  {
    name: 'ts: a later line repeats the line below',
    doc: ['const a = 1;║', 'const c = 3;'],
    completion: text('', 'const b = 2;', 'const c = 3;', 'const d = 4;'),
    want: '\nconst b = 2;',
  },
  {
    name: 'ts: blank lines before the repeat go too',
    doc: ['const a = 1;║', '', 'const c = 3;'],
    completion: text('', 'const b = 2;', '', 'const c = 3;'),
    want: '\nconst b = 2;',
  },
  {
    name: 'ts: a } closing an inner block is not the } below',
    doc: ['function f() {', '  ║', '}'],
    completion: text('if (x) {', '    y();', '  }', '  return 1;'),
    want: text('if (x) {', '    y();', '  }', '  return 1;'),
  },
  { name: 'ts: first line is compared with the text before the cursor', doc: ['const y = ║', 'x;'], completion: 'x;', want: 'x;' },
  {
    name: 'ts: end of line, completion finishes a copy of the line below → dropped',
    doc: ['  ret║', '  return x;'],
    completion: 'urn x',
    want: '',
  },
  {
    name: 'ts: end of line, blank line, completion starts the line below → dropped',
    doc: ['function f() {', '  ║', '  return x;', '}'],
    completion: 'return',
    want: '',
  },
  { name: 'ts: completion is the start of the text after the cursor → dropped', doc: ['foo(║bar)'], completion: 'bar', want: '' },
  {
    name: 'ts: several lines repeating the text below, other indentation → dropped',
    doc: ['if (a) {║', '    b();', '}'],
    completion: text('', '  b();', '}'),
    want: '',
  },
  { name: 'ts: no repeat → unchanged', doc: ['let a = ║', 'let b = 2;'], completion: '1;', want: '1;' },
  { name: 'cursor at document end → unchanged', doc: ['foo(║'], completion: 'a, b);', want: 'a, b);' },
  { name: 'empty completion', doc: ['x = ║', 'y'], completion: '', want: '' },
  {
    name: 'unicode line below',
    doc: ['x = 1║', 'print("héllo 😀")'],
    lang: 'python',
    completion: text(' + 2', 'print("héllo 😀")'),
    want: ' + 2',
  },
  {
    name: 'python: stops before the top-level line below',
    doc: ['def f(x):', '    ║', '', 'print(f(1))'],
    lang: 'python',
    completion: text('return x', '', 'print(f(1))'),
    want: 'return x',
  },
  {
    name: 'python: method repeating the next def',
    doc: ['class A:', '    def a(self):', '        ║', '    def b(self):', '        pass'],
    lang: 'python',
    completion: text('return 1', '', '    def b(self):', '        pass'),
    want: 'return 1',
  },
  {
    name: 'CRLF document and completion',
    doc: ['function f() {', '  ║', '}'],
    eol: '\r\n',
    completion: 'return 1;\r\n}',
    want: 'return 1;',
  },
];
