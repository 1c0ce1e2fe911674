// The one source of Statewise's settings. package.json's contributes.configuration is generated from
// SETTINGS (scripts/gen-package.ts) and a test checks that the two agree. Every component reads
// settings through `resolveSettings`, which falls back to the default (with a warning) on a bad value.

export const ARCHITECTURES = ['hawk', 'griffin', 'based', 'alibi', 'linearized'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type ExecutionProviderSetting = (typeof EXECUTION_PROVIDERS)[number];

export type Scope = 'application' | 'machine' | 'window' | 'resource' | 'language-overridable' | 'machine-overridable';

interface BaseSpec<T> {
  /** Key under the `statewise.` section, e.g. `model.architecture`. */
  key: string;
  default: T;
  description: string;
  scope?: Scope;
}
export interface BooleanSpec extends BaseSpec<boolean> {
  type: 'boolean';
}
export interface NumberSpec extends BaseSpec<number> {
  type: 'integer' | 'number';
  minimum: number;
  maximum: number;
}
export interface StringSpec extends BaseSpec<string> {
  type: 'string';
  enum?: readonly string[];
}
export interface LanguageMapSpec extends BaseSpec<Record<string, boolean>> {
  type: 'object';
}
export type SettingSpec = BooleanSpec | NumberSpec | StringSpec | LanguageMapSpec;

export const SETTINGS = [
  {
    key: 'enable',
    type: 'object',
    scope: 'window',
    default: { '*': true, plaintext: false, markdown: false, scminput: false },
    description: 'Inline completions per language id; "*" is the default for languages not listed.',
  },
  {
    key: 'model.architecture',
    type: 'string',
    enum: ARCHITECTURES,
    default: 'griffin',
    scope: 'window',
    description:
      'Model architecture that answers. Takes effect on the next request; the workspace state for it is rebuilt in the background.',
  },
  {
    key: 'model.path',
    type: 'string',
    default: '',
    scope: 'machine',
    description:
      'Folder holding model folders (one per architecture, each with manifest.json). Empty: the models bundled with Statewise. Machine-scoped: a workspace cannot redirect model loading.',
  },
  {
    key: 'engine.executionProvider',
    type: 'string',
    enum: EXECUTION_PROVIDERS,
    default: 'auto',
    scope: 'machine',
    description:
      'onnxruntime execution provider. "auto" measures the providers that initialise and keeps the fastest; any provider that fails falls back to CPU with the reason logged.',
  },
  {
    key: 'engine.threads',
    type: 'integer',
    default: 0,
    minimum: 0,
    maximum: 64,
    scope: 'machine',
    description:
      "CPU threads for each onnxruntime session of the engine; 0 picks half the cores, 1 to 4 (measured faster than onnxruntime's one per core for these small models).",
  },
  {
    key: 'engine.maxMemoryMB',
    type: 'integer',
    default: 256,
    minimum: 16,
    maximum: 8192,
    scope: 'machine',
    description:
      'Cap on the memory held by cached model states: workspace fold checkpoints up to half, document checkpoints the rest. Soft by one state: the most recent document checkpoint is kept even when it alone is larger than the cap (a large ALiBi state); a warning is then logged and shown in the status bar, and completions away from the last line re-read the document.',
  },
  {
    key: 'engine.gpuState',
    type: 'boolean',
    default: true,
    scope: 'machine',
    description:
      'On a GPU execution provider that can (WebGPU), keep the model state in GPU memory between model calls and read back only the logits. Off: the state is copied to the CPU and back on every call. No effect on the CPU.',
  },
  {
    key: 'completion.debounceMs',
    type: 'integer',
    default: 60,
    minimum: 0,
    maximum: 2000,
    scope: 'window',
    description: 'Delay after the last keystroke before an automatic completion request runs.',
  },
  {
    key: 'completion.multiline',
    type: 'string',
    enum: ['auto', 'always', 'never'],
    default: 'auto',
    scope: 'window',
    description: 'Multi-line completions: "auto" allows them on an empty line or after an opening bracket.',
  },
  {
    key: 'completion.maxTokens',
    type: 'integer',
    default: 64,
    minimum: 1,
    maximum: 512,
    scope: 'window',
    description: 'Most tokens generated for a multi-line completion.',
  },
  {
    key: 'completion.maxSingleLineTokens',
    type: 'integer',
    default: 24,
    minimum: 1,
    maximum: 256,
    scope: 'window',
    description: 'Most tokens generated for a single-line completion.',
  },
  {
    key: 'completion.suffixMaxTokens',
    type: 'integer',
    default: 48,
    minimum: 0,
    maximum: 512,
    scope: 'window',
    description: 'Most tokens of the text after the cursor fed to the model (fill-in-the-middle).',
  },
  {
    key: 'completion.temperature',
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 2,
    scope: 'window',
    description: 'Sampling temperature; 0 is greedy.',
  },
  {
    key: 'completion.topP',
    type: 'number',
    default: 0.95,
    minimum: 0.01,
    maximum: 1,
    scope: 'window',
    description: 'Nucleus sampling mass when temperature > 0.',
  },
  {
    key: 'workspace.enable',
    type: 'boolean',
    default: true,
    scope: 'window',
    description: "Fold the workspace's text files into the model state before the document.",
  },
  {
    key: 'workspace.maxFileBytes',
    type: 'integer',
    default: 262144,
    minimum: 1024,
    maximum: 52428800,
    scope: 'window',
    description: 'Files larger than this are skipped when building the workspace state.',
  },
  {
    key: 'workspace.maxTotalBytes',
    type: 'integer',
    default: 1048576,
    minimum: 0,
    maximum: 268435456,
    scope: 'window',
    description: 'Cap on the bytes of workspace files folded into the state; the least relevant files are dropped first.',
  },
  {
    key: 'workspace.checkpointInterval',
    type: 'integer',
    default: 256,
    minimum: 16,
    maximum: 8192,
    scope: 'window',
    description: 'Tokens between document checkpoints (cached states).',
  },
  {
    key: 'workspace.rebuildDelayMs',
    type: 'integer',
    default: 2000,
    minimum: 0,
    maximum: 600000,
    scope: 'window',
    description: 'Delay after a workspace file changes before its state is rebuilt.',
  },
  {
    key: 'workspace.persist',
    type: 'boolean',
    default: true,
    scope: 'window',
    description: "Keep the workspace state on disk (in the extension's storage) so a reopened workspace is warm at once.",
  },
] as const satisfies readonly SettingSpec[];

type Spec = (typeof SETTINGS)[number];
type ValueOf<S> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'integer' | 'number' }
    ? number
    : S extends { type: 'object' }
      ? Record<string, boolean>
      : S extends { enum: readonly (infer E)[] }
        ? E
        : string;

