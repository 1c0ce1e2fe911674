// Shapes shared by the workspace scanner and the code that orders and fingerprints its output.

/** One workspace text file kept by the scanner. */
export interface WorkspaceFile {
  /** Workspace-relative path with '/' separators, e.g. `src/app.ts`. */
  path: string;
  absPath: string;
  bytes: number;
  mtimeMs: number;
  text: string;
}
