// manifest.json: the contract between the Python export and the engine. Every tensor name, shape and
// dtype the engine uses comes from here; nothing about a model is hard-coded.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestMismatch, modelCorrupt, modelMissing } from './errors';
import { ARCH_NAME } from '../shared/modelDir';
import { checksumMap, MODEL_LABEL, modelFile, parseErrorWhere, quoted, realFolder } from './integrity';
import { ASK_LAYOUTS, COMPLETION_LAYOUTS, type AskLayout, type CompletionLayout } from '../protocol/ipc';

export const MANIFEST_FORMAT = 'statewise-model/1';

export interface StateSpec {
  name: string;
  input: string;
  output: string;
  shape: number[];
  dtype: 'float32';
  /** A shift-register cache (stateWindows.ts): its slots lie along `axis` (shape[axis] = W), the filled
   *  ones last; `valid` names the state entry, shape [1, W], that is 1.0 on the filled slots. */
  window?: { valid: string; axis: number };
}
export interface GraphSpec {
  file: string;
  maxTokens: number;
  allLogits?: boolean;
}
/** graphs.ingestBlocked: a graph whose calls must be a multiple of `multipleOf` tokens (up to maxTokens). */
export interface BlockedGraphSpec extends GraphSpec {
  multipleOf: number;
}
export interface Manifest {
  format: string;
  name: string;
  architecture: string;
  version: string;
  vocabSize: number;
  tokenizer: string;
  specialTokens: Record<string, number>;
  trainLength: number;
  /** `ingest`: the prefill graph's function (same inputs, outputs and state, same weights) exact for
   *  calls of up to its maxTokens (>= prefill's): the folding chunks of a provider other than the CPU
   *  (model.ts; the CPU keeps prefill's short chunks so a keystroke never waits behind a long call).
   *  `ingestBlocked` (export_onnx.py --ingest-blocked): the ingest graph's function again, its attention
   *  computed block by block, exact only for calls of a positive multiple of `multipleOf` tokens up to
   *  its maxTokens (itself such a multiple). It needs `ingest`: the rest of a chunk (a file's last
   *  partial block) goes there. Opened where ingest is, on a provider other than the CPU (model.ts). */
  graphs: { step: GraphSpec; prefill: GraphSpec; score?: GraphSpec; ingest?: GraphSpec; ingestBlocked?: BlockedGraphSpec };
  weights?: string[];
  inputs: { tokens: string };
  outputs: { logits: string };
  state: StateSpec[];
  stateBytes: number;
  params?: { total: number; embedding?: number; non_embedding?: number };
  /** The architecture's hyperparameters as trained (window, max_context, … : cursorDefinitions.exactView). */
  config?: Record<string, unknown>;
  heldout?: { bits_per_byte?: number };
  training?: Record<string, unknown>;
  /** ALiBi-style models whose state grows: the axis of `shape` that grows with the context. */
  growingAxis?: number;
  /** How completions are prompted (ipc.ts CompletionLayout), chosen by measurement (`statewise eval lines --layout`). */
  completion?: { layout?: CompletionLayout; measured?: string };
  /** How Ask questions are put to it: "excerpt" only for a model trained with excerpts (export_onnx.py
   *  --ask-layout); absent means "plain". Measured by `statewise eval qa --layout product,plain,excerpt`. */
  ask?: { layout?: AskLayout; measured?: string };
  /** sha256 of every file the manifest names (not manifest.json itself), hex; integrity.ts checks them at load. */
  checksums?: { sha256: Record<string, string> };
}

/** Largest manifest.json read (the shipped ones are 5-18 KB). */
const MAX_MANIFEST_BYTES = 4 << 20;

export const REQUIRED_SPECIAL = ['endoftext', 'file', 'fim_suffix', 'fim_middle', 'fim_end'] as const;

function fail(dir: string, what: string): never {
  throw manifestMismatch(`model ${dir}: manifest.json ${what}`);
}

/**
 * The files a manifest names (tokenizer, graphs, weights): name → real path, each checked by
 * integrity.ts modelFile (inside the folder once links are resolved, a regular file).
 */
export function manifestFiles(dir: string, m: Manifest, realDir = realFolder(dir)): Map<string, string> {
  const named: [unknown, string][] = [
    [m.tokenizer, 'tokenizer'],
    ...Object.entries(m.graphs)
      .filter(([, g]) => g !== undefined)
      .map(([k, g]): [unknown, string] => [(g as GraphSpec).file, `graph ${k}`]),
    ...(m.weights ?? []).map((w): [unknown, string] => [w, 'weights file']),
  ];
  const files = new Map<string, string>();
  for (const [rel, what] of named) files.set(rel as string, modelFile(dir, realDir, rel, what));
  return files;
}

