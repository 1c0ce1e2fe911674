// The statewise CLI's dispatcher: subcommand, usage, exit codes (0 ok, 1 failure such as a
// missing model, 2 bad arguments).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASK_USAGE, askCommand } from './ask';
import { BENCH_USAGE, benchCommand } from './bench';
import { COMPLETE_USAGE, completeCommand } from './complete';
import { CliError, UsageError } from './args';
import type { CliIO } from './io';
import { EVAL_USAGE, evalCommand } from './evaluate';
import { MODELS_USAGE, modelsCommand } from './models';
import { sharedHelp } from './options';

export const HELP = `statewise: offline code completion from a small local recurrent model (the engine the editor uses).

Usage:
  ${COMPLETE_USAGE}
      Prints the completion at a position (1-based line and column). --json adds latency, tokens,
      architecture and execution provider.
  ${ASK_USAGE}
      Answers a question about a file, streaming the answer as it is generated (the file from the
      zero state, then the question; stops at the answer's end token or --max-tokens, default 64).
      --json prints one object at the end: answer, latencyMs, firstTokenMs, fileTokens, cachedTokens, ...
  ${MODELS_USAGE}
      Lists the installed model folders and their manifests.
  ${BENCH_USAGE}
      Latency in three parts (--only picks): engine: one keystroke at the end of ~1k/10k/100k-token
      documents on the engine alone, without and with a workspace; lsp: typing sessions (new line,
      mid-line, end of line) through the language server over stdio as an editor drives it, and one
      long line; save: time to ready after saving a file in a workspace of --workspace-files N files,
      then the workspace reopened (--global-storage DIR: the server's global storage, where auto keeps
      its choice of providers; a folder from an earlier run makes the first index a start that times
      nothing).
      Prints a table per part and writes JSON (default bench-results/bench.json).
  ${EVAL_USAGE}
      bpb: bits per byte of the files under the model (each file from the zero state behind its path
      header), with xz -9 on the same bytes as a reference and the loss by position in the file
      (does the model get better as it reads on?). lines: next-line exact match and edit
      similarity at random cursors. recall: exact-match recall of a defined constant across token
      distances (same file, another workspace file, no definition). extrapolation: bits per byte of
      the same tokens after 1x-8x the training length of context. qa: Ask accuracy by file length.
      Without --files they run on the committed held-out sample (models/eval/).
  statewise --help | --version

Options the commands share:
${sharedHelp()}
`;

/** The package version, from package.json beside the bundle's folder. */
export function version(bundleDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(bundleDir, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const COMMANDS: Record<string, { run: (args: string[], io: CliIO) => Promise<number>; usage: string }> = {
  complete: { run: completeCommand, usage: COMPLETE_USAGE },
  ask: { run: askCommand, usage: ASK_USAGE },
  models: { run: modelsCommand, usage: MODELS_USAGE },
  bench: { run: benchCommand, usage: BENCH_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
};

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`statewise ${version(io.bundleDir)}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`statewise: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`Usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`statewise ${name}: ${err.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr(`statewise ${name}: ${err.message}\n`);
      return 1;
    }
    io.stderr(`statewise ${name}: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}
