// The engine's completion prompt against models/completion-parity.json: for each case, the real
// engine's prompt (document checkpoints, healing, the layout's tail) gives the same next-token
// distribution as feeding the fixture's pieces from the zero state. The Python training layout is
// checked against the same fixture (models/python/tests/test_fim_data.py), so the model is taught
// the layout the engine feeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import type { CompletionLayout } from '../../server/protocol/ipc';
import { readManifest } from '../../server/engine/manifest';
import { ModelRunner } from '../../server/engine/model';
import { topTokens } from '../../server/engine/sampler';
import { CodeTokenizer } from '../../server/engine/tokenizer';
import { splitHealTail } from '../../server/engine/heal';
import { cpuLoad } from '../helpers/engineRequests';
import { MODELS_DIR, modelDir } from '../helpers/models';

interface Piece {
  special?: string;
  text?: string;
}
interface Case {
  name: string;
  layout: CompletionLayout;
  input: { path: string; text: string; line: number; character: number };
  kept: string;
  pieces: Piece[];
}
const fixture = JSON.parse(readFileSync(join(MODELS_DIR, 'completion-parity.json'), 'utf8')) as { suffixMaxTokens: number; cases: Case[] };
const dir = modelDir('hawk');
const manifest = readManifest(dir);
const tok = CodeTokenizer.fromFile(join(dir, manifest.tokenizer));

function ids(pieces: Piece[]): number[] {
  return pieces.flatMap((p) => {
    if (p.special === undefined) return tok.encode(p.text!);
    const id = manifest.specialTokens[p.special.replace(/^<\|(.*)\|>$/, '$1')];
    assert.ok(Number.isInteger(id), p.special);
    return [id!];
  });
}

test('completion-parity: every layout is covered; kept is the healed cursor line', () => {
  assert.deepEqual([...new Set(fixture.cases.map((c) => c.layout))].sort(), ['fim', 'plain', 'suffix-first']);
  for (const c of fixture.cases) {
    const line = c.input.text.split('\n')[c.input.line]!.slice(0, c.input.character);
    assert.equal(splitHealTail(line).kept, c.kept, c.name);
  }
});

test("completion-parity: the engine's prompt gives the next-token distribution of the fixture pieces", async () => {
  const engine = new Engine(() => {});
  await engine.load(cpuLoad(dir));
  const runner = await ModelRunner.load(dir, manifest, 'cpu', 0, () => {});
  for (const [i, c] of fixture.cases.entries()) {
    const uri = `file:///parity/${i}.ts`;
    engine.openDocument({ uri, path: c.input.path, text: c.input.text, version: 1 });
    const r = await engine.complete(
      {
        uri,
        version: 1,
        position: { line: c.input.line, character: c.input.character },
        singleLine: true,
        maxTokens: 1,
        suffixMaxTokens: fixture.suffixMaxTokens,
        temperature: 0,
        topP: 1,
        n: 1,
        layout: c.layout,
        topTokens: 5,
      },
      () => false,
    );
    const fed = await runner.feed(ids(c.pieces), runner.zeroState());
    const want = topTokens(fed.logits!, 5).map(({ id, p }) => ({ text: tok.tokenText(id), p }));
    assert.deepEqual(
      r.top!.map((t) => t.text),
      want.map((t) => t.text),
      c.name,
    );
    // int8 kernels quantize activations per call, so grouping tokens differently moves logits by ~1 %
    for (let k = 0; k < want.length; k++)
      assert.ok(Math.abs(r.top![k]!.p - want[k]!.p) < 0.03, `${c.name}: ${JSON.stringify(r.top)} vs ${JSON.stringify(want)}`);
  }
  await runner.release();
});
