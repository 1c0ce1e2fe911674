// The platforms a VSIX is built for and what each must (and must not) carry. Pure: scripts/package.ts
// does the I/O, test/packaging/vsix.test.ts checks real VSIX files with checkVsix.

/** vsce target → onnxruntime-node's folder of native binaries for it. */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-arm64': 'darwin/arm64',
} as const;
export type Target = keyof typeof TARGETS;

export function isTarget(s: string): s is Target {
  return Object.hasOwn(TARGETS, s);
}

const BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

/** .vscodeignore for one target: the shared allow-list plus that target's native binaries only. */
export function ignoreFileFor(base: string, target: Target): string {
  return `${base.trimEnd()}\n# native binaries of this VSIX's target (${target}), added by scripts/package.ts\n!${BIN}/${TARGETS[target]}/**\n`;
}

export function vsixName(target: Target): string {
  return `statewise-${target}.vsix`;
}

/**
 * What is wrong with a VSIX's file list for `target`: a missing entry point, model file or native
 * binding, or another platform's binaries, test data or sources inside. Empty when it is right.
 * `modelFiles` are the repository's shipped model files (`models/<arch>/<file>`).
 */
export function checkVsix(entries: readonly string[], target: Target, modelFiles: readonly string[]): string[] {
  const has = new Set(entries);
  const problems: string[] = [];
  const need = (p: string) => {
    if (!has.has(`extension/${p}`)) problems.push(`missing ${p}`);
  };
  for (const js of ['extension', 'server', 'engine', 'cli']) need(`dist/${js}.js`);
  need('package.json');
  for (const f of modelFiles) need(f);
  need(`${BIN}/${TARGETS[target]}/onnxruntime_binding.node`);
  need('node_modules/onnxruntime-node/dist/index.js');
  need('node_modules/onnxruntime-common/package.json');
  const own = `extension/${BIN}/${TARGETS[target]}/`;
  for (const e of entries) {
    if (e.startsWith(`extension/${BIN}/`) && !e.startsWith(own)) problems.push(`another platform's binary: ${e}`);
    else if (/^extension\/(test|server|extension|scripts|\.e2e|test-results)\//.test(e)) problems.push(`not for shipping: ${e}`);
    else if (/^extension\/models\/[^/]+\/(fixture|tokenizer-parity|training-data)\.json$/.test(e)) problems.push(`test data: ${e}`);
    else if (/^extension\/models\/python\//.test(e)) problems.push(`training code: ${e}`);
  }
  return problems;
}

/** Files of a shipped model folder: what the engine loads. */
export function isShippedModelFile(name: string): boolean {
  return name === 'manifest.json' || name === 'tokenizer.json' || name.endsWith('.onnx') || /^weights-\d+\.bin$/.test(name);
}
