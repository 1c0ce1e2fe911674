"""The pieces every architecture shares: precision lifting, activations, RMSNorm, the two MLP kinds,
and the static-slice causal depthwise convolution.

Only plain tensor ops, so that torch.onnx traces every piece into a graph that takes any length T.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def up(x: torch.Tensor) -> torch.Tensor:
    """Recurrences, softmaxes and norms run in float32 (float64 in tests): lift half precision only."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class RMSNorm(nn.Module):
    """RMSNorm with a (1 + scale) gain, scale starting at zero (recurrentgemma's convention)."""

    def __init__(self, d: int):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = up(x)
        y = xf / torch.sqrt((xf * xf).mean(-1, keepdim=True) + 1e-6)
        return (y * (1.0 + self.scale.to(xf.dtype))).to(x.dtype)


class GatedMLP(nn.Module):
    """down(act(gate(x)) * up(x)): GeGLU (Hawk, Griffin) with gelu_tanh, SwiGLU (Based) with F.silu."""

    out_names = ("down",)  # the linear that writes the residual stream (LM's init scales it)

    def __init__(self, d: int, hidden: int, act=gelu_tanh):
        super().__init__()
        self.act = act
        self.gate = nn.Linear(d, hidden)
        self.up = nn.Linear(d, hidden)
        self.down = nn.Linear(hidden, d)

    def forward(self, x):
        return self.down(self.act(self.gate(x)) * self.up(x))


class MLP(nn.Module):
    """fc2(gelu_tanh(fc1(x))): the plain transformer MLP (ALiBi)."""

    out_names = ("fc2",)

    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(gelu_tanh(self.fc1(x)))


def causal_conv(xc: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Causal depthwise convolution of xc [B, K-1+T, D] (the K-1 carried inputs, then the call's T)
    with taps w [K, D] -> [B, T, D]. Static slices only (no shape arithmetic), so the exported graph
    takes any T, T == 1 included."""
    k = w.shape[0]
    out = xc[:, 0 : -(k - 1)] * w[0]
    for j in range(1, k):
        stop = j - (k - 1)
        out = out + (xc[:, j:stop] if stop < 0 else xc[:, j:]) * w[j]
    return out
