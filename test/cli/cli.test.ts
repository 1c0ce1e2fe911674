import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseLocation } from '../../server/cli/args';
import { documentOf, endOf } from '../../server/cli/benchText';
import type { CliIO } from '../../server/cli/io';
import { runCli } from '../../server/cli/run';
import { tempDir } from '../helpers/fixtures';
import { DEFAULT_ARCH, REPO } from '../helpers/models';

function io(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CliIO & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env,
    cwd,
    bundleDir: path.join(tempDir('statewise-bundle-'), 'dist'),
    stdout(t: string) {
      r.out += t;
    },
    stderr(t: string) {
      r.err += t;
    },
  };
  return r;
}

test('cli: --help prints the commands; no command is a usage error', async () => {
  const a = io();
  assert.equal(await runCli(['--help'], a), 0);
  assert.match(a.out, /statewise complete <file>:<line>:<col>/);
  assert.match(a.out, /statewise models/);
  assert.match(a.out, /statewise bench/);
  assert.equal(await runCli([], io()), 2);
  const b = io();
  assert.equal(await runCli(['frobnicate'], b), 2);
  assert.match(b.err, /unknown command "frobnicate"/);
  const c = io();
  assert.equal(await runCli(['complete', '--help'], c), 0);
  assert.match(c.out, /^Usage: statewise complete/);
});

test('cli: bad arguments exit 2 with the usage line', async () => {
  const file = path.join(tempDir(), 'a.ts');
  writeFileSync(file, 'let a = 1;\n');
  const cases: [string[], RegExp][] = [
    [['complete'], /missing <file>:<line>:<col>/],
    [['complete', 'a.ts'], /expected <file>:<line>:<col>/],
    [['complete', `${file}:0:1`], /1-based/],
    [['complete', `${file}:9:1`], /past the end of the file \(2 lines\)/],
    [['complete', `${file}:1:40`], /past the end/],
    [['complete', `${file}:1:1`, '--ep', 'tpu'], /--ep must be one of auto, cpu/],
    [['complete', `${file}:1:1`, '--frob'], /Unknown option '--frob'/],
    [['complete', `${file}:1:1`, 'extra'], /unexpected argument "extra"/],
    [['models', '--bogus'], /Unknown option/],
    [['bench', '--keystrokes', 'x'], /--keystrokes must be a positive integer/],
  ];
  for (const [args, message] of cases) {
    const r = io();
    assert.equal(await runCli(args, r), 2, args.join(' '));
    assert.match(r.err, message, args.join(' '));
    assert.match(r.err, /Usage: statewise /);
  }
});

test('cli: a missing model or file exits 1 with a clear message', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'a.py');
  writeFileSync(file, 'x = 1\n');
  const r = io();
  assert.equal(await runCli(['complete', `${file}:1:1`, '--models', dir, '--arch', 'griffin'], r), 1);
  assert.match(r.err, new RegExp(`model 'griffin' not found in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*--models DIR`));
  const viaEnv = io({ STATEWISE_MODELS_DIR: path.join(dir, 'nowhere') });
  assert.equal(await runCli(['complete', `${file}:1:1`], viaEnv), 1);
  assert.match(viaEnv.err, new RegExp(`model '${DEFAULT_ARCH}' not found in .*nowhere`));
  const noFile = io();
  assert.equal(await runCli(['complete', `${path.join(dir, 'missing.ts')}:1:1`], noFile), 1);
  assert.match(noFile.err, /cannot read .*missing\.ts: ENOENT/);
  const noModels = io();
  assert.equal(await runCli(['models', '--models', path.join(dir, 'none')], noModels), 1);
  assert.match(noModels.err, /models folder not found/);
});

test('cli: a FIFO, a folder or a binary file is refused at once, never read', async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'pipe.ts');
  if (process.platform !== 'win32') {
    execFileSync('mkfifo', [fifo]); // no writer ever opens it: a blocking read would hang the test
    const r = io();
    assert.equal(await runCli(['complete', `${fifo}:1:1`], r), 1);
    assert.match(r.err, /pipe\.ts: it is a FIFO \(named pipe\), not a regular file/);
    const bpb = io();
    assert.equal(await runCli(['eval', 'bpb', fifo], bpb), 1);
    assert.match(bpb.err, /not a regular file/);
  }
  const folder = io();
  assert.equal(await runCli(['complete', `${dir}:1:1`], folder), 1);
  assert.match(folder.err, /it is a folder, not a regular file/);
  const bin = path.join(dir, 'b.ts');
  writeFileSync(bin, Buffer.from([0x6c, 0x65, 0x74, 0x00, 0x01]));
  const b = io();
  assert.equal(await runCli(['complete', `${bin}:1:1`], b), 1);
  assert.match(b.err, /binary \(it contains NUL bytes\)/);
});

