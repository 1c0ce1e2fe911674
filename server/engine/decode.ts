// The one decode loop: picks a token (sampler.ts), optionally healing a word fragment first
// (heal.ts), stops at a stop token, at maxTokens or when the caller says so, and steps the model.
// Completions and Ask both decode through it. The model is not stepped after the last token.
import { release } from './deviceState';
import { allowedTokens, banLeadingBlank, isBlankFragment, restrict } from './heal';
import type { State } from './model';
import { sample, type Rng } from './sampler';
import { StreamDecoder, type CodeTokenizer } from './tokenizer';

export interface Stepper {
  /** The state returned is the caller's to release (deviceState.ts). */
  step(id: number, state: State): Promise<{ logits: Float32Array; state: State }>;
}

export type StopReason = 'stop' | 'maxTokens' | 'done' | 'cancelled' | 'stuck';

export interface DecodeOptions {
  logits: Float32Array;
  /** Lent: decoding never releases it (several decodes may fork from one state). */
  state: State;
  maxTokens: number;
  /** Tokens that end the answer (not part of it). */
  stops: ReadonlySet<number>;
  /** Tokens never chosen. */
  banned: ReadonlySet<number>;
  temperature: number;
  topP: number;
  rng: Rng;
  /** UTF-8 bytes the first tokens must reproduce (token healing); they do not count as generated. */
  heal?: Uint8Array;
  shouldStop: () => boolean;
  /** After each generated token (heal covered): the decoded text so far; true stops decoding. */
  onToken?: (text: string, generated: number) => boolean | void;
}

export interface DecodeResult {
  /** Decoded text, the healed fragment included. */
  text: string;
  generated: number;
  stop: StopReason;
  /** The stop token, when stop is 'stop'. */
  stopId?: number;
}

export async function decode(model: Stepper, tok: CodeTokenizer, o: DecodeOptions): Promise<DecodeResult> {
  let state = o.state;
  try {
    return await decodeFrom(model, tok, o, (s) => {
      if (state !== o.state) release(state);
      state = s;
    });
  } finally {
    if (state !== o.state) release(state);
  }
}

/** The loop; `next` is handed each new state (the previous one is then done with). */
async function decodeFrom(model: Stepper, tok: CodeTokenizer, o: DecodeOptions, next: (s: State) => void): Promise<DecodeResult> {
  const heal = o.heal ?? new Uint8Array(0);
  const dec = new StreamDecoder(tok);
  let { logits, state } = o;
  let covered = 0; // bytes of the healed fragment produced so far
  let generated = 0;
  // a typed space or tab run produced exactly: the next token may not add whitespace to it
  let afterBlank = false;
  // a healed fragment takes at most a few tokens beyond maxTokens
  for (let i = 0; i < o.maxTokens + 4 + heal.length; i++) {
    if (o.shouldStop()) return { text: dec.text, generated, stop: 'cancelled' };
    let id: number;
    if (covered < heal.length) {
      const allowed = allowedTokens(tok.tokenBytes, heal.subarray(covered), o.banned);
      if (allowed.length === 0) return { text: dec.text, generated, stop: 'stuck' };
      id = sample(restrict(logits, allowed), o.temperature, o.topP, o.rng);
      covered += tok.tokenBytes[id].length;
      afterBlank = covered === heal.length && isBlankFragment(heal);
    } else {
      id = sample(afterBlank ? banLeadingBlank(logits, tok.tokenBytes) : logits, o.temperature, o.topP, o.rng, o.banned);
      afterBlank = false;
      if (o.stops.has(id)) return { text: dec.text, generated, stop: 'stop', stopId: id };
      generated++;
    }
    dec.push(id);
    if (covered >= heal.length) {
      if (o.onToken?.(dec.text, generated)) return { text: dec.text, generated, stop: 'done' };
      if (generated >= o.maxTokens) return { text: dec.text, generated, stop: 'maxTokens' };
    }
    ({ logits, state } = await model.step(id, state));
    next(state);
  }
  return { text: dec.text, generated, stop: 'maxTokens' };
}
