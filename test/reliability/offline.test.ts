// The engine works offline for real: the real engine (dist/engine.js through EngineClient, the
// hawk model), busy (load, a workspace fold, completions) and then idle for 20 s, runs under strace
// with HOME pointing to an empty folder. Nothing in that process tree may open an internet socket,
// connect anywhere, send a datagram (DNS), read the resolver's files, or write under ~/.cache/Microsoft
// (onnxruntime-node 1.30's telemetry does all of these unless ORT_DISABLE_TELEMETRY is set;
// server/shared/noTelemetry.ts). strace is required: install it (`apt-get install -y strace`;
// .ci/run does); without it this test fails rather than skip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { ENGINE_JS, requireBuild } from '../helpers/realEngine';
import { modelDir } from '../helpers/models';
import { analyseTrace, straceVersion, summary } from './strace';

const IDLE_S = 20;

test('offline: the real engine, busy then idle 20 s under strace, opens no network socket, resolves no name, writes no telemetry', (t) => {
  const version = straceVersion();
  assert.ok(
    version,
    "strace is not installed: this test needs it to watch the engine's system calls. Install it (Debian/Ubuntu: apt-get install -y strace; .ci/run installs it)",
  );
  requireBuild();
  const dir = mkdtempSync(join(tmpdir(), 'statewise-offline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  // The driver is bundled so that only product code and node run in the traced processes (the
  // test tooling's loader would connect to its own pipe).
  const driver = join(dir, 'driver.js');
  buildSync({
    entryPoints: [join(__dirname, 'offlineDriver.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: driver,
    logLevel: 'warning',
  });
  const trace = join(dir, 'trace');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.ORT_DISABLE_TELEMETRY; // the product must set it, not the caller
  delete env.XDG_CACHE_HOME;
  mkdirSync(home);
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-s',
      '256',
      '-o',
      trace,
      '-e',
      'trace=%network,openat,open,creat',
      process.execPath,
      driver,
      ENGINE_JS,
      modelDir('hawk'),
      String(IDLE_S),
    ],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, `the driver failed (status ${r.status}, ${r.signal ?? ''}):\n${r.stderr}`);
  const ran = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    enginePid: number;
    busyMs: number;
    foldedFiles: number;
    completions: string[];
  };
  assert.equal(ran.foldedFiles, 3);
  assert.equal(ran.completions.length, 3);

  const f = analyseTrace(readFileSync(trace, 'utf8'), home);
  t.diagnostic(`${version}; busy ${ran.busyMs} ms then idle ${IDLE_S} s: ${summary(f)}`);
  assert.ok(f.pids.has(ran.enginePid), `the engine (pid ${ran.enginePid}) was traced`);
  const show = (lines: string[]) => lines.slice(0, 5).join('\n');
  assert.deepEqual(f.inetSockets, [], `AF_INET/AF_INET6 sockets were opened:\n${show(f.inetSockets)}`);
  assert.deepEqual(f.connects, [], `connect() was called:\n${show(f.connects)}`);
  assert.deepEqual(f.sends, [], `datagrams were sent (names: ${f.queriedNames.join(', ') || 'none decoded'}):\n${show(f.sends)}`);
  assert.deepEqual(f.resolverFiles, [], `the resolver's files were read (a name lookup):\n${show(f.resolverFiles)}`);
  assert.deepEqual(f.telemetryFiles, [], `files were opened under ~/.cache/Microsoft:\n${show(f.telemetryFiles)}`);
  assert.equal(existsSync(join(home, '.cache', 'Microsoft')), false, '~/.cache/Microsoft was created');
});