test('cli: models lists folders with their manifest summary, and broken ones with the error', async () => {
  const dir = tempDir('statewise-models-');
  const good = path.join(dir, 'hawk');
  mkdirSync(good);
  const manifest = {
    format: 'statewise-model/1',
    name: 'hawk-t',
    architecture: 'hawk',
    version: '7',
    vocabSize: 10,
    tokenizer: 'tokenizer.json',
    specialTokens: { endoftext: 0, file: 1, fim_suffix: 2, fim_middle: 3, fim_end: 4 },
    trainLength: 64,
    graphs: { step: { file: 'step.onnx', maxTokens: 1 }, prefill: { file: 'prefill.onnx', maxTokens: 8 } },
    inputs: { tokens: 'input_ids' },
    outputs: { logits: 'logits' },
    state: [{ name: 'h', input: 'state_in.h', output: 'state_out.h', shape: [1, 16], dtype: 'float32' }],
    params: { total: 1_500_000 },
  };
  writeFileSync(path.join(good, 'manifest.json'), JSON.stringify(manifest));
  for (const f of ['tokenizer.json', 'step.onnx', 'prefill.onnx']) writeFileSync(path.join(good, f), 'x'.repeat(100));
  mkdirSync(path.join(dir, 'based'));
  writeFileSync(path.join(dir, 'based', 'manifest.json'), '{ not json');
  mkdirSync(path.join(dir, 'alibi')); // a model folder without a manifest
  mkdirSync(path.join(dir, 'python')); // not a model folder: left out
  const r = io();
  assert.equal(await runCli(['models', '--models', dir, '--json'], r), 0, r.err);
  const { models } = JSON.parse(r.out) as {
    models: {
      folder: string;
      ok: boolean;
      error?: string;
      name?: string;
      params?: number;
      stateBytes?: number;
      files: { name: string; bytes: number }[];
    }[];
  };
  assert.deepEqual(
    models.map((m) => m.folder),
    ['alibi', 'based', 'hawk'],
  );
  const hawk = models[2]!;
  assert.equal(hawk.ok, true, hawk.error);
  assert.deepEqual(
    { name: hawk.name, params: hawk.params, stateBytes: hawk.stateBytes },
    { name: 'hawk-t', params: 1_500_000, stateBytes: 64 },
  );
  assert.deepEqual(hawk.files.map((f) => f.name).sort(), ['manifest.json', 'prefill.onnx', 'step.onnx', 'tokenizer.json']);
  assert.equal(hawk.files.find((f) => f.name === 'step.onnx')?.bytes, 100);
  assert.match(models[0]!.error!, /no manifest\.json/);
  assert.match(models[1]!.error!, /not valid JSON/);
  const table = io();
  assert.equal(await runCli(['models', '--models', dir], table), 0);
  assert.match(table.out, /hawk\s+hawk-t\s+hawk\s+7\s+1\.5M\s+0\.1 KiB/);
  assert.match(table.out, /based .*error: manifest\.json is not valid JSON/);
});

test('cli: locations and bench text helpers', () => {
  assert.deepEqual(parseLocation('C:\\src\\a.ts:3:7'), { file: 'C:\\src\\a.ts', line: 3, col: 7 });
  assert.deepEqual(endOf('ab\ncd'), { line: 1, character: 2 });
  assert.deepEqual(endOf('ab\n'), { line: 1, character: 0 });
  const doc = documentOf('one\ntwo\nthree\n', 30);
  assert.ok(doc.length <= 30 && doc.endsWith('\n'));
  assert.ok(doc.startsWith('one\ntwo\nthree\n\none'));
});

test('cli: --version prints the version of package.json beside the bundle folder', async () => {
  const r = io();
  r.bundleDir = path.join(REPO, 'dist');
  assert.equal(await runCli(['--version'], r), 0);
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.out, `statewise ${pkg.version}\n`);
  const lost = io();
  assert.equal(await runCli(['--version'], lost), 0);
  assert.equal(lost.out, 'statewise unknown\n', 'no package.json beside the bundle');
});
