// Bundles the four entry points with esbuild. onnxruntime-node (native) and vscode stay external.
// Usage: node scripts/build.mjs [--watch] [extension|server|engine|cli ...]
import { build, context } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['vscode', 'onnxruntime-node'],
};

const entries = {
  extension: 'extension/extension.ts',
  server: 'server/lsp/main.ts',
  engine: 'server/engine/main.ts',
  cli: 'server/cli/main.ts',
};

const args = process.argv.slice(2);
const watch = args.includes('--watch');
const only = args.filter((a) => a !== '--watch');
const configs = Object.entries(entries)
  .filter(([name]) => only.length === 0 || only.includes(name))
  .map(([name, entry]) => ({
    ...common,
    entryPoints: [entry],
    outfile: `dist/${name}.js`,
    banner: name === 'server' || name === 'cli' ? { js: '#!/usr/bin/env node' } : undefined,
  }));
if (watch) {
  // Rebuilds each bundle when a file it imports changes, until Ctrl+C.
  for (const c of configs) await (await context({ ...c, logLevel: 'info' })).watch();
  console.log(`watching ${configs.map((c) => c.outfile).join(', ')}`);
} else {
  await Promise.all(configs.map((c) => build(c)));
}
