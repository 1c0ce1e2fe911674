// One-line texts for the output channel and notifications. Pure, so the formats are unit-tested.
import type { AskResult, RebuildWorkspaceResult, RequestLogParams, RestartEngineResult } from '../server/protocol/lsp';

/** `complete src/a.ts prompt=120 cached=96 gen=12 42ms cpu hawk ok` (` defs=1`: definitions fed) */
export function formatRequestLog(p: RequestLogParams, file: string = fileOf(p.uri)): string {
  return (
    `complete ${file} prompt=${p.promptTokens} cached=${p.cachedTokens} gen=${p.generatedTokens} ` +
    `${Math.round(p.latencyMs)}ms ${p.ep} ${p.arch} ${p.outcome}` +
    (p.definitions ? ` defs=${p.definitions}` : '')
  );
}

/** `ask src/a.ts file=24310 prompt=24330 cached=24310 gen=57 first=812ms 3204ms cpu hawk ok` */
export function formatAskLog(r: AskResult, file: string): string {
  return (
    `ask ${file} file=${r.fileTokens} prompt=${r.promptTokens} cached=${r.cachedTokens} gen=${r.generatedTokens} ` +
    `first=${Math.round(r.firstTokenMs)}ms ${Math.round(r.latencyMs)}ms ${r.ep} ${r.arch} ${r.cancelled ? 'cancelled' : 'ok'}`
  );
}

/** The last path segment of a URI, decoded; the URI itself when it has none. */
export function fileOf(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (!last) return uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function rebuildMessage(r: RebuildWorkspaceResult): string {
  return `Statewise: workspace state rebuilt from ${r.files} file${r.files === 1 ? '' : 's'} (${formatBytes(r.bytes)}).`;
}

export function restartMessage(r: RestartEngineResult): string {
  if (r.error) return `Statewise: the engine restarted${r.pid ? ` (pid ${r.pid})` : ''}, but ${r.error}`;
  return `Statewise: engine restarted (pid ${r.pid ?? '?'}), ${r.state === 'error' ? 'with an error' : r.state}.`;
}
