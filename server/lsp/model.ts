// Which model the engine runs: finds the folder for the configured architecture, asks the engine to
// load it, and loads again whenever the settings that shape a load change (no server restart).
// A missing folder or a failed load gives an `error` status and no completions, never a crash.

import * as path from 'node:path';
import type { EngineLike } from './engineClient';
import type { LoadParams, LoadResult } from '../protocol/ipc';
import type { Settings } from '../shared/settings';
import type { Logger } from './logger';
import { findModelFolder, resolveModelsDir, shippedModelsDir } from '../shared/modelDir';
import type { StatusReporter } from './status';

export interface LoadedModel {
  result: LoadResult;
  dir: string;
  /** Names the model: architecture, name and version (workspace fingerprints). */
  id: string;
  /** Changes with every successful load (completion cache keys). */
  loadId: number;
}

export type LoadListener = (model: LoadedModel) => void;

/** The engine's load request for `settings` and the model folder `dir`; `recordDir` where auto's choice
 *  is kept between loads (LoadParams.recordDir). */
export function loadParamsFor(settings: Settings, dir: string, recordDir?: string): LoadParams {
  return {
    modelDir: dir,
    ep: settings['engine.executionProvider'],
    threads: settings['engine.threads'],
    maxStateMB: settings['engine.maxMemoryMB'],
    checkpointInterval: settings['workspace.checkpointInterval'],
    gpuState: settings['engine.gpuState'],
    ...(recordDir ? { recordDir } : {}),
  };
}

export class ModelManager {
  private wantedKey: string | undefined;
  private generation = 0;
  private loadCount = 0;
  private current: LoadedModel | undefined;
  private failure: string | undefined;
  private readonly listeners: LoadListener[] = [];
  private pendingLoad: Promise<void> = Promise.resolve();
  /** Architecture of the latest `apply`. */
  private arch = '';
  /** Where auto's choice is kept between loads (set from the client's storage at initialize). */
  recordDir: string | undefined;

  constructor(
    private readonly engine: EngineLike,
    private readonly status: StatusReporter,
    private readonly log: Logger,
    private readonly where: { bundleDir: string; env: NodeJS.ProcessEnv },
  ) {}

  /** The model that answers now, or undefined while loading or after a failure. */
  get loaded(): LoadedModel | undefined {
    return this.current;
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** Called after each successful load (replay documents, rebuild the workspace state). */
  onLoaded(listener: LoadListener): void {
    this.listeners.push(listener);
  }

  /** Settles when the load started by the latest `apply` has settled. */
  get settled(): Promise<void> {
    return this.pendingLoad;
  }

  /**
   * Loads the model the settings ask for, unless it is the one already loaded or loading.
   * `force` loads again anyway (after an engine restart).
   */
  apply(settings: Settings, force = false): Promise<void> {
    const modelsDir = resolveModelsDir(settings['model.path'], this.where.env, shippedModelsDir(path.resolve(this.where.bundleDir, '..')));
    const arch = settings['model.architecture'];
    this.arch = arch;
    const folder = findModelFolder(modelsDir, arch);
    const params = loadParamsFor(settings, folder.dir, this.recordDir);
    const key = JSON.stringify([folder.ok, params]);
    if (!force && key === this.wantedKey) return this.pendingLoad;
    this.wantedKey = key;
    const gen = ++this.generation;
    this.current = undefined;
    this.failure = undefined;
    if (!folder.ok) {
      this.fail(folder.message, arch);
      this.pendingLoad = Promise.resolve();
      return this.pendingLoad;
    }
    this.status.setModel({ phase: 'loading', arch });
    this.log.info(`loading ${arch} from ${folder.dir} (provider ${params.ep})`);
    this.pendingLoad = this.engine.request('load', params).then(
      (result) => {
        if (gen !== this.generation) return;
        this.current = {
          result,
          dir: folder.dir,
          id: `${result.arch}/${result.modelName}@${result.modelVersion}`,
          loadId: ++this.loadCount,
        };
        this.log.info(
          `loaded ${result.modelName} ${result.modelVersion} (${result.arch}) on ${result.ep} in ${Math.round(result.loadMs)} ms: ${result.epReason}${result.integrity ? `; ${result.integrity}` : ''}`,
        );
        if (result.verified === false) this.log.warn(`${result.arch}: the model's files are not verified (manifest.json has no checksums)`);
        this.status.setModel({ phase: 'ready', arch: result.arch, ep: result.ep, providers: result.providers, epReason: result.epReason });
        for (const l of this.listeners) {
          try {
            l(this.current);
          } catch (err) {
            this.log.error(`after load: ${(err as Error).message}`);
          }
        }
      },
      (err: Error) => {
        if (gen !== this.generation) return;
        this.fail(`${arch}: ${err.message}`, arch);
      },
    );
    return this.pendingLoad;
  }

  /** The engine stopped (EngineClient's crash back-off): no model answers until it restarts (after
   *  the back-off, or "Statewise: Restart Engine"), or a settings change loads a model (any change:
   *  the loaded key is forgotten here), which restarts it. */
  engineFailed(message: string): void {
    this.generation++;
    this.current = undefined;
    this.wantedKey = undefined;
    this.fail(message, this.arch);
  }

  private fail(message: string, arch: string): void {
    this.failure = message;
    this.log.error(message);
    this.status.setModel({ phase: 'error', message, arch });
  }
}
