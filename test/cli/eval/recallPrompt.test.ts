// The recall probe's prompt builder (pure): layouts per variant and exact distance accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { seededRng } from '../../../server/engine/sampler';
import { CodeTokenizer } from '../../../server/engine/tokenizer';
import {
  buildRecallCase,
  definitionLine,
  fillerFrom,
  recallKey,
  recalled,
  recalledLiteral,
  useLine,
  type Count,
  type FillerFile,
} from '../../../server/cli/eval/recallPrompt';
import { DEFAULT_DISTANCES } from '../../../server/cli/eval/recall';
import { readFileSync } from 'node:fs';
import { DEFAULT_ARCH, modelDir } from '../../helpers/models';

const tok = CodeTokenizer.fromFile(join(modelDir('hawk'), 'tokenizer.json'));
const count: Count = (t) => tok.encode(t).length;
const filler: FillerFile[] = [
  {
    path: 'lib/a.ts',
    lines: [
      'export function area(w: number, h: number): number {',
      '  return w * h;',
      '}',
      '',
      'const cells = new Map<string, number[]>();',
    ],
  },
  { path: 'lib/b.ts', lines: ['import { area } from "./a";', 'export const unit = area(1, 1);', 'console.log(unit);'] },
];
const key = { name: 'SHADOW_QUEUE_42', value: 'q7x0m2' };
const maxLine = Math.max(...filler.flatMap((f) => f.lines.map((l) => count('\n' + l))));

test('the stream of "\\n"-led lines tokenizes as the sum of its lines (what the accounting relies on)', () => {
  const lines = filler.flatMap((f) => f.lines);
  assert.equal(count(lines.join('\n')), count(lines[0]) + lines.slice(1).reduce((a, l) => a + count('\n' + l), 0));
});

test('same: definition, filler, use site; distance = tokens after the definition line, exactly', () => {
  for (const distance of [1, 40, 150, 600]) {
    const c = buildRecallCase({ variant: 'same', lang: 'typescript', ...key, distance, filler, count });
    const lines = c.document.text.split('\n');
    assert.equal(lines[0], definitionLine('typescript', key.name, key.value, false));
    assert.equal(lines.at(-1), useLine('typescript', key.name));
    assert.deepEqual(c.workspace, []);
    // measured independently: the tokens of everything after the definition line
    const after = c.document.text.slice(lines[0].length);
    assert.equal(c.distance, count(after), `distance ${distance}`);
    const fixed = count('\n' + useLine('typescript', key.name));
    assert.ok(c.distance >= distance && c.distance < Math.max(distance, fixed) + maxLine, `${c.distance} for ${distance}`);
  }
});

test('control: the same text without the definition', () => {
  const same = buildRecallCase({ variant: 'same', lang: 'python', ...key, distance: 120, filler, count });
  const control = buildRecallCase({ variant: 'control', lang: 'python', ...key, distance: 120, filler, count });
  assert.equal(control.document.text, same.document.text.split('\n').slice(1).join('\n'));
  assert.ok(!control.document.text.includes(key.value));
  assert.equal(control.distance, same.distance);
  assert.ok(same.document.text.startsWith(`${key.name} = "${key.value}"\n`));
  assert.ok(same.document.text.endsWith(`assert ${key.name} == "`));
});

test('cross: definition file, filler files, document; distance counts the <|file|> headers', () => {
  for (const distance of [10, 100, 300]) {
    const c = buildRecallCase({ variant: 'cross', lang: 'typescript', ...key, distance, filler, count });
    const [keys, ...rest] = c.workspace;
    const def = definitionLine('typescript', key.name, key.value, true);
    assert.ok(keys.text.startsWith(def));
    assert.ok(!c.document.text.includes(key.value));
    assert.ok(c.document.text.endsWith(useLine('typescript', key.name)));
    for (const f of rest) assert.ok(filler.some((x) => x.path === f.path));
    // what the engine reads after the definition: the rest of the keys file, then each file behind
    // its header (<|file|> + path + "\n"), the document last
    const header = (p: string) => 1 + count(p + '\n');
    const measured =
      count(keys.text.slice(def.length)) +
      rest.reduce((a, f) => a + header(f.path) + count(f.text), 0) +
      header(c.document.path) +
      count(c.document.text);
    assert.equal(c.distance, measured, `distance ${distance}`);
    const fixed = count('\n') + header(c.document.path) + count(c.document.text);
    assert.ok(
      c.distance >= distance && c.distance < Math.max(distance, fixed) + maxLine + header('lib/a.ts'),
      `${c.distance} for ${distance}`,
    );
  }
});

test('filler cycles when the files run out; keys, values and filler are deterministic per seed', () => {
  const c = buildRecallCase({ variant: 'same', lang: 'typescript', ...key, distance: 2000, filler, count });
  assert.ok(c.distance >= 2000);
  assert.deepEqual(recallKey(seededRng(5)), recallKey(seededRng(5)));
  assert.match(recallKey(seededRng(5)).name, /^[A-Z]+(_[A-Z]+)+_\d\d$/);
  assert.match(recallKey(seededRng(5)).value, /^[a-z0-9]{6}$/);
  const files = filler.map((f) => ({ path: f.path, text: f.lines.join('\n') }));
  assert.deepEqual(fillerFrom(files, seededRng(9)), fillerFrom(files, seededRng(9)));
  assert.throws(
    () =>
      buildRecallCase({ variant: 'same', lang: 'typescript', ...key, distance: 50, filler: [{ path: 'e.ts', lines: ['', ' '] }], count }),
    /no filler/,
  );
});

test('recalled: the value as a whole literal; recalledLiteral: the string typed', () => {
  assert.ok(recalled('q7x0m2");', 'q7x0m2'));
  assert.ok(recalled('q7x0m2', 'q7x0m2'));
  assert.ok(!recalled('q7x0m2x");', 'q7x0m2'));
  assert.ok(!recalled('q7x0m");', 'q7x0m2'));
  assert.equal(recalledLiteral('q7x0m");'), 'q7x0m');
  assert.equal(recalledLiteral('abc'), 'abc');
});

test("the default distances start inside the default model's attention window (a cell where copying shows)", (t) => {
  // issue 14: with 512 as the shortest default, every cell read 0 % and the probe could not tell a
  // broken path from a state that forgets; Griffin (window 256) scores 100 % at 128 tokens.
  const window = (JSON.parse(readFileSync(join(modelDir(DEFAULT_ARCH), 'manifest.json'), 'utf8')) as { config?: { window?: number } })
    .config?.window;
  if (window === undefined) return t.skip(`${DEFAULT_ARCH} has no local attention window`);
  assert.ok(Math.min(...DEFAULT_DISTANCES) + 16 < window, `${DEFAULT_DISTANCES} vs window ${window}`);
  assert.deepEqual(
    [...DEFAULT_DISTANCES].sort((a, b) => a - b),
    DEFAULT_DISTANCES,
  );
});
