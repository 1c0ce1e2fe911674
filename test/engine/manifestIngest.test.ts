// manifest.json's optional graphs.ingest (the prefill graph's function, exact for longer calls; model.ts
// opens it on providers other than the CPU): checked when present (a file named, maxTokens an integer
// >= prefill's), named among the model's files (inside the folder, checksummed) like every graph. The
// same for graphs.ingestBlocked (calls of multiples of its multipleOf): a file named, multipleOf a
// positive integer, maxTokens a multiple of it (at least one), and graphs.ingest beside it.
// Each case is hawk's manifest in a temp folder with empty files for everything it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumMap, verifyChecksums } from '../../server/engine/integrity';
import { manifestFiles, readManifest, type Manifest } from '../../server/engine/manifest';
import { modelDir } from '../helpers/models';

const base = JSON.parse(readFileSync(join(modelDir('hawk'), 'manifest.json'), 'utf8')) as Manifest;
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A folder with `m` as its manifest and an empty file for each name in `files`. */
function folder(m: unknown, files: string[]): string {
  const d = mkdtempSync(join(tmpdir(), 'sw-ingest-manifest-'));
  dirs.push(d);
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  for (const f of files) writeFileSync(join(d, f), '');
  return d;
}

/** hawk's manifest with `ingest` as graphs.ingest (left out when undefined) and no checksums. */
function withIngest(ingest: unknown): { m: Manifest; files: string[] } {
  const m = structuredClone(base);
  delete m.checksums;
  if (ingest !== undefined) (m.graphs as Record<string, unknown>).ingest = ingest;
  const files = [
    m.tokenizer,
    m.graphs.step.file,
    m.graphs.prefill.file,
    ...(m.graphs.score ? [m.graphs.score.file] : []),
    ...(m.weights ?? []),
  ];
  return { m, files };
}

const refused = (ingest: unknown, message: RegExp, extraFiles: string[] = ['ingest.onnx']) => {
  const { m, files } = withIngest(ingest);
  assert.throws(
    () => readManifest(folder(m, [...files, ...extraFiles])),
    (e: Error) => {
      assert.equal(e.name, 'ManifestMismatchError', e.message);
      assert.match(e.message, message);
      return true;
    },
  );
};

test('graphs.ingest is optional: a manifest without it loads and names no ingest file', () => {
  const { m, files } = withIngest(undefined);
  const d = folder(m, files);
  const read = readManifest(d);
  assert.equal(read.graphs.ingest, undefined);
  assert.ok(![...manifestFiles(d, read).keys()].includes('ingest.onnx'));
});

test('a valid graphs.ingest is read and its file is among the files the manifest names', () => {
  const prefill = base.graphs.prefill.maxTokens;
  for (const maxTokens of [prefill, 2048]) {
    const { m, files } = withIngest({ file: 'ingest.onnx', maxTokens });
    const d = folder(m, [...files, 'ingest.onnx']);
    const read = readManifest(d);
    assert.deepEqual(read.graphs.ingest, { file: 'ingest.onnx', maxTokens });
    assert.ok(manifestFiles(d, read).has('ingest.onnx'));
  }
});

test('graphs.ingest without a file, or not an object, is refused with a clear error', () => {
  refused({ maxTokens: 2048 }, /manifest\.json graphs\.ingest must name its file/);
  refused({ file: '', maxTokens: 2048 }, /graphs\.ingest must name its file/);
  refused({ file: 7, maxTokens: 2048 }, /graphs\.ingest must name its file/);
  refused('ingest.onnx', /graphs\.ingest must name its file/);
  refused(null, /graphs\.ingest must name its file/);
});

test('graphs.ingest.maxTokens below prefill.maxTokens, missing or not an integer is refused', () => {
  const prefill = base.graphs.prefill.maxTokens;
  const want = new RegExp(`graphs\\.ingest\\.maxTokens .* must be an integer >= prefill\\.maxTokens \\(${prefill}\\)`);
  refused({ file: 'ingest.onnx', maxTokens: prefill - 1 }, want);
  refused({ file: 'ingest.onnx' }, want);
  refused({ file: 'ingest.onnx', maxTokens: 1024.5 }, want);
  refused({ file: 'ingest.onnx', maxTokens: '2048' }, want);
});

test('the ingest file is checked like every graph: inside the folder, present, checksummed', async () => {
  refused({ file: '../ingest.onnx', maxTokens: 2048 }, /graph ingest "\.\.\/ingest\.onnx" .*leads out/);
  // named but absent: the folder is broken
  const { m, files } = withIngest({ file: 'ingest.onnx', maxTokens: 2048 });
  assert.throws(
    () => readManifest(folder(m, files)),
    (e: Error) => e.name === 'ModelCorruptError' && /file ingest\.onnx named in manifest\.json is missing/.test(e.message),
  );
  // checksums that leave the ingest graph out fail the load's verification
  const d = folder({ ...m, checksums: { sha256: { 'step.onnx': '0'.repeat(64) } } }, [...files, 'ingest.onnx']);
  const read = readManifest(d);
  await assert.rejects(verifyChecksums(d, manifestFiles(d, read), checksumMap(d, read.checksums)), /no checksum for .*ingest\.onnx/);
});

