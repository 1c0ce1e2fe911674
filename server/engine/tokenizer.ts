// The model's byte-level BPE, read from tokenizer.json by @huggingface/tokenizers (pure JS).
// Document text never produces special tokens: encode() runs the pre-tokenizer and the BPE model
// directly, so a file containing "<|fim_end|>" is tokenized as plain text (Python side:
// tokenizer.encode_special_tokens = True). Parity with the Python tokenizer is tested.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { modelCorrupt } from './errors';
import { parseErrorWhere } from './integrity';

interface Callable<I, O> {
  (input: I, opts?: unknown): O;
}
interface PreTokenizerStage {
  pre_tokenize_text(text: string, opts?: unknown): string[];
}
interface BpeModel extends Callable<string[], string[]> {
  tokens_to_ids: Map<string, number>;
  vocab: string[];
}

/** GPT-2's reversible byte ↔ printable-char table used by the ByteLevel pre-tokenizer. */
export function byteLevelTable(): { charToByte: Map<string, number>; byteToChar: string[] } {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const byteToChar: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) byteToChar[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return { charToByte: new Map(byteToChar.map((c, b) => [c, b])), byteToChar };
}

export class CodeTokenizer {
  readonly vocabSize: number;
  /** UTF-8 bytes of every token; empty for special tokens. */
  readonly tokenBytes: Uint8Array[];
  readonly specialIds: Set<number>;
  private readonly specialNames: Map<number, string>;
  private readonly pre: Callable<string, string[]>;
  /** Where the pre-tokenizer is a Split then a ByteLevel without its own regex (every shipped model):
   *  the two stages apart, so pieces are cached as split, before their byte-level form, which costs a
   *  UTF-8 encode and a string join per piece (70 % of encode's time on this repository's sources). */
  private readonly stages?: { split: PreTokenizerStage; byteLevel: PreTokenizerStage };
  private readonly model: BpeModel;
  /** Piece → ids: pieces as split where `stages` is set, else in their byte-level form. */
  private readonly cache = new Map<string, number[]>();

  constructor(json: Record<string, unknown>) {
    const tok = new Tokenizer(json, {});
    if (!tok.pre_tokenizer || !tok.model) throw new Error('tokenizer.json has no pre-tokenizer or model');
    this.pre = tok.pre_tokenizer as unknown as Callable<string, string[]>;
    this.model = tok.model as unknown as BpeModel;
    this.stages = splitThenByteLevel(json.pre_tokenizer, tok.pre_tokenizer);
    const vocab = this.model.vocab;
    const added = (json.added_tokens ?? []) as { id: number; content: string; special?: boolean }[];
    this.specialIds = new Set(added.filter((t) => t.special !== false).map((t) => t.id));
    this.specialNames = new Map(added.map((t) => [t.id, t.content]));
    this.vocabSize = Math.max(vocab.length, ...added.map((t) => t.id + 1));
    const { charToByte } = byteLevelTable();
    this.tokenBytes = new Array(this.vocabSize);
    for (let id = 0; id < this.vocabSize; id++) {
      const piece = vocab[id];
      if (this.specialIds.has(id) || piece === undefined) {
        this.tokenBytes[id] = new Uint8Array(0);
        continue;
      }
      this.tokenBytes[id] = Uint8Array.from([...piece].map((c) => charToByte.get(c) ?? 63));
    }
  }

  static fromFile(path: string): CodeTokenizer {
    try {
      return new CodeTokenizer(JSON.parse(readFileSync(path, 'utf8')));
    } catch (e) {
      // never the library's message: JSON.parse and the tokenizer quote the file's text in theirs
      const why =
        e instanceof SyntaxError
          ? parseErrorWhere(e)
          : (e as Error).message.startsWith('tokenizer.json ')
            ? (e as Error).message
            : 'not a tokenizer.json this engine can read';
      throw modelCorrupt(`tokenizer ${path}: ${why}`);
    }
  }

  /** Token ids of plain text (special-token strings are ordinary text here). */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    const out: number[] = [];
    const st = this.stages;
    const pieces = st ? st.split.pre_tokenize_text(text) : this.pre(text, { section_index: 0 });
    for (const pre of pieces) {
      let ids = this.cache.get(pre);
      if (!ids) {
        ids = this.model(st ? st.byteLevel.pre_tokenize_text(pre) : [pre]).map((t) => {
          const id = this.model.tokens_to_ids.get(t);
          if (id === undefined) throw new Error(`token ${JSON.stringify(t)} not in the vocabulary`);
          return id;
        });
        if (this.cache.size > 200_000) this.cache.clear();
        this.cache.set(pre, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  bytes(ids: readonly number[]): Uint8Array {
    let n = 0;
    for (const id of ids) n += this.tokenBytes[id]?.length ?? 0;
    const out = new Uint8Array(n);
    let o = 0;
    for (const id of ids) {
      const b = this.tokenBytes[id];
      if (b) {
        out.set(b, o);
        o += b.length;
      }
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    return new TextDecoder().decode(this.bytes(ids));
  }

  /** One token as text, special tokens by name (`<|fim_end|>`): for diagnostics. */
  tokenText(id: number): string {
    return this.specialNames.get(id) ?? this.decode([id]);
  }
}

/** The Split and ByteLevel stages of a pre-tokenizer configured as exactly those two (ByteLevel with
 *  no regex and no prefix space: it maps each piece as a whole), else undefined. */
function splitThenByteLevel(config: unknown, pre: unknown): { split: PreTokenizerStage; byteLevel: PreTokenizerStage } | undefined {
  const c = config as { type?: string; pretokenizers?: { type?: string; use_regex?: boolean; add_prefix_space?: boolean }[] } | null;
  const [a, b] = c?.pretokenizers ?? [];
  if (c?.type !== 'Sequence' || c.pretokenizers?.length !== 2 || a?.type !== 'Split' || b?.type !== 'ByteLevel') return undefined;
  if (b.use_regex !== false || b.add_prefix_space) return undefined;
  const stages = (pre as { tokenizers?: PreTokenizerStage[] }).tokenizers;
  if (stages?.length !== 2 || !stages.every((t) => typeof t?.pre_tokenize_text === 'function')) return undefined;
  return { split: stages[0]!, byteLevel: stages[1]! };
}

/** Decodes a growing token sequence into text, holding back incomplete UTF-8 sequences. */
export class StreamDecoder {
  private readonly dec = new TextDecoder('utf-8');
  text = '';
  constructor(private readonly tok: CodeTokenizer) {}
  push(id: number): string {
    const piece = this.dec.decode(this.tok.tokenBytes[id] ?? new Uint8Array(0), { stream: true });
    this.text += piece;
    return piece;
  }
}
