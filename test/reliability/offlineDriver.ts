// Drives the real engine (dist/engine.js through EngineClient, a real model) busy, then idle. The
// offline test bundles this file (esbuild, so no loader of the test tooling runs in the traced
// processes) and runs it under strace. Usable by hand too:
//   strace -f -o /tmp/t -e trace=%network node --import tsx test/reliability/offlineDriver.ts dist/engine.js models/hawk 20
// Arguments: the engine bundle, a model folder, idle seconds. Busy: load, a workspace fold (persisted
// to a temp folder), an open document, three completions. Prints one JSON line with what it did.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../server/lsp/engineClient';
import { completeParams, cpuLoad, PATTERN_DOC, PATTERN_PATH, PATTERN_URI } from '../helpers/engineRequests';

async function main(): Promise<void> {
  const [enginePath, modelDir, idle = '20'] = process.argv.slice(2);
  if (!enginePath || !modelDir) throw new Error('usage: offlineDriver ENGINE_JS MODEL_DIR [IDLE_SECONDS]');
  const persistDir = mkdtempSync(join(tmpdir(), 'statewise-offline-persist-'));
  const engine = new EngineClient({
    enginePath,
    logger: (level, m) => {
      if (level !== 'info') process.stderr.write(`${level}: ${m}\n`);
    },
  });
  engine.start();
  const t0 = Date.now();
  try {
    await engine.request('load', cpuLoad(modelDir));
    const files = [0, 1, 2].map((i) => ({
      path: `src/f${i}.ts`,
      text: `export function f${i}(x: number): number {\n  return x * ${i + 2};\n}\n`,
    }));
    const ws = await engine.request('setWorkspace', { fingerprint: 'offline', files, persistDir });
    await engine.request('openDocument', { uri: PATTERN_URI, path: PATTERN_PATH, text: PATTERN_DOC, version: 1 });
    const completions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await engine.request('complete', completeParams());
      completions.push(r.completions[0] ?? '');
    }
    const busyMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, Number(idle) * 1000));
    const info = await engine.request('info', {});
    process.stdout.write(
      `${JSON.stringify({ enginePid: engine.pid, rssMB: Math.round(info.rssBytes / 2 ** 20), busyMs, idleS: Number(idle), foldedFiles: ws.files, completions })}\n`,
    );
  } finally {
    engine.dispose();
    rmSync(persistDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`offlineDriver: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
