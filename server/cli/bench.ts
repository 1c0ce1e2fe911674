// statewise bench: options, the parts to run, one JSON report and a table per part.
//   engine: the engine alone, one keystroke at the end of an already read document (benchEngine.ts);
//   lsp:    the language server over stdio as an editor drives it: typing sessions, a long line (benchLsp.ts);
//   save:   time to ready after a saved edit in a workspace, and changes to ignored files (benchSave.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform } from 'node:os';
import * as path from 'node:path';
import { ARCHITECTURES, defaultSettings, SETTINGS, type Architecture, type ExecutionProviderSetting } from '../shared/settings';
import { oneOf, parse, UsageError } from './args';
import { gpuName, jobsText } from './benchDevice';
import { engineTable, runEngineBench } from './benchEngine';
import { lspTable, runLspBench } from './benchLsp';
import { DEFAULT_KEYSTROKES } from './benchTyping';
import { runSaveBench, saveTable } from './benchSave';
import type { JobProviders } from '../protocol/lsp';
import type { CliIO } from './io';
import { modelChoice, sharedOptions, sharedUsage } from './options';
import { modelsDirOf } from './session';

export const BENCH_USAGE =
  'statewise bench [--only engine,lsp,save] [--out FILE] [--quick] [--sizes 1000,10000,100000] [--keystrokes N] ' +
  `[--long-line-bytes N] [--long-line-keystrokes N] [--workspace-files N] [--global-storage DIR] [--gpu-state on,off] [--max-memory-mb N] ${sharedUsage('arch', 'ep', 'models')}`;

