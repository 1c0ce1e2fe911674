// Argument parsing for the statewise CLI: node:util parseArgs with errors that say what to type.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the CLI was called: exit code 2 and the usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem the user can fix that is not about the arguments (missing model): exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;
/** What `parse` returns for these options: parseArgs' values and positionals. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parse<O extends Options>(args: string[], options: O, positionals: { min: number; max: number; names: string }): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (n > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`);
  return parsed;
}

/** `<file>:<line>:<col>` with 1-based line and column; the file may itself contain ':'. */
export function parseLocation(arg: string): { file: string; line: number; col: number } {
  const m = /^(.+):(\d+):(\d+)$/.exec(arg);
  if (!m) throw new UsageError(`expected <file>:<line>:<col>, got ${JSON.stringify(arg)}`);
  const line = Number(m[2]);
  const col = Number(m[3]);
  if (line < 1 || col < 1) throw new UsageError(`line and column are 1-based, got ${line}:${col}`);
  return { file: m[1]!, line, col };
}

/** Checks a value against a list of allowed ones. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
