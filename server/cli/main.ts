// statewise: the command-line entry (dist/cli.js). See run.ts for the commands.

import { runCli } from './run';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  bundleDir: __dirname,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`statewise: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
