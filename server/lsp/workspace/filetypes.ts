// What a file name says about a file: whether it is worth reading as text, and what kind of text
// it is (for ordering). Pure.

const SOURCE_EXTS = [
  'ts',
  'tsx',
  'mts',
  'cts',
  'js',
  'jsx',
  'mjs',
  'cjs',
  'py',
  'pyi',
  'go',
  'rs',
  'java',
  'kt',
  'kts',
  'scala',
  'swift',
  'c',
  'h',
  'cc',
  'cpp',
  'cxx',
  'hh',
  'hpp',
  'hxx',
  'm',
  'mm',
  'cs',
  'fs',
  'vb',
  'rb',
  'php',
  'pl',
  'pm',
  'lua',
  'r',
  'jl',
  'dart',
  'ex',
  'exs',
  'erl',
  'hrl',
  'clj',
  'cljs',
  'hs',
  'ml',
  'mli',
  'elm',
  'zig',
  'nim',
  'sh',
  'bash',
  'zsh',
  'fish',
  'ps1',
  'bat',
  'cmd',
  'sql',
  'graphql',
  'gql',
  'proto',
  'html',
  'htm',
  'css',
  'scss',
  'sass',
  'less',
  'vue',
  'svelte',
  'astro',
  'groovy',
  'gradle',
  'cmake',
  'mk',
  'tf',
  'sol',
  'wgsl',
  'glsl',
  'hlsl',
  'cu',
  'v',
  'sv',
  'vhd',
  'asm',
  's',
];
const DOC_EXTS = ['md', 'markdown', 'mdx', 'txt', 'rst', 'adoc', 'tex', 'org'];
const CONFIG_EXTS = [
  'json',
  'jsonc',
  'json5',
  'yaml',
  'yml',
  'toml',
  'ini',
  'cfg',
  'conf',
  'properties',
  'xml',
  'plist',
  'env',
  'editorconfig',
  'gitignore',
  'gitattributes',
  'npmrc',
  'nvmrc',
  'csv',
  'tsv',
  'lock',
  'sum',
  'mod',
];
/** Extension-less (or dot-) files that are text. */
const TEXT_NAMES = [
  'makefile',
  'gnumakefile',
  'dockerfile',
  'containerfile',
  'jenkinsfile',
  'vagrantfile',
  'gemfile',
  'rakefile',
  'procfile',
  'brewfile',
  'justfile',
  'cmakelists.txt',
  'readme',
  'license',
  'licence',
  'changelog',
  'authors',
  'contributing',
  'codeowners',
  '.gitignore',
  '.gitattributes',
  '.editorconfig',
  '.npmrc',
  '.nvmrc',
  '.env',
  '.prettierrc',
  '.eslintrc',
  '.babelrc',
  'build',
  'workspace',
];
const SOURCE_NAMES = ['makefile', 'gnumakefile', 'dockerfile', 'containerfile', 'jenkinsfile', 'vagrantfile', 'rakefile', 'justfile'];
const DOC_NAMES = ['readme', 'license', 'licence', 'changelog', 'authors', 'contributing'];
const LOCK_NAMES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'cargo.lock',
  'poetry.lock',
  'pipfile.lock',
  'uv.lock',
  'gemfile.lock',
  'composer.lock',
  'go.sum',
  'flake.lock',
  'packages.lock.json',
];

const kindByExt = new Map<string, FileKind>([
  ...SOURCE_EXTS.map((e) => [e, 'source'] as const),
  ...DOC_EXTS.map((e) => [e, 'doc'] as const),
  ...CONFIG_EXTS.map((e) => [e, 'config'] as const),
]);

/** `source` is code; `doc` prose; `config` settings and data; `lock` generated dependency pins. */
export type FileKind = 'source' | 'doc' | 'config' | 'lock';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).toLowerCase();
}

function extension(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : undefined;
}

/** Whether a file name is on the allow-list of text files (by extension or a well-known name). */
export function isTextFileName(path: string): boolean {
  const name = baseName(path);
  if (TEXT_NAMES.includes(name) || LOCK_NAMES.includes(name)) return true;
  const ext = extension(name);
  return ext !== undefined && kindByExt.has(ext);
}

/** Whether the name marks a minified bundle, e.g. `jquery.min.js`. */
export function isMinifiedName(path: string): boolean {
  return baseName(path).includes('.min.');
}

/** The kind of text a file name suggests; unknown names count as config. */
export function fileKind(path: string): FileKind {
  const name = baseName(path);
  if (LOCK_NAMES.includes(name)) return 'lock';
  if (SOURCE_NAMES.includes(name)) return 'source';
  if (DOC_NAMES.includes(name)) return 'doc';
  const ext = extension(name);
  return (ext && kindByExt.get(ext)) || 'config';
}
