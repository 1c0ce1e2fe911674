// The Ask prompt as pieces (special tokens and text), built from models/ask-format.json, the one
// layout shared with training (models/python/statewise_models/qa.py). Pure: no model, no I/O.
//
//   <|file|>{path}\n{text}\n  then per earlier turn  <|question|>{q}<|answer|>{a}<|end|>
//   then  <|question|>{question}<|answer|>   → decode until <|end|>
//
// The new question carries a selection through the "selection" template ({question}\n```\n{selection}\n```):
// the request's selection, else the question's excerpt of the file (askExcerpt.ts: the lines it names,
// the layout training teaches for 75 % of its questions, data.py with_excerpt), unless the request
// asks for the plain layout (excerpt: false) or the excerpt is empty. Earlier turns stay plain.
//
// Text pieces are encoded one by one, never across a special token, as the training data is
// (data.py encode_pieces). A template's text is cut into pieces at its placeholders: each
// placeholder with the literal text after it ("{path}\n", "{text}\n") is one piece, so the file's
// path header is encoded apart from its text, as data.py's file_header piece is.
// tokenizer.ts encodes "\n" always as the start of a pre-token, so encode(text + "\n") equals
// encode(text) + encode("\n"): the engine feeds the file from its line-tokenized document and
// appends the "\n" (tested in test/engine/askPrompt.test.ts against models/ask-parity.json).
import format from '../../models/ask-format.json';
import type { AskContext } from '../protocol/ipc';
import { excerptOf, type Excerpt } from './askExcerpt';

export interface AskFormat {
  file: string;
  turn: string;
  selection: string;
  specialTokens: Record<string, string>;
  answerMaxTokens: number;
}

export const ASK_FORMAT: AskFormat = format;

export type Piece = { special: string } | { text: string };
export interface Turn {
  question: string;
  answer: string;
}
export interface AskInput {
  path: string;
  text: string;
  question: string;
  /** Selected text of the file, if the question is about a selection. */
  selection?: string;
  history?: readonly Turn[];
  /** Without a selection, the question's excerpt of the file goes in as its selection (default
   *  true); false: the plain question. */
  excerpt?: boolean;
  /** How much of the file goes in front of the question (default 'file'; see fileContextOf). */
  context?: AskContext;
  /** The 'window' context's budget of file tokens (default WINDOW_TOKENS). */
  windowTokens?: number;
}

/** The 'window' context's default budget: file tokens ending at the excerpt's most important block. */
export const WINDOW_TOKENS = 1024;

const TOKEN = /(<\|[A-Za-z0-9_]+\|>|\{[A-Za-z]+\})/;

/** Fills a template: special-token strings become special pieces, each placeholder with the literal
 *  text up to the next placeholder or special token becomes one text piece. Empty text is dropped. */
export function fillTemplate(template: string, values: Record<string, string>, specials: ReadonlySet<string>): Piece[] {
  const out: Piece[] = [];
  let text: string | undefined;
  const flush = () => {
    if (text) out.push({ text });
    text = undefined;
  };
  for (const part of template.split(TOKEN)) {
    if (part === '') continue;
    if (specials.has(part)) {
      flush();
      out.push({ special: part });
    } else if (/^\{[A-Za-z]+\}$/.test(part)) {
      const name = part.slice(1, -1);
      if (!(name in values)) throw new Error(`ask-format template has an unknown placeholder ${part}`);
      flush();
      text = values[name];
    } else {
      text = (text ?? '') + part;
    }
  }
  flush();
  return out;
}

/** The question as the model sees it: with the selection's template when there is a selection. */
export function questionText(f: AskFormat, question: string, selection?: string): string {
  if (selection === undefined || selection === '') return question;
  return fillTemplate(f.selection, { question, selection }, new Set())
    .map((p) => ('text' in p ? p.text : ''))
    .join('');
}

/** The selection the new question carries: the request's, else its excerpt of the file (unless
 *  `excerpt` is false, text ''), with the excerpt's anchor line. */
function selectionWithAnchor(input: Pick<AskInput, 'text' | 'question' | 'selection' | 'excerpt'>): Excerpt {
  if (input.selection) return { text: input.selection };
  return input.excerpt === false ? { text: '' } : excerptOf(input.text, input.question);
}

/** The selection the new question carries ('' for none; see selectionWithAnchor). */
export function selectionOf(input: Pick<AskInput, 'text' | 'question' | 'selection' | 'excerpt'>): string {
  return selectionWithAnchor(input).text;
}

function specialsOf(f: AskFormat): Set<string> {
  return new Set(Object.values(f.specialTokens));
}

/** The file part: `<|file|>{path}\n{text}\n`. */
export function filePieces(f: AskFormat, path: string, text: string): Piece[] {
  return fillTemplate(f.file, { path, text }, specialsOf(f));
}

/** Earlier turns, each `<|question|>q<|answer|>a<|end|>`. */
export function historyPieces(f: AskFormat, history: readonly Turn[] = []): Piece[] {
  const specials = specialsOf(f);
  return history.flatMap((t) => fillTemplate(f.turn, { question: t.question, answer: t.answer }, specials));
}

/** The new question up to and including `<|answer|>` (the turn template cut right before {answer}). */
export function questionPieces(f: AskFormat, question: string): Piece[] {
  return fillTemplate(f.turn.slice(0, f.turn.indexOf('{answer}')), { question }, specialsOf(f));
}

