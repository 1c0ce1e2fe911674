"""The RG-LRU recurrent block of Hawk and Griffin (De et al. 2024), recurrentgemma's conventions:
softplus parameterisation of the decay, c = 8, sqrt(1 - a^2) input normalisation, width-4 causal
depthwise conv, block-diagonal gates. The same module trains (Triton scan) and exports to ONNX
(doubling scan for prefill, direct update for single-token steps).

State, per block: conv [B, 3, D_rnn] (the last 3 conv inputs) and h [B, D_rnn] (the RG-LRU).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import causal_conv, gelu_tanh, unfolded, up
from .scan import doubling_stages, scan_auto, scan_chunked, scan_cumsum, scan_doubling

CONV_WIDTH = 4
LRU_C = 8.0


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
    _stages = 8  # doubling-scan stages of the export graph (set_export_chunk)
    scan_chunk = 0  # export only: > 0 exports scan_chunked with chunks of this many steps (T a multiple of it)
    scan_outer = 0  # export only, with scan_chunk: > 0 chunks the chunks' states too (scan_chunked's `outer`)
    scan_sums: tuple[int, ...] = ()  # export only: scan_cumsum with these chunks (T a multiple of their product)

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

    def step_coeffs(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """coeffs for one token, u [B, D_rnn] -> (a, b) [B, D_rnn], the same function written for the step
        graph in fewer nodes (docs/models.md §8.3): both block-diagonal gates as one batched matmul over
        their stacked blocks [2, H, k, k] and one Sigmoid and Split, -c * softplus(p) a constant. The
        stacked weight is built from the stored blocks by nodes over initializers only (layers.unfolded),
        which onnxruntime folds at session creation."""
        uf = up(u)
        bsz, hb, k = uf.shape[0], self.gate_x.blocks, self.gate_x.k
        w = torch.stack([unfolded(self.gate_x.w), unfolded(self.gate_a.w)]).to(uf.dtype)  # [2, H, k, k]
        bias = torch.stack([self.gate_x.b, self.gate_a.b]).to(uf.dtype).view(2, hb, 1, k)
        g = torch.sigmoid(torch.matmul(uf.reshape(bsz, 1, hb, 1, k), w) + bias)  # [B, 2, H, 1, k]
        gx, ga = g.reshape(bsz, 2 * hb * k).chunk(2, dim=-1)
        # log a = r * (-c * softplus(p)): the same float32 product as coeffs' (c = 8, a power of two), one Mul
        # by a constant; a^2 as a * a instead of exp(2 log a) (one node fewer; float32 logits within 3e-5)
        a = torch.exp(ga * (-LRU_C * F.softplus(self.a_param.to(uf.dtype))))
        mult = torch.sqrt(torch.clamp(1.0 - a * a, min=1e-8))
        return a, mult * gx * uf

    def forward(self, x: torch.Tensor, h0: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
        if mode == "step":  # T == 1, x [B, D_rnn] (RecurrentBlock.forward_step): h is the new state
            a, b = self.step_coeffs(x)
            h = a * h0.to(a.dtype) + b
            return h, h
        a, b = self.coeffs(x)
        if mode == "export" and self.scan_sums:
            span = math.prod(self.scan_sums)
            h = scan_cumsum(a, b, h0, self.scan_sums, doubling_stages(max(2, 2 ** self._stages // span)))
        elif mode == "export" and self.scan_chunk:
            span = self.scan_chunk * max(1, self.scan_outer)
            h = scan_chunked(a, b, h0, self.scan_chunk, doubling_stages(2 ** self._stages // span), self.scan_outer)
        elif mode == "export":
            h = scan_doubling(a, b, h0, self._stages)
        else:
            h = scan_auto(a, b, h0)
        return h, h[:, -1]


class RecurrentBlock(nn.Module):
    """The mixer: linear_out(RG-LRU(conv(linear_x(x))) * gelu(linear_y(x)))."""

    out_names = ("linear_out",)

    def __init__(self, d_model: int, d_rnn: int, n_gate_blocks: int):
        super().__init__()
        self.d_rnn = d_rnn
        self.linear_y = nn.Linear(d_model, d_rnn)
        self.linear_x = nn.Linear(d_model, d_rnn)
        self.conv_w = nn.Parameter(torch.randn(CONV_WIDTH, d_rnn) * math.sqrt(0.01 / CONV_WIDTH))
        self.conv_b = nn.Parameter(torch.zeros(d_rnn))
        self.lru = RGLRU(d_rnn, n_gate_blocks)
        self.linear_out = nn.Linear(d_rnn, d_model)

    def state_shapes(self):
        return [("conv", [CONV_WIDTH - 1, self.d_rnn]), ("h", [self.d_rnn])]

    def set_export_chunk(self, max_chunk: int):
        self.lru._stages = doubling_stages(max_chunk)

    def forward(self, x, states, mode: str, fast: bool = False):
        if mode == "step":
            return self.forward_step(x, states)
        conv_state, h0 = states
        y = gelu_tanh(self.linear_y(x))
        xb = self.linear_x(x)
        xc = torch.cat([conv_state.to(xb.dtype), xb], dim=1)  # [B, T+3, Dr]
        w = self.conv_w.to(xb.dtype)
        conv = causal_conv(xc, w) + self.conv_b.to(xb.dtype)
        new_conv = up(xc[:, -(CONV_WIDTH - 1) :])
        h, h_last = self.lru(conv, h0, mode)
        out = self.linear_out((h.to(y.dtype)) * y)
        return out, [new_conv, h_last]

    def forward_step(self, x, states):
        """mode 'step' (T == 1): forward's function in fewer graph nodes (docs/models.md §8.3). The conv
        bias is a fifth tap over a constant input of ones (one Concat, Mul and ReduceSum), the RG-LRU runs
        on [B, D_rnn] (RGLRU.step_coeffs), so its h is the state output without a Gather and meets the
        GeLU branch [B, 1, D_rnn] by broadcasting (batch 1, the step graph's)."""
        conv_state, h0 = states
        bsz = x.shape[0]
        y = gelu_tanh(self.linear_y(x))
        xb = self.linear_x(x)
        ones = torch.ones(bsz, 1, self.d_rnn, dtype=xb.dtype, device=xb.device)
        xc = torch.cat([conv_state.to(xb.dtype), xb, ones], dim=1)  # [B, 3 + 1 + 1, Dr]
        w = torch.cat([unfolded(self.conv_w), self.conv_b.unsqueeze(0)], dim=0).to(xb.dtype)  # [5, Dr]
        u = (xc * w).sum(1)  # [B, Dr]: conv + conv_b
        # through the module: the step-only constants keep the lru's scope, where import_onnx.py looks
        # for no parameter
        h, _ = self.lru(u, h0, "step")  # [B, Dr]
        hy = h if bsz == 1 else h.unsqueeze(1)
        out = self.linear_out((hy if hy.dtype == y.dtype else hy.to(y.dtype)) * y)  # no Cast on the state output
        return out, [up(xc[:, 1:CONV_WIDTH]), h]
