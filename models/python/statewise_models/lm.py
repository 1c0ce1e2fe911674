"""The model shell every architecture shares: `Block(mixer)` (pre-norm residual mixer, then an
optional pre-norm residual MLP) and `LM` (embedding, blocks, final norm, tied head) with the one
state contract the exporter and the engine rely on.

A mixer is an nn.Module with
    state_shapes() -> [(name, shape without batch)]     its recurrent state, in order
    forward(x, states, mode, fast) -> (y, new_states)   mode 'train' | 'export' | 'step' (T == 1);
                                                         fast: training-only fast path allowed
    out_names                                            its linears that write the residual stream
and optionally set_export_chunk(max_chunk). An architecture is an LM subclass whose `blocks(cfg)`
is its layout, plus its config dataclass (vocab_size, d_model, max_chunk and its own fields).

State contract: `state_spec()` lists (f"{layer}.{name}", shape) over the blocks in order;
`forward(tokens, state)` takes and returns the state as a flat list in that order; the zero state
is the empty context. export_onnx.py names the graph inputs state_in.<name> and outputs
state_out.<name> from it, and the engine reads them from manifest.json.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .head import tied_logits
from .layers import RMSNorm

# Module names of checkpoints written before the shared shell (the mixer had four names, and the
# MLP-less linearized block called its norm `norm`): migrate_key maps them to today's names.
_OLD_MIXER_NAMES = ("rec", "mix", "attn")


def migrate_key(name: str) -> str:
    """A state_dict key or module path of an older checkpoint or graph -> today's name
    ('layers.3.rec.lru.a_param' -> 'layers.3.mixer.lru.a_param', 'layers.0.norm.scale' ->
    'layers.0.norm1.scale'); today's names are returned unchanged."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[0] == "layers":
        if parts[2] in _OLD_MIXER_NAMES:
            parts[2] = "mixer"
        elif parts[2] == "norm":
            parts[2] = "norm1"
    return ".".join(parts)


def migrate_state_dict(sd: dict) -> dict:
    """Every key through migrate_key (values untouched); applied by LM.load_state_dict, so every
    load path (train --init/--resume, export, eval, import) reads old and new checkpoints alike."""
    return {migrate_key(k): v for k, v in sd.items()}


class Block(nn.Module):
    def __init__(self, d_model: int, mixer: nn.Module, mlp: nn.Module | None = None):
        super().__init__()
        self.norm1 = RMSNorm(d_model)
        self.mixer = mixer
        self.norm2 = RMSNorm(d_model) if mlp is not None else None
        self.mlp = mlp
        self.n_states = len(mixer.state_shapes())

    def forward(self, x, states: list, mode: str, fast: bool, pending=False):
        """(x + mixer(norm1(x)) (+ mlp(norm2(.))), new states). With `pending` (None or a tensor: the
        previous block's last residual branch, not yet added to x), the residual adds are left to the
        next norm (RMSNorm with skip: one SkipSimplifiedLayerNormalization node per add and norm in a
        fused export) and it returns (x, pending, new states): the block's output is x + pending, the
        same sums in the same order."""
        if pending is False:
            a, new = self.mixer(self.norm1(x), states, mode, fast)
            x = x + a
            if self.mlp is not None:
                x = x + self.mlp(self.norm2(x))
            return x, new
        h, x = (self.norm1(x, single=mode == "step"), x) if pending is None else self.norm1(pending, skip=x)
        a, new = self.mixer(h, states, mode, fast)
        if self.mlp is None:
            return x, a, new
        h, x = self.norm2(a, skip=x)
        return x, self.mlp(h), new


