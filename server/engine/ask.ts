// Ask: a question about a file, answered by the completion model (layout: models/ask-format.json,
// pieces: askPrompt.ts). Token stream:
//
//   [zero state] <|file|>path\n file text \n   ← document checkpoints (cached, content-keyed); the
//                                              text: the whole file or a window of it (below)
//   history turns <|question|>q<|answer|>a<|end|> ...   ← checkpointed at their end too
//   <|question|> question <|answer|>  → greedy decode until <|end|> / <|endoftext|> / maxTokens
//
// For a model trained with excerpts (manifest ask.layout "excerpt"), a question without a selection
// is sent as question + "\n```\n" + excerpt + "\n```" (the selection template), the excerpt being the
// lines of the file it names (askExcerpt.ts): the model's attention window (griffin: 256 tokens)
// reaches them where it cannot reach the file's definitions. Other models, `excerpt: false` or an
// empty excerpt: the plain question. The request's `excerpt` overrides the manifest (evaluation);
// history turns are always plain.
//
// How much of the file goes in front (askPrompt.ts fileContextOf): for a model trained with excerpts
// a question that carries its excerpt gets a WINDOW of the file, the tokens that end at the
// definition the excerpt is about (WINDOW_TOKENS), not the whole file (productContext). Measured on
// griffin (`statewise eval qa --samples 100 --layout whole-file,window`, all 233 questions): 77.3 %
// exact with the window, 75.1 % after the whole file, as good or better in every length bucket; on a
// 2,100-line file of near-identical functions (test/e2e/long-file.mjs) the whole file's 33k tokens
// pull the answers to look-alikes (6 of 15 right, 12 of 15 with the window) and take 9 s to feed.
// A second question about another name of the same file feeds its own window (~1k tokens).
// Other models, a selection, the plain question or a question that names nothing in the file: the
// whole file. The request's `context` overrides the choice (evaluation).
//
// The ask starts from the ZERO state, not the workspace state: the model was trained on Q/A right
// after a single file (qa.py), so the workspace in front of it would be context it never saw there,
// and the file's checkpoints then stay valid while the workspace state is rebuilt. (Without a
// workspace state the completion checkpoints start from the zero state too and are shared.)
//
// The file part is brought to its end by the engine's `advance` (longest cached prefix, checkpoints
// every K tokens and at the end), keyed by a hash of the token stream: a second question about the
// same unchanged file feeds only the question, and an edit makes the checkpoints after it unreachable.
import { canonicalQuestion } from './askCanonical';
import { ASK_FORMAT, askTokens, specialIdOf } from './askPrompt';
import { decode } from './decode';
import type { EngineDocument } from './document';
import { isCancelled } from '../protocol/errors';
import type { AskContext, EngineAskParams, EngineAskResult } from '../protocol/ipc';
import type { Manifest } from './manifest';
import { release } from './deviceState';
import type { ModelRunner, State } from './model';
import { seededRng } from './sampler';
import type { CodeTokenizer } from './tokenizer';

export interface AskHost {
  manifest: Manifest;
  model: ModelRunner;
  tok: CodeTokenizer;
  /** The file as a line-tokenized document (the open one when it matches, else one from the text). */
  document(p: EngineAskParams): EngineDocument;
  /** The zero state brought to the end of `tokens` from the longest cached prefix; checkpoints saved.
   *  The state returned is the caller's to release (deviceState.ts). */
  advanceFromZero(tokens: readonly number[], shouldStop: () => boolean): Promise<{ state: State; cached: number }>;
}

export type OnPartial = (text: string, tokens: number) => void;

/** The file context the product asks a model with (the request's `context` overrides it): a window
 *  of the file ending at the excerpt's definition for a model trained with excerpts (manifest
 *  ask.layout "excerpt"), else the whole file. askPrompt.ts fileContextOf falls back to the whole
 *  file when the question carries no excerpt. */
export function productContext(m: Pick<Manifest, 'ask'>): AskContext {
  return m.ask?.layout === 'excerpt' ? 'window' : 'file';
}

export async function ask(host: AskHost, p: EngineAskParams, shouldStop: () => boolean, onPartial: OnPartial): Promise<EngineAskResult> {
  const t0 = performance.now();
  const { manifest: m, model, tok } = host;
  const f = ASK_FORMAT;
  const doc = host.document(p);
  const text = doc.text();
  // in the words the model was trained on, when the question plainly asks one of the trained kinds
  const askedAs = p.canonical === false || p.selection ? undefined : canonicalQuestion(p.question, text);
  const { file, history, question, excerptChars, context } = askTokens(
    f,
    {
      path: doc.path,
      text,
      textTokens: () => doc.tokensBeforeLine(doc.lineCount),
      question: askedAs ?? p.question,
      selection: p.selection,
      history: p.history,
      excerpt: p.excerpt ?? m.ask?.layout === 'excerpt',
      context: p.context ?? productContext(m),
      windowTokens: p.windowTokens,
    },
    (s) => tok.encode(s),
    specialIdOf(f, m.specialTokens),
  );
  const promptTokens = file.length + history.length + question.length;
  const result = (over: Partial<EngineAskResult>): EngineAskResult => ({
    answer: '',
    cancelled: false,
    stop: 'maxTokens',
    fileTokens: file.length,
    cachedTokens: 0,
    promptTokens,
    generatedTokens: 0,
    firstTokenMs: performance.now() - t0,
    latencyMs: performance.now() - t0,
    ep: model.ep,
    arch: m.architecture,
    excerptChars,
    context,
    ...(askedAs ? { askedAs } : {}),
    ...over,
  });

  let state: State;
  let logits: Float32Array;
  let cached: number;
  try {
    // Two steps so that the state right after the file is a checkpoint of its own (whatever K is),
    // and the one after the history too (a follow-up question feeds only the newest turn).
    const afterFile = await host.advanceFromZero(file, shouldStop);
    let afterHistory = afterFile;
    try {
      if (history.length > 0) afterHistory = await host.advanceFromZero([...file, ...history], shouldStop);
      cached = Math.max(afterFile.cached, afterHistory.cached);
      const fed = await model.feed(question, afterHistory.state, { shouldStop });
      state = fed.state;
      logits = fed.logits!;
    } finally {
      release(afterFile.state);
      if (afterHistory !== afterFile) release(afterHistory.state);
    }
  } catch (e) {
    if (isCancelled(e)) return result({ cancelled: true, stop: 'cancelled' });
    throw e;
  }

  const { end, endoftext } = m.specialTokens;
  const stops = new Set([end, endoftext]);
  let firstTokenMs: number | undefined;
  let r: Awaited<ReturnType<typeof decode>>;
  try {
    r = await decode(model, tok, {
      logits,
      state,
      maxTokens: p.maxTokens ?? f.answerMaxTokens,
      stops,
      banned: new Set([...tok.specialIds].filter((id) => !stops.has(id))),
      temperature: 0,
      topP: 1,
      rng: seededRng(1),
      shouldStop,
      onToken: (text, generated) => {
        firstTokenMs ??= performance.now() - t0;
        onPartial(text, generated);
      },
    });
  } finally {
    release(state);
  }
  const latencyMs = performance.now() - t0;
  return result({
    answer: r.text,
    cancelled: r.stop === 'cancelled',
    stop: r.stop === 'stop' ? (r.stopId === end ? 'end' : 'endoftext') : r.stop === 'cancelled' ? 'cancelled' : 'maxTokens',
    cachedTokens: cached,
    generatedTokens: r.generated,
    firstTokenMs: firstTokenMs ?? latencyMs,
    latencyMs,
  });
}
