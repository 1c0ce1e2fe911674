// removeRepetition: cut loops, drop copies of the line above.

import { text, type Case } from '../../helpers';

export const cases: Case[] = [
  // The same line again and again.
  {
    name: 'ts: a line repeated 4 times → first kept',
    doc: ['function f() {', '  ║'],
    completion: text('a();', '  b();', '  b();', '  b();', '  b();'),
    want: text('a();', '  b();'),
  },
  {
    name: 'ts: twice is fine',
    doc: ['function f() {', '  ║'],
    completion: text('a();', '  b();', '  b();'),
    want: text('a();', '  b();', '  b();'),
  },
  {
    name: 'ts: same text at other indentations is not a repeat',
    doc: ['║'],
    completion: text('    }', '  }', '}'),
    want: text('    }', '  }', '}'),
  },
  {
    name: 'ts: the first line counts with the text before the cursor',
    doc: ['  ║'],
    completion: text('x++;', '  x++;', '  x++;'),
    want: 'x++;',
  },
  {
    name: "ts: the cursor's line counts even when the completion starts on the next line",
    doc: ['foo();║'],
    completion: text('', 'foo();', 'foo();'),
    want: '',
  },
  {
    name: 'ts: blank lines between repeats do not break the run',
    doc: ['║'],
    completion: text('foo();', '', 'foo();', '', 'foo();'),
    want: 'foo();',
  },
  // A block written twice in a row.
  {
    name: 'ts: an if block repeated → the first copy kept',
    doc: ['function f() {', '  ║'],
    completion: text('if (a) {', '    return false;', '  }', '  if (a) {', '    return false;', '  }', '  return true;'),
    want: text('if (a) {', '    return false;', '  }'),
  },
  {
    name: 'ts: two statements repeated as a pair → cut',
    doc: ['  ║'],
    completion: text('a();', '  b();', '  a();', '  b();'),
    want: text('a();', '  b();'),
  },
  {
    name: 'ts: a block repeated at another indentation is not a copy',
    doc: ['║'],
    completion: text('if (a) {', '  x();', '  if (a) {', '    x();'),
    want: text('if (a) {', '  x();', '  if (a) {', '    x();'),
  },
  {
    name: 'ts: closers repeated are plausible code',
    doc: ['      ║'],
    completion: text('});', '    });', '  });', '});'),
    want: text('});', '    });', '  });', '});'),
  },
  {
    name: 'ts: a pair of lines with one word repeated is not enough',
    doc: ['  ║'],
    completion: text('x();', '  }', '  x();', '  }'),
    want: text('x();', '  }', '  x();', '  }'),
  },
  // A short pattern looping at the end.
  { name: 'ts: "a, " looping', doc: ['const xs = [║'], completion: 'a, a, a, a, a, a', want: 'a, ' },
  { name: 'ts: ".next" looping', doc: ['x = ║'], completion: 'this.next.next.next.next.next', want: 'this.next' },
  { name: 'ts: three times is fine', doc: ['x = ║'], completion: 'this.next.next.next', want: 'this.next.next.next' },
  { name: 'ts: a loop in the middle is not at the end', doc: ['x = ║'], completion: 'f(a, a, a, a, a);', want: 'f(a, a, a, a, a);' },
  { name: 'ts: zeros are plausible code', doc: ['const z = [║'], completion: '0, 0, 0, 0, 0, 0', want: '0, 0, 0, 0, 0, 0' },
  { name: 'ts: closing brackets are plausible code', doc: ['x = ║'], completion: 'f(g(h(i(1))))', want: 'f(g(h(i(1))))' },
  { name: 'ts: a 64-bit mask is plausible code', doc: ['const m = ║'], completion: '0xFFFFFFFFFFFFFFFF', want: '0xFFFFFFFFFFFFFFFF' },
  { name: 'ts: one letter 40 times is a loop', doc: ['s = "║'], completion: 'z'.repeat(40), want: 'z' },
  {
    name: 'unicode: the cut does not split a surrogate pair',
    doc: ['s = "║'],
    completion: '\u{1FA00}' + 'ab😀'.repeat(5),
    want: '\u{1FA00}ab😀',
  },
  // Only the line above again.
  { name: 'ts: repeats the line above → dropped', doc: ['  foo();', '  ║'], completion: 'foo();', want: '' },
  { name: 'ts: repeats the line above, partly typed → dropped', doc: ['console.log(a);', 'console.log(║'], completion: 'a);', want: '' },
  { name: 'ts: repeats the line above across a blank line → dropped', doc: ['  foo();', '', '  ║'], completion: 'foo();', want: '' },
  { name: 'ts: } at another indentation than the } above stays', doc: ['    }', '  ║'], completion: '}', want: '}' },
  { name: 'ts: a different line stays', doc: ['  foo();', '  ║'], completion: 'bar();', want: 'bar();' },
  { name: 'ts: first line of the document, nothing above', doc: ['║'], completion: 'foo();', want: 'foo();' },
  {
    name: 'python: loop cut, then what is left repeats the line above → dropped',
    doc: ['    x = 1', '    ║'],
    lang: 'python',
    completion: text('x = 1', '    x = 1', '    x = 1'),
    want: '',
  },
  {
    name: 'python: a line after a different one is kept',
    doc: ['    x = 1', '    ║'],
    lang: 'python',
    completion: text('y = 2', '    x = 1'),
    want: text('y = 2', '    x = 1'),
  },
  { name: 'empty completion', doc: ['  foo();', '  ║'], completion: '', want: '' },
  {
    name: 'CRLF: repeated lines',
    doc: ['function f() {', '  ║'],
    eol: '\r\n',
    completion: 'a();\r\n  b();\r\n  b();\r\n  b();',
    want: 'a();\r\n  b();',
  },
  { name: 'CRLF: repeats the line above', doc: ['  x();', '  ║'], eol: '\r\n', completion: 'x();', want: '' },
];
