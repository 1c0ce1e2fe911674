// The options several statewise commands share, in one table: name, type, default and help. A
// command spreads the ones it takes into its parse (sharedOptions), lists them in its usage line
// (sharedUsage) and checks them with modelChoice; `statewise --help` prints their help (sharedHelp).
// The defaults are the editor's: defaultSettings() (server/shared/settings.ts), so `--ep` is
// `auto` everywhere, as statewise.engine.executionProvider.

import type { ParseArgsConfig } from 'node:util';
import { ARCHITECTURES, defaultSettings, EXECUTION_PROVIDERS, type ExecutionProviderSetting } from '../shared/settings';
import { oneOf, UsageError } from './args';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];
/** An option: what parseArgs needs, the placeholder of its value in usage lines, one line of help. */
type SharedOption = ParseOption & { value?: string; help: string };

const DEFAULTS = defaultSettings();

export const SHARED_OPTIONS = {
  arch: {
    type: 'string',
    default: DEFAULTS['model.architecture'],
    value: 'NAME',
    help: `the model folder that answers (${ARCHITECTURES.join(', ')}); default ${DEFAULTS['model.architecture']}, as in the editor`,
  },
  ep: {
    type: 'string',
    default: DEFAULTS['engine.executionProvider'],
    value: 'NAME',
    help:
      `onnxruntime execution provider (${EXECUTION_PROVIDERS.join(', ')}); default ${DEFAULTS['engine.executionProvider']}, as in the editor: ` +
      'the fastest that initialises',
  },
  models: {
    type: 'string',
    value: 'DIR',
    help: 'the folder of model folders; default $STATEWISE_MODELS_DIR, else models/ beside the bundle',
  },
  json: { type: 'boolean', default: false, help: 'print one JSON object instead of text' },
} as const satisfies Record<string, SharedOption>;

export type SharedName = keyof typeof SHARED_OPTIONS;
type ParseSpec<N extends SharedName> = { [K in N]: Omit<(typeof SHARED_OPTIONS)[K], 'value' | 'help'> };

/** The parseArgs options for `names`, from the table. */
export function sharedOptions<N extends SharedName>(...names: N[]): ParseSpec<N> {
  const spec: Record<string, ParseOption> = {};
  for (const name of names) {
    const { value: _value, help: _help, ...option } = SHARED_OPTIONS[name] as SharedOption;
    spec[name] = option;
  }
  return spec as ParseSpec<N>;
}

/** `[--arch NAME] [--ep NAME] ...` for a usage line. */
export function sharedUsage(...names: SharedName[]): string {
  return names
    .map((name) => {
      const o: SharedOption = SHARED_OPTIONS[name];
      return `[--${name}${o.value ? ` ${o.value}` : ''}]`;
    })
    .join(' ');
}

/** The help of every shared option, one per line, for `statewise --help`. */
export function sharedHelp(): string {
  const rows = Object.entries(SHARED_OPTIONS).map(
    ([name, o]: [string, SharedOption]) => [`--${name}${o.value ? ` ${o.value}` : ''}`, o.help] as const,
  );
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`).join('\n');
}

/** The model a command runs, from the parsed --arch, --ep and --models (UsageError for bad ones). */
export function modelChoice(values: { arch?: string; ep?: string; models?: string }): {
  arch: string;
  ep: ExecutionProviderSetting;
  models: string | undefined;
} {
  const arch = values.arch ?? SHARED_OPTIONS.arch.default;
  if (!/^[\w.-]+$/.test(arch)) throw new UsageError(`--arch must be a model folder name such as ${ARCHITECTURES.join(', ')}`);
  return { arch, ep: oneOf('ep', values.ep ?? SHARED_OPTIONS.ep.default, EXECUTION_PROVIDERS), models: values.models };
}
