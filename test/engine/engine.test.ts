// The Engine on the real model: completions from cached checkpoints, cancellation, bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import type { CompleteParams } from '../../server/protocol/ipc';
import { graphCallsSince } from '../../server/cli/benchGraphCalls';
import { cpuLoad } from '../helpers/engineRequests';
import { modelDir, REPO } from '../helpers/models';

const dir = modelDir('hawk');
const load = cpuLoad(dir);
const text = readFileSync(join(REPO, 'server', 'engine', 'model.ts'), 'utf8');
const req = (line: number, character: number, extra: Partial<CompleteParams> = {}): CompleteParams => ({
  uri: 'file:///doc.ts',
  version: 1,
  position: { line, character },
  singleLine: true,
  maxTokens: 12,
  suffixMaxTokens: 32,
  temperature: 0,
  topP: 0.95,
  n: 1,
  ...extra,
});
const never = () => false;

test('completion at a cursor: the second request on the same line reuses the line-start checkpoint', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'server/engine/model.ts', text, version: 1 });
  // a line of code past the first 500 tokens, whatever model.ts holds today
  const line = text.split('\n').findIndex((l, i) => i >= 60 && l.trim().length >= 12);
  const first = await e.complete(req(line, 4), never);
  assert.equal(first.completions.length, 1);
  assert.ok(first.promptTokens > 500);
  const second = await e.complete(req(line, 6), never);
  assert.ok(second.cachedTokens >= first.promptTokens - 80, `cached ${second.cachedTokens} of ${second.promptTokens}`);
  assert.ok(second.timings.prefixMs < first.timings.prefixMs);
  assert.ok(e.info().checkpoints > 1);
});

test('info counts the graph calls per job: the prompt fed, then one decode step per generated token', async () => {
  const e = new Engine(() => {});
  assert.equal(e.info().graphCalls, undefined, 'no model, no counts');
  await e.load(load);
  const at = e.info().graphCalls!; // the load's own check calls
  e.openDocument({ uri: 'file:///doc.ts', path: 'server/engine/model.ts', text, version: 1 });
  const line = text.split('\n').findIndex((l, i) => i >= 60 && l.trim().length >= 12);
  const r = await e.complete(req(line, 4), never);
  const now = e.info().graphCalls!;
  const g = graphCallsSince(at, now)!;
  // the prompt (over 500 tokens) goes through prefill in chunks: ingestion, then a short keystroke rest
  assert.ok(g.ingest.calls >= 2 && g.ingest.tokens >= 256, JSON.stringify(g));
  assert.ok(g.ingest.ms > 0);
  assert.ok(now.ingest.calls > at.ingest.calls, 'counts only grow');
  const fed = g.ingest.tokens + g.keystroke.tokens + g.step.tokens;
  assert.ok(fed >= r.promptTokens, `fed ${fed} of ${r.promptTokens} prompt tokens`);
  assert.ok(g.step.calls >= r.generatedTokens - 1, `${g.step.calls} steps for ${r.generatedTokens} tokens`);
  assert.equal(g.step.tokens, g.step.calls);
});

test('edits are applied and a stale version is refused', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'doc.ts', text: 'function add(a, b) {\n  return a', version: 1 });
  e.editDocument({
    uri: 'file:///doc.ts',
    version: 2,
    changes: [{ range: { start: { line: 1, character: 10 }, end: { line: 1, character: 10 } }, text: ' +' }],
  });
  const r = await e.complete(req(1, 12, { version: 2 }), never);
  assert.equal(r.completions.length, 1);
  await assert.rejects(e.complete(req(1, 12, { version: 1 }), never), /version/);
});

test('a position past the end of the document gives an empty result', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'doc.ts', text: 'x = 1', version: 1 });
  assert.deepEqual((await e.complete(req(5, 0), never)).completions, []);
  assert.deepEqual((await e.complete(req(0, 99), never)).completions, []);
});

test('cancellation stops a request between steps with a CancelledError', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'doc.ts', text, version: 1 });
  let calls = 0;
  await assert.rejects(
    e.complete(req(100, 0, { singleLine: false, maxTokens: 64 }), () => ++calls > 3),
    { name: 'CancelledError' },
  );
  assert.ok(calls > 3);
});

test('alternatives: n > 1 gives distinct completions', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'doc.ts', text, version: 1 });
  const r = await e.complete(req(80, 0, { n: 3, singleLine: false, maxTokens: 16 }), never);
  assert.ok(r.completions.length >= 2, JSON.stringify(r.completions));
  assert.equal(new Set(r.completions).size, r.completions.length);
});

