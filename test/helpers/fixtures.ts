// Temp folders for the tests (workspace scans, state files, the language server's workspace).

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

/** A fresh temp folder (left in place). */
export function tempDir(prefix = 'statewise-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
