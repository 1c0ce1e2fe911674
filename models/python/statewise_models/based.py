"""Based (Arora et al. 2024): a mix of gated short convolutions, Taylor linear attention and
sliding-window softmax attention (docs/models.md §6), each followed by a SwiGLU MLP (hidden 2D).

Layer kinds (config `layout`, default "CLSCCCLSCC"):
- C, "BaseConv": in_proj D->4D, split u1, u2 (2D each); y = out_proj(SiLU(causal depthwise conv
  k=3 over u1) * u2). State: conv [B, 2, 2D] (the last 2 inputs of u1).
- L, Taylor linear attention: H heads, q,k of d' = feature_dim, v of dv = D/H; phi(x) = [1,
  x/d'^(1/4), vec(x (x) x)/(sqrt(2) sqrt(d'))] (size 1 + d' + d'^2), so phi(q).phi(k) = 1 + s + s^2/2
  with s = q.k/sqrt(d'); y = phi(q) S / (phi(q).z + eps). State: S [B, H, F, dv], z [B, H, F].
  Within one call the quadratic form P = tril * (1 + s + s^2/2) is used (docs/models.md §6.2 with the
  call as one chunk) plus the carried state phi(Q) S_prev; the step is the same code with T = 1.
- S, sliding-window softmax attention: H heads x D/H, the current token plus `window` previous
  ones, ALiBi biases instead of RoPE (no position input). State: k, v [B, H, W, dh] and valid
  [B, W] (shift register; see attention.py).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import AlibiAttention
from .layers import GatedMLP, causal_conv, up
from .lm import LM, Block

CONV_K = 3
LA_CHUNK = 64  # training-only chunk length of the linear attention (fast path)


@dataclass
class BasedConfig:
    vocab_size: int = 16384
    d_model: int = 384
    layout: str = "CLSCCCLSCC"
    n_heads: int = 6
    feature_dim: int = 16
    window: int = 64  # previous tokens visible to a sliding-window query (plus the current one)
    mlp_mult: int = 2
    la_eps: float = 1e-6
    max_chunk: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


def taylor_features(x: torch.Tensor, d: int) -> torch.Tensor:
    """[B, H, T, d] -> [B, H, T, 1 + d + d*d] with phi(a).phi(b) = 1 + s + s^2/2, s = a.b/sqrt(d)."""
    one = torch.ones_like(x[..., 0:1])
    lin = x * (float(d) ** -0.25)
    outer = x.unsqueeze(-1) * x.unsqueeze(-2)  # [B, H, T, d, d]
    quad = outer.reshape(x.shape[0], x.shape[1], -1, d * d) * (1.0 / (math.sqrt(2.0) * math.sqrt(float(d))))
    return torch.cat([one, lin, quad], dim=-1)


class BaseConv(nn.Module):
    out_names = ("out_proj",)

    def __init__(self, cfg: BasedConfig):
        super().__init__()
        d = cfg.d_model
        self.d2 = 2 * d
        self.in_proj = nn.Linear(d, 4 * d)
        self.conv_w = nn.Parameter(torch.randn(CONV_K, 2 * d) * math.sqrt(1.0 / CONV_K))
        self.conv_b = nn.Parameter(torch.zeros(2 * d))
        self.out_proj = nn.Linear(2 * d, d)

    def state_shapes(self):
        return [("conv", [CONV_K - 1, self.d2])]

    def forward(self, x, states, mode: str = "train", fast: bool = False):
        (conv_state,) = states
        u = self.in_proj(x)
        u1, u2 = u[..., 0 : self.d2], u[..., self.d2 : 2 * self.d2]
        xc = torch.cat([conv_state.to(u1.dtype), u1], dim=1)  # [B, T+2, 2D]
        w = self.conv_w.to(u1.dtype)
        conv = causal_conv(xc, w) + self.conv_b.to(u1.dtype)
        new_conv = up(xc[:, -(CONV_K - 1) :])
        return self.out_proj(F.silu(conv) * u2), [new_conv]


class TaylorLinearAttention(nn.Module):
    out_names = ("out",)

    def __init__(self, cfg: BasedConfig):
        super().__init__()
        d, h, f = cfg.d_model, cfg.n_heads, cfg.feature_dim
        self.d, self.h, self.f, self.dv = d, h, f, d // h
        self.nf = 1 + f + f * f
        self.eps = cfg.la_eps
        self.q = nn.Linear(d, h * f, bias=False)
        self.k = nn.Linear(d, h * f, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.out = nn.Linear(d, d, bias=False)

    def state_shapes(self):
        return [("S", [self.h, self.nf, self.dv]), ("z", [self.h, self.nf])]

    def forward(self, x, states, mode: str = "train", fast: bool = False):
        s0, z0 = states
        b = x.shape[0]
        h, f, dv = self.h, self.f, self.dv
        q = up(self.q(x)).reshape(b, -1, h, f).transpose(1, 2)  # [B, H, T, f]
        k = up(self.k(x)).reshape(b, -1, h, f).transpose(1, 2)
        v = up(self.v(x)).reshape(b, -1, h, dv).transpose(1, 2)  # [B, H, T, dv]
        s0 = s0.to(q.dtype)
        z0 = z0.to(q.dtype)
        if fast and x.shape[1] % LA_CHUNK == 0:
            y, s1, z1 = self.chunked(q, k, v, s0, z0)
            y = y.transpose(1, 2).reshape(b, -1, self.d).to(x.dtype)
            return self.out(y), [up(s1), up(z1)]
        s = up(torch.matmul(q, k.transpose(-1, -2))) / math.sqrt(float(f))  # [B, H, T, T]
        idx = torch.arange(x.shape[1], device=x.device)
        causal = (idx.unsqueeze(0) <= idx.unsqueeze(1)).to(s.dtype)  # [query i, key j]: j <= i
        p = causal * (1.0 + s + 0.5 * s * s)
        fq = taylor_features(q, f)  # [B, H, T, F]
        fk = taylor_features(k, f)
        num = torch.matmul(p, v) + torch.matmul(fq, s0)
        den = p.sum(-1, keepdim=True) + torch.matmul(fq, z0.unsqueeze(-1))
        y = num / (den + self.eps)
        s1 = s0 + torch.matmul(fk.transpose(-1, -2), v)
        z1 = z0 + fk.sum(2)
        y = y.transpose(1, 2).reshape(b, -1, self.d).to(x.dtype)
        return self.out(y), [up(s1), up(z1)]

    def chunked(self, q, k, v, s0, z0):
        """Training only: the same function in chunks of LA_CHUNK tokens (docs/models.md §6.2):
        the quadratic form inside a chunk, the Taylor-feature state summed over earlier chunks
        (exclusive prefix sum) for the rest. O(T * C) instead of O(T^2) memory."""
        b, h, t, f = q.shape
        c = LA_CHUNK
        n = t // c
        dv = v.shape[-1]
        qc = q.reshape(b, h, n, c, f)
        kc = k.reshape(b, h, n, c, f)
        vc = v.reshape(b, h, n, c, dv)
        s = up(torch.matmul(qc, kc.transpose(-1, -2))) / math.sqrt(float(f))  # [B, H, n, C, C]
        causal = torch.tril(torch.ones(c, c, device=q.device, dtype=s.dtype))
        p = causal * (1.0 + s + 0.5 * s * s)
        fq = taylor_features(q, f).reshape(b, h, n, c, -1)  # [B, H, n, C, F]
        fk = taylor_features(k, f).reshape(b, h, n, c, -1)
        kv = up(torch.matmul(fk.transpose(-1, -2), vc))  # [B, H, n, F, dv]
        kz = fk.sum(3)  # [B, H, n, F]
        s_incl = torch.cumsum(kv, dim=2)
        z_incl = torch.cumsum(kz, dim=2)
        s_excl = s0.unsqueeze(2) + s_incl - kv  # state before each chunk
        z_excl = z0.unsqueeze(2) + z_incl - kz
        num = up(torch.matmul(p, vc)) + up(torch.matmul(fq, s_excl))
        den = p.sum(-1, keepdim=True) + up(torch.matmul(fq, z_excl.unsqueeze(-1)))
        y = (num / (den + self.eps)).reshape(b, h, t, dv)
        return y, s0 + s_incl[:, :, -1], z0 + z_incl[:, :, -1]


class Based(LM):
    arch = "based"

    def blocks(self, cfg: BasedConfig):
        d = cfg.d_model
        mixers = {
            "C": lambda: BaseConv(cfg),
            "L": lambda: TaylorLinearAttention(cfg),
            "S": lambda: AlibiAttention(d, cfg.n_heads, cfg.window),
        }
        for kind in cfg.layout:
            if kind not in mixers:
                raise ValueError(f"unknown Based layer kind {kind!r}")
        return [Block(d, mixers[kind](), GatedMLP(d, cfg.mlp_mult * d, F.silu)) for kind in cfg.layout]
