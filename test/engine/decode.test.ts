// The decode loop with token healing, on the real tokenizer and a scripted stand-in for the model
// (logits that prefer a given token at each step): the whitespace rules at the cursor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decode, type Stepper } from '../../server/engine/decode';
import { seededRng } from '../../server/engine/sampler';
import { CodeTokenizer } from '../../server/engine/tokenizer';
import { modelDir } from '../helpers/models';

const tok = CodeTokenizer.fromFile(join(modelDir('hawk'), 'tokenizer.json'));
const id = (s: string) => {
  const ids = tok.encode(s);
  assert.equal(ids.length, 1, `${JSON.stringify(s)} is one token`);
  return ids[0]!;
};

/** Logits ranking `wanted` tokens first, in order, at every step (the model "wants" them). */
function scripted(wanted: number[]): { first: Float32Array; model: Stepper } {
  const logits = () => {
    const l = new Float32Array(tok.vocabSize);
    wanted.forEach((w, i) => {
      l[w] = 10 - i;
    });
    return l;
  };
  return { first: logits(), model: { step: async (_id, state) => ({ logits: logits(), state }) } };
}

async function run(wanted: number[], heal: string, maxTokens = 3): Promise<string> {
  const { first, model } = scripted(wanted);
  const r = await decode(model, tok, {
    logits: first,
    state: new Map(),
    maxTokens,
    stops: new Set([0]),
    banned: new Set(),
    temperature: 0,
    topP: 1,
    rng: seededRng(1),
    heal: new TextEncoder().encode(heal),
    shouldStop: () => false,
  });
  return r.text;
}

test('a typed space is the whole gap: neither a longer blank token nor a blank token after it', async () => {
  const threeSpaces = id('   ');
  const space = id(' ');
  const spaceThis = id(' this');
  // the model wants "   " first: not allowed to cover the typed " "; " this" covers it
  assert.ok((await run([threeSpaces, spaceThis], ' ', 1)).startsWith(' this'));
  // " " covers it exactly; the next token may not start with a space
  const text = await run([space, spaceThis, id('this')], ' ', 1);
  assert.equal(text, ' this');
});

test('a word fragment is healed by whatever tokens spell it, and decoding goes on freely', async () => {
  const text = await run([id(' this'), id('return')], 'ret', 2);
  assert.equal(text, 'return this this');
});
