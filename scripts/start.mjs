// `npm start`: runs the product. Builds and packages the VSIX, sets up code-server (a VS Code in the
// browser, test/e2e/setup.sh: Node 24 + code-server built offline from the npm registry, once), installs
// the VSIX and serves a folder (argument; default this repository) on 127.0.0.1 until Ctrl+C.
// State (settings, extensions, logs) lives in $E2E_HOME/start (default .e2e/start). PORT picks the port.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folder = resolve(process.argv[2] ?? root);
const e2e = resolve(process.env.E2E_HOME ?? join(root, '.e2e'));
const home = join(e2e, 'start');
/** Runs a step; `quiet` shows its output only when it fails. */
const step = (cmd, args, { env = {}, quiet = false } = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(r.stdout + r.stderr);
    process.exit(r.status ?? 1);
  }
};

if (!existsSync(folder)) {
  console.error(`statewise: no such folder: ${folder}`);
  process.exit(1);
}
if (!existsSync(join(e2e, 'cs', 'node_modules', 'code-server'))) {
  console.log('statewise: first run: setting up code-server in .e2e (offline, ~3-5 min on 2 cores; later runs skip this)');
}
const t0 = Date.now();
step('bash', ['test/e2e/setup.sh'], { env: { NO_CHROMIUM: '1', E2E_HOME: e2e } });
// The VSIX (~190 MB) is packaged and installed again only when what goes into it changed: the bundles,
// package.json and the model files (by size and mtime; the bundles by content, since a build rewrites them).
step('npm', ['run', '-s', 'build'], { quiet: true });
const vsix = join(root, 'statewise-linux-x64.vsix');
const stamp = join(home, 'vsix-inputs.sha1');
const inputs = vsixInputs();
const fresh = existsSync(vsix) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs;
if (!fresh) step('npm', ['run', '-s', 'package'], { quiet: true });
console.log(
  `statewise: set up${fresh ? ', the VSIX is up to date' : ' and packaged statewise-linux-x64.vsix'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);

for (const d of ['ud/User', 'ext', 'xdg', 't']) mkdirSync(join(home, d), { recursive: true });
const userSettings = join(home, 'ud', 'User', 'settings.json');
if (!existsSync(userSettings)) {
  writeFileSync(
    userSettings,
    `${JSON.stringify(
      {
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'workbench.startupEditor': 'none',
        'chat.disableAIFeatures': true,
        // The folder was named on the command line: trust it, or Restricted Mode keeps Statewise off.
        'security.workspace.trust.enabled': false,
      },
      null,
      2,
    )}\n`,
  );
}
const port =
  Number(process.env.PORT) ||
  (await new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  }));
const node = join(e2e, 'node', 'bin', 'node');
const cs = [
  join(e2e, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  '--config',
  join(home, 'config.yaml'),
  '--user-data-dir',
  join(home, 'ud'),
  '--extensions-dir',
  join(home, 'ext'),
];
writeFileSync(join(home, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
// Keep code-server's config, logs, sockets and temp files out of $HOME and /tmp.
const env = { ...process.env, XDG_CONFIG_HOME: join(home, 'xdg'), XDG_DATA_HOME: join(home, 'xdg'), TMPDIR: join(home, 't') };
const installed = fresh && readdirSync(join(home, 'ext')).some((d) => d.startsWith('statewise.statewise-'));
const inst = installed ? { status: 0 } : spawnSync(node, [...cs, '--force', '--install-extension', vsix], { env, encoding: 'utf8' });
if (inst.status === 0) writeFileSync(stamp, inputs);
if (inst.status !== 0) {
  process.stderr.write(inst.stdout + inst.stderr);
  process.exit(inst.status ?? 1);
}

const server = spawn(
  node,
  [
    ...cs,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    folder,
  ],
  { env, stdio: ['ignore', 'ignore', 'inherit'] },
);
for (let i = 0; i < 300; i++) {
  if (
    await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`\nStatewise in VS Code (code-server), serving ${folder}:\n\n  http://127.0.0.1:${port}/?folder=${encodeURI(folder)}\n`);
console.log('Open it in a browser on this machine. The status bar shows "✓ Statewise griffin·cpu" when ready. Ctrl+C stops.');
const stop = () => server.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 0)));

/** A digest of what goes into the VSIX: bundle contents, package.json, model files by size and mtime. */
function vsixInputs() {
  const h = createHash('sha1');
  for (const f of ['extension.js', 'server.js', 'engine.js', 'cli.js']) h.update(readFileSync(join(root, 'dist', f)));
  h.update(readFileSync(join(root, 'package.json')));
  const models = join(root, 'models');
  for (const a of readdirSync(models).sort()) {
    if (!existsSync(join(models, a, 'manifest.json'))) continue;
    for (const f of readdirSync(join(models, a)).sort()) {
      const st = statSync(join(models, a, f));
      if (st.isFile()) h.update(`${a}/${f} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  return h.digest('hex');
}
