// statewise complete <file>:<line>:<col>: one completion at a position, as the editor would get it.

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { buildContext } from '../lsp/completion/context';
import { postprocess } from '../lsp/completion/filters';
import { buildCompletionRequest } from '../lsp/completion/request';
import { COMPLETION_LAYOUTS } from '../protocol/ipc';
import { defaultSettings } from '../shared/settings';
import { offsetOf } from '../lsp/completion/handler';
import { readSourceFile } from './readText';
import { relativeInside } from '../lsp/docPath';
import { oneOf, parse, parseLocation, UsageError } from './args';
import type { CliIO } from './io';
import { languageOf } from './language';
import { modelChoice, sharedOptions, sharedUsage } from './options';
import { openSession } from './session';
import { cliStateDir, setWorkspace, workspaceFiles } from './workspace';

export const COMPLETE_USAGE = `statewise complete <file>:<line>:<col> [--workspace DIR] ${sharedUsage('arch', 'ep')} [--layout plain|fim|suffix-first] [--no-defs] [--top K] ${sharedUsage('models', 'json')}`;

export async function completeCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      workspace: { type: 'string' },
      ...sharedOptions('arch', 'ep', 'models', 'json'),
      layout: { type: 'string' },
      top: { type: 'string' },
      'no-defs': { type: 'boolean', default: false },
    },
    { min: 1, max: 1, names: '<file>:<line>:<col>' },
  );
  const loc = parseLocation(positionals[0]!);
  const model = modelChoice(values);
  const layout = values.layout === undefined ? undefined : oneOf('layout', values.layout, COMPLETION_LAYOUTS);
  const top = values.top === undefined ? undefined : Number(values.top);
  if (top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= 64))
    throw new UsageError(`--top must be an integer from 1 to 64, got ${JSON.stringify(values.top)}`);
  const file = path.resolve(io.cwd, loc.file);
  const text = await readSourceFile(file);
  const languageId = languageOf(file);
  const doc = TextDocument.create('file:///cli', languageId, 1, text);
  const position = { line: loc.line - 1, character: loc.col - 1 };
  const offset = offsetOf(doc, position);
  if (offset === undefined) {
    const where = loc.line > doc.lineCount ? `the end of the file (${doc.lineCount} lines)` : `the end of line ${loc.line}`;
    throw new UsageError(`${loc.file}:${loc.line}:${loc.col} is past ${where}`);
  }
  const wsDir = values.workspace === undefined ? undefined : path.resolve(io.cwd, values.workspace);
  const docPath = (wsDir && relativeInside(wsDir, file)) || path.basename(file);

  const session = await openSession(io, model);
  try {
    const { engine, load } = session;
    let workspace;
    if (wsDir) {
      const files = await workspaceFiles(wsDir, { activePath: docPath });
      workspace = await setWorkspace(engine, load, files, cliStateDir(io.env, wsDir, load.arch));
    }
    const uri = pathToFileURL(file).href;
    await engine.request('openDocument', { uri, path: docPath, text, version: 1 });
    const ctx = buildContext(text, offset, languageId);
    const { mode, params } = buildCompletionRequest({
      uri,
      version: 1,
      position,
      ctx,
      settings: defaultSettings(),
      manual: false,
      layout,
      ...(values['no-defs'] ? { definitions: false } : {}),
    });
    const started = performance.now();
    const r = await engine.request('complete', { ...params, ...(top ? { topTokens: top } : {}) });
    const wallMs = performance.now() - started;
    const raw = r.completions[0] ?? '';
    const completion = postprocess(raw, ctx, mode);
    if (values.json) {
      io.stdout(
        `${JSON.stringify(
          {
            completion,
            raw,
            mode,
            layout: r.layout,
            latencyMs: r.latencyMs,
            wallMs,
            arch: r.arch,
            ep: r.ep,
            model: `${load.modelName}@${load.modelVersion}`,
            promptTokens: r.promptTokens,
            cachedTokens: r.cachedTokens,
            generatedTokens: r.generatedTokens,
            timings: r.timings,
            ...(r.definitions ? { definitions: r.definitions } : {}),
            workspace: workspace && { files: workspace.files, tokens: workspace.tokens, restored: workspace.restored },
            ...(r.top ? { top: r.top } : {}),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(`${completion}\n`);
      if (r.definitions) io.stdout(`definitions fed before the line: ${r.definitions.map((d) => JSON.stringify(d)).join('  ')}\n`);
      if (r.top)
        io.stdout(
          `top tokens after the ${r.layout} prompt: ${r.top.map((t) => `${JSON.stringify(t.text)} ${t.p.toFixed(3)}`).join('  ')}\n`,
        );
    }
    return 0;
  } finally {
    session.close();
  }
}
