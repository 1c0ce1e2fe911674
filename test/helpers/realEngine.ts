// The real engine (dist/engine.js, built by node scripts/build.mjs) and the real models
// ($STATEWISE_MODELS_DIR or <repo>/models, see test/helpers/models.ts). Missing either fails the
// test with a message saying what to do; nothing is skipped.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient, type LogLevel } from '../../server/lsp/engineClient';
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

/** A document the model can hardly get wrong: a pattern to continue. */
export const PATTERN_DOC = [
  'export const limits = {',
  '  item1: 1,',
  '  item2: 2,',
  '  item3: 3,',
  '  item4: 4,',
  '  item5: 5,',
  '  item',
].join('\n');
export const PATTERN_END = { line: 6, character: 6 };
