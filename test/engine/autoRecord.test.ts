// auto's choice kept between loads (server/engine/autoRecord.ts): its key, reading it back, and a load
// that uses it (no provider timed) or times again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  loadKey,
  machineIdentity,
  modelIdentity,
  parseRecord,
  readRecord,
  RECORD_FORMAT,
  RECORD_MAX_AGE_MS,
  recordFile,
  recordKey,
  writeRecord,
  type AutoRecord,
  type RecordKeyParts,
} from '../../server/engine/autoRecord';
import { readManifest } from '../../server/engine/manifest';
import { ModelRunner } from '../../server/engine/model';
import { Engine, ortVersion } from '../../server/engine/engine';
import { DEFAULT_ARCH, modelDir } from '../helpers/models';

const parts: RecordKeyParts = {
  model: { name: 'm', version: '1', 'step.onnx': 'aa', 'weights-0.bin': 'bb' },
  onnxruntime: '1.30.0',
  threads: 2,
  gpuState: true,
  machine: { platform: 'linux', arch: 'x64', cpu: 'Some CPU', cores: 16, gpus: ['pci 0x10de:0x2330', 'nvidia NVIDIA H100'] },
};

test('recordKey: the same for the same parts in any order, another for a change in any part', () => {
  const k = recordKey(parts);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(recordKey({ ...parts, model: { 'weights-0.bin': 'bb', version: '1', 'step.onnx': 'aa', name: 'm' } }), k);
  assert.equal(recordKey({ ...parts, machine: { ...parts.machine, gpus: [...parts.machine.gpus].reverse() } }), k);
  const changed: RecordKeyParts[] = [
    { ...parts, model: { ...parts.model, 'step.onnx': 'ab' } },
    { ...parts, model: { ...parts.model, version: '2' } },
    { ...parts, onnxruntime: '1.31.1' },
    { ...parts, threads: 4 },
    { ...parts, gpuState: false },
    { ...parts, machine: { ...parts.machine, cpu: 'Another CPU' } },
    { ...parts, machine: { ...parts.machine, cores: 8 } },
    { ...parts, machine: { ...parts.machine, gpus: ['pci 0x1002:0x744c'] } },
    { ...parts, machine: { ...parts.machine, gpus: [] } },
  ];
  const keys = new Set(changed.map(recordKey));
  assert.equal(keys.size, changed.length);
  assert.ok(!keys.has(k));
});

const now = Date.parse('2026-12-07T12:00:00Z');
const good = (over: Partial<AutoRecord> = {}): AutoRecord => ({
  format: RECORD_FORMAT,
  key: 'k1',
  timedAt: '2026-12-06T12:00:00.000Z',
  providers: { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' },
  reason: 'auto, median of 5: …',
  timings: { 'cpu.stepMs': 3 },
  ...over,
});

test('parseRecord: a record of this key under the age limit is used; anything else says why not', () => {
  const ok = parseRecord(JSON.stringify(good()), 'k1', now);
  assert.ok('record' in ok);
  assert.deepEqual(ok.record.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' });
  assert.deepEqual(ok.record.timings, { 'cpu.stepMs': 3 });
  const why = (text: string, key = 'k1', at = now) => {
    const r = parseRecord(text, key, at);
    assert.ok('why' in r, text);
    return r.why;
  };
  assert.match(why('{'), /JSON/);
  assert.match(why('null'), /format/);
  assert.match(why(JSON.stringify({ ...good(), format: 'other/1' })), /format/);
  assert.match(why(JSON.stringify(good()), 'k2'), /another model, onnxruntime, setting or machine/);
  assert.match(why(JSON.stringify(good()), 'k1', Date.parse('2026-12-06T12:00:00Z') + RECORD_MAX_AGE_MS + 1), /days ago/);
  assert.match(why(JSON.stringify(good({ timedAt: '2026-12-09T12:00:00.000Z' }))), /days ago/, 'a time in the future is not trusted');
  assert.match(why(JSON.stringify({ ...good(), timedAt: 'yesterday' })), /no time/);
  assert.match(why(JSON.stringify({ ...good(), providers: { step: 'cpu', keystroke: 'cpu' } })), /no provider/);
  assert.match(why(JSON.stringify({ ...good(), providers: { step: 'cpu', keystroke: '', ingest: 'cpu' } })), /no provider/);
  assert.match(why(JSON.stringify({ ...good(), reason: 3 })), /reason/);
});

test('writeRecord then readRecord: the same record; no file, a folder in its place: why not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'statewise-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = recordFile(join(dir, 'auto-choice'), 'grif/fin');
  assert.equal(file, join(dir, 'auto-choice', 'grif_fin.json'));
  const none = await readRecord(file, 'k1', now);
  assert.ok('why' in none && none.why === 'none yet');
  await writeRecord(file, good());
  const back = await readRecord(file, 'k1', now);
  assert.ok('record' in back);
  assert.deepEqual(back.record, good());
  await writeRecord(file, good({ key: 'k2' }));
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).key, 'k2', 'a new record replaces the old one');
  const odd = join(dir, 'odd.json');
  mkdirSync(odd);
  const r = await readRecord(odd, 'k1', now);
  assert.ok('why' in r && /unreadable \(EISDIR\)/.test(r.why), JSON.stringify(r));
});