test('workspace state: built with progress, persisted, restored, and completions start from it', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'sw-ws-'));
  const files = [{ path: 'src/util.ts', text: 'export const ANSWER = 42;\nexport function twice(x: number) { return 2 * x; }\n' }];
  const e = new Engine(() => {});
  await e.load(load);
  const progress: number[] = [];
  const built = await e.setWorkspace({ fingerprint: 'f1', files, persistDir }, never, (d) => progress.push(d));
  assert.equal(built.restored, false);
  assert.ok(built.tokens > 20);
  assert.deepEqual(progress, [1]);
  e.openDocument({ uri: 'file:///doc.ts', path: 'doc.ts', text: 'import { twice } from "./util";\nconst y = tw', version: 1 });
  const r = await e.complete(req(1, 12), never);
  assert.ok(r.cachedTokens >= built.tokens);
  const e2 = new Engine(() => {});
  await e2.load(load);
  const restored = await e2.setWorkspace({ fingerprint: 'f1', files, persistDir }, never, () => {});
  assert.equal(restored.restored, true);
  assert.equal(restored.tokens, built.tokens);
  const logs: string[] = [];
  const e3 = new Engine((_, m) => logs.push(m));
  await e3.load(load);
  const changed = [{ path: 'src/util.ts', text: files[0]!.text.replace('42', '43') }];
  const other = await e3.setWorkspace({ fingerprint: 'f1', files: changed, persistDir }, never, () => {});
  assert.equal(other.restored, false, 'other content is not restored, whatever the fingerprint label says');
  assert.equal(other.refoldedFiles, 1);
  assert.ok(logs.some((l) => /workspace state/.test(l)));
});

function brokenCopy(mutate: (d: string) => void): string {
  const d = mkdtempSync(join(tmpdir(), 'sw-model-'));
  cpSync(dir, d, { recursive: true, dereference: true });
  mutate(d);
  return d;
}

test('a missing model folder is a ModelMissingError', async () => {
  const e = new Engine(() => {});
  await assert.rejects(e.load({ ...load, modelDir: join(tmpdir(), 'no-such-model') }), { name: 'ModelMissingError' });
});

test('a corrupt ONNX file is a ModelCorruptError naming the model', async () => {
  const d = brokenCopy((d) => writeFileSync(join(d, 'step.onnx'), 'not an onnx file'));
  await assert.rejects(new Engine(() => {}).load({ ...load, modelDir: d }), { name: 'ModelCorruptError' });
});

test('a manifest that does not match the graph is a ManifestMismatchError naming the tensor', async () => {
  const d = brokenCopy((d) => {
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.state[0].shape = [1, 7];
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  });
  await assert.rejects(
    new Engine(() => {}).load({ ...load, modelDir: d }),
    (e: Error) => e.name === 'ManifestMismatchError' && /state_in/.test(e.message),
  );
  const d2 = brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), '{ not json'));
  await assert.rejects(new Engine(() => {}).load({ ...load, modelDir: d2 }), { name: 'ModelCorruptError' });
});

test("layouts: the model's measured layout by default; each forced layout starts from the line-start checkpoint", async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'server/engine/model.ts', text, version: 1 });
  // a code line from line 60 on, 4 characters into its code (model.ts changes: not a fixed position)
  const lines = text.split('\n');
  const line = lines.findIndex((l, i) => i >= 60 && l.trim().length >= 12);
  const col = lines[line]!.search(/\S/) + 4;
  const byDefault = await e.complete(req(line, col), never);
  assert.equal(byDefault.layout, JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).completion.layout);
  const r = Object.fromEntries(
    await Promise.all(
      (['plain', 'fim', 'suffix-first'] as const).map(
        async (layout) => [layout, await e.complete(req(line, col, { layout }), never)] as const,
      ),
    ),
  );
  for (const [layout, x] of Object.entries(r)) {
    assert.equal(x.layout, layout);
    assert.equal(x.completions.length, 1);
  }
  // fim and suffix-first feed the suffix (32 tokens here) and the two FIM tokens on top of plain's line prefix
  assert.equal(r.fim!.promptTokens, r.plain!.promptTokens + 32 + 2);
  assert.equal(r['suffix-first']!.promptTokens, r.fim!.promptTokens);
  assert.equal(r.plain!.cachedTokens, r.fim!.cachedTokens, 'all three from the same line-start checkpoint');
  assert.deepEqual(byDefault.completions, r[byDefault.layout]!.completions);
});

test('plain layout at the very start of a document (nothing before the cursor) still completes', async () => {
  const e = new Engine(() => {});
  await e.load(load);
  e.openDocument({ uri: 'file:///doc.ts', path: 'src/index.ts', text: '\nexport const x = 1;\n', version: 1 });
  const r = await e.complete(req(0, 0, { layout: 'plain', singleLine: false, maxTokens: 8 }), never);
  assert.equal(r.completions.length, 1);
  assert.ok(r.generatedTokens > 0);
});

test('a manifest naming an unknown completion layout is a ManifestMismatchError', async () => {
  const d = brokenCopy((d) => {
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.completion = { layout: 'psm' };
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  });
  await assert.rejects(
    new Engine(() => {}).load({ ...load, modelDir: d }),
    (e: Error) => e.name === 'ManifestMismatchError' && /completion\.layout "psm"/.test(e.message),
  );
});

test('a manifest naming an unknown Ask layout is a ManifestMismatchError', async () => {
  const d = brokenCopy((d) => {
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.ask = { layout: 'rag' };
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  });
  await assert.rejects(
    new Engine(() => {}).load({ ...load, modelDir: d }),
    (e: Error) => e.name === 'ManifestMismatchError' && /ask\.layout "rag"/.test(e.message),
  );
});