export const BENCH_PARTS = ['engine', 'lsp', 'save'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

const SIZES = [1_000, 10_000, 100_000];
const QUICK_SIZES = [1_000, 10_000];

export interface BenchOptions {
  parts: BenchPart[];
  out: string;
  quick: boolean;
  sizes: number[];
  /** Keystrokes per engine case (default 20, quick 5). */
  engineKeystrokes: number;
  /** Keystrokes per LSP typing session. */
  lspKeystrokes: number;
  longLineBytes: number;
  longLineKeystrokes: number;
  workspaceFiles: number;
  /** --global-storage: the save part's server global storage (auto's kept choice); default a fresh one. */
  globalStorage?: string;
  /** --gpu-state: statewise.engine.gpuState for the engine part, each value in its own engine, in
   *  order (on,off compares keeping the state on the GPU with copying it back, in one run). */
  gpuState: boolean[];
  /** --max-memory-mb: statewise.engine.maxMemoryMB for the engine part (default: the setting's); a
   *  model whose state is over the cap keeps one checkpoint and re-reads the document (ALiBi uncapped). */
  maxMemoryMB?: number;
  arch: Architecture;
  ep: ExecutionProviderSetting;
  models?: string;
}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** --max-memory-mb within the setting's bounds (server/shared/settings.ts). */
function memoryOption(value: string | undefined): number | undefined {
  const n = integer('max-memory-mb', value, 1);
  if (n === undefined) return undefined;
  const spec = SETTINGS.find((x) => x.key === 'engine.maxMemoryMB')!;
  if (n < spec.minimum! || n > spec.maximum!) throw new UsageError(`--max-memory-mb must be in ${spec.minimum}..${spec.maximum}, got ${n}`);
  return n;
}

/** The bench's options from its arguments (UsageError for bad ones). */
export function benchOptions(args: string[]): BenchOptions {
  const { values } = parse(
    args,
    {
      only: { type: 'string' },
      out: { type: 'string', default: path.join('bench-results', 'bench.json') },
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      keystrokes: { type: 'string' },
      'long-line-bytes': { type: 'string' },
      'long-line-keystrokes': { type: 'string' },
      'workspace-files': { type: 'string' },
      'global-storage': { type: 'string' },
      'gpu-state': { type: 'string' },
      'max-memory-mb': { type: 'string' },
      ...sharedOptions('arch', 'ep', 'models'),
    },
    { min: 0, max: 0, names: '' },
  );
  const model = modelChoice(values);
  const quick = values.quick!;
  const parts =
    values.only === undefined ? [...BENCH_PARTS] : [...new Set(values.only.split(',').map((p) => oneOf('only', p.trim(), BENCH_PARTS)))];
  const sizes = values.sizes === undefined ? (quick ? QUICK_SIZES : SIZES) : values.sizes.split(',').map((s) => integer('sizes', s, 1)!);
  const keystrokes = integer('keystrokes', values.keystrokes, 1);
  const gpuState =
    values['gpu-state'] === undefined
      ? [defaultSettings()['engine.gpuState']]
      : [...new Set(values['gpu-state'].split(',').map((v) => oneOf('gpu-state', v.trim(), ['on', 'off'] as const) === 'on'))];
  return {
    parts,
    out: values.out!,
    quick,
    sizes,
    engineKeystrokes: keystrokes ?? (quick ? 5 : 20),
    lspKeystrokes: keystrokes ?? DEFAULT_KEYSTROKES,
    longLineBytes: integer('long-line-bytes', values['long-line-bytes'], 0) ?? (quick ? 10_000 : 100_000),
    longLineKeystrokes: integer('long-line-keystrokes', values['long-line-keystrokes'], 1) ?? 3,
    workspaceFiles: integer('workspace-files', values['workspace-files'], 1) ?? (quick ? 40 : 250),
    globalStorage: values['global-storage'] === undefined ? undefined : path.resolve(values['global-storage']),
    gpuState,
    maxMemoryMB: memoryOption(values['max-memory-mb']),
    // the language server's settings take only the architectures it knows
    arch: oneOf('arch', model.arch, ARCHITECTURES),
    ep: model.ep,
    models: model.models,
  };
}

/** "cpu (AMD EPYC …, 16 cores)", "webgpu (NVIDIA H100 …)", or the split per job with each device. */
function onWhat(ep: string | undefined, providers: JobProviders | undefined, devices: Record<string, string>): string {
  const names = Object.entries(devices)
    .map(([p, d]) => `${p}: ${d}`)
    .join('; ');
  return `${jobsText(ep, providers)}${names ? ` [${names}]` : ''}`;
}

export async function benchCommand(args: string[], io: CliIO): Promise<number> {
  const opts = benchOptions(args);
  const log = (line: string) => io.stderr(`${line}\n`);
  const modelsDir = modelsDirOf(io, opts.models);
  const out = path.resolve(io.cwd, opts.out);
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      gpu: gpuName() ?? null,
      platform: platform(),
      node: process.version,
    },
    options: { ...opts, out: undefined },
  };
  const tables: string[] = [];
  const write = () => {
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  };
  for (const part of opts.parts) {
    const started = performance.now();
    if (part === 'engine') {
      const r = await runEngineBench(
        io,
        {
          sizes: opts.sizes,
          keystrokes: opts.engineKeystrokes,
          arch: opts.arch,
          ep: opts.ep,
          models: opts.models,
          gpuState: opts.gpuState,
          maxMemoryMB: opts.maxMemoryMB,
        },
        log,
      );
      report.engine = r;
      tables.push(
        `engine alone (${r.model.arch} on ${onWhat(r.ep, r.providers, r.devices)}): one keystroke at the end of the document\nprovider: ${r.epReason}\n${engineTable(r.rows)}`,
      );
    } else if (part === 'lsp') {
      const r = await runLspBench(
        io,
        {
          sizes: opts.sizes,
          keystrokes: opts.lspKeystrokes,
          longLineBytes: opts.longLineBytes,
          longLineKeystrokes: opts.longLineKeystrokes,
          arch: opts.arch,
          ep: opts.ep,
          modelsDir,
        },
        log,
      );
      report.lsp = r;
      tables.push(
        `language server over stdio (${r.server.arch} on ${onWhat(r.server.ep, r.server.providers, r.server.devices)}), ms from inlineCompletion request to response\n${lspTable(r)}`,
      );
    } else {
      const r = await runSaveBench(
        io,
        { workspaceFiles: opts.workspaceFiles, globalStorage: opts.globalStorage, arch: opts.arch, ep: opts.ep, modelsDir },
        log,
      );
      report.save = r;
      tables.push(
        `save → ready (${r.server.arch ?? opts.arch} on ${onWhat(r.server.ep, r.server.providers, r.server.devices)}) in a workspace of ${r.workspace.files} files (${r.workspace.bytes} bytes; workspace.rebuildDelayMs ${r.workspace.rebuildDelayMs})\n${saveTable(r)}`,
      );
    }
    log(`bench: ${part} done in ${Math.round((performance.now() - started) / 1000)} s`);
    write();
  }
  io.stdout(`${tables.join('\n\n')}\n\nwrote ${out}\n`);
  return 0;
}