/** Reads and checks manifest.json and that every file it names exists inside the folder. */
export function readManifest(dir: string): Manifest {
  const realDir = realFolder(dir);
  const path = join(realDir, 'manifest.json');
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw modelMissing(`no manifest.json in ${dir}`);
  }
  if (!st.isFile()) throw modelCorrupt(`model ${dir}: manifest.json is not a regular file`);
  if (st.size > MAX_MANIFEST_BYTES) throw modelCorrupt(`model ${dir}: manifest.json is too large (${st.size} bytes)`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw modelCorrupt(`model ${dir}: manifest.json is not valid JSON (${parseErrorWhere(e)})`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(dir, 'is not a JSON object');
  if (m.format !== MANIFEST_FORMAT) fail(dir, `has format ${quoted(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof m.architecture !== 'string' || !m.architecture) fail(dir, 'names no architecture');
  if (!ARCH_NAME.test(m.architecture)) fail(dir, `architecture ${quoted(m.architecture)} must be 1-64 of a-z, 0-9, "_" and "-"`);
  if (typeof m.name !== 'string' || !MODEL_LABEL.test(m.name))
    fail(dir, `name ${quoted(m.name)} must be 1-128 of letters, digits, ".", "_", "+" and "-"`);
  if (typeof m.version !== 'string' || !MODEL_LABEL.test(m.version))
    fail(dir, `version ${quoted(m.version)} must be 1-128 of letters, digits, ".", "_", "+" and "-"`);
  if (!Number.isInteger(m.vocabSize) || m.vocabSize <= 0) fail(dir, 'has no valid vocabSize');
  if (!m.graphs?.step?.file || !m.graphs?.prefill?.file) fail(dir, 'must name a step and a prefill graph');
  if (!(m.graphs.prefill.maxTokens >= 1)) fail(dir, 'prefill.maxTokens must be >= 1');
  const ingest = m.graphs.ingest;
  if (ingest !== undefined) {
    if (typeof ingest !== 'object' || ingest === null || Array.isArray(ingest) || typeof ingest.file !== 'string' || !ingest.file)
      fail(dir, 'graphs.ingest must name its file');
    if (!Number.isInteger(ingest.maxTokens) || ingest.maxTokens < m.graphs.prefill.maxTokens)
      fail(
        dir,
        `graphs.ingest.maxTokens ${quoted(ingest.maxTokens)} must be an integer >= prefill.maxTokens (${m.graphs.prefill.maxTokens})`,
      );
  }
  const blocked = m.graphs.ingestBlocked;
  if (blocked !== undefined) {
    if (typeof blocked !== 'object' || blocked === null || Array.isArray(blocked) || typeof blocked.file !== 'string' || !blocked.file)
      fail(dir, 'graphs.ingestBlocked must name its file');
    if (ingest === undefined) fail(dir, 'graphs.ingestBlocked needs graphs.ingest (the calls shorter than its multipleOf go there)');
    const k = blocked.multipleOf;
    if (!Number.isInteger(k) || k < 1) fail(dir, `graphs.ingestBlocked.multipleOf ${quoted(k)} must be a positive integer`);
    if (!Number.isInteger(blocked.maxTokens) || blocked.maxTokens < k || blocked.maxTokens % k !== 0)
      fail(
        dir,
        `graphs.ingestBlocked.maxTokens ${quoted(blocked.maxTokens)} must be an integer multiple of multipleOf (${k}), at least ${k}`,
      );
  }
  if (m.weights !== undefined && !Array.isArray(m.weights)) fail(dir, 'weights must be a list of file names');
  if (!Array.isArray(m.state) || m.state.length === 0) fail(dir, 'lists no state tensors');
  for (const s of m.state) {
    if (!s.name || !s.input || !s.output || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      fail(dir, `has a malformed state entry ${quoted(s)}`);
    }
    if (s.dtype !== 'float32') fail(dir, `state ${quoted(s.name)} has dtype ${quoted(s.dtype)}; only float32 is supported`);
  }
  for (const s of m.state) if (s.window !== undefined) checkWindow(dir, m.state, s);
  for (const k of REQUIRED_SPECIAL) {
    if (!Number.isInteger(m.specialTokens?.[k])) fail(dir, `lacks special token "${k}"`);
  }
  const layout = m.completion?.layout;
  if (layout !== undefined && !COMPLETION_LAYOUTS.includes(layout))
    fail(dir, `has completion.layout ${quoted(layout)}; expected one of ${COMPLETION_LAYOUTS.join(', ')}`);
  const askLayout = m.ask?.layout;
  if (askLayout !== undefined && !ASK_LAYOUTS.includes(askLayout))
    fail(dir, `has ask.layout ${quoted(askLayout)}; expected one of ${ASK_LAYOUTS.join(', ')}`);
  manifestFiles(dir, m, realDir);
  checksumMap(dir, m.checksums);
  return m;
}

/** A state entry's window: a mask entry [1, W] with no window of its own, W the entry's slot axis. */
function checkWindow(dir: string, state: readonly StateSpec[], s: StateSpec): void {
  const w = s.window;
  const where = `state ${quoted(s.name)}: window`;
  if (typeof w !== 'object' || w === null || Array.isArray(w)) fail(dir, `${where} must be an object {valid, axis}`);
  if (!Number.isInteger(w.axis) || w.axis < 1 || w.axis >= s.shape.length)
    fail(dir, `${where}.axis ${quoted(w.axis)} must be an axis of [${s.shape.join(',')}] after the batch axis`);
  const mask = state.find((e) => e.name === w.valid);
  if (!mask) fail(dir, `${where}.valid ${quoted(w.valid)} names no state entry`);
  if (mask.window !== undefined || mask.shape.length !== 2 || mask.shape[0] !== 1 || mask.shape[1] !== s.shape[w.axis])
    fail(dir, `${where}.valid ${quoted(w.valid)} must be a state entry of shape [1, ${s.shape[w.axis]}] with no window`);
}

interface ValueMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

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
      if (!ok)
        throw manifestMismatch(`${graph}: ${dir} "${name}" has shape [${v.shape.join(',')}], manifest.json says [${shape.join(',')}]`);
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