/** Earlier turns, then the new question. */
export function turnPieces(f: AskFormat, question: string, history: readonly Turn[] = []): Piece[] {
  return [...historyPieces(f, history), ...questionPieces(f, question)];
}

/** The whole prompt. */
export function askPieces(f: AskFormat, input: AskInput): Piece[] {
  return [...filePieces(f, input.path, input.text), ...turnPieces(f, questionText(f, input.question, selectionOf(input)), input.history)];
}

/** Token ids of pieces: special pieces by their string's id, text pieces encoded one by one. */
export function encodePieces(pieces: readonly Piece[], encode: (text: string) => number[], specialId: (token: string) => number): number[] {
  const out: number[] = [];
  for (const p of pieces) {
    if ('special' in p) out.push(specialId(p.special));
    else for (const id of encode(p.text)) out.push(id);
  }
  return out;
}

/** The special-token id for a token string, from the manifest's specialTokens (keyed by the same
 *  names as ask-format.json's specialTokens). */
export function specialIdOf(f: AskFormat, manifestSpecials: Record<string, number>): (token: string) => number {
  const byString = new Map<string, number>();
  for (const [name, str] of Object.entries(f.specialTokens)) {
    const id = manifestSpecials[name];
    if (Number.isInteger(id)) byString.set(str, id);
  }
  return (token) => {
    const id = byString.get(token);
    if (id === undefined) throw new Error(`the model's manifest has no special token for ${token}`);
    return id;
  };
}

/** Token ids of the file part given the file text's own tokens (`encode(text)`, e.g. a document's
 *  cached line tokens): the template before `{text}`, then the text, then the literal after it.
 *  Equals encodePieces(filePieces(...)) because "\n" always starts a pre-token (tested). */
export function fileTokensFrom(
  f: AskFormat,
  path: string,
  textTokens: readonly number[],
  encode: (text: string) => number[],
  specialId: (token: string) => number,
): number[] {
  const at = f.file.indexOf('{text}');
  if (at < 0) throw new Error('ask-format file template has no {text}');
  const after = f.file.slice(at + '{text}'.length);
  if (TOKEN.test(after)) throw new Error('ask-format file template must end with plain text after {text}');
  const before = encodePieces(fillTemplate(f.file.slice(0, at), { path }, new Set(Object.values(f.specialTokens))), encode, specialId);
  return [...before, ...textTokens, ...encode(after)];
}

/** The file text put in front of the question for `context` (the file part's {text}):
 * - 'file': the whole file (the layout trained, qa.py);
 * - 'window': the lines that end with the excerpt's most important block (the definition of the name
 *   asked about, when the file has one), going back as far as `windowTokens` tokens (at least that
 *   block's last line);
 * - 'none': nothing (the path header alone).
 * 'window' and 'none' need the excerpt as the question's selection: without it (a request's
 * selection, the plain layout, a question that names nothing in the file) the whole file. Returns
 * the context used and, unless it is 'file', the text. */
export function fileContextOf(
  input: Pick<AskInput, 'text' | 'selection' | 'context' | 'windowTokens'>,
  selection: Excerpt,
  encode: (text: string) => number[],
): { context: AskContext; text?: string } {
  const context = input.context ?? 'file';
  if (context === 'file' || input.selection || selection.text === '') return { context: 'file' };
  if (context === 'none') return { context, text: '' };
  const end = selection.anchorLine;
  if (end === undefined) return { context: 'file' };
  const lines = input.text.split('\n');
  const budget = input.windowTokens ?? WINDOW_TOKENS;
  let start = end;
  for (let used = encode(lines[end]!).length; start > 0; start--) {
    used += encode('\n' + lines[start - 1]!).length;
    if (used > budget) break;
  }
  return { context, text: lines.slice(start, end + 1).join('\n') };
}

export interface AskTokens {
  /** `<|file|>path\n text \n`: cached as document checkpoints. */
  file: number[];
  /** Earlier turns, each ending in `<|end|>`: checkpointed at their end. */
  history: number[];
  /** `<|question|> question <|answer|>`: fed per request. */
  question: number[];
  /** Length of the excerpt the question carries (0: none, e.g. a selection or the plain layout). */
  excerptChars: number;
  /** How much of the file the file part holds (fileContextOf). */
  context: AskContext;
}

/** The prompt's token ids in the three parts the engine caches differently. `textTokens` is
 *  encode(input.text), e.g. a document's cached line tokens (a function: asked for only when the file
 *  part is the whole file). */
export function askTokens(
  f: AskFormat,
  input: AskInput & { textTokens: readonly number[] | (() => readonly number[]) },
  encode: (text: string) => number[],
  specialId: (token: string) => number,
): AskTokens {
  const withAnchor = selectionWithAnchor(input);
  const selection = withAnchor.text;
  const ctx = fileContextOf(input, withAnchor, encode);
  const textTokens =
    ctx.text !== undefined ? encode(ctx.text) : typeof input.textTokens === 'function' ? input.textTokens() : input.textTokens;
  const file = fileTokensFrom(f, input.path, textTokens, encode, specialId);
  const history = encodePieces(historyPieces(f, input.history), encode, specialId);
  const question = encodePieces(questionPieces(f, questionText(f, input.question, selection)), encode, specialId);
  return { file, history, question, excerptChars: input.selection ? 0 : selection.length, context: ctx.context };
}
