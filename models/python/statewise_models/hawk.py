"""Hawk (Griffin paper, De et al. 2024): every block is an RG-LRU recurrent block (rglru.py) plus a
gated GELU MLP.

State contract, per layer l: l.conv [B, 3, D_rnn] (last 3 conv inputs) and l.h [B, D_rnn] (RG-LRU).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .layers import GatedMLP
from .lm import LM, Block
from .rglru import RecurrentBlock


@dataclass
class HawkConfig:
    vocab_size: int = 16384
    d_model: int = 384
    d_rnn: int = 512
    n_layers: int = 8
    n_gate_blocks: int = 8
    mlp_mult: int = 3
    # Export: the prefill graph's doubling scan is exact for chunks up to this many tokens.
    max_chunk: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


class Hawk(LM):
    arch = "hawk"
    # export_onnx.py asserts that its graphs compute no shapes at run time (graph_fold.py, issue #17)
    gpu_shaped = True

    def blocks(self, cfg: HawkConfig):
        d = cfg.d_model
        return [Block(d, RecurrentBlock(d, cfg.d_rnn, cfg.n_gate_blocks), GatedMLP(d, d * cfg.mlp_mult)) for _ in range(cfg.n_layers)]
