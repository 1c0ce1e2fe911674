// Saving workspace states when the disk misbehaves (server/engine/persist.ts): short writes are
// continued, a full disk (ENOSPC) fails the save with a clear message and never leaves a partial
// file in place, temporary files of interrupted saves are removed, and a directory where a state
// file belongs is deleted instead of blocking that state for good. Injected file handles simulate
// the disk; where mounting is allowed (root), a real 64 KiB tmpfs fills up for real.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  listCheckpoints,
  loadCheckpoint,
  nodeIo,
  PersistError,
  removeStaleTemps,
  saveCheckpoint,
  STALE_TEMP_MS,
  type PersistHandle,
  type PersistIo,
  type PersistMeta,
} from '../../server/engine/persist';
import { checkpointFile, pruneCheckpoints } from '../../server/shared/stateFiles';

const KEY = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const meta = (fingerprint = KEY, tokens = 10): PersistMeta => ({
  modelId: 'hawk',
  modelVersion: '1',
  fingerprint,
  tokens,
  createdAt: '2026-01-01T00:00:00.000Z',
  files: 1,
});
const expect = (fingerprint = KEY) => ({ modelId: 'hawk', modelVersion: '1', fingerprint });
const tensors = (floats: number, v = 1) => [{ name: 'h', dims: [floats], data: new Float32Array(floats).fill(v) }];

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statewise-persist-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The real file system, but every file handle's write goes through `write`. */
function ioWith(
  write: (real: PersistHandle, buf: Uint8Array, offset: number, length: number) => Promise<{ bytesWritten: number }>,
  extra: Partial<PersistHandle> = {},
): PersistIo {
  return {
    ...nodeIo,
    async open(p, flags) {
      const real = await nodeIo.open(p, flags);
      return {
        write: (buf, offset, length) => write(real, buf, offset, length),
        sync: () => real.sync(),
        stat: extra.stat ?? (() => real.stat()),
        close: () => real.close(),
      };
    },
  };
}

/** A disk with `capacity` bytes free: a write that does not fit writes what does (a short write), the next one fails with ENOSPC. */
function fullDiskIo(capacity: number): PersistIo {
  let free = capacity;
  return ioWith(async (real, buf, offset, length) => {
    if (free === 0)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const n = Math.min(length, free);
    free -= n;
    return real.write(buf, offset, n, null);
  });
}

const leftovers = (dir: string) => fs.readdirSync(dir).sort();

test('persistDisk: short writes are continued until every byte is written', async (t) => {
  const dir = tempDir(t);
  let calls = 0;
  const io = ioWith((real, buf, offset, length) => (calls++, real.write(buf, offset, Math.min(length, 1000), null)));
  await saveCheckpoint(dir, meta(), tensors(5000, 0.5), io);
  assert.ok(calls > 20, `${calls} writes of at most 1000 bytes`);
  const loaded = await loadCheckpoint(dir, expect(), (l) => assert.fail(l));
  assert.equal(loaded?.tensors[0]!.data[4999], 0.5);
  assert.deepEqual(leftovers(dir), [checkpointFile(KEY)]);
});

test('persistDisk: a full disk (a short write, then ENOSPC) fails the save; no partial file, the old state stays', async (t) => {
  const dir = tempDir(t);
  await saveCheckpoint(dir, meta(KEY, 1), tensors(100, 1)); // a good state on disk
  const before = fs.readFileSync(path.join(dir, checkpointFile(KEY)));
  // replacing it with a bigger state on a disk with 6000 bytes free
  await assert.rejects(saveCheckpoint(dir, meta(KEY, 2), tensors(5000, 2), fullDiskIo(6000)), (e: Error) => {
    assert.ok(e instanceof PersistError);
    assert.equal(e.code, 'ENOSPC');
    assert.match(e.message, /not saved: the disk is full \(ENOSPC\); 6000 of \d+ bytes were written, the partial file is removed/);
    return true;
  });
  assert.deepEqual(leftovers(dir), [checkpointFile(KEY)], 'no temporary file left');
  assert.deepEqual(fs.readFileSync(path.join(dir, checkpointFile(KEY))), before, 'the old state was not replaced');
  // a new key on a full disk: nothing appears
  await assert.rejects(saveCheckpoint(dir, meta(OTHER), tensors(5000), fullDiskIo(0)), /disk is full/);
  assert.deepEqual(leftovers(dir), [checkpointFile(KEY)]);
});

test('persistDisk: a write that writes nothing, or a file shorter than written after the sync, fails the save', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(
    saveCheckpoint(
      dir,
      meta(),
      tensors(100),
      ioWith(async () => ({ bytesWritten: 0 })),
    ),
    (e: Error) => e instanceof PersistError && e.code === 'SHORT_WRITE' && /the write stopped after 0 bytes/.test(e.message),
  );
  assert.deepEqual(leftovers(dir), []);
  const lying = ioWith((real, buf, offset, length) => real.write(buf, offset, length, null), { stat: async () => ({ size: 12 }) });
  await assert.rejects(saveCheckpoint(dir, meta(), tensors(100), lying), /the file has 12 bytes after the sync/);
  assert.deepEqual(leftovers(dir), []);
  // a failed rename also removes the temporary file
  const noRename: PersistIo = {
    ...nodeIo,
    rename: async () => {
      throw Object.assign(new Error('EXDEV: cross-device link'), { code: 'EXDEV' });
    },
  };
  await assert.rejects(saveCheckpoint(dir, meta(), tensors(100), noRename), /not saved: EXDEV/);
  assert.deepEqual(leftovers(dir), []);
});

