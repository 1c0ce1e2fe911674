"""Training and evaluation token streams from the package corpus (.corpus/*.jsonl).

A "workspace sequence" is one package: its files in random order, each behind a path header
(`<|file|>path\\n`), packages separated by `<|endoftext|>`. Half of the files get fill-in-the-middle
examples, in one of two layouts:

- `suffix-first` (the default; docs/completion.md, "The layout the next training must teach"):
  several examples spliced into the normal reading of the file, one every few dozen lines, each at
  the start of a cursor line, in the order the engine's `suffix-first` layout feeds them:

      ... lines above <|fim_suffix|> S <|fim_middle|> \\n P M <|fim_end|> rest of the file after M ...

  P is what is typed on the cursor line (a cursor kind the product meets: after the indentation,
  after `.`/`(`/`= `/`return `, or anywhere in the code), M the middle (the rest of the line, a few
  lines, or a short span), S the text after the middle capped as the product caps its suffix. The
  middle's tokens are the file's own text, so an example costs only its suffix and two FIM tokens.
- `psm` (what the shipped models were trained with): one example per file,
  `PREFIX <|fim_suffix|> SUFFIX <|fim_middle|> MIDDLE <|fim_end|>`, the prefix cut at a random
  character, the file ending after the middle.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

import numpy as np

from . import excerpt, qa, recall
from .tokenizer import SPECIAL


def read_packages(path: str, limit_bytes: int | None = None) -> list[dict]:
    out, total = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            pkg = json.loads(line)
            out.append(pkg)
            total += sum(len(x["text"]) for x in pkg["files"])
            if limit_bytes and total >= limit_bytes:
                break
    return out


def file_header(path: str) -> str:
    return path + "\n"


def _line_end(text: str, pos: int) -> int:
    e = text.find("\n", pos)
    return len(text) if e < 0 else e


def choose_fim_split(text: str, rng: random.Random) -> tuple[str, str, str]:
    """Returns (prefix, middle, suffix_window)."""
    n = len(text)
    cursor = rng.randrange(0, n + 1)
    if rng.random() < 0.3:  # a cursor at the start of a line's code (after its indentation), as after Enter
        start = text.rfind("\n", 0, cursor) + 1
        cursor = start + len(text[start:_line_end(text, start)]) - len(text[start:_line_end(text, start)].lstrip(" \t"))
    r = rng.random()
    if r < 0.4:  # rest of the current line
        end = _line_end(text, cursor)
    elif r < 0.7:  # to the end of a line 1..6 lines below
        end = cursor
        for _ in range(rng.randint(1, 6)):
            end = _line_end(text, min(n, end + 1)) if end < n else n
    else:  # a short span inside a line or across
        end = min(n, cursor + rng.randint(0, 80))
    prefix, middle, rest = text[:cursor], text[cursor:end], text[end:]
    # The product feeds the rest of the cursor's line and the next few lines (a token budget, about
    # 200 characters): keep the remainder of the line plus 0..8 following lines, at most 250 chars.
    return prefix, middle, suffix_window(rest, rng)


# Cursor positions on a line, as the product meets them (docs/completion.md, cursor kinds).
_TRIGGER = re.compile(r"(?:\.(?=[A-Za-z_$])|\((?!\))|(?<![=!<>+\-*/%&|^?])= (?=\S)|\breturn (?=[^;\s]))")


def choose_cursor(line: str, rng: random.Random) -> int:
    """A cursor column on `line` (which has code): after the indentation (a new line after Enter),
    right after a trigger (`.`, `(`, `= `, `return `), or anywhere strictly inside the code."""
    indent = len(line) - len(line.lstrip(" \t"))
    end = len(line.rstrip())
    r = rng.random()
    if r < 0.35 or end - indent < 2:
        return indent
    if r < 0.6:
        spots = [m.end() for m in _TRIGGER.finditer(line, indent) if m.end() < end]
        if spots:
            return rng.choice(spots)
    return rng.randint(indent + 1, end - 1)


def choose_middle_end(text: str, cursor: int, rng: random.Random) -> int:
    """Where the middle that starts at `cursor` ends: the rest of the line (most often: typing at the
    end of a line), the end of a line 1..6 lines below, or a short span."""
    n = len(text)
    r = rng.random()
    if r < 0.6:
        return _line_end(text, cursor)
    if r < 0.85:
        end = cursor
        for _ in range(rng.randint(1, 6)):
            end = _line_end(text, min(n, end + 1)) if end < n else n
        return end
    return min(_line_end(text, cursor), cursor + rng.randint(1, 24))


def suffix_window(rest: str, rng: random.Random) -> str:
    """What the product feeds after the cursor: the rest of the line plus 0..8 following lines, at
    most 250 characters (about `completion.suffixMaxTokens` = 48 tokens)."""
    return "\n".join(rest.split("\n")[: 1 + rng.randint(0, 8)])[:250]


def fim_example(before: str, line_and_middle: str, suffix: str) -> list[Piece]:
    """One suffix-first example: the text up to the end of the line above the cursor, the suffix, then
    the cursor's line from its start ("\\n" + what is typed + the middle). Up to the middle, this is
    what the engine feeds for the `suffix-first` layout (models/completion-parity.json)."""
    return [Piece(text=before), Piece(special=SPECIAL["fim_suffix"]), Piece(text=suffix),
            Piece(special=SPECIAL["fim_middle"]), Piece(text=line_and_middle), Piece(special=SPECIAL["fim_end"])]


def suffix_first_pieces(text: str, rng: random.Random, every: int = 30, max_examples: int = 8) -> list[Piece]:
    """The file with suffix-first FIM examples spliced in at a few cursor lines (one per `every`
    lines, at least one, at most `max_examples`); reading the pieces' text without the special
    tokens and suffixes gives the file back."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    code_lines = [k for k in range(1, len(starts)) if text[starts[k]:_line_end(text, starts[k])].strip()]
    if not code_lines:
        return [Piece(text=text)]
    k = min(max_examples, max(1, len(starts) // every), len(code_lines))
    pieces: list[Piece] = []
    at = 0  # text before `at` is in the pieces
    for line in sorted(rng.sample(code_lines, k)):
        ls = starts[line]
        if ls - 1 < at:  # inside the previous example's middle
            continue
        cursor = ls + choose_cursor(text[ls:_line_end(text, ls)], rng)
        end = max(cursor, choose_middle_end(text, cursor, rng))
        pieces += fim_example(text[at:ls - 1], text[ls - 1:end], suffix_window(text[end:], rng))
        at = end
    pieces.append(Piece(text=text[at:]))
    return pieces


@dataclass
class Piece:
    special: int | None = None
    text: str | None = None


def qa_pieces(path: str, text: str, rng: random.Random) -> list[Piece] | None:
    """The file followed by 1-3 Ask turns about it (models/ask-format.json), or None without facts."""
    try:
        turns = qa.sample_turns(path, text, rng, rng.randint(1, 3))
    except (RecursionError, ValueError, IndexError):  # a pattern gone wrong on odd input skips the file's turns
        return None
    if not turns:
        return None
    turns = [(with_excerpt(q, text) if rng.random() < ASK_EXCERPT_P else q, a) for q, a in turns]
    return ask_layout("", text, turns)[2:]


# Share of training questions that carry their excerpt (excerpt.py) as a selection, as the engine's
# Ask sends them; the rest stay plain (follow-up turns in the engine's history are plain).
ASK_EXCERPT_P = 0.75


def with_excerpt(question: str, text: str) -> str:
    """The question as the engine asks it: with the lines it names as a selection (none: unchanged)."""
    lines = excerpt.excerpt(text, question)
    return qa.selection_question(question, lines) if lines else question


def ask_layout(path: str, text: str, turns: list[tuple[str, str]], question: str | None = None) -> list[Piece]:
    """models/ask-format.json as pieces: the file, answered turns, and optionally an open question
    (what the engine feeds before decoding the answer)."""
    pieces = [Piece(special=SPECIAL["file"]), Piece(text=file_header(path)), Piece(text=text + "\n")]
    for q, a in turns:
        pieces += [Piece(special=SPECIAL["question"]), Piece(text=q), Piece(special=SPECIAL["answer"]),
                   Piece(text=a), Piece(special=SPECIAL["end"])]
    if question is not None:
        pieces += [Piece(special=SPECIAL["question"]), Piece(text=question), Piece(special=SPECIAL["answer"])]
    return pieces


FIM_LAYOUTS = ("suffix-first", "psm")


def package_pieces(pkg: dict, rng: random.Random, fim_rate: float, qa_rate: float = 0.0, recall_rate: float = 0.0,
                   fim_layout: str = "suffix-first") -> list[Piece]:
    files = list(pkg["files"])
    rng.shuffle(files)
    if recall_rate > 0:
        files = recall.add_recall_keys(files, rng, recall_rate)
    pieces: list[Piece] = []
    for f in files:
        text = f["text"]
        pieces.append(Piece(special=SPECIAL["file"]))
        pieces.append(Piece(text=file_header(f["path"])))
        if len(text) > 16 and rng.random() < fim_rate:
            if fim_layout == "suffix-first":
                pieces += suffix_first_pieces(text, rng)
                continue
            p, m, s = choose_fim_split(text, rng)
            pieces += [
                Piece(text=p),
                Piece(special=SPECIAL["fim_suffix"]),
                Piece(text=s),
                Piece(special=SPECIAL["fim_middle"]),
                Piece(text=m),
                Piece(special=SPECIAL["fim_end"]),
            ]
        elif qa_rate > 0 and rng.random() < qa_rate and (turns := qa_pieces(f["path"], text, rng)):
            pieces += turns
        else:
            pieces.append(Piece(text=text))
    pieces.append(Piece(special=SPECIAL["endoftext"]))
    return pieces


def encode_pieces(tok, pieces: list[Piece], content_mask: bool = False):
    texts = [p.text for p in pieces if p.text is not None and p.text != ""]
    encs = tok.encode_batch(texts, add_special_tokens=False) if texts else []
    out: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    it = iter(encs)
    for p in pieces:
        if p.special is not None:
            out.append(np.array([p.special], dtype=np.uint16))
            masks.append(np.zeros(1, dtype=bool))
        elif p.text:
            ids = np.array(next(it).ids, dtype=np.uint16)
            out.append(ids)
            masks.append(np.full(len(ids), True))
    toks = np.concatenate(out) if out else np.zeros(0, dtype=np.uint16)
    if content_mask:
        return toks, np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
    return toks


def build_train_stream(tok, packages: list[dict], seed: int, fim_rate: float = 0.5, qa_rate: float = 0.0,
                       recall_rate: float = 0.0, fim_layout: str = "suffix-first") -> np.ndarray:
    rng = random.Random(seed)
    order = list(range(len(packages)))
    rng.shuffle(order)
    pieces: list[Piece] = []
    for i in order:
        pieces += package_pieces(packages[i], rng, fim_rate, qa_rate, recall_rate, fim_layout)
    return encode_pieces(tok, pieces)


def build_eval_stream(tok, packages: list[dict], max_bytes: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Plain (no FIM) held-out stream with a mask of content tokens and the content's UTF-8 bytes."""
    pieces: list[Piece] = []
    total = 0
    for pkg in packages:
        for f in pkg["files"]:
            if total >= max_bytes:
                break
            pieces += [Piece(special=SPECIAL["file"]), Piece(text=file_header(f["path"]))]
            # header tokens are not content: mark them by encoding separately below
            pieces.append(Piece(text=f["text"]))
            total += len(f["text"].encode("utf-8"))
        pieces.append(Piece(special=SPECIAL["endoftext"]))
        if total >= max_bytes:
            break
    texts = [p.text for p in pieces if p.text]
    encs = tok.encode_batch(texts, add_special_tokens=False)
    toks, mask = [], []
    it = iter(encs)
    is_header = False
    for p in pieces:
        if p.special is not None:
            toks.append(np.array([p.special], dtype=np.uint16))
            mask.append(np.zeros(1, dtype=bool))
            is_header = p.special == SPECIAL["file"]
        elif p.text:
            ids = np.array(next(it).ids, dtype=np.uint16)
            toks.append(ids)
            mask.append(np.full(len(ids), not is_header))
            is_header = False
    return np.concatenate(toks), np.concatenate(mask), total


def build_streams(tok, corpus_dir: str, *, limit_bytes: int = 0, eval_bytes: int = 3_000_000, seed: int = 1234,
                  qa_rate: float = 0.4, recall_rate: float = 0.0, fim_layout: str = "suffix-first") -> dict:
    """The training stream and the held-out evaluation stream of a corpus folder (train.jsonl,
    heldout.jsonl), as train.py uses them and prep_stream.py saves them."""
    import os

    train_pk = read_packages(os.path.join(corpus_dir, "train.jsonl"), limit_bytes or None)
    held_pk = read_packages(os.path.join(corpus_dir, "heldout.jsonl"))
    ev, mask, ev_bytes = build_eval_stream(tok, held_pk, eval_bytes)
    return {
        "train": build_train_stream(tok, train_pk, seed=seed, qa_rate=qa_rate, recall_rate=recall_rate, fim_layout=fim_layout),
        "eval": ev, "eval_mask": mask, "eval_bytes": ev_bytes,
        "info": {"packages": len(train_pk), "bytes": sum(len(f["text"].encode("utf-8")) for p in train_pk for f in p["files"]),
                 "qa_rate": qa_rate, "recall_rate": recall_rate, "fim_layout": fim_layout, "seed": seed},
    }
