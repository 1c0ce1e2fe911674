// The import rules of docs/layout.md are the compiler's: each process folder is a TypeScript project
// (its tsconfig.json) that references only the projects it may import, so `tsc -b` fails on an
// import across a process boundary (TS6307: the file is not listed within the importing project).
// These tests copy the repository's tsconfig files into a temporary tree, add small probe files
// and run `tsc -b` there: the allowed imports compile, each forbidden one fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

const REPO = path.resolve(__dirname, '..', '..');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** The project folders the root tsconfig.json references, read from it. */
function projects(): string[] {
  const { config, error } = ts.readConfigFile(path.join(REPO, 'tsconfig.json'), ts.sys.readFile);
  assert.equal(error, undefined);
  return (config.references as { path: string }[]).map((r) => r.path);
}

/** A temporary copy of the tsconfig files (and the JSON the engine imports) with `probes` added. */
function tree(probes: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'statewise-layout-'));
  cpSync(path.join(REPO, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  for (const p of projects()) {
    mkdirSync(path.join(dir, p), { recursive: true });
    cpSync(path.join(REPO, p, 'tsconfig.json'), path.join(dir, p, 'tsconfig.json'));
  }
  mkdirSync(path.join(dir, 'models'));
  cpSync(path.join(REPO, 'models', 'ask-format.json'), path.join(dir, 'models', 'ask-format.json'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, text] of Object.entries(probes)) writeFileSync(path.join(dir, file), text);
  return dir;
}

function build(probes: Record<string, string>, project: string): { ok: boolean; out: string } {
  const dir = tree(probes);
  try {
    const r = spawnSync(process.execPath, [TSC, '-b', path.join(dir, project)], { encoding: 'utf8', timeout: 120_000 });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// One exported constant in each project folder, and a probe per folder that imports from others.
const TARGETS: Record<string, string> = {
  'server/shared/probeShared.ts': 'export const shared = 1;\n',
  'server/protocol/probeProtocol.ts': 'export const protocol = 1;\n',
  'server/engine/probeEngine.ts': 'export const engine = 1;\n',
  'server/lsp/probeLsp.ts': 'export const lsp = 1;\n',
  'extension/probeExtension.ts': 'export const extension = 1;\n',
};
const importer = (lines: string[]) =>
  `${lines.join('\n')}\nexport const sum = ${lines.map((l) => /\{ (\w+) \}/.exec(l)![1]).join(' + ')};\n`;

test('the root tsconfig.json references one project per process folder', () => {
  assert.deepEqual(projects().sort(), [
    'extension',
    'scripts',
    'server/cli',
    'server/engine',
    'server/lsp',
    'server/protocol',
    'server/shared',
    'test',
  ]);
  for (const p of projects()) assert.match(readFileSync(path.join(REPO, p, 'tsconfig.json'), 'utf8'), /"extends"/);
});

test('allowed imports compile: engine, lsp and extension use shared and protocol; the CLI uses all', () => {
  const r = build(
    {
      ...TARGETS,
      'server/protocol/uses.ts': importer(["import { shared } from '../shared/probeShared';"]),
      'server/engine/uses.ts': importer([
        "import { shared } from '../shared/probeShared';",
        "import { protocol } from '../protocol/probeProtocol';",
      ]),
      'server/lsp/uses.ts': importer([
        "import { shared } from '../shared/probeShared';",
        "import { protocol } from '../protocol/probeProtocol';",
      ]),
      'extension/uses.ts': importer([
        "import { shared } from '../server/shared/probeShared';",
        "import { protocol } from '../server/protocol/probeProtocol';",
      ]),
      'server/cli/uses.ts': importer([
        "import { engine } from '../engine/probeEngine';",
        "import { lsp } from '../lsp/probeLsp';",
        "import { shared } from '../shared/probeShared';",
      ]),
    },
    '.',
  );
  assert.ok(r.ok, r.out);
});

// Each forbidden import, as [importing file, import, the project whose file list lacks the target].
const FORBIDDEN: [string, string, string][] = [
  ['server/engine/uses.ts', "import { lsp } from '../lsp/probeLsp';", 'server/engine'],
  ['server/lsp/uses.ts', "import { engine } from '../engine/probeEngine';", 'server/lsp'],
  ['extension/uses.ts', "import { lsp } from '../server/lsp/probeLsp';", 'extension'],
  ['extension/uses.ts', "import { engine } from '../server/engine/probeEngine';", 'extension'],
  ['server/shared/uses.ts', "import { protocol } from '../protocol/probeProtocol';", 'server/shared'],
  ['server/protocol/uses.ts', "import { engine } from '../engine/probeEngine';", 'server/protocol'],
];

test('forbidden imports fail to compile: engine <-> lsp, extension -> lsp or engine, shared -> protocol, protocol -> engine', () => {
  const files: Record<string, string[]> = {};
  for (const [file, line] of FORBIDDEN) (files[file] ??= []).push(line);
  const probes = { ...TARGETS, ...Object.fromEntries(Object.entries(files).map(([f, lines]) => [f, importer(lines)])) };
  // tsc -b goes on building the projects after one with errors, so one build reports every rule.
  const r = build(probes, '.');
  assert.equal(r.ok, false, 'tsc -b accepted the forbidden imports');
  for (const [file, line, project] of FORBIDDEN) {
    const name = path.basename(/'([^']+)'/.exec(line)![1]!);
    const re = new RegExp(
      `error TS6307: File '[^']*/${name}\\.ts' is not listed within the file list of project '[^']*/${project}/tsconfig\\.json'`,
    );
    assert.match(r.out, re, `${file}: ${line}`);
  }
});
