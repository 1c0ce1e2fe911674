// balanceBrackets: stop before closing what the rest of the line already closes.

import type { Case } from '../../helpers';

export const cases: Case[] = [
  { name: 'ts: ) right of the cursor closes the call', doc: ['foo(║)'], completion: 'a, b)', want: 'a, b' },
  { name: 'ts: nothing to close → unchanged', doc: ['foo(║)'], completion: 'a, b', want: 'a, b' },
  { name: 'ts: nothing right of the cursor → ) kept', doc: ['foo(║'], completion: 'a, b)', want: 'a, b)' },
  { name: 'ts: text after the closer goes too', doc: ['foo(║);'], completion: 'a) + 1;', want: 'a' },
  { name: 'ts: nested, the suffix closes both', doc: ['foo(bar(║))'], completion: 'x)', want: 'x' },
  { name: 'ts: brackets opened in the completion are its own', doc: ['foo(║)'], completion: 'bar(1), [2])', want: 'bar(1), [2]' },
  { name: 'ts: brackets in strings are ignored', doc: ['foo(║)'], completion: 'a, ")")', want: 'a, ")"' },
  { name: 'ts: escaped quote inside a string', doc: ['foo(║)'], completion: '"a\\")", b)', want: '"a\\")", b' },
  { name: 'ts: cursor in a string the suffix ends → stop at the closing quote', doc: ['foo("║")'], completion: 'hello")', want: 'hello' },
  { name: 'ts: cursor in a string the line does not end → unchanged', doc: ['foo("║'], completion: 'hello")', want: 'hello")' },
  { name: 'ts: template literal', doc: ['f(`${a}║`)'], completion: 'x`)', want: 'x' },
  { name: 'ts: kinds disagree (line does not balance) → unchanged', doc: ['[foo(║]'], completion: 'a)]', want: 'a)]' },
  { name: 'ts: bracket opened on an earlier line, closed right of the cursor', doc: ['foo(', '  a, ║)'], completion: 'b)', want: 'b' },
  { name: 'ts: other kind than the suffix closes → unchanged', doc: ['foo(', '  a, ║)'], completion: 'b]', want: 'b]' },
  { name: 'ts: closer on a later completion line', doc: ['foo(║)'], completion: '\n  a,\n  b\n)', want: '\n  a,\n  b\n' },
  { name: 'ts: apostrophe in a comment makes it cut less, not more', doc: ["// don't call foo(║)"], completion: 'x)', want: 'x)' },
  { name: 'python: two closers right of the cursor', doc: ['print(len(║))'], lang: 'python', completion: 'xs))', want: 'xs' },
  { name: 'python: dict literal', doc: ['d = {"a": [║]}'], lang: 'python', completion: '1, 2]}', want: '1, 2' },
  { name: 'unicode in the string', doc: ['f("é║")'], completion: '😀")', want: '😀' },
  { name: 'empty completion', doc: ['foo(║)'], completion: '', want: '' },
  { name: 'cursor at document end', doc: ['x = (1 + ║'], completion: '2)', want: '2)' },
];
