"""ALiBi Transformer (Press et al. 2022): causal softmax attention with a per-head linear distance
bias (attention.AlibiAttention) and a plain GELU MLP in every block; no position embeddings.

State contract, per layer l: l.k, l.v [B, H, max_context, dh] and l.valid [B, max_context]. The KV
cache is a shift register of max_context slots (attention.py), so the model behaves as a growing
cache capped at max_context tokens, i.e. sliding-window attention with window max_context. Cost per
call is O(T * (max_context + T)); for training from the zero state build the model with
max_context = the training length (it has no parameters) or train_cache False.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .attention import AlibiAttention
from .layers import MLP
from .lm import LM, Block


@dataclass
class AlibiConfig:
    vocab_size: int = 16384
    d_model: int = 384
    n_layers: int = 8
    n_heads: int = 6
    mlp_mult: int = 4
    # KV cache capacity (tokens) of the fixed-shape shift-register state; decode cap ~2x train length.
    max_context: int = 4096
    # False: 'train' mode ignores the incoming cache (plain causal attention within the batch,
    # O(T^2) instead of O(T (max_context + T))); 'export' and 'step' always use it.
    train_cache: bool = True
    max_chunk: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


class AlibiTransformer(LM):
    arch = "alibi"

    def blocks(self, cfg: AlibiConfig):
        d = cfg.d_model
        return [Block(d, AlibiAttention(d, cfg.n_heads, cfg.max_context, cfg.train_cache), MLP(d, cfg.mlp_mult * d)) for _ in range(cfg.n_layers)]
