// `npm run demo`: the headless demo (`npm start` opens the editor). Builds, then runs Statewise on
// this repository with the bundled model, the way the editor does: the workspace is folded into the
// model state (persisted, so later runs start warm) and completions are asked for at cursors in the
// middle of typing a line. Same server-side pipeline and engine as the extension.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);

const file = process.argv[2] ?? 'server/lsp/completion/policy.ts';
const lines = readFileSync(file, 'utf8').split('\n');
const picks = [];
for (let i = 12; i < lines.length && picks.length < 4; i += Math.max(7, Math.floor(lines.length / 6))) {
  const l = lines[i];
  if (l.trim().length < 16 || l.trim().startsWith('//') || l.trim().startsWith('*')) continue;
  picks.push([i, Math.floor(l.length * 0.55)]);
}
const dir = mkdtempSync(join(tmpdir(), 'statewise-start-'));
console.log(`Statewise: completing ${file} as if typing, with this repository folded into the state`);
console.log('(the first run reads the workspace through the model, ~1-3 minutes on 2 CPU cores; later runs restore it)\n');
for (const [i, col] of picks) {
  const typed = lines.slice();
  typed[i] = lines[i].slice(0, col);
  const tmp = join(dir, basename(file));
  writeFileSync(tmp, typed.join('\n'));
  const r = spawnSync(process.execPath, ['dist/cli.js', 'complete', `${tmp}:${i + 1}:${col + 1}`, '--workspace', '.', '--json'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  const j = JSON.parse(r.stdout);
  console.log(
    `line ${i + 1}: ${j.latencyMs.toFixed(0)} ms, ${j.arch}/${j.ep}, ${j.promptTokens} prompt tokens (${j.cachedTokens} from cached state)`,
  );
  console.log(`  typed:      ${typed[i].trimStart()}`);
  console.log(`  statewise:  ${typed[i].trimStart()}\u001b[2m${j.completion}\u001b[0m`);
  console.log(`  (file had:  ${lines[i].trimStart()})\n`);
}
