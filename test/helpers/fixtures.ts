// Temp-folder helpers for the workspace tests.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp folder holding `files` (workspace-relative path → content); removed by `cleanup`. */
export function makeTree(files: Record<string, string | Uint8Array>): { root: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'statewise-ws-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** A temp folder, removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statewise-ws-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
