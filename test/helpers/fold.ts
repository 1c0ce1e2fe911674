// The workspace-fold tests' setup on the real hawk model (test/engine/fold.test.ts,
// test/engine/provisional.test.ts): synthetic module files, a loaded engine, and a completion whose
// first-token distribution shows what the root state knows of one module.
import { Engine } from '../../server/engine/engine';
import type { CompleteParams, CompleteResult, WorkspaceParams } from '../../server/protocol/ipc';
import { cpuLoad } from './engineRequests';
import { modelDir } from './models';

export type Files = WorkspaceParams['files'];

/** The load params of the fold tests (hawk on the CPU). */
export const FOLD_LOAD = cpuLoad(modelDir('hawk'));

/** A cancellation check that never cancels. */
export const never = (): boolean => false;

/** n small synthetic TypeScript files src/mod<i>.ts (a few dozen tokens each), oldest first; `tag` ends each first line. */
export function moduleFiles(n: number, tag = ''): Files {
  return Array.from({ length: n }, (_, i) => ({
    path: `src/mod${i}.ts`,
    text: `// module ${i}${tag}\nexport const value${i} = ${i * 7 + 3};\nexport function twice${i}(x: number): number {\n  return x * ${i + 2};\n}\n`,
  }));
}

/** A new engine with FOLD_LOAD loaded; its log messages go to `log`. */
export async function foldEngine(log: (m: string) => void = () => {}): Promise<Engine> {
  const e = new Engine((_, m) => log(m));
  await e.load(FOLD_LOAD);
  return e;
}

/** The greedy completion (8 tokens, plain layout, the top 5 first tokens) at `character` of line 1 of
 *  a document that imports module k and calls its twice<k>. */
export function completeUsingModule(e: Engine, k: number, character: number): Promise<CompleteResult> {
  const req: CompleteParams = {
    uri: 'file:///doc.ts',
    version: 1,
    position: { line: 1, character },
    singleLine: true,
    maxTokens: 8,
    suffixMaxTokens: 0,
    temperature: 0,
    topP: 0.95,
    n: 1,
    layout: 'plain',
    topTokens: 5,
  };
  e.openDocument({
    uri: req.uri,
    path: 'src/main.ts',
    text: `import { twice${k} } from "./mod${k}";\nexport const y = twice${k}(`,
    version: 1,
  });
  return e.complete(req, never);
}
