"""Griffin (De et al. 2024): Hawk's RG-LRU blocks interleaved with local multi-query attention, in the
repeating pattern (recurrent, recurrent, attention). docs/models.md §4.

The local attention uses ALiBi biases instead of RoPE (docs/models.md §5.1), so no position input exists
and the model extrapolates past its training length. Its state is a shift register of the last W keys
and values (one shared K/V head) plus a `valid` mask of the filled slots: the additive mask
(valid - 1) * 1e4 hides the empty window at the start, so the graph needs no host-computed input.
A query sees itself and the W previous tokens.

State contract per attention layer l: k [B, W, dh], v [B, W, dh], valid [B, W]; recurrent layers as
in rglru.py.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import alibi_slopes
from .layers import GatedMLP, up
from .lm import LM, Block
from .rglru import RecurrentBlock


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
    """Local multi-query attention: H query heads, one shared K/V head, the current token plus the
    `window` previous ones, ALiBi biases."""

    out_names = ("out",)

    def __init__(self, cfg: GriffinConfig):
        super().__init__()
        d, h, dh = cfg.d_model, cfg.n_heads, cfg.head_dim
        self.h, self.dh, self.w = h, dh, cfg.window
        self.q = nn.Linear(d, h * dh, bias=False)
        self.k = nn.Linear(d, dh, bias=False)
        self.v = nn.Linear(d, dh, bias=False)
        self.out = nn.Linear(h * dh, d)
        self.register_buffer("slopes", torch.tensor(alibi_slopes(h)), persistent=False)
        # export only (export_onnx.py --ingest-blocked): attention block by block, for calls of a multiple
        # of `window` tokens
        self.blocked = False

    # shift registers: the slots of k and v (axis 0 here), filled last, marked by "valid" (lm.state_windows)
    window_slots = {"k": 0, "v": 0}

    def state_shapes(self):
        return [("k", [self.w, self.dh]), ("v", [self.w, self.dh]), ("valid", [self.w])]

    def band_bias(self, dist):
        """[1, H, *dist.shape]: the ALiBi bias -m_h * dist where 0 <= dist <= W, -1e4 outside the band."""
        # the two tests exclude each other, so their sum is their `or`; onnxruntime has no WebGPU kernel
        # for a boolean Or and would run it on the CPU with copies either side (issue #17)
        outside = (dist < 0).to(dist.dtype) + (dist > self.w).to(dist.dtype)
        return -self.slopes.to(dist.dtype).view(1, -1, 1, 1) * dist.clamp(min=0) - 1e4 * outside

    def forward(self, x, states, mode: str, fast: bool = False):
        if mode == "step":
            return self.forward_step(x, states)
        k_state, v_state, valid = states
        b = x.shape[0]
        q = self.q(x).reshape(b, -1, self.h, self.dh).transpose(1, 2)  # [B, H, T, dh]
        k_new, v_new = self.k(x), self.v(x)  # [B, T, dh]
        keys = torch.cat([k_state.to(k_new.dtype), k_new], dim=1)  # [B, W+T, dh]
        vals = torch.cat([v_state.to(v_new.dtype), v_new], dim=1)
        # Positions from the data, not from torch.arange(T): an exported arange of a traced length is a
        # Shape -> Range chain that onnxruntime runs on the CPU under a GPU provider (issue #17).
        ones = k_new[:, :, 0] * 0.0 + 1.0  # [B, T]
        val = torch.cat([valid.to(ones.dtype), ones], dim=1)  # [B, W+T]
        if self.blocked and mode == "export":
            return self.forward_blocked(q, keys, vals, val, ones)
        pos = torch.cumsum(up(ones[:1]), dim=1) - 1.0  # [1, T]: 0 .. T-1, exact in float32 (mode "step": forward_step)
        # distance from query i (at index W+i) to key j; visible when 0 <= d <= W
        qi = pos.transpose(0, 1) + float(self.w)  # [T, 1]
        kj = torch.cat([torch.arange(self.w, device=x.device, dtype=pos.dtype).unsqueeze(0), pos + float(self.w)], dim=1)  # [1, W+T]
        dist = (qi - kj).to(up(q).dtype)  # [T, W+T]
        bias = self.band_bias(dist) + ((val - 1.0) * 1e4).to(dist.dtype).view(b, 1, 1, -1)  # [B, H, T, W+T]
        if mode == "train" and hasattr(F, "scaled_dot_product_attention"):  # fused (torch >= 2); else the same maths below
            kk = keys.unsqueeze(1).expand(b, self.h, keys.shape[1], self.dh)
            vv = vals.unsqueeze(1).expand(b, self.h, vals.shape[1], self.dh)
            y = F.scaled_dot_product_attention(q, kk, vv, attn_mask=bias.to(q.dtype))
        else:
            s = torch.matmul(up(q), up(keys).unsqueeze(1).transpose(-1, -2)) / math.sqrt(self.dh) + bias
            y = torch.matmul(torch.softmax(s, dim=-1), up(vals).unsqueeze(1)).to(q.dtype)
        y = y.transpose(1, 2).reshape(b, -1, self.h * self.dh)
        w = self.w
        return self.out(y), [up(keys[:, -w:]), up(vals[:, -w:]), up(val[:, -w:])]


    def forward_step(self, x, states):
        """mode 'step' (T == 1): forward's function in fewer graph nodes (docs/models.md §8.3). The query is
        one row per head, [B, H, dh], so no transpose; the shared key/value head broadcasts without an
        unsqueeze; the band bias of the one query is a constant [1, H, W + 1] (every slot is in the band)
        and only the valid mask is computed, from the state and a constant 1 for the new token."""
        k_state, v_state, valid = states
        b, w = x.shape[0], self.w
        q = up(self.q(x).reshape(b, self.h, self.dh))  # [B, H, dh]
        k_new, v_new = self.k(x), self.v(x)  # [B, 1, dh]
        keys = torch.cat([k_state.to(k_new.dtype), k_new], dim=1)  # [B, W+1, dh]
        vals = torch.cat([v_state.to(v_new.dtype), v_new], dim=1)
        val = torch.cat([valid.to(q.dtype), torch.ones(b, 1, dtype=q.dtype, device=x.device)], dim=1)  # [B, W+1]
        # the same constants as forward's at T == 1: query at W, keys at 0 .. W
        qi = torch.full((1, 1), float(w), dtype=q.dtype, device=x.device)
        kj = torch.arange(w + 1, device=x.device, dtype=q.dtype).unsqueeze(0)
        band = self.band_bias(qi - kj).view(1, self.h, w + 1)
        mask = (val - 1.0) * 1e4
        bias = band + (mask if b == 1 else mask.unsqueeze(1))  # [B, H, W+1]
        s = torch.matmul(q, up(keys).transpose(-1, -2)) / math.sqrt(self.dh) + bias
        y = torch.matmul(torch.softmax(s, dim=-1), up(vals)).to(k_new.dtype)  # [B, H, dh]
        return self.out(y.reshape(b, 1, self.h * self.dh)), [up(keys[:, -w:]), up(vals[:, -w:]), up(val[:, -w:])]

    def forward_blocked(self, q, keys, vals, val, ones):
        """The same attention for T a multiple of the window W, block by block: query block j (W queries)
        sees only the W keys before it and its own block, so it attends to 2W keys, not W + T. The
        scores are [B, H, T/W, W, 2W] instead of [B, H, T, W+T], so a call's attention grows with T, not
        T^2 (the ingest graph at thousands of tokens, issue #17). The reshapes use -1 for T/W: no shape
        is computed at run time. The band's distances come from the data (`ones`), as above."""
        b, w, dh = q.shape[0], self.w, self.dh
        kb, vb = keys.reshape(b, -1, w, dh), vals.reshape(b, -1, w, dh)  # [B, T/W + 1, W, dh]
        k2 = torch.cat([kb[:, :-1], kb[:, 1:]], dim=2)  # [B, T/W, 2W, dh]: the block before + its own
        v2 = torch.cat([vb[:, :-1], vb[:, 1:]], dim=2)
        va = val.reshape(b, -1, w)
        val2 = torch.cat([va[:, :-1], va[:, 1:]], dim=2)  # [B, T/W, 2W]
        pos = torch.cumsum(up(ones[:1, :w]), dim=1) - 1.0  # [1, W]: 0 .. W-1
        qi = pos.transpose(0, 1) + float(w)  # [W, 1]: query i at slot W + i of its 2W keys
        kj = torch.cat([pos, pos + float(w)], dim=1)  # [1, 2W]
        dist = (qi - kj).to(up(q).dtype)  # [W, 2W]
        bias = self.band_bias(dist).unsqueeze(2) + ((val2 - 1.0) * 1e4).to(dist.dtype).view(b, 1, -1, 1, 2 * w)
        qb = up(q).reshape(b, self.h, -1, w, dh)  # [B, H, T/W, W, dh]
        s = torch.matmul(qb, up(k2).unsqueeze(1).transpose(-1, -2)) / math.sqrt(dh) + bias
        y = torch.matmul(torch.softmax(s, dim=-1), up(v2).unsqueeze(1)).to(q.dtype)  # [B, H, T/W, W, dh]
        y = y.reshape(b, self.h, -1, dh).transpose(1, 2).reshape(b, -1, self.h * dh)
        return self.out(y), [up(keys[:, -w:]), up(vals[:, -w:]), up(val[:, -w:])]


class Griffin(LM):
    arch = "griffin"
    # export_onnx.py asserts that its graphs compute no shapes at run time (graph_fold.py, issue #17)
    gpu_shaped = True

    def blocks(self, cfg: GriffinConfig):
        d = cfg.d_model
        mixer = lambda i: LocalMQA(cfg) if cfg.is_attention(i) else RecurrentBlock(d, cfg.d_rnn, cfg.n_gate_blocks)  # noqa: E731
        return [Block(d, mixer(i), GatedMLP(d, d * cfg.mlp_mult)) for i in range(cfg.n_layers)]
