// A question in a user's words put back into its trained kind's template (server/engine/askCanonical.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import format from '../../models/ask-format.json';
import { canonicalQuestion } from '../../server/engine/askCanonical';
import { paraphrase, PARAPHRASES } from '../../server/cli/eval/qa';
import { seededRng } from '../../server/engine/sampler';

const FILE = 'export function parseHeader(line) {\n  return line.split(":");\n}\nconst MAX_RETRIES = 3;\nclass Cart {}\n';
const kinds = format.kinds as Record<string, string>;
const t = (kind: string, name: string) => kinds[kind]!.replace('{name}', name);

test('canonicalQuestion: phrasings of each kind become its template', () => {
  const cases: [string, string, string][] = [
    ["what's the value of MAX_RETRIES?", 'value', 'MAX_RETRIES'],
    ['What is MAX_RETRIES set to', 'value', 'MAX_RETRIES'],
    ['what arguments does parseHeader take?', 'params', 'parseHeader'],
    ['How do I call `parseHeader()`?', 'params', 'parseHeader'],
    ['what is returned by parseHeader?', 'returns', 'parseHeader'],
    ['return value of the function parseHeader', 'returns', 'parseHeader'],
    ['where is parseHeader defined?', 'defined', 'parseHeader'],
    ['What does parseHeader do?', 'defined', 'parseHeader'],
    ['who calls parseHeader?', 'callers', 'parseHeader'],
    ['where is parseHeader used', 'callers', 'parseHeader'],
    ['find usages of parseHeader', 'callers', 'parseHeader'],
    ['what is Cart?', 'kind', 'Cart'],
    ['What kind of symbol is Cart', 'kind', 'Cart'],
  ];
  for (const [q, kind, name] of cases) assert.equal(canonicalQuestion(q, FILE), t(kind, name), q);
});

test('canonicalQuestion: templates, other questions and names the file lacks are left as typed', () => {
  for (const kind of Object.keys(kinds)) assert.equal(canonicalQuestion(t(kind, 'parseHeader'), FILE), undefined, kind);
  assert.equal(canonicalQuestion('why is parseHeader slow?', FILE), undefined);
  assert.equal(canonicalQuestion('what is this?', FILE), undefined); // "this" is not in the file
  assert.equal(canonicalQuestion('who calls parseHeader and why?', FILE), undefined);
  assert.equal(canonicalQuestion('who calls parse?', FILE), undefined); // a whole word only
});

test('eval qa --paraphrase: a phrasing of the same kind about the same name; every recognised one maps back', () => {
  const rng = seededRng(3);
  for (const kind of Object.keys(kinds)) {
    const q = { kind, question: t(kind, 'parseHeader') };
    const asked = paraphrase(q, rng);
    assert.notEqual(asked, q.question);
    assert.ok(asked.includes('parseHeader'), asked);
    const list = PARAPHRASES[kind]!;
    // all but the last phrasing of each kind are recognised; the last one is not (the reach is measured)
    for (const p of list.slice(0, -1)) assert.equal(canonicalQuestion(p.replace('{n}', 'parseHeader'), FILE), q.question, p);
    assert.equal(canonicalQuestion(list.at(-1)!.replace('{n}', 'parseHeader'), FILE), undefined, list.at(-1));
  }
  assert.equal(paraphrase({ kind: 'value', question: 'free text?' }, rng), 'free text?');
});
