// `npm start`: builds, then runs Statewise on this repository with the bundled model: the workspace is
// folded into the model state and completions are asked for at a few cursors, as an editor would.
// (Until the VS Code packaging lands, this is the product's headless face: the same server and engine.)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const run = (args) => spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);

const file = 'server/engine/engine.ts';
const lines = readFileSync(file, 'utf8').split('\n');
// cursors: the middle of a few non-empty lines (the text after the cursor is the suffix)
const picks = [];
for (let i = 40; i < lines.length && picks.length < 4; i += 37) {
  const l = lines[i];
  if (l.trim().length > 12) picks.push([i + 1, Math.floor(l.length * 0.6) + 1]);
}
console.log(`Statewise on ${file} (workspace: this repository)`);
for (const [line, col] of picks) {
  const r = run(['dist/cli.js', 'complete', `${file}:${line}:${col}`, '--workspace', '.', '--json']);
  if (r.status !== 0) { console.error(r.stdout); process.exit(r.status ?? 1); }
  const j = JSON.parse(r.stdout);
  const before = lines[line - 1].slice(0, col - 1);
  console.log(`\n${file}:${line}:${col}  ${j.latencyMs.toFixed(0)} ms  ${j.arch}/${j.ep}  prompt ${j.promptTokens} tokens, ${j.cachedTokens} cached`);
  console.log(`  ${before}\u001b[2m${j.completion}\u001b[0m`);
}
