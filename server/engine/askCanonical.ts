// A question in a user's own words, put in the words the models were trained on. Every model learned
// Ask from six kinds of questions, each always phrased the same way (models/ask-format.json "kinds":
// "What does {name} return?", "Which functions call {name}?", …); asked "who calls parse" or "where is
// parse defined?", a small model answers worse than when asked in its template. So a question that
// plainly is one of those kinds about one identifier is sent as that kind's template; anything else
// is sent as typed. The answer is still to the user's question: only its wording changes. Pure.

import format from '../../models/ask-format.json';
import { word } from './askExcerpt';

const KINDS = format.kinds as Record<string, string>;

// The identifier a question is about: optionally in backticks, with `()` or "the function" around it.
const NAME =
  '(?:the\\s+(?:function|method|class|constant|variable|type|field|property)\\s+)?`?([A-Za-z_$][A-Za-z0-9_$]*)(?:\\(\\))?`?(?:\\s+(?:function|method|class|constant|variable|type|field|property))?';
const END = '\\s*[?.!]*\\s*$';

/** Ways a user asks each kind, {N} standing for the identifier; matched whole, case-insensitively. */
const PHRASES: Record<string, string[]> = {
  value: [
    "what(?:'s| is) the value of {N}",
    'what is {N} (?:set|equal) to',
    'what does {N} equal',
    '(?:the )?value of {N}',
    'what value does {N} (?:have|hold)',
  ],
  params: [
    'what (?:parameters|params|arguments|args) does {N} (?:take|accept|have|need|expect)',
    'which (?:parameters|params|arguments|args) does {N} (?:take|accept|have|need|expect)',
    '(?:what are )?(?:the )?(?:parameters|params|arguments|args|signature) (?:of|for|to) {N}',
    'how (?:do i|do you|to) call {N}',
  ],
  returns: [
    'what does {N} return',
    'what is returned by {N}',
    'what do(?:es)? {N} give back',
    "what(?:'s| is) (?:the )?return (?:value|type) of {N}",
    '(?:the )?return (?:value|type) of {N}',
  ],
  defined: [
    'where is {N} defined',
    'how is {N} defined',
    'show(?: me)? (?:the )?(?:definition|source|code) of {N}',
    'show(?: me)? {N}',
    '(?:the )?definition of {N}',
    'what does {N} do',
    'explain {N}',
    'describe {N}',
  ],
  callers: [
    'who calls {N}',
    'what calls {N}',
    'which functions call {N}',
    'where is {N} (?:called|used)',
    '(?:the )?callers of {N}',
    '(?:find |show )?(?:the )?(?:usages|uses|references) of {N}',
  ],
  kind: [
    'what kind of (?:thing|object|symbol|name) is {N}',
    'what type of (?:thing|object|symbol|name) is {N}',
    "what(?:'s| is) {N}",
    'is {N} a (?:function|class|method|constant|variable|type)',
  ],
};

const PATTERNS = Object.entries(PHRASES).flatMap(([kind, phrases]) =>
  phrases.map((p) => ({ kind, re: new RegExp(`^\\s*${p.replace('{N}', NAME)}${END}`, 'i') })),
);

/** The template of the kind `question` plainly asks, about an identifier that `fileText` has as a
 *  whole word; undefined when it asks something else, names nothing in the file, or already is the
 *  template (nothing to change). */
export function canonicalQuestion(question: string, fileText: string): string | undefined {
  for (const { kind, re } of PATTERNS) {
    const m = re.exec(question);
    if (!m) continue;
    const name = m[1]!;
    if (!word(name).test(fileText)) return undefined;
    const text = KINDS[kind]!.replace('{name}', name);
    return text === question.trim() ? undefined : text;
  }
  return undefined;
}
