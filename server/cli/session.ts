// Starts the same engine the language server uses (dist/engine.js in a child process) and loads a
// model, turning a missing or broken model into a CliError that says where it looked.

import * as path from 'node:path';
import { EngineClient } from '../lsp/engineClient';
import { EngineError } from '../protocol/errors';
import { ENGINE_ERRORS, type LoadResult } from '../protocol/ipc';
import { defaultSettings, type ExecutionProviderSetting } from '../shared/settings';
import { findModelFolder, MODELS_ENV, resolveModelsDir, shippedModelsDir } from '../shared/modelDir';
import { loadParamsFor } from '../lsp/model';
import { CliError } from './args';
import type { CliIO } from './io';

export interface ModelChoice {
  /** --models: folder of model folders. */
  models?: string;
  arch: string;
  ep: ExecutionProviderSetting;
  /** statewise.engine.gpuState for this session (default: the setting's default). */
  gpuState?: boolean;
  /** statewise.engine.maxMemoryMB for this session (default: the setting's default). */
  maxMemoryMB?: number;
}

export interface Session {
  engine: EngineClient;
  load: LoadResult;
  modelDir: string;
  close(): void;
}

const MODEL_ERRORS: string[] = [ENGINE_ERRORS.modelMissing, ENGINE_ERRORS.modelCorrupt, ENGINE_ERRORS.manifestMismatch];

export function modelsDirOf(io: CliIO, models: string | undefined): string {
  return resolveModelsDir(
    models === undefined ? '' : path.resolve(io.cwd, models),
    io.env,
    shippedModelsDir(path.resolve(io.bundleDir, '..')),
  );
}

export async function openSession(io: CliIO, choice: ModelChoice): Promise<Session> {
  const folder = findModelFolder(modelsDirOf(io, choice.models), choice.arch, `use --models DIR or set ${MODELS_ENV}`);
  if (!folder.ok) throw new CliError(folder.message);
  const engine = new EngineClient({
    enginePath: path.join(io.bundleDir, 'engine.js'),
    maxRestartsPerMinute: 0,
    logger: (level, message) => {
      if (level !== 'info' || io.env.STATEWISE_VERBOSE) io.stderr(`${level}: ${message}\n`);
    },
  });
  engine.start();
  const settings = defaultSettings();
  settings['engine.executionProvider'] = choice.ep;
  if (choice.gpuState !== undefined) settings['engine.gpuState'] = choice.gpuState;
  if (choice.maxMemoryMB !== undefined) settings['engine.maxMemoryMB'] = choice.maxMemoryMB;
  try {
    const load = await engine.request('load', loadParamsFor(settings, folder.dir));
    return { engine, load, modelDir: folder.dir, close: () => engine.dispose() };
  } catch (err) {
    engine.dispose();
    if (err instanceof EngineError && (MODEL_ERRORS.includes(err.name) || err.name === ENGINE_ERRORS.crashed)) {
      throw new CliError(`cannot load model '${choice.arch}' from ${folder.dir}: ${err.message}`);
    }
    throw err;
  }
}