test('writeRecord: temporary files an engine killed mid-write left are removed; one a write may still use stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'statewise-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = recordFile(dir, 'griffin');
  const stale = `${file}.4242.0badc0de.tmp`;
  const fresh = `${file}.4243.00c0ffee.tmp`;
  const other = join(dir, 'hawk.json.4244.00000000.tmp');
  for (const f of [stale, fresh, other]) writeFileSync(f, '{');
  const old = new Date(Date.now() - 5 * 60_000);
  utimesSync(stale, old, old);
  utimesSync(other, old, old);
  await writeRecord(file, good());
  assert.deepEqual(readdirSync(dir).sort(), ['griffin.json', basename(fresh), basename(other)].sort());
});

test('machineIdentity: the CPU, and on Linux the DRM cards and the NVIDIA driver the system lists', () => {
  const m = machineIdentity(
    (p) =>
      ({
        '/sys/class/drm/card0/device/vendor': '0x10de\n',
        '/sys/class/drm/card0/device/device': '0x2330\n',
        '/proc/driver/nvidia/gpus/0000:01:00.0/information': 'Model: \t NVIDIA H100 80GB HBM3\nIRQ: 1\n',
        '/proc/driver/nvidia/version': 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu\n',
      })[p],
    (d) => ({ '/sys/class/drm': ['card0', 'card0-DP-1', 'renderD128'], '/proc/driver/nvidia/gpus': ['0000:01:00.0'] })[d] ?? [],
  );
  assert.ok(m.cores >= 1 && m.cpu.length > 0);
  if (process.platform === 'linux')
    assert.deepEqual(m.gpus, ['pci 0x10de:0x2330', 'nvidia NVIDIA H100 80GB HBM3', 'nvidia driver 580.159.04']);
  else assert.deepEqual(m.gpus, []);
  assert.deepEqual(
    machineIdentity(
      () => undefined,
      () => [],
    ).gpus,
    [],
  );
});

const dir = modelDir(DEFAULT_ARCH);
const manifest = readManifest(dir);

test(`modelIdentity: ${DEFAULT_ARCH}'s name, version and every graph and weights file by its checksum`, () => {
  const id = modelIdentity(dir, manifest);
  assert.equal(id.name, manifest.name);
  assert.equal(id.version, manifest.version);
  for (const g of Object.values(manifest.graphs)) assert.equal(id[g!.file], manifest.checksums!.sha256[g!.file]);
  for (const w of manifest.weights ?? []) assert.equal(id[w], manifest.checksums!.sha256[w]);
  // without checksums: the files' sizes
  const bare = modelIdentity(dir, { ...manifest, checksums: undefined });
  assert.equal(typeof bare[manifest.graphs.step.file], 'number');
  assert.ok((bare[manifest.graphs.step.file] as number) > 0);
});