test('persistDisk: temporary files of interrupted saves are removed, those of a live writer kept', async (t) => {
  const dir = tempDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  const temp = (pid: number, tag: string) => `${checkpointFile(KEY)}.${pid}.${tag}.tmp`;
  const files = {
    deadWriter: temp(deadPid, '00000001'),
    liveWriter: temp(process.ppid, '00000002'), // the test runner: alive
    ours: temp(process.pid, '00000003'),
    oursOld: temp(process.pid, '00000004'),
    oldState: `workspace-state.bin.${deadPid}.00000005.tmp`,
    notOurs: 'notes.tmp',
  };
  for (const name of Object.values(files)) fs.writeFileSync(path.join(dir, name), Buffer.alloc(2048));
  const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
  fs.utimesSync(path.join(dir, files.oursOld), old, old);
  const lines: string[] = [];
  const keys = await listCheckpoints(dir, (l) => lines.push(l));
  assert.equal(keys.size, 0);
  assert.deepEqual(leftovers(dir), [files.liveWriter, files.ours, files.notOurs].sort());
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /deleted 3 temporary files of interrupted saves \(6 KiB\)/);
  assert.equal(await removeStaleTemps(dir, () => {}), 0, 'nothing more to remove');
  // the live writer's file goes once it is old
  assert.equal(await removeStaleTemps(dir, () => {}, Date.now() + STALE_TEMP_MS + 1000), 2);
});

test('persistDisk: a directory where a state file belongs is deleted, and the state is saved again', async (t) => {
  const dir = tempDir(t);
  const blocked = path.join(dir, checkpointFile(KEY));
  fs.mkdirSync(blocked);
  fs.writeFileSync(path.join(blocked, 'inside'), 'x');
  // listing: logged, deleted, not taken for a checkpoint (which made the engine skip saving it)
  const lines: string[] = [];
  assert.deepEqual([...(await listCheckpoints(dir, (l) => lines.push(l)))], []);
  assert.match(lines.join('\n'), /a directory, not a state file; deleting it/);
  assert.equal(fs.existsSync(blocked), false);
  await saveCheckpoint(dir, meta(), tensors(10));
  assert.ok((await loadCheckpoint(dir, expect(), (l) => assert.fail(l)))?.tensors);
  // saving over a directory without listing first works too
  fs.rmSync(blocked);
  fs.mkdirSync(path.join(blocked, 'deep'), { recursive: true });
  await saveCheckpoint(dir, meta(), tensors(10));
  assert.ok(fs.statSync(blocked).isFile());
  // loading a directory deletes it (and says so); pruning removes one too
  fs.rmSync(blocked);
  fs.mkdirSync(blocked);
  const loadLines: string[] = [];
  assert.equal(await loadCheckpoint(dir, expect(), (l) => loadLines.push(l)), undefined);
  assert.match(loadLines[0]!, /deleting it/);
  assert.equal(fs.existsSync(blocked), false);
  fs.mkdirSync(path.join(dir, checkpointFile(OTHER)));
  await pruneCheckpoints(dir, new Set());
  assert.deepEqual(leftovers(dir), []);
});

test('persistDisk: a real full disk (64 KiB tmpfs): the save fails with ENOSPC, nothing partial is left, the engine logs it and folds on', async (t) => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'statewise-tmpfs-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  t.after(() => {
    if (mount.status === 0) spawnSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });
  if (mount.status !== 0) {
    t.skip(
      `mounting a tmpfs is not allowed here (mount: ${(mount.stderr || mount.error?.message || `status ${mount.status}`).trim()}); the injected full-disk tests above cover the same code`,
    );
    return;
  }
  const dir = path.join(mnt, 'hawk');
  await saveCheckpoint(dir, meta(KEY, 1), tensors(2048, 1)); // 8 KiB: fits
  const good = fs.readFileSync(path.join(dir, checkpointFile(KEY)));
  await assert.rejects(
    saveCheckpoint(dir, meta(OTHER), tensors(32768)),
    (e: Error) => e instanceof PersistError && e.code === 'ENOSPC' && /the disk is full \(ENOSPC\)/.test(e.message),
  );
  await assert.rejects(saveCheckpoint(dir, meta(KEY, 2), tensors(32768, 2)), /ENOSPC/);
  assert.deepEqual(leftovers(dir), [checkpointFile(KEY)], 'only the good state; no temporary file');
  assert.deepEqual(fs.readFileSync(path.join(dir, checkpointFile(KEY))), good);

  // The engine (hawk: a 64 KiB state) folding a workspace into this disk: it logs why nothing was
  // saved, leaves no partial file and still answers from the fold.
  const { Engine } = await import('../../server/engine/engine');
  const { modelDir } = await import('../helpers/models');
  const { cpuLoad } = await import('../helpers/engineRequests');
  const log: string[] = [];
  const engine = new Engine((level, m) => log.push(`${level}: ${m}`));
  await engine.load(cpuLoad(modelDir('hawk')));
  const files = [0, 1].map((i) => ({ path: `src/f${i}.ts`, text: `export const v${i} = ${i};\n` }));
  const r = await engine.setWorkspace(
    { fingerprint: 'full', files, persistDir: dir },
    () => false,
    () => {},
  );
  assert.equal(r.files, 2);
  const line = log.find((l) => /could not persist the workspace checkpoints/.test(l));
  assert.ok(line, log.join('\n'));
  assert.match(line, /the disk is full \(ENOSPC\).*the partial file is removed/);
  // 8 KiB used of 64: no 65 KiB checkpoint fits; nothing partial, no temporary file, the good one kept
  assert.deepEqual(leftovers(dir), [checkpointFile(KEY)]);
  assert.deepEqual(fs.readFileSync(path.join(dir, checkpointFile(KEY))), good);
  t.diagnostic(`engine on a full disk: ${line}`);
});
