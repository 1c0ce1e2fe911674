// The real engine (dist/engine.js, built by node scripts/build.mjs) and the real models
// ($STATEWISE_MODELS_DIR or <repo>/models, see test/helpers/models.ts). Missing either fails the
// test with a message saying what to do; nothing is skipped.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { EngineClient, type LogLevel } from '../../server/lsp/engineClient';
import { startServer, waitFor, type Harness, type HarnessOptions } from './lspHarness';
import { MODELS_DIR, modelDir, REPO } from './models';

export { MODELS_DIR, REPO };
export const ENGINE_JS = join(REPO, 'dist', 'engine.js');
export const CLI_JS = join(REPO, 'dist', 'cli.js');

export function requireBuild(): void {
  for (const f of [ENGINE_JS, CLI_JS]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs before the integration tests`);
  }
}

/** A started EngineClient on the real engine; `lines` collects its log. */
export function realEngine(): { engine: EngineClient; lines: string[]; hawk: string } {
  requireBuild();
  const hawk = modelDir('hawk');
  const lines: string[] = [];
  const engine = new EngineClient({
    enginePath: ENGINE_JS,
    logger: (level: LogLevel, m: string) => lines.push(`${level}: ${m}`),
    restartDelayMs: 50,
  });
  engine.start();
  return { engine, lines, hawk };
}

/** The language server in process (lspHarness.ts) on a started real engine and the models in
 *  MODELS_DIR, once its status is ready (the model loaded); both are disposed after the test `t`. */
export async function readyServer(
  t: TestContext,
  opts: Omit<HarnessOptions, 'engine' | 'modelsDir'> = {},
): Promise<{ h: Harness; engine: EngineClient }> {
  const { engine } = realEngine();
  const h = await startServer({ engine, modelsDir: MODELS_DIR, ...opts });
  t.after(() => {
    engine.dispose();
    h.dispose();
  });
  await waitFor(() => h.lastStatus()?.state === 'ready', 'ready', 60_000);
  return { h, engine };
}
