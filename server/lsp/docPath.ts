// The path header a document is fed under: workspace-relative with '/' separators, or just the
// file name for a document outside every workspace folder (and the URI's last segment otherwise).

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file-system path of a `file:` URI, or undefined for other schemes and malformed URIs. */
export function uriToFsPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** Path of `fsPath` relative to `root` with '/' separators, or undefined when it lies outside. */
export function relativeInside(root: string, fsPath: string): string | undefined {
  const rel = path.relative(root, fsPath);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

export function documentPath(uri: string, roots: readonly string[]): string {
  const fsPath = uriToFsPath(uri);
  if (fsPath === undefined) {
    const tail =
      uri
        .replace(/[?#].*$/, '')
        .split(/[/:]/)
        .filter((s) => s !== '')
        .pop() ?? uri;
    return safeDecode(tail);
  }
  for (const root of roots) {
    const rel = relativeInside(root, fsPath);
    if (rel !== undefined) return rel;
  }
  return path.basename(fsPath);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
