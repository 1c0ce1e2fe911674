// Maps the status the server pushes (`statewise/status`) and the user's enable switches to the status
// bar's text and tooltip. Pure (no vscode import), so every state is unit-tested without VS Code.
import type { StatusParams } from '../server/protocol/lsp';
import { formatBytes } from './format';

export interface StatusContext {
  /** The active editor's language is switched off explicitly (`statewise.enable[lang] === false`). */
  languageDisabled: boolean;
  /** Completions are off through the global switch (`"*": false`) for the active editor (or for no editor). */
  globallyDisabled: boolean;
  languageId?: string;
}

export interface RenderedStatus {
  /** Always contains "Statewise"; end-to-end tests wait for "$(check) Statewise". */
  text: string;
  tooltip: string;
  /** Background colour hint: statusBarItem.errorBackground / warningBackground. */
  severity?: 'error' | 'warning';
}

const NAME = 'Statewise';
const STARTING: StatusParams = { state: 'loading', message: 'Starting the Statewise server…' };

export function renderStatus(params: StatusParams | undefined, ctx: StatusContext): RenderedStatus {
  const p = params ?? STARTING;
  const tooltip = tooltipLines(p, ctx).join('\n');
  // The user's switch wins over the server's state: it answers "why no ghost text here?". The server's
  // message (an error, say) stays in the tooltip.
  if (ctx.languageDisabled || ctx.globallyDisabled || p.state === 'disabled') {
    return { text: `$(circle-slash) ${NAME}`, tooltip };
  }
  switch (p.state) {
    case 'loading':
      return { text: `$(sync~spin) ${NAME}`, tooltip };
    case 'indexing':
      return { text: `$(sync~spin) ${NAME}${percent(p.progress)}`, tooltip };
    case 'ready':
      // a state over the memory cap: still ready, but warn (completions may re-read the document)
      return { text: `$(check) ${NAME}${engine(p)}`, tooltip, ...(p.stateOverCap ? { severity: 'warning' as const } : {}) };
    case 'slow':
      return { text: `$(watch) ${NAME}`, tooltip, severity: 'warning' };
    case 'error':
      return { text: `$(error) ${NAME}`, tooltip, severity: 'error' };
    default:
      // A state from a newer server: show it rather than a stale one.
      return { text: `$(info) ${NAME}`, tooltip };
  }
}

function percent(progress: number | undefined): string {
  if (progress === undefined || !Number.isFinite(progress)) return '';
  return ` ${Math.round(Math.min(100, Math.max(0, progress)))}%`;
}

/** " hawk·cpu", " hawk", " cpu" or "". */
function engine(p: StatusParams): string {
  const parts = [p.arch, p.ep].filter((s): s is string => !!s);
  return parts.length ? ` ${parts.join('·')}` : '';
}

/** " (decode steps cpu, keystrokes cpu, ingestion webgpu)" when the jobs run on different providers. */
function jobs(p: StatusParams): string {
  const j = p.providers;
  if (!j || (j.step === j.keystroke && j.step === j.ingest)) return j ? ' for every job' : '';
  return ` (decode steps ${j.step}, keystrokes ${j.keystroke}, ingestion ${j.ingest})`;
}

function tooltipLines(p: StatusParams, ctx: StatusContext): string[] {
  const lines: string[] = [];
  if (ctx.languageDisabled) lines.push(`Completions are off for ${ctx.languageId ?? 'this language'} (statewise.enable).`);
  else if (ctx.globallyDisabled) lines.push('Completions are off (statewise.enable["*"] is false).');
  lines.push(`${NAME}: ${p.message || p.state}`);
  if (p.arch) lines.push(`Architecture: ${p.arch}`);
  if (p.ep) lines.push(`Execution provider: ${p.ep}${jobs(p)}`);
  if (p.epReason) lines.push(`Why: ${p.epReason}`);
  if (p.lastLatencyMs !== undefined) lines.push(`Last completion: ${Math.round(p.lastLatencyMs)} ms`);
  if (p.stateOverCap) {
    const { bytes, capBytes } = p.stateOverCap;
    lines.push(
      `Memory: a model state of ${formatBytes(bytes)} is over the ${formatBytes(capBytes)} cap on document checkpoints; ` +
        'only the most recent is kept, so completions away from the last line re-read the whole document. ' +
        'Raise statewise.engine.maxMemoryMB to keep more.',
    );
  }
  lines.push('Click for the Statewise menu.');
  return lines;
}
