// What a CLI command gets from the outside: output streams, environment, where the bundle lives.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Folder of the running bundle (dist/): engine.js lies beside it, models/ beside its parent. */
  bundleDir: string;
  cwd: string;
}
