"""Hawk (Griffin paper, De et al. 2024): every block is an RG-LRU recurrent block plus a gated MLP.

Equations follow MODELS.md §1.1 (recurrentgemma's code conventions: softplus parameterisation of
the decay, c = 8, sqrt(1 - a^2) input normalisation, width-4 causal depthwise conv, block-diagonal
gates, RMSNorm with (1 + scale)). The same module trains (Triton scan) and exports to ONNX (doubling
scan for prefill, direct update for single-token steps); only plain tensor ops are used outside the
training scan so torch.onnx can trace it.

State contract, per layer l: conv [B, 3, D_rnn] (last 3 conv inputs) and h [B, D_rnn] (RG-LRU).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .head import finish
from .scan import doubling_stages, scan_auto, scan_doubling

CONV_WIDTH = 4
LRU_C = 8.0


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


def up(x: torch.Tensor) -> torch.Tensor:
    """Recurrences and norms run in float32 (float64 in tests): lift half precision only."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class RMSNorm(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = up(x)
        y = xf / torch.sqrt((xf * xf).mean(-1, keepdim=True) + 1e-6)
        return (y * (1.0 + self.scale.to(xf.dtype))).to(x.dtype)


class BlockDiagonal(nn.Module):
    """y = x @ blockdiag(W_1..W_H) + b, with H square blocks."""

    def __init__(self, d: int, blocks: int):
        super().__init__()
        self.blocks, self.k = blocks, d // blocks
        self.w = nn.Parameter(torch.randn(blocks, self.k, self.k) / math.sqrt(self.k))  # LeCun normal
        self.b = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        xb = x.reshape(-1, self.blocks, self.k).transpose(0, 1)  # [H, N, k]
        y = torch.matmul(xb, self.w.to(x.dtype)).transpose(0, 1).reshape(shape)
        return y + self.b.to(x.dtype)


