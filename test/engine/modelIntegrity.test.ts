// A model folder is data from anywhere (issue 16 item 6): every path its manifest names must stay
// inside it, names are checked, errors never echo file contents, files are verified against the
// manifest's sha256 checksums at each load, and NaN logits at load fail it. Each broken case is a
// copy of the hawk folder in a temp dir. "Nothing read outside" is proved with FIFOs outside the
// folder as the targets: opening one for reading would block the load for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import { checksumMap, sha256File, unsafeRelativePath, verifyChecksums } from '../../server/engine/integrity';
import type { Manifest } from '../../server/engine/manifest';
import { manifestFiles, readManifest } from '../../server/engine/manifest';
import { cpuLoad } from '../helpers/engineRequests';
import { MODELS_DIR, modelDir, shippedArchs } from '../helpers/models';

const posix = process.platform !== 'win32';
const hawk = modelDir('hawk');
const load = (d: string) => new Engine(() => {}).load(cpuLoad(d));
const SECRET = 'root:x:0:0:SECRET-CONTENT';

/** Outside every model folder: a file with recognisable contents and a FIFO nobody writes to. */
const outside = mkdtempSync(join(tmpdir(), 'sw-outside-'));
writeFileSync(join(outside, 'passwd'), `${SECRET}\n`);
if (posix) execFileSync('mkfifo', [join(outside, 'fifo')]);

const copies: string[] = [];
test.after(() => {
  for (const d of [...copies, outside]) rmSync(d, { recursive: true, force: true });
});

type Mutate = (d: string, m: Manifest & Record<string, unknown>) => void;

/** A copy of the hawk folder: its manifest edited by `mutate` (and written back), then its files
 *  changed by `files` (which may replace manifest.json itself). */
function brokenCopy(mutate: Mutate, files: (d: string) => void = () => {}): string {
  const d = mkdtempSync(join(tmpdir(), 'sw-model-'));
  copies.push(d);
  cpSync(hawk, d, { recursive: true, dereference: true });
  const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  mutate(d, m);
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  files(d);
  return d;
}

/** The load fails within 20 s with `name` and a message matching `message`, echoing no file content. */
async function refused(d: string, name: string, message: RegExp): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the load blocked: something opened a FIFO')), 20_000);
  });
  try {
    await assert.rejects(Promise.race([load(d), hang]), (e: Error) => {
      assert.equal(e.name, name, e.message);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /SECRET|root:x/, 'no file content in the message');
      return true;
    });
  } finally {
    clearTimeout(timer);
  }
}

test('shipped models: every manifest has sha256 checksums of the files it names, and they match', async () => {
  for (const arch of shippedArchs()) {
    const dir = join(MODELS_DIR, arch);
    const m = readManifest(dir);
    const files = manifestFiles(dir, m);
    assert.deepEqual(Object.keys(m.checksums!.sha256).sort(), [...files.keys()].sort(), `${arch}: every named file, nothing else`);
    const r = await verifyChecksums(dir, files, checksumMap(dir, m.checksums));
    assert.equal(r.verified, true, arch);
  }
});

test('a shipped model loads verified; the same manifest without checksums loads unverified', async () => {
  const ok = await load(hawk);
  assert.equal(ok.verified, true);
  assert.match(ok.integrity!, /^sha256 verified: 6 files, [\d.]+ MiB in \d+ ms$/);
  const logs: string[] = [];
  const d = brokenCopy((_, m) => {
    delete m.checksums;
  });
  const r = await new Engine((_, msg) => logs.push(msg)).load(cpuLoad(d));
  assert.equal(r.verified, false);
  assert.match(r.integrity!, /unverified: manifest.json has no checksums/);
  assert.ok(logs.some((l) => /unverified/.test(l)));
});

