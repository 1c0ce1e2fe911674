"""Griffin (De et al. 2024): Hawk's RG-LRU blocks interleaved with local multi-query attention, in the
repeating pattern (recurrent, recurrent, attention). MODELS.md §1.1.

The local attention uses ALiBi biases instead of RoPE (MODELS.md §3.6), so no position input exists
and the model extrapolates past its training length. Its state is a shift register of the last W keys
and values (one shared K/V head) plus a `valid` mask of the filled slots: the additive mask
(valid - 1) * 1e4 hides the empty window at the start, so the graph needs no host-computed input.
A query sees itself and the W previous tokens.

State contract per attention layer l: k [B, W, dh], v [B, W, dh], valid [B, W]; recurrent layers as
in hawk.py.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .alibi import alibi_slopes
from .hawk import CONV_WIDTH, MLP, RecurrentBlock, RMSNorm, doubling_stages, up
from .head import finish


@dataclass
class GriffinConfig:
    vocab_size: int = 16384
    d_model: int = 384
    d_rnn: int = 512
    n_layers: int = 9
    n_gate_blocks: int = 8
    mlp_mult: int = 3
    n_heads: int = 6
    head_dim: int = 64
    window: int = 256
    max_chunk: int = 256

    def to_dict(self) -> dict:
        return asdict(self)

    def is_attention(self, i: int) -> bool:
        return i % 3 == 2


class LocalMQA(nn.Module):
    def __init__(self, cfg: GriffinConfig):
        super().__init__()
        d, h, dh = cfg.d_model, cfg.n_heads, cfg.head_dim
        self.h, self.dh, self.w = h, dh, cfg.window
        self.q = nn.Linear(d, h * dh, bias=False)
        self.k = nn.Linear(d, dh, bias=False)
        self.v = nn.Linear(d, dh, bias=False)
        self.out = nn.Linear(h * dh, d)
        self.register_buffer("slopes", torch.tensor(alibi_slopes(h)), persistent=False)

    def forward(self, x, k_state, v_state, valid, mode):
        b = x.shape[0]
        q = self.q(x).reshape(b, -1, self.h, self.dh).transpose(1, 2)  # [B, H, T, dh]
        k_new, v_new = self.k(x), self.v(x)  # [B, T, dh]
        keys = torch.cat([k_state.to(k_new.dtype), k_new], dim=1)  # [B, W+T, dh]
        vals = torch.cat([v_state.to(v_new.dtype), v_new], dim=1)
        ones = torch.ones_like(k_new[:, :, 0])
        val = torch.cat([valid.to(ones.dtype), ones], dim=1)  # [B, W+T]
        # distance from query i (at index W+i) to key j; visible when 0 <= d <= W
        qi = torch.arange(x.shape[1], device=x.device).unsqueeze(1) + self.w
        kj = torch.arange(keys.shape[1], device=x.device).unsqueeze(0)
        dist = (qi - kj).to(up(q).dtype)  # [T, W+T]
        outside = ((dist < 0) | (dist > self.w)).to(dist.dtype)
        bias = -self.slopes.to(dist.dtype).view(1, -1, 1, 1) * dist.clamp(min=0) - 1e4 * outside  # [1, H, T, W+T]
        bias = bias + ((val - 1.0) * 1e4).to(dist.dtype).view(b, 1, 1, -1)
        if mode == "train" and hasattr(F, "scaled_dot_product_attention"):  # fused (torch >= 2); else the same maths below
            kk = keys.unsqueeze(1).expand(b, self.h, keys.shape[1], self.dh)
            vv = vals.unsqueeze(1).expand(b, self.h, vals.shape[1], self.dh)
            y = F.scaled_dot_product_attention(q, kk, vv, attn_mask=bias.to(q.dtype))
        else:
            s = torch.matmul(up(q), up(keys).unsqueeze(1).transpose(-1, -2)) / math.sqrt(self.dh) + bias
            y = torch.matmul(torch.softmax(s, dim=-1), up(vals).unsqueeze(1)).to(q.dtype)
        y = y.transpose(1, 2).reshape(b, -1, self.h * self.dh)
        w = self.w
        return self.out(y), up(keys[:, -w:]), up(vals[:, -w:]), up(val[:, -w:])


class GriffinLayer(nn.Module):
    def __init__(self, cfg: GriffinConfig, attention: bool):
        super().__init__()
        self.attention = attention
        self.norm1 = RMSNorm(cfg.d_model)
        self.mix = LocalMQA(cfg) if attention else RecurrentBlock(cfg)
        self.norm2 = RMSNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x, state, mode):
        if self.attention:
            r, *new = self.mix(self.norm1(x), state[0], state[1], state[2], mode)
        else:
            r, *new = self.mix(self.norm1(x), state[0], state[1], mode)
        x = x + r
        x = x + self.mlp(self.norm2(x))
        return x, new


class Griffin(nn.Module):
    arch = "griffin"

    def __init__(self, cfg: GriffinConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(GriffinLayer(cfg, cfg.is_attention(i)) for i in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model)
        self._init_weights()

    def _init_weights(self):
        cfg = self.cfg
        nn.init.normal_(self.embed.weight, std=1.0 / math.sqrt(cfg.d_model))
        out_scale = 1.0 / math.sqrt(2 * cfg.n_layers)
        for layer in self.layers:
            mix = layer.mix
            ins = [layer.mlp.gate, layer.mlp.up] + ([mix.q, mix.k, mix.v] if layer.attention else [mix.linear_y, mix.linear_x])
            outs = [layer.mlp.down, mix.out if layer.attention else mix.linear_out]
            for lin in ins:
                nn.init.normal_(lin.weight, std=1.0 / math.sqrt(lin.in_features))
                if lin.bias is not None:
                    nn.init.zeros_(lin.bias)
            for lin in outs:
                nn.init.normal_(lin.weight, std=out_scale / math.sqrt(lin.in_features))
                nn.init.zeros_(lin.bias)

    def state_spec(self) -> list[tuple[str, list[int]]]:
        c = self.cfg
        spec = []
        for i in range(c.n_layers):
            if c.is_attention(i):
                spec += [(f"{i}.k", [c.window, c.head_dim]), (f"{i}.v", [c.window, c.head_dim]), (f"{i}.valid", [c.window])]
            else:
                spec += [(f"{i}.conv", [CONV_WIDTH - 1, c.d_rnn]), (f"{i}.h", [c.d_rnn])]
        return spec

    def init_state(self, batch: int, device=None) -> list[torch.Tensor]:
        return [torch.zeros(batch, *shape, device=device) for _, shape in self.state_spec()]

    def forward(self, tokens, state, mode: str = "train", last_only: bool = False, hidden: bool = False):
        x = self.embed(tokens)
        new_state: list[torch.Tensor] = []
        at = 0
        for layer in self.layers:
            n = 3 if layer.attention else 2
            x, new = layer(x, state[at : at + n], mode)
            new_state += new
            at += n
        return finish(self, x, new_state, last_only, hidden)

    def set_export_chunk(self, max_chunk: int):
        stages = doubling_stages(max_chunk)
        for layer in self.layers:
            if not layer.attention:
                layer.mix.lru._stages = stages

    def param_count(self) -> dict:
        total = sum(p.numel() for p in self.parameters())
        emb = self.embed.weight.numel()
        return {"total": total, "embedding": emb, "non_embedding": total - emb}
