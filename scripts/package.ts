// Builds one VSIX per platform with @vscode/vsce, each with only its own onnxruntime-node binaries
// (the allow-list in .vscodeignore plus the target's binary folder, scripts/vsix/targets.ts).
// Usage (after `node scripts/build.mjs`): node --import tsx scripts/package.ts [--out DIR] [TARGET...]
// No TARGET: all of them. Prints each file's size.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ignoreFileFor, isTarget, TARGETS, vsixName, type Target } from './vsix/targets';

const args = process.argv.slice(2);
let out = process.cwd();
const targets: Target[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--out') out = resolve(args[++i] ?? '.');
  else if (isTarget(a)) targets.push(a);
  else {
    console.error(`unknown target ${a}; one of ${Object.keys(TARGETS).join(', ')}`);
    process.exit(2);
  }
}
if (targets.length === 0) targets.push(...(Object.keys(TARGETS) as Target[]));

const base = readFileSync('.vscodeignore', 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'statewise-vsix-'));
const vsce = resolve('node_modules/.bin/vsce');
try {
  for (const target of targets) {
    const ignore = join(tmp, `${target}.vscodeignore`);
    writeFileSync(ignore, ignoreFileFor(base, target));
    const file = join(out, vsixName(target));
    const t0 = Date.now();
    const r = spawnSync(
      vsce,
      [
        'package',
        '--target',
        target,
        '--ignoreFile',
        ignore,
        '--skip-license',
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '-o',
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
    );
    if (r.status !== 0) {
      console.error(r.stdout);
      console.error(`vsce package --target ${target} failed (exit ${r.status})`);
      process.exit(1);
    }
    const mb = (statSync(file).size / 1024 / 1024).toFixed(1);
    console.log(`${relative(process.cwd(), file) || file}: ${mb} MB (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
