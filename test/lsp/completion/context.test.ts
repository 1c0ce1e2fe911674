import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildContext } from '../../../server/lsp/completion/context';
import { at } from './helpers';

test('buildContext splits at the cursor', () => {
  const ctx = at(['function f() {', '  return a║ + b;', '}']);
  assert.deepEqual(ctx, {
    prefix: 'function f() {\n  return a',
    suffix: ' + b;\n}',
    languageId: 'typescript',
    linePrefix: '  return a',
    lineSuffix: ' + b;',
    indent: '  ',
  });
});

const cases: { name: string; text: string; offset: number; want: Partial<ReturnType<typeof buildContext>> }[] = [
  { name: 'empty document', text: '', offset: 0, want: { prefix: '', suffix: '', linePrefix: '', lineSuffix: '', indent: '' } },
  { name: 'cursor at document end', text: 'a\n  b', offset: 5, want: { linePrefix: '  b', lineSuffix: '', suffix: '', indent: '  ' } },
  { name: 'offset past the end is clamped', text: 'ab', offset: 99, want: { prefix: 'ab', suffix: '' } },
  { name: 'negative offset is clamped', text: 'ab', offset: -3, want: { prefix: '', suffix: 'ab' } },
  { name: 'NaN offset counts as 0', text: 'ab', offset: NaN, want: { prefix: '', suffix: 'ab' } },
  {
    name: 'CRLF: no \\r in the line parts',
    text: 'a\r\n\tb c\r\nd',
    offset: 5,
    want: { linePrefix: '\tb', lineSuffix: ' c', indent: '\t' },
  },
  {
    name: 'cursor between \\r and \\n ends the line',
    text: 'ab\r\ncd',
    offset: 3,
    want: { linePrefix: 'ab', lineSuffix: '', prefix: 'ab\r' },
  },
  {
    name: 'indent of the whole line when the cursor is inside it',
    text: '      x',
    offset: 2,
    want: { linePrefix: '  ', lineSuffix: '    x', indent: '      ' },
  },
  { name: 'offset inside a surrogate pair moves before it', text: 'a😀b', offset: 2, want: { prefix: 'a', suffix: '😀b' } },
  { name: 'unicode before the cursor', text: 'é = "ü"', offset: 6, want: { linePrefix: 'é = "ü', lineSuffix: '"' } },
];
for (const c of cases) {
  test(`buildContext: ${c.name}`, () => {
    const ctx = buildContext(c.text, c.offset, 'x');
    for (const [k, v] of Object.entries(c.want)) assert.equal(ctx[k as keyof typeof ctx], v, k);
  });
}
