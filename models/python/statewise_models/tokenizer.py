"""Byte-level BPE for code, with FIM, file-header and Ask special tokens.

The pre-tokenizer splits so that every newline starts a pre-token ("\n" plus the next line's
indentation is one pre-token). No pre-token crosses a line start, so the engine can tokenize a
document line by line and re-tokenize only the lines an edit touches: the concatenation equals the
whole-text encoding (tested on both sides).
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|file|>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<|fim_end|>",
    "<|question|>",
    "<|answer|>",
    "<|end|>",
] + [f"<|reserved_{i}|>" for i in range(7)]

SPECIAL = {name.strip("<|>"): i for i, name in enumerate(SPECIAL_TOKENS)}

# Alternatives, in order: newline + indentation; identifier-like word with an optional leading
# space; number; punctuation run with an optional leading space; horizontal whitespace that leaves
# one space for the next word; any other horizontal whitespace.
PRETOKEN_PATTERN = (
    r"\n[^\S\n]*"
    r"| ?[\p{L}\p{M}_$][\p{L}\p{M}\p{N}_$]*"
    r"| ?\p{N}+"
    r"| ?[^\s\p{L}\p{M}\p{N}_$]+"
    r"|[^\S\n]+(?!\S)"
    r"|[^\S\n]+"
)


def build_empty():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKEN_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train(texts: Iterable[str], vocab_size: int = 16384):
    from tokenizers import pre_tokenizers, trainers

    tok = build_empty()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    for i, name in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(name) == i, (name, tok.token_to_id(name))
    return tok


def load(path: str):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(path)


def token_byte_lengths(tok) -> list[int]:
    """UTF-8 byte length of every token (special tokens count 0)."""
    from tokenizers import pre_tokenizers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    # ByteLevel maps each byte to one printable char; the alphabet has exactly 256 of them.
    assert len(alphabet) == 256
    vocab = tok.get_vocab()
    out = [0] * tok.get_vocab_size()
    for piece, i in vocab.items():
        out[i] = 0 if i < len(SPECIAL_TOKENS) else len(piece)
    return out


def parity_cases() -> list[str]:
    """Strings whose ids the TypeScript tokenizer must reproduce exactly."""
    return [
        "",
        "hello world",
        "function add(a: number, b: number): number {\n  return a + b;\n}\n",
        "def f(x):\n    return x ** 2  # square\n\n\nclass A:\n\tpass\n",
        "const s = `template ${x}`;\r\nlet y = 0x1F_u8;   \n   \n",
        "naïve café 日本語 😀 emoji\u00a0nbsp",
        "    indented\n        more\n\n  \n  trailing   ",
        "a<|file|>b",  # special tokens are not split out of plain text by encode(add_special_tokens) in our usage
        "x = [1, 2, 3]; y = {'k': v};  z = a->b::c <=> d ?? e",
        "\n\n\n",
        "  \t mixed \t whitespace\t\n",
        "import { foo } from './bar';\nexport default class Foo extends Bar<T> implements Baz {}\n",
    ]


def write_parity_fixture(tok, path: str, extra: Iterator[str] = iter(())):
    cases = parity_cases() + list(extra)
    out = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in cases]
    with open(path, "w") as f:
        json.dump({"cases": out}, f, ensure_ascii=False)


def token_byte_lengths_json(path: str) -> list[int]:
    """token_byte_lengths straight from tokenizer.json (no tokenizers package): with byte-level BPE
    every character of a vocabulary entry stands for one byte."""
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
    vocab = j["model"]["vocab"]
    size = max(max(vocab.values()), *(t["id"] for t in j.get("added_tokens", []))) + 1
    out = [0] * size
    for piece, i in vocab.items():
        out[i] = 0 if i < len(SPECIAL_TOKENS) else len(piece)
    return out
