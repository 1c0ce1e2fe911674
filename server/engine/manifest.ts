// manifest.json: the contract between the Python export and the engine. Every tensor name, shape and
// dtype the engine uses comes from here; nothing about a model is hard-coded.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { manifestMismatch, modelCorrupt, modelMissing } from './errors';
import { COMPLETION_LAYOUTS, type CompletionLayout } from './ipc';

export const MANIFEST_FORMAT = 'statewise-model/1';

export interface StateSpec { name: string; input: string; output: string; shape: number[]; dtype: 'float32' }
export interface GraphSpec { file: string; maxTokens: number; allLogits?: boolean }
export interface Manifest {
  format: string;
  name: string;
  architecture: string;
  version: string;
  vocabSize: number;
  tokenizer: string;
  specialTokens: Record<string, number>;
  trainLength: number;
  graphs: { step: GraphSpec; prefill: GraphSpec; score?: GraphSpec };
  weights?: string[];
  inputs: { tokens: string };
  outputs: { logits: string };
  state: StateSpec[];
  stateBytes: number;
  params?: { total: number; embedding?: number; non_embedding?: number };
  heldout?: { bits_per_byte?: number };
  training?: Record<string, unknown>;
  /** ALiBi-style models whose state grows: the axis of `shape` that grows with the context. */
  growingAxis?: number;
  /** How completions are prompted (ipc.ts CompletionLayout), chosen by measurement (`statewise eval lines --layout`). */
  completion?: { layout?: CompletionLayout; measured?: string };
}

export const REQUIRED_SPECIAL = ['endoftext', 'file', 'fim_suffix', 'fim_middle', 'fim_end'] as const;

function fail(dir: string, what: string): never {
  throw manifestMismatch(`model ${dir}: manifest.json ${what}`);
}

/** Reads and checks manifest.json and that every file it names exists. */
export function readManifest(dir: string): Manifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw modelMissing(`model folder not found: ${dir}`);
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw modelMissing(`no manifest.json in ${dir}`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw modelCorrupt(`model ${dir}: manifest.json is not valid JSON (${(e as Error).message})`);
  }
  if (m.format !== MANIFEST_FORMAT) fail(dir, `has format ${JSON.stringify(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof m.architecture !== 'string' || !m.architecture) fail(dir, 'names no architecture');
  if (!Number.isInteger(m.vocabSize) || m.vocabSize <= 0) fail(dir, 'has no valid vocabSize');
  if (!m.graphs?.step?.file || !m.graphs?.prefill?.file) fail(dir, 'must name a step and a prefill graph');
  if (!(m.graphs.prefill.maxTokens >= 1)) fail(dir, 'prefill.maxTokens must be >= 1');
  if (!Array.isArray(m.state) || m.state.length === 0) fail(dir, 'lists no state tensors');
  for (const s of m.state) {
    if (!s.name || !s.input || !s.output || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      fail(dir, `has a malformed state entry ${JSON.stringify(s)}`);
    }
    if (s.dtype !== 'float32') fail(dir, `state ${s.name} has dtype ${s.dtype}; only float32 is supported`);
  }
  for (const k of REQUIRED_SPECIAL) {
    if (!Number.isInteger(m.specialTokens?.[k])) fail(dir, `lacks special token "${k}"`);
  }
  const layout = m.completion?.layout;
  if (layout !== undefined && !COMPLETION_LAYOUTS.includes(layout)) fail(dir, `has completion.layout ${JSON.stringify(layout)}; expected one of ${COMPLETION_LAYOUTS.join(', ')}`);
  const files = [m.tokenizer, m.graphs.step.file, m.graphs.prefill.file, ...(m.graphs.score ? [m.graphs.score.file] : []), ...(m.weights ?? [])];
  for (const f of files) {
    if (!f || !existsSync(join(dir, f))) throw modelCorrupt(`model ${dir}: file ${f} named in manifest.json is missing`);
  }
  return m;
}

interface ValueMeta { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> }

/** Checks a loaded graph's inputs and outputs against the manifest. */
export function checkGraph(m: Manifest, graph: string, inputs: readonly ValueMeta[], outputs: readonly ValueMeta[]): void {
  const byName = (list: readonly ValueMeta[]) => new Map(list.map((v) => [v.name, v]));
  const ins = byName(inputs);
  const outs = byName(outputs);
  const need = (map: Map<string, ValueMeta>, name: string, dir: 'input' | 'output', shape?: number[]) => {
    const v = map.get(name);
    if (!v) throw manifestMismatch(`${graph}: the graph has no ${dir} "${name}" that manifest.json names`);
    if (shape && v.shape && v.shape.length) {
      const ok = v.shape.length === shape.length && v.shape.every((d, i) => typeof d !== 'number' || d === shape[i] || m.growingAxis === i);
      if (!ok) throw manifestMismatch(`${graph}: ${dir} "${name}" has shape [${v.shape.join(',')}], manifest.json says [${shape.join(',')}]`);
    }
  };
  need(ins, m.inputs.tokens, 'input');
  need(outs, m.outputs.logits, 'output');
  for (const s of m.state) {
    need(ins, s.input, 'input', s.shape);
    need(outs, s.output, 'output', s.shape);
  }
  const lg = outs.get(m.outputs.logits);
  const last = lg?.shape?.[lg.shape.length - 1];
  if (typeof last === 'number' && last !== m.vocabSize) {
    throw manifestMismatch(`${graph}: logits have ${last} entries, manifest.json says vocabSize ${m.vocabSize}`);
  }
  const extra = inputs.filter((v) => v.name !== m.inputs.tokens && !m.state.some((s) => s.input === v.name));
  if (extra.length) throw manifestMismatch(`${graph}: inputs ${extra.map((v) => v.name).join(', ')} are not in manifest.json`);
}
