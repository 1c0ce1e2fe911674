// What the real-engine tests send: the load params, a document the model can hardly get wrong and
// where they open it, and the greedy single-line completion request at its end (test/engine/,
// test/integration/, test/reliability/). Only type imports: the offline driver bundles this file.
import type { CompleteParams, LoadParams } from '../../server/protocol/ipc';

/** Load params on the CPU: default threads, 64 MiB of cached states, a checkpoint every 128 tokens; `extra` overrides. */
export const cpuLoad = (modelDir: string, extra: Partial<LoadParams> = {}): LoadParams => ({
  modelDir,
  ep: 'cpu',
  threads: 0,
  maxStateMB: 64,
  checkpointInterval: 128,
  ...extra,
});

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
/** Where the tests open PATTERN_DOC: its URI and workspace-relative path. */
export const PATTERN_URI = 'file:///work/src/limits.ts';
export const PATTERN_PATH = 'src/limits.ts';

/** Greedy single-line completion params at the end of PATTERN_DOC; `extra` overrides. */
export const completeParams = (extra: Partial<CompleteParams> = {}): CompleteParams => ({
  uri: PATTERN_URI,
  version: 1,
  position: PATTERN_END,
  singleLine: true,
  maxTokens: 16,
  suffixMaxTokens: 48,
  temperature: 0,
  topP: 0.95,
  n: 1,
  ...extra,
});
