// trimTrailingWhitespace: tidy the end, drop blank completions.

import type { Case } from '../../helpers';

export const cases: Case[] = [
  { name: 'trailing spaces at the end of a line', doc: ['x = ║'], completion: 'foo  ', want: 'foo' },
  { name: 'trailing tabs', doc: ['x = ║'], completion: 'foo\t\t', want: 'foo' },
  { name: 'trailing blank lines', doc: ['x = ║'], completion: 'foo\n\n  ', want: 'foo' },
  { name: 'CRLF trailing line break', doc: ['x = ║'], completion: 'foo\r\n', want: 'foo' },
  { name: 'whitespace only → dropped', doc: ['x = ║'], completion: ' \n\t ', want: '' },
  { name: 'no-break space only → dropped', doc: ['x = ║'], completion: '\u00a0', want: '' },
  { name: 'empty → dropped', doc: ['x = ║'], completion: '', want: '' },
  { name: 'leading whitespace stays', doc: ['def f():║'], lang: 'python', completion: '\n    pass ', want: '\n    pass' },
  { name: 'text right of the cursor: the separating space stays', doc: ['foo(║b)'], completion: 'a, ', want: 'a, ' },
  { name: 'space right of the cursor: trailing spaces go', doc: ['foo(║ b)'], completion: 'a  ', want: 'a' },
  {
    name: 'closer right of the cursor: the line break before it stays',
    doc: ['function f() {║}'],
    completion: '\n  x();\n',
    want: '\n  x();\n',
  },
  { name: 'unicode', doc: ['s = ║'], completion: '"😀" ', want: '"😀"' },
];