class RGLRU(nn.Module):
    def __init__(self, d_rnn: int, blocks: int):
        super().__init__()
        self.gate_x = BlockDiagonal(d_rnn, blocks)
        self.gate_a = BlockDiagonal(d_rnn, blocks)
        # sigma(Lambda)^2 ~ U[0.81, 0.998]; store p with softplus(p) = -log sigma(Lambda).
        base = torch.sqrt(torch.empty(d_rnn).uniform_(0.81, 0.998))
        self.a_param = nn.Parameter(torch.log(1.0 / base - 1.0))

    def coeffs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-step decay a_t and input b_t of h_t = a_t h_{t-1} + b_t."""
        xf = up(x)
        gx = torch.sigmoid(self.gate_x(xf))
        ga = torch.sigmoid(self.gate_a(xf))
        log_a = -LRU_C * ga * F.softplus(self.a_param.to(xf.dtype))
        a = torch.exp(log_a)
        mult = torch.sqrt(torch.clamp(1.0 - torch.exp(2.0 * log_a), min=1e-8))
        return a, mult * gx * xf

    def forward(self, x: torch.Tensor, h0: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.coeffs(x)
        if mode == "step":  # T == 1
            h = a * h0.unsqueeze(1) + b
        elif mode == "export":
            h = scan_doubling(a, b, h0, self._stages)
        else:
            h = scan_auto(a, b, h0)
        return h, h[:, -1]

    _stages = 8


class RecurrentBlock(nn.Module):
    def __init__(self, cfg: HawkConfig):
        super().__init__()
        d, dr = cfg.d_model, cfg.d_rnn
        self.linear_y = nn.Linear(d, dr)
        self.linear_x = nn.Linear(d, dr)
        self.conv_w = nn.Parameter(torch.randn(CONV_WIDTH, dr) * math.sqrt(0.01 / CONV_WIDTH))
        self.conv_b = nn.Parameter(torch.zeros(dr))
        self.lru = RGLRU(dr, cfg.n_gate_blocks)
        self.linear_out = nn.Linear(dr, d)

    def forward(self, x, conv_state, h0, mode):
        y = gelu_tanh(self.linear_y(x))
        xb = self.linear_x(x)
        xc = torch.cat([conv_state.to(xb.dtype), xb], dim=1)  # [B, T+3, Dr]
        w = self.conv_w.to(xb.dtype)
        if mode == "step":
            conv = (xc * w.unsqueeze(0)).sum(1, keepdim=True)
        else:  # static slices only (no shape arithmetic) so the exported graph takes any T
            conv = xc[:, 0 : -(CONV_WIDTH - 1)] * w[0]
            for j in range(1, CONV_WIDTH):
                stop = j - (CONV_WIDTH - 1)
                conv = conv + (xc[:, j:stop] if stop < 0 else xc[:, j:]) * w[j]
        conv = conv + self.conv_b.to(xb.dtype)
        new_conv = up(xc[:, -(CONV_WIDTH - 1) :])
        h, h_last = self.lru(conv, h0, mode)
        out = self.linear_out((h.to(y.dtype)) * y)
        return out, new_conv, h_last


class MLP(nn.Module):
    def __init__(self, cfg: HawkConfig):
        super().__init__()
        d, m = cfg.d_model, cfg.d_model * cfg.mlp_mult
        self.gate = nn.Linear(d, m)
        self.up = nn.Linear(d, m)
        self.down = nn.Linear(m, d)

    def forward(self, x):
        return self.down(gelu_tanh(self.gate(x)) * self.up(x))


class HawkLayer(nn.Module):
    def __init__(self, cfg: HawkConfig):
        super().__init__()
        self.norm1 = RMSNorm(cfg.d_model)
        self.rec = RecurrentBlock(cfg)
        self.norm2 = RMSNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x, conv_state, h0, mode):
        r, conv, h = self.rec(self.norm1(x), conv_state, h0, mode)
        x = x + r
        x = x + self.mlp(self.norm2(x))
        return x, conv, h


class Hawk(nn.Module):
    arch = "hawk"

    def __init__(self, cfg: HawkConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(HawkLayer(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model)
        self._init_weights()

    def _init_weights(self):
        cfg = self.cfg
        nn.init.normal_(self.embed.weight, std=1.0 / math.sqrt(cfg.d_model))
        out_std_scale = 1.0 / math.sqrt(2 * cfg.n_layers)
        for layer in self.layers:
            for lin in (layer.rec.linear_y, layer.rec.linear_x, layer.mlp.gate, layer.mlp.up):
                nn.init.normal_(lin.weight, std=1.0 / math.sqrt(lin.in_features))
                nn.init.zeros_(lin.bias)
            for lin in (layer.rec.linear_out, layer.mlp.down):
                nn.init.normal_(lin.weight, std=out_std_scale / math.sqrt(lin.in_features))
                nn.init.zeros_(lin.bias)

    # --- the state contract -------------------------------------------------------------
    def state_spec(self) -> list[tuple[str, list[int]]]:
        dr = self.cfg.d_rnn
        spec = []
        for i in range(self.cfg.n_layers):
            spec.append((f"{i}.conv", [CONV_WIDTH - 1, dr]))
            spec.append((f"{i}.h", [dr]))
        return spec

    def init_state(self, batch: int, device=None) -> list[torch.Tensor]:
        return [torch.zeros(batch, *shape, device=device) for _, shape in self.state_spec()]

    def forward(self, tokens: torch.Tensor, state: list[torch.Tensor], mode: str = "train", last_only: bool = False, hidden: bool = False):
        """tokens [B, T] -> (logits [B, T, V] or [B, V] when last_only, new state list)."""
        x = self.embed(tokens)
        new_state: list[torch.Tensor] = []
        for i, layer in enumerate(self.layers):
            x, conv, h = layer(x, state[2 * i], state[2 * i + 1], mode)
            new_state += [conv, h]
        return finish(self, x, new_state, last_only, hidden)

    def set_export_chunk(self, max_chunk: int):
        stages = doubling_stages(max_chunk)
        for layer in self.layers:
            layer.rec.lru._stages = stages

    def param_count(self) -> dict:
        total = sum(p.numel() for p in self.parameters())
        emb = self.embed.weight.numel()
        return {"total": total, "embedding": emb, "non_embedding": total - emb}
