// Stops a completion before it closes a bracket (or string) that the rest of the cursor's line
// already closes: in `foo(║)` the completion `a, b)` becomes `a, b`.

import type { CompletionContext } from '../context';
import { CLOSE_TO_OPEN, OPEN_TO_CLOSE } from '../../../shared/text';

type Event = 'code' | 'string' | 'open-quote' | 'close-quote';

/**
 * A deliberately simple string tracker: `"`, `'` and `` ` `` delimit strings, a backslash escapes
 * the next character, and a line break ends an unterminated `"` or `'` string. No comments, no
 * raw or triple-quoted strings: when it is wrong, the filter cuts less, not more.
 */
class StringTracker {
  quote: string | undefined;
  private escaped = false;

  constructor(quote?: string) {
    this.quote = quote;
  }

  feed(ch: string): Event {
    if (this.quote === undefined) {
      if (ch === '"' || ch === "'" || ch === '`') {
        this.quote = ch;
        return 'open-quote';
      }
      return 'code';
    }
    if (this.escaped) this.escaped = false;
    else if (ch === '\\') this.escaped = true;
    else if (ch === this.quote) {
      this.quote = undefined;
      return 'close-quote';
    } else if (ch === '\n' && this.quote !== '`') this.quote = undefined;
    return 'string';
  }
}

/** Brackets the cursor's line opens before the cursor (innermost last), and the string the cursor is in. */
function scanLinePrefix(linePrefix: string): { open: string[]; quote: string | undefined } {
  const tracker = new StringTracker();
  const open: string[] = [];
  for (const ch of linePrefix) {
    if (tracker.feed(ch) !== 'code') continue;
    if (OPEN_TO_CLOSE[ch]) open.push(ch);
    else if (CLOSE_TO_OPEN[ch]) open.pop();
  }
  return { open, quote: tracker.quote };
}

/** Closing brackets in the rest of the line that match nothing after the cursor, in order; and whether it ends the cursor's string. */
function scanLineSuffix(lineSuffix: string, quote: string | undefined): { closers: string[]; closesString: boolean } {
  const tracker = new StringTracker(quote);
  const depth: string[] = [];
  const closers: string[] = [];
  let closesString = false;
  for (const ch of lineSuffix) {
    const ev = tracker.feed(ch);
    if (ev === 'close-quote' && quote !== undefined) closesString = true;
    if (ev !== 'code') continue;
    if (OPEN_TO_CLOSE[ch]) depth.push(ch);
    else if (CLOSE_TO_OPEN[ch]) {
      if (depth.length > 0) depth.pop();
      else closers.push(ch);
    }
  }
  return { closers, closesString };
}

/**
 * Cuts the completion at the first character that closes something opened before the cursor,
 * when the rest of the line already closes it:
 * - the first closing bracket not matched inside the completion, when the rest of the line's first
 *   unmatched closer is the same bracket (and, if the line before the cursor opened the innermost
 *   bracket, it matches that one: on a line that does not balance the filter does nothing);
 * - the quote that ends the string the cursor is in, when the rest of the line ends that string.
 */
export function balanceBrackets(completion: string, ctx: CompletionContext): string {
  const before = scanLinePrefix(ctx.linePrefix);
  const after = scanLineSuffix(ctx.lineSuffix, before.quote);
  const tracker = new StringTracker(before.quote);
  const depth: string[] = [];
  let inCursorString = before.quote !== undefined;
  for (let i = 0; i < completion.length; i++) {
    const ch = completion[i]!;
    const ev = tracker.feed(ch);
    if (inCursorString) {
      if (ev === 'close-quote') {
        if (after.closesString) return completion.slice(0, i);
        inCursorString = false;
      } else if (tracker.quote === undefined) inCursorString = false;
      continue;
    }
    if (ev !== 'code') continue;
    if (OPEN_TO_CLOSE[ch]) depth.push(ch);
    else if (CLOSE_TO_OPEN[ch]) {
      if (depth.length > 0) {
        depth.pop();
        continue;
      }
      const innermost = before.open[before.open.length - 1];
      const matchesLine = innermost === undefined || OPEN_TO_CLOSE[innermost] === ch;
      return after.closers[0] === ch && matchesLine ? completion.slice(0, i) : completion;
    }
  }
  return completion;
}
