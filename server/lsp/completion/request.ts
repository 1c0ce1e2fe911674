// The one place a completion request to the engine is built: the LSP handler, `statewise complete`,
// `statewise eval lines` and `statewise bench` all call it, so every measured number is the product's.
import type { CompleteParams, CompletionLayout, Position } from '../../protocol/ipc';
import type { Settings } from '../../shared/settings';
import type { CompletionContext } from './context';
import { decideMode, type CompletionMode } from './policy';

/** Alternatives asked for on a manual trigger (the first is greedy at temperature 0). */
export const MANUAL_ALTERNATIVES = 3;

export interface CompletionRequestInput {
  uri: string;
  version: number;
  position: Position;
  ctx: CompletionContext;
  settings: Settings;
  /** The user asked (a key binding), not typing: alternatives are decoded too. */
  manual: boolean;
  /** Evaluation only: force a prompt layout instead of the model's measured choice. */
  layout?: CompletionLayout;
  /** Evaluation only: false leaves out the definitions from beyond the model's view (the state alone). */
  definitions?: boolean;
}

export interface CompletionRequest {
  mode: CompletionMode;
  params: CompleteParams;
}

export function buildCompletionRequest(i: CompletionRequestInput): CompletionRequest {
  const s = i.settings;
  const mode = decideMode(i.ctx, s['completion.multiline']);
  return {
    mode,
    params: {
      uri: i.uri,
      version: i.version,
      position: i.position,
      singleLine: mode === 'single',
      maxTokens: mode === 'single' ? s['completion.maxSingleLineTokens'] : s['completion.maxTokens'],
      suffixMaxTokens: s['completion.suffixMaxTokens'],
      // With n > 1 and temperature 0 the engine decodes the first greedily and samples the
      // alternatives at 0.8 (ipc.ts CompleteParams.n).
      temperature: s['completion.temperature'],
      topP: s['completion.topP'],
      n: i.manual ? MANUAL_ALTERNATIVES : 1,
      ...(i.layout ? { layout: i.layout } : {}),
      ...(i.definitions === false ? { definitions: false } : {}),
    },
  };
}