/** Resolved settings keyed by their dotted key, e.g. settings['model.architecture']. */
export type Settings = { -readonly [S in Spec as S['key']]: ValueOf<S> };

export const SECTION = 'statewise';

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) out[s.key] = structuredClone(s.default);
  return out as Settings;
}

function checkValue(spec: SettingSpec, v: unknown): string | undefined {
  switch (spec.type) {
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'expected true or false';
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a number';
      if (spec.type === 'integer' && !Number.isInteger(v)) return 'expected an integer';
      if (v < spec.minimum || v > spec.maximum) return `expected ${spec.minimum}..${spec.maximum}`;
      return undefined;
    case 'string':
      if (typeof v !== 'string') return 'expected a string';
      if (spec.enum && !spec.enum.includes(v)) return `expected one of ${spec.enum.join(', ')}`;
      return undefined;
    case 'object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object of language id → boolean';
      for (const [k, b] of Object.entries(v)) if (typeof b !== 'boolean') return `"${k}" must be true or false`;
      return undefined;
  }
}

/**
 * Reads a raw settings object, either nested (`{model: {architecture: 'hawk'}}`, as LSP
 * workspace/configuration returns it) or flat (`{'model.architecture': 'hawk'}`). Unknown keys are
 * ignored; a bad value gives the default and a warning naming the setting.
 */
export function resolveSettings(raw: unknown): { settings: Settings; warnings: string[] } {
  const settings = defaultSettings() as Record<string, unknown>;
  const warnings: string[] = [];
  const src = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    let v: unknown = src[spec.key];
    if (v === undefined) {
      v = spec.key
        .split('.')
        .reduce<unknown>((o, part) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[part] : undefined), src);
    }
    if (v === undefined || v === null) continue;
    const problem = checkValue(spec, v);
    if (problem) {
      warnings.push(
        `${SECTION}.${spec.key}: invalid value ${JSON.stringify(v)} (${problem}); using the default ${JSON.stringify(spec.default)}`,
      );
      continue;
    }
    settings[spec.key] = spec.type === 'object' ? { ...(spec.default as Record<string, boolean>), ...(v as Record<string, boolean>) } : v;
  }
  return { settings: settings as Settings, warnings };
}

/** Whether inline completions are on for a language id under the `enable` map. */
export function languageEnabled(enable: Record<string, boolean>, languageId: string): boolean {
  return enable[languageId] ?? enable['*'] ?? true;
}

/** contributes.configuration.properties for package.json. */
export function contributedProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  for (const s of SETTINGS as readonly SettingSpec[]) {
    const p: Record<string, unknown> = { type: s.type, default: s.default, description: s.description };
    if (s.scope) p.scope = s.scope;
    if (s.type === 'string' && s.enum) p.enum = [...s.enum];
    if (s.type === 'integer' || s.type === 'number') {
      p.minimum = s.minimum;
      p.maximum = s.maximum;
    }
    if (s.type === 'object') p.additionalProperties = { type: 'boolean' };
    props[`${SECTION}.${s.key}`] = p;
  }
  props[`${SECTION}.trace.server`] = {
    type: 'string',
    enum: ['off', 'messages', 'verbose'],
    default: 'off',
    scope: 'window',
    description: 'Traces the LSP traffic between VS Code and the Statewise server.',
  };
  return props;
}