// --- graphs.ingestBlocked ---------------------------------------------------------------------------

const INGEST = { file: 'ingest.onnx', maxTokens: 2048 };
const BLOCKED = { file: 'ingest-blocked.onnx', maxTokens: 8192, multipleOf: 1024 };

/** hawk's manifest with graphs.ingest (unless `hasIngest` is false) and `blocked` as graphs.ingestBlocked. */
function withBlocked(blocked: unknown, hasIngest = true): { m: Manifest; files: string[] } {
  const { m, files } = withIngest(hasIngest ? INGEST : undefined);
  (m.graphs as Record<string, unknown>).ingestBlocked = blocked;
  return { m, files: [...files, ...(hasIngest ? ['ingest.onnx'] : [])] };
}

const blockedRefused = (blocked: unknown, message: RegExp, hasIngest = true) => {
  const { m, files } = withBlocked(blocked, hasIngest);
  assert.throws(
    () => readManifest(folder(m, [...files, 'ingest-blocked.onnx'])),
    (e: Error) => {
      assert.equal(e.name, 'ManifestMismatchError', e.message);
      assert.match(e.message, message);
      return true;
    },
  );
};

test('a valid graphs.ingestBlocked is read and its file is among the files the manifest names', () => {
  for (const blocked of [BLOCKED, { ...BLOCKED, maxTokens: 1024 }, { file: 'ingest-blocked.onnx', maxTokens: 7, multipleOf: 1 }]) {
    const { m, files } = withBlocked(blocked);
    const d = folder(m, [...files, 'ingest-blocked.onnx']);
    const read = readManifest(d);
    assert.deepEqual(read.graphs.ingestBlocked, blocked);
    assert.ok(manifestFiles(d, read).has('ingest-blocked.onnx'));
  }
  // absent: nothing of it named
  const { m, files } = withIngest(INGEST);
  const d = folder(m, [...files, 'ingest.onnx']);
  assert.equal(readManifest(d).graphs.ingestBlocked, undefined);
});

test('graphs.ingestBlocked without a file, or not an object, is refused', () => {
  blockedRefused({ maxTokens: 8192, multipleOf: 1024 }, /manifest\.json graphs\.ingestBlocked must name its file/);
  blockedRefused({ ...BLOCKED, file: '' }, /graphs\.ingestBlocked must name its file/);
  blockedRefused({ ...BLOCKED, file: 7 }, /graphs\.ingestBlocked must name its file/);
  blockedRefused('ingest-blocked.onnx', /graphs\.ingestBlocked must name its file/);
  blockedRefused(null, /graphs\.ingestBlocked must name its file/);
  blockedRefused([], /graphs\.ingestBlocked must name its file/);
});

test('graphs.ingestBlocked without graphs.ingest is refused: its tails go there', () => {
  blockedRefused(BLOCKED, /graphs\.ingestBlocked needs graphs\.ingest \(the calls shorter than its multipleOf go there\)/, false);
});

test('graphs.ingestBlocked.multipleOf not a positive integer is refused', () => {
  for (const multipleOf of [undefined, 0, -1024, 1024.5, '1024', null]) {
    const { multipleOf: _, ...rest } = BLOCKED;
    blockedRefused(
      multipleOf === undefined ? rest : { ...rest, multipleOf },
      /graphs\.ingestBlocked\.multipleOf .* must be a positive integer/,
    );
  }
});

test('graphs.ingestBlocked.maxTokens not a multiple of multipleOf, below it, or not an integer is refused', () => {
  const want = /graphs\.ingestBlocked\.maxTokens .* must be an integer multiple of multipleOf \(1024\), at least 1024/;
  for (const maxTokens of [8000, 512, 0, -1024, 8192.5, '8192', undefined]) {
    const { maxTokens: _, ...rest } = BLOCKED;
    blockedRefused(maxTokens === undefined ? rest : { ...rest, maxTokens }, want);
  }
});

test('the ingestBlocked file is checked like every graph: inside the folder, present, checksummed', async () => {
  blockedRefused({ ...BLOCKED, file: '../ingest-blocked.onnx' }, /graph ingestBlocked "\.\.\/ingest-blocked\.onnx" .*leads out/);
  const { m, files } = withBlocked(BLOCKED);
  assert.throws(
    () => readManifest(folder(m, files)),
    (e: Error) => e.name === 'ModelCorruptError' && /file ingest-blocked\.onnx named in manifest\.json is missing/.test(e.message),
  );
  const d = folder({ ...m, checksums: { sha256: { 'step.onnx': '0'.repeat(64) } } }, [...files, 'ingest-blocked.onnx']);
  const read = readManifest(d);
  await assert.rejects(verifyChecksums(d, manifestFiles(d, read), checksumMap(d, read.checksums)), /no checksum for .*ingest/);
});