class LM(nn.Module):
    arch = ""
    # train.py sets this: mode 'train' may then take the mixers' training-only fast paths (the same
    # function: tests/test_fast_train.py)
    fast_train = False

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(self.blocks(cfg))
        self.norm = RMSNorm(cfg.d_model)
        self._init_weights()

    def blocks(self, cfg) -> list[Block]:
        """The architecture's layout."""
        raise NotImplementedError

    def _init_weights(self):
        """Embedding N(0, 1/d); every mixer and MLP linear N(0, 1/fan_in), the ones writing the
        residual stream (out_names) scaled by 1/sqrt(2 * layers); biases zero."""
        nn.init.normal_(self.embed.weight, std=1.0 / math.sqrt(self.cfg.d_model))
        out_scale = 1.0 / math.sqrt(2 * len(self.layers))
        for block in self.layers:
            parts = [m for m in (block.mixer, block.mlp) if m is not None]
            lins = [(name in m.out_names, lin) for m in parts for name, lin in m.named_children() if isinstance(lin, nn.Linear)]
            for is_out, lin in [x for x in lins if not x[0]] + [x for x in lins if x[0]]:
                nn.init.normal_(lin.weight, std=(out_scale if is_out else 1.0) / math.sqrt(lin.in_features))
                if lin.bias is not None:
                    nn.init.zeros_(lin.bias)

    # --- the state contract -------------------------------------------------------------
    def state_spec(self) -> list[tuple[str, list[int]]]:
        return [(f"{i}.{name}", shape) for i, block in enumerate(self.layers) for name, shape in block.mixer.state_shapes()]

    def state_windows(self) -> dict[str, dict]:
        """The manifest's `window` of each shift-register cache entry (its slot axis, batch axis
        included, and its mask entry): from the mixers that declare `window_slots` (name -> slot axis
        of its shape without the batch axis; the mask is the mixer's "valid")."""
        out = {}
        for i, block in enumerate(self.layers):
            for name, axis in getattr(block.mixer, "window_slots", {}).items():
                out[f"{i}.{name}"] = {"valid": f"{i}.valid", "axis": axis + 1}
        return out

    def init_state(self, batch: int, device=None) -> list[torch.Tensor]:
        return [torch.zeros(batch, *shape, device=device) for _, shape in self.state_spec()]

    def forward(self, tokens: torch.Tensor, state: list[torch.Tensor], mode: str = "train", last_only: bool = False, hidden: bool = False):
        """tokens [B, T] -> (logits [B, T, V], or [B, V] when last_only, or the final-normed hidden
        states when `hidden` (for head.chunked_loss); the new state list). One code path serves
        'train', 'export' and 'step' (T == 1)."""
        x = self.embed(tokens)
        fast = mode == "train" and self.fast_train
        new_state: list[torch.Tensor] = []
        pos = 0
        pending = None  # the last residual branch's output, not yet added to x
        for block in self.layers:
            x, pending, new = block(x, state[pos : pos + block.n_states], mode, fast, pending)
            pos += block.n_states
            new_state += new
        if mode == "step" and pending is not None and not hidden:
            # T == 1: the last residual add and the final norm as one node (the norm is per position, so
            # before the last-position slice, which then slices the logits)
            x, _ = self.norm(pending, skip=x)
            logits = tied_logits(x, self.embed.weight)
            return (logits[:, -1] if last_only else logits), new_state
        if pending is not None:
            x = x + pending
        if last_only:
            x = x[:, -1]
        x = self.norm(x)
        return (x if hidden else tied_logits(x, self.embed.weight)), new_state

    # --- export and bookkeeping -----------------------------------------------------------
    def set_export_chunk(self, max_chunk: int):
        """The prefill graph is exact for calls of up to max_chunk tokens (Hawk's doubling scan)."""
        self.cfg.max_chunk = max_chunk
        for block in self.layers:
            if hasattr(block.mixer, "set_export_chunk"):
                block.mixer.set_export_chunk(max_chunk)

    def set_blocked_attention(self, on: bool) -> bool:
        """Export only: attention layers that can (griffin's) compute block by block, for calls of a
        multiple of their window. True when some layer did."""
        found = False
        for block in self.layers:
            if hasattr(block.mixer, "blocked"):
                block.mixer.blocked, found = on, True
        return found

    def set_chunked_scan(self, chunk: int, outer: int = 0) -> bool:
        """Export only: recurrences exported as scan_chunked with chunks of `chunk` steps (calls of a
        multiple of it; `outer` > 0: the chunks' states in chunks of `outer` chunks too), 0 for the
        doubling scan. True when some layer has one."""
        found = False
        for block in self.layers:
            lru = getattr(block.mixer, "lru", None)
            if lru is not None and hasattr(lru, "scan_chunk"):
                lru.scan_chunk, lru.scan_outer, found = chunk, outer, True
        return found

    def set_cumsum_scan(self, chunks: tuple[int, ...]) -> bool:
        """Export only: recurrences exported as scan_cumsum with these chunks (calls of a multiple of
        their product), () for none. True when some layer has one."""
        found = False
        for block in self.layers:
            lru = getattr(block.mixer, "lru", None)
            if lru is not None and hasattr(lru, "scan_sums"):
                lru.scan_sums, found = tuple(chunks), True
        return found

    def param_count(self) -> dict:
        total = sum(p.numel() for p in self.parameters())
        emb = self.embed.weight.numel()
        return {"total": total, "embedding": emb, "non_embedding": total - emb}

    def load_state_dict(self, state_dict, *args, **kwargs):
        return super().load_state_dict(migrate_state_dict(state_dict), *args, **kwargs)
