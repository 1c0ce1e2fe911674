// statewise eval METRIC: the dispatcher, and `eval bpb --arch A --files F...`: bits per byte of files
// under a model (each file scored from the zero state behind its path header, as in training; the
// header is not scored). The xz -9 size of the same bytes is printed beside it as a reference point
// when xz is installed. The other metrics live in eval/.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parse, UsageError } from './args';
import { readSourceFile } from './readText';
import type { CliIO } from './io';
import { EXTRAPOLATION_USAGE, extrapolationCommand } from './eval/extrapolation';
import { LINES_USAGE, linesCommand } from './eval/lines';
import { QA_USAGE, qaCommand } from './eval/qa';
import { RECALL_USAGE, recallCommand } from './eval/recall';
import { modelChoice, sharedOptions, sharedUsage } from './options';
import { openSession } from './session';

export const BPB_USAGE = `statewise eval bpb --files F... ${sharedUsage('arch', 'ep', 'models', 'json')}`;

const METRICS: Record<string, { run: (args: string[], io: CliIO) => Promise<number>; usage: string }> = {
  bpb: { run: bpbCommand, usage: BPB_USAGE },
  lines: { run: linesCommand, usage: LINES_USAGE },
  recall: { run: recallCommand, usage: RECALL_USAGE },
  extrapolation: { run: extrapolationCommand, usage: EXTRAPOLATION_USAGE },
  qa: { run: qaCommand, usage: QA_USAGE },
};

export const EVAL_USAGE = Object.values(METRICS)
  .map((m) => m.usage)
  .join('\n       ');

export async function evalCommand(args: string[], io: CliIO): Promise<number> {
  const [metric, ...rest] = args;
  const names = Object.keys(METRICS).join(', ');
  if (!metric) throw new UsageError(`missing the metric (${names})`);
  const m = METRICS[metric];
  if (!m) throw new UsageError(`unknown metric ${JSON.stringify(metric)} (available: ${names})`);
  return m.run(rest, io);
}

export function xzBitsPerByte(texts: readonly string[]): number | undefined {
  const input = Buffer.from(texts.join(''), 'utf8');
  const r = spawnSync('xz', ['-9', '-c'], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0 || !r.stdout) return undefined;
  return (8 * r.stdout.length) / input.length;
}

async function bpbCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      files: { type: 'string', multiple: true },
      ...sharedOptions('arch', 'ep', 'models', 'json'),
    },
    { min: 0, max: Infinity, names: 'files' },
  );
  const names = [...((values.files as string[] | undefined) ?? []), ...positionals];
  if (names.length === 0) throw new UsageError('give the files to score with --files F...');
  const model = modelChoice(values);
  const files = [];
  for (const f of names) {
    const abs = path.resolve(io.cwd, f);
    files.push({ path: path.relative(io.cwd, abs).split(path.sep).join('/'), text: await readSourceFile(abs) });
  }
  const session = await openSession(io, model);
  try {
    const r = await session.engine.request('score', { files });
    const xz = xzBitsPerByte(files.map((f) => f.text));
    const out = {
      metric: 'bpb',
      arch: session.load.arch,
      model: `${session.load.modelName}@${session.load.modelVersion}`,
      files: files.length,
      bitsPerByte: r.bitsPerByte,
      tokens: r.tokens,
      bytes: r.bytes,
      xzBitsPerByte: xz,
      byPosition: r.byPosition,
      ms: r.ms,
    };
    if (values.json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    else
      io.stdout(
        `${out.arch}: ${r.bitsPerByte.toFixed(4)} bits/byte over ${r.bytes} bytes of ${files.length} files (${r.tokens} tokens, ${(r.ms / 1000).toFixed(1)} s)${xz === undefined ? '' : `; xz -9: ${xz.toFixed(4)}`}\n` +
          `  nats/token by position in the file: ${r.byPosition.map((b) => `[${b.from}, ${b.to ?? '…'}) ${b.natsPerToken.toFixed(3)} (n=${b.tokens})`).join(', ')}\n`,
      );
    return 0;
  } finally {
    session.close();
  }
}