test(`ModelRunner.load auto with a record: only the providers it names are opened and nothing is timed; one naming a provider auto does not try is timed again`, async (t) => {
  const logs: string[] = [];
  const rec = good({ providers: { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' }, reason: 'auto, median of 5 (recorded)' });
  const r = await ModelRunner.load(dir, manifest, 'auto', 1, (s) => logs.push(s), { recorded: rec });
  t.after(() => r.release());
  assert.deepEqual(r.providers, { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' });
  assert.equal(r.selection, undefined, 'nothing timed');
  assert.deepEqual(r.autoChoice, { reason: rec.reason, timedAt: rec.timedAt });
  assert.match(r.epReason, /^auto, median of 5 \(recorded\) \[timed 2026-12-06T12:00:00\.000Z; kept until 2026-12-13T12:00:00\.000Z/);
  assert.deepEqual(r.timings, rec.timings);
  assert.ok(!logs.some((l) => /webgpu/.test(l)), `no GPU provider opened: ${logs.join(' | ')}`);

  const logs2: string[] = [];
  const r2 = await ModelRunner.load(dir, manifest, 'auto', 1, (s) => logs2.push(s), {
    recorded: good({ providers: { step: 'cpu', keystroke: 'cpu', ingest: 'cuda' } }),
  });
  t.after(() => r2.release());
  assert.ok(
    logs2.some((l) =>
      /^auto: the choice timed 2026-12-06T12:00:00\.000Z is not kept \(cuda: not a provider auto tries\); timing the providers again$/.test(
        l,
      ),
    ),
    logs2.join(' | '),
  );
  assert.ok(!/\[timed /.test(r2.epReason), r2.epReason);
  assert.equal(r2.autoChoice?.timedAt, undefined);
});

test('ModelRunner.pick with a record whose providers are open: each job on its recorded provider, no call timed, the rest released', async (t) => {
  const open = () => ort.InferenceSession.create(join(dir, manifest.graphs.step.file), { executionProviders: ['cpu'] });
  let runs = 0;
  let released = 0;
  const watch = (s: ort.InferenceSession) =>
    new Proxy(s, {
      get(target, p) {
        if (p === 'run') return (...a: Parameters<ort.InferenceSession['run']>) => (runs++, target.run(...a));
        if (p === 'release') return () => (released++, target.release());
        const v = Reflect.get(target, p, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const cpu = { step: watch(await open()), prefill: watch(await open()) };
  const other = { step: watch(await open()), prefill: watch(await open()) };
  const spare = { step: watch(await open()), prefill: watch(await open()) };
  const rec = good({ providers: { step: 'cpu', keystroke: 'cpu', ingest: 'other' } });
  const r = await ModelRunner.pick(
    manifest,
    new Map([
      ['cpu', cpu],
      ['other', other],
      ['spare', spare],
    ]),
    {},
    () => {},
    3,
    rec,
  );
  t.after(() => r.release());
  assert.equal(runs, 0, 'no call timed');
  assert.deepEqual(r.providers, rec.providers);
  assert.equal(released, 2, "the unused provider's sessions are released");
  assert.equal(r.autoChoice?.timedAt, rec.timedAt);
});

test(`Engine.load auto with a record folder: a usable record is kept (its reason), a stale one is timed again (logged)`, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'statewise-record-engine-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const recordDir = join(tmp, 'auto-choice');
  const params = { modelDir: dir, ep: 'auto' as const, threads: 1, maxStateMB: 64, checkpointInterval: 256, recordDir };
  const key = loadKey(params, manifest, ortVersion());
  const timedAt = new Date(Date.now() - 3600_000).toISOString();
  await writeRecord(recordFile(recordDir, manifest.architecture), {
    ...good({ key, timedAt, providers: { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' }, reason: 'auto (kept)' }),
  });
  const logs: string[] = [];
  const e = new Engine((_level, s) => logs.push(s));
  const res = await e.load(params);
  assert.match(res.epReason, new RegExp(`^auto \\(kept\\) \\[timed ${timedAt.replace(/[.]/g, '\\.')}`));
  // another thread count is another key: timed again, and the reason says so in the log
  logs.length = 0;
  const res2 = await e.load({ ...params, threads: 3 });
  assert.ok(!/\[timed /.test(res2.epReason), res2.epReason);
  assert.ok(
    logs.some((l) => l.includes('auto: no kept choice to use') && l.includes('made for another model, onnxruntime, setting or machine')),
    logs.join(' | '),
  );
  writeFileSync(recordFile(recordDir, manifest.architecture), 'not json');
  logs.length = 0;
  await e.load(params);
  assert.ok(
    logs.some((l) => l.includes('not valid JSON')),
    logs.join(' | '),
  );
});
