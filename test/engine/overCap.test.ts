// A model state larger than the whole document checkpoint cap (ALiBi's KV cache at 32k tokens under
// the default engine.maxMemoryMB): the engine keeps it anyway, so typing on a line stays cached, and
// says so once per model load, in the log, info() and each completion result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../server/engine/engine';
import type { CompleteParams } from '../../server/protocol/ipc';
import { cpuLoad } from '../helpers/engineRequests';
import { modelDir } from '../helpers/models';

// hawk's state is 64 KiB; 0.05 MiB leaves the document checkpoints about 51 KiB
const load = cpuLoad(modelDir('hawk'), { maxStateMB: 0.05 });
const never = () => false;
const uri = 'file:///over.ts';
const TEXT = 'export function twice(x: number): number {\n  return x * 2;\n}\nexport const four = tw';
const req = (version: number, character: number): CompleteParams => ({
  uri,
  version,
  position: { line: 3, character },
  singleLine: true,
  maxTokens: 4,
  suffixMaxTokens: 0,
  temperature: 0,
  topP: 1,
  n: 1,
});

test('a state over the memory cap is kept for the next keystroke and warned about once per model load', async () => {
  const warnings: string[] = [];
  const e = new Engine((level, msg) => {
    if (level === 'warn') warnings.push(msg);
  });
  await e.load(load);
  assert.equal(e.info().stateOverCap, undefined);
  e.openDocument({ uri, path: 'over.ts', text: TEXT, version: 1 });
  const first = await e.complete(req(1, 22), never);
  const capBytes = 0.05 * 2 ** 20;
  assert.deepEqual(first.stateOverCap, { bytes: 65536, capBytes });
  assert.deepEqual(e.info().stateOverCap, { bytes: 65536, capBytes });
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /0\.1 MiB.*0\.1 MiB.*statewise\.engine\.maxMemoryMB is 0\.05.*re-reads the document/);

  // a keystroke on the same line starts from the kept checkpoint at the line's start
  e.editDocument({
    uri,
    version: 2,
    changes: [{ range: { start: { line: 3, character: 22 }, end: { line: 3, character: 22 } }, text: 'i' }],
  });
  const next = await e.complete(req(2, 23), never);
  assert.ok(next.cachedTokens > 0 && next.promptTokens - next.cachedTokens < 10, `fed ${next.promptTokens - next.cachedTokens} tokens`);
  assert.deepEqual(next.stateOverCap, first.stateOverCap);
  assert.equal(warnings.length, 1, 'once per model load');
  assert.equal(e.info().checkpoints, 1);

  await e.load(load);
  assert.equal(e.info().stateOverCap, undefined, 'a load forgets it');
  await e.complete(req(2, 23), never);
  assert.equal(warnings.length, 2, 'and warns again after the next load');
});

test('states under the cap neither warn nor report', async () => {
  const warnings: string[] = [];
  const e = new Engine((level, msg) => {
    if (level === 'warn') warnings.push(msg);
  });
  await e.load(cpuLoad(modelDir('hawk')));
  e.openDocument({ uri, path: 'over.ts', text: TEXT, version: 1 });
  const r = await e.complete(req(1, 22), never);
  assert.equal(r.stateOverCap, undefined);
  assert.equal(e.info().stateOverCap, undefined);
  assert.deepEqual(warnings, []);
});
