// trimToLine: single-line mode keeps the first line.

import type { Case } from '../../helpers';

const doc = ['x = ║'];
export const cases: Case[] = [
  { name: 'one line stays', doc, completion: 'foo(a, b);', want: 'foo(a, b);' },
  { name: 'cut at \\n', doc, completion: 'foo();\nbar();', want: 'foo();' },
  { name: 'cut at \\r\\n', doc, completion: 'foo();\r\nbar();', want: 'foo();' },
  { name: 'leading line break leaves nothing', doc, completion: '\n  bar();', want: '' },
  { name: 'empty', doc, completion: '', want: '' },
  { name: 'unicode', doc, completion: 'é = "😀";\nx', want: 'é = "😀";' },
  { name: 'a lone \\r is not a line break', doc, completion: 'a\rb', want: 'a\rb' },
];