test('weights with one byte flipped at the same size: ModelCorruptError naming the file', async () => {
  const d = brokenCopy((d) => {
    const w = readFileSync(join(d, 'weights-0.bin'));
    w[w.length >> 1] ^= 0x01;
    writeFileSync(join(d, 'weights-0.bin'), w);
  });
  assert.equal(statSync(join(d, 'weights-0.bin')).size, statSync(join(hawk, 'weights-0.bin')).size);
  await refused(d, 'ModelCorruptError', /weights-0\.bin does not match its sha256 in manifest\.json/);
  const tok = brokenCopy((d) =>
    writeFileSync(join(d, 'tokenizer.json'), readFileSync(join(d, 'tokenizer.json'), 'utf8').replace('"', ' "')),
  );
  await refused(tok, 'ModelCorruptError', /tokenizer\.json does not match its sha256/);
});

test('no checksums and NaN weights: the first logits fail the load with ModelCorruptError', async () => {
  const d = brokenCopy((d, m) => {
    delete m.checksums;
    writeFileSync(join(d, 'weights-0.bin'), Buffer.alloc(statSync(join(d, 'weights-0.bin')).size, 0xff)); // fp16 NaN
  });
  await refused(d, 'ModelCorruptError', /first logits are not finite \(NaN or Inf\)/);
});

test('an architecture name with ../ (or other than a plain name) is refused', async () => {
  for (const arch of ['../../escape', 'a/b', '..', 'Griffin', '', 'x'.repeat(65)]) {
    await refused(
      brokenCopy((_, m) => {
        m.architecture = arch;
      }),
      'ManifestMismatchError',
      /architecture|names no architecture/,
    );
  }
  await refused(
    brokenCopy((_, m) => {
      m.version = '1/../../x';
    }),
    'ManifestMismatchError',
    /version/,
  );
  await refused(
    brokenCopy((_, m) => {
      m.name = 'a b';
    }),
    'ManifestMismatchError',
    /name/,
  );
});

test('a tokenizer, graph or weights path leading out of the folder is refused before anything is read', { skip: !posix }, async () => {
  const fifo = join(outside, 'fifo');
  const rel = (p: string) => `../../../../../../..${p}`;
  const cases: [string, (d: string, m: Manifest & Record<string, unknown>) => void, RegExp][] = [
    [
      'tokenizer ../../etc/passwd',
      (_, m) => {
        m.tokenizer = '../../etc/passwd';
      },
      /tokenizer "..\/..\/etc\/passwd" leads out of the model folder/,
    ],
    [
      'tokenizer ../ to a FIFO',
      (_, m) => {
        m.tokenizer = rel(fifo);
      },
      /leads out of the model folder/,
    ],
    [
      'absolute graph path',
      (_, m) => {
        m.graphs.step.file = join(outside, 'passwd');
      },
      /graph step ".*" is an absolute path/,
    ],
    [
      'absolute graph path to a FIFO',
      (_, m) => {
        m.graphs.prefill.file = fifo;
      },
      /graph prefill ".*" is an absolute path/,
    ],
    [
      'Windows drive path',
      (_, m) => {
        m.graphs.step.file = 'C:\\Windows\\win.ini';
      },
      /absolute path/,
    ],
    [
      'backslashes',
      (_, m) => {
        m.weights = ['..\\..\\passwd'];
      },
      /backslash/,
    ],
    [
      'weights through a sub-folder and ..',
      (_, m) => {
        m.weights = ['sub/../../passwd'];
      },
      /leads out/,
    ],
    [
      'symlinked tokenizer to a file outside',
      (d) => {
        rmSync(join(d, 'tokenizer.json'));
        symlinkSync(join(outside, 'passwd'), join(d, 'tokenizer.json'));
      },
      /tokenizer "tokenizer.json" is a symbolic link leading out of the model folder/,
    ],
    [
      'symlinked weights to a FIFO outside',
      (d) => {
        rmSync(join(d, 'weights-1.bin'));
        symlinkSync(fifo, join(d, 'weights-1.bin'));
      },
      /weights file "weights-1.bin" is a symbolic link leading out/,
    ],
    [
      'symlinked folder inside',
      (d, m) => {
        symlinkSync(outside, join(d, 'sub'));
        m.tokenizer = 'sub/passwd';
      },
      /symbolic link leading out/,
    ],
    [
      'a FIFO inside the folder',
      (d) => {
        rmSync(join(d, 'step.onnx'));
        execFileSync('mkfifo', [join(d, 'step.onnx')]);
      },
      /graph step "step.onnx" is not a regular file/,
    ],
    [
      'checksums naming a path outside',
      (_, m) => {
        m.checksums = { sha256: { '../passwd': '0'.repeat(64) } };
      },
      /checksums name "..\/passwd", which leads out/,
    ],
    [
      'checksums of the wrong shape',
      (_, m) => {
        (m as Record<string, unknown>).checksums = { md5: {} };
      },
      /checksums must be/,
    ],
  ];
  for (const [what, mutate, message] of cases) {
    await refused(brokenCopy(mutate), 'ManifestMismatchError', message).catch((e: Error) => {
      throw new Error(`${what}: ${e.message}`);
    });
  }
});

