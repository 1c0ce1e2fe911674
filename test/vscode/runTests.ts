// `npm run test:vscode`: the extension in VS Code desktop via @vscode/test-electron. It downloads VS
// Code (update.code.visualstudio.com) unless VSCODE_EXECUTABLE names a local one, so it runs only on
// machines with that access; it is not part of .ci/run (which has no such access: docs/e2e.md §6).
// VSCODE_VERSION picks the version (default: stable). Bundles test/vscode/suite.ts first.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';

const root = resolve(__dirname, '..', '..');
const suite = join(root, 'out', 'vscode-test', 'suite.js');

async function main(): Promise<void> {
  await build({
    entryPoints: [join(root, 'test', 'vscode', 'suite.ts')],
    outfile: suite,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    logLevel: 'warning',
  });

  const workspace = mkdtempSync(join(tmpdir(), 'statewise-vscode-'));
  writeFileSync(join(workspace, 'main.ts'), 'export const answer = 42;\n');
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      ...(process.env.VSCODE_EXECUTABLE
        ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE }
        : { version: process.env.VSCODE_VERSION ?? 'stable' }),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (err) {
    console.error(`test:vscode failed: ${(err as Error).message}`);
    process.exit(1);
  }
}

void main();
