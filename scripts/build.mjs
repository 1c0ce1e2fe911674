// Bundles the four entry points with esbuild. onnxruntime-node (native) and vscode stay external.
import { build } from 'esbuild';

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
  server: 'server/main.ts',
  engine: 'server/engine/main.ts',
  cli: 'server/cli/main.ts',
};

const only = process.argv.slice(2);
await Promise.all(
  Object.entries(entries)
    .filter(([name]) => only.length === 0 || only.includes(name))
    .map(([name, entry]) =>
      build({
        ...common,
        entryPoints: [entry],
        outfile: `dist/${name}.js`,
        banner: name === 'server' || name === 'cli' ? { js: '#!/usr/bin/env node' } : undefined,
      }),
    ),
);