test('a manifest.json that is a FIFO or a link out, and unreadable JSON, fail without echoing contents', { skip: !posix }, async () => {
  const none = () => {};
  await refused(
    brokenCopy(none, (d) => {
      rmSync(join(d, 'manifest.json'));
      execFileSync('mkfifo', [join(d, 'manifest.json')]);
    }),
    'ModelCorruptError',
    /manifest.json is not a regular file/,
  );
  await refused(
    brokenCopy(none, (d) => {
      rmSync(join(d, 'manifest.json'));
      symlinkSync(join(outside, 'passwd'), join(d, 'manifest.json'));
    }),
    'ModelCorruptError',
    /not a regular file/,
  );
  const bad = brokenCopy(none, (d) => writeFileSync(join(d, 'manifest.json'), `{ "${SECRET}" `));
  await refused(bad, 'ModelCorruptError', /manifest.json is not valid JSON \(invalid JSON/);
  const tok = brokenCopy((d, m) => {
    delete m.checksums;
    writeFileSync(join(d, 'tokenizer.json'), `{"model": ${SECRET}}`);
  });
  await refused(tok, 'ModelCorruptError', /tokenizer .*tokenizer.json: invalid JSON/);
});

test('unsafeRelativePath and sha256File', async () => {
  for (const ok of ['tokenizer.json', 'step.onnx', 'sub/weights-0.bin']) assert.equal(unsafeRelativePath(ok), undefined, ok);
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a\\b', 'C:x', 'a\u0000b', 'a b', 7, null]) {
    assert.notEqual(unsafeRelativePath(bad), undefined, JSON.stringify(bad));
  }
  writeFileSync(join(outside, 'abc'), 'abc');
  assert.equal(await sha256File(join(outside, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('a graph whose external weights lead out of the folder (even to a FIFO) is refused by onnxruntime', { skip: !posix }, async () => {
  // ONNX graphs name their weight files inside the protobuf; onnxruntime (1.30) refuses a location
  // escaping the model folder, links resolved, before opening it. Same-length rename: 'weights-0.bin'
  // → '../swfifo.bin', which from a folder in tmpdir() is a FIFO in tmpdir().
  const fifo = join(tmpdir(), 'swfifo.bin');
  rmSync(fifo, { force: true });
  execFileSync('mkfifo', [fifo]);
  try {
    const d = brokenCopy(
      (_, m) => {
        delete m.checksums;
      },
      (d) => {
        const g = readFileSync(join(d, 'step.onnx'));
        const from = Buffer.from('weights-0.bin');
        for (let i = g.indexOf(from); i >= 0; i = g.indexOf(from, i + 1)) Buffer.from('../swfifo.bin').copy(g, i);
        writeFileSync(join(d, 'step.onnx'), g);
      },
    );
    await refused(d, 'ModelCorruptError', /External data path escapes model directory/);
  } finally {
    rmSync(fifo, { force: true });
  }
});
