// statewise ask FILE "QUESTION": a question about a file, answered by the model that completes
// (server/engine/ask.ts). The answer streams to stdout as it is generated; --json prints one object
// at the end instead.

import * as path from 'node:path';
import { ASK_MAX_ANSWER_TOKENS, readAskFile, validAnswerTokens } from '../lsp/ask/askFile';
import { CliError, parse, UsageError } from './args';
import type { CliIO } from './io';
import { modelChoice, sharedOptions, sharedUsage } from './options';
import { openSession } from './session';

export const ASK_USAGE = `statewise ask <file> "<question>" ${sharedUsage('arch', 'ep', 'models')} [--max-tokens N] ${sharedUsage('json')}`;

export async function askCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...sharedOptions('arch', 'ep', 'models', 'json'),
      'max-tokens': { type: 'string' },
    },
    { min: 2, max: 2, names: '<file> and "<question>"' },
  );
  const [fileArg, question] = positionals as [string, string];
  if (question.trim() === '') throw new UsageError('the question is empty');
  const model = modelChoice(values);
  let maxTokens: number | undefined;
  if (values['max-tokens'] !== undefined) {
    maxTokens = Number(values['max-tokens']);
    if (!validAnswerTokens(maxTokens))
      throw new UsageError(`--max-tokens must be an integer in 1..${ASK_MAX_ANSWER_TOKENS}, got ${JSON.stringify(values['max-tokens'])}`);
  }
  const file = path.resolve(io.cwd, fileArg);
  const read = await readAskFile(file);
  if (!read.ok) throw new CliError(read.reason);
  // The path header: relative to the working directory when the file lies under it, else its name.
  const rel = path.relative(io.cwd, file);
  const docPath = rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(file) : rel.split(path.sep).join('/');

  const session = await openSession(io, model);
  try {
    let printed = '';
    const started = performance.now();
    const r = await session.engine.ask(
      { path: docPath, text: read.text, question, maxTokens },
      values.json
        ? undefined
        : (text) => {
            // `text` is the whole answer so far; print what is new
            if (text.startsWith(printed)) io.stdout(text.slice(printed.length));
            printed = text;
          },
    );
    const wallMs = performance.now() - started;
    if (values.json) {
      io.stdout(
        `${JSON.stringify(
          {
            answer: r.answer,
            latencyMs: r.latencyMs,
            fileTokens: r.fileTokens,
            // how much of the file was read (whole file or a window of it) and the excerpt's length
            context: r.context,
            excerptChars: r.excerptChars ?? 0,
            cachedTokens: r.cachedTokens,
            firstTokenMs: r.firstTokenMs,
            promptTokens: r.promptTokens,
            generatedTokens: r.generatedTokens,
            stop: r.stop,
            arch: r.arch,
            ep: r.ep,
            model: `${session.load.modelName}@${session.load.modelVersion}`,
            wallMs,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      if (r.answer.startsWith(printed)) io.stdout(r.answer.slice(printed.length));
      io.stdout('\n');
    }
    return 0;
  } finally {
    session.close();
  }
}
