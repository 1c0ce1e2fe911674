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


# --- fused operators of the exported graphs (issue #17) ------------------------------------------------
# While `fused_export(True)` is active, a torch.onnx export writes gelu_tanh as one com.microsoft FastGelu
# node and a residual add followed by RMSNorm as one SkipSimplifiedLayerNormalization node (both run by
# onnxruntime's CPU, CUDA and WebGPU providers) instead of 9 and 7 elementwise nodes. PyTorch computes
# the same maths either way; export_onnx.py turns it on for the architectures marked gpu_shaped.
_FUSED = False


class fused_export:  # noqa: N801 - a context manager used like a function
    def __init__(self, on: bool = True):
        self.on, self.prev = on, False

    def __enter__(self):
        global _FUSED
        self.prev, _FUSED = _FUSED, self.on

    def __exit__(self, *exc):
        global _FUSED
        _FUSED = self.prev


def _fusing(x: torch.Tensor) -> bool:
    return _FUSED and x.dtype == torch.float32 and torch.onnx.is_in_onnx_export()


def _gelu_tanh_math(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class _FastGelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return _gelu_tanh_math(x)

    @staticmethod
    def symbolic(g, x):
        y = g.op("com.microsoft::FastGelu", x)
        y.setType(x.type())
        return y


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return _FastGelu.apply(x) if _fusing(x) else _gelu_tanh_math(x)


RMS_EPS = 1e-6


class _Unfolded(torch.autograd.Function):
    """Identity; exported as a statewise::Unfolded marker node that export_onnx.py removes after torch's
    and graph_fold's constant folding, so the ops it feeds stay in the file as nodes over initializers."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def symbolic(g, x):
        y = g.op("statewise::Unfolded", x)
        y.setType(x.type())
        return y


def unfolded(w: torch.Tensor) -> torch.Tensor:
    """A parameter whose derived constants (a stacked or concatenated weight) should be computed by
    onnxruntime's constant folding at session creation instead of being stored: the graph then reads
    the stored parameter, which the other graphs share (weights-*.bin does not grow), and the
    int8 quantizer, which only sees MatMul weights that are initializers, leaves the derived weight in
    float. Identity outside a fused export."""
    return _Unfolded.apply(w) if _fusing(w) else w


def _rms_math(xf: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    return xf / torch.sqrt((xf * xf).mean(-1, keepdim=True) + RMS_EPS) * gain


class _SkipRMSNorm(torch.autograd.Function):
    """(rmsnorm(x + skip) * gain, x + skip) as one SkipSimplifiedLayerNormalization node."""

    @staticmethod
    def forward(ctx, x, skip, gain):
        s = skip + x
        return _rms_math(s, gain), s

    @staticmethod
    def symbolic(g, x, skip, gain):
        out = g.op("com.microsoft::SkipSimplifiedLayerNormalization", x, skip, gain, epsilon_f=RMS_EPS, outputs=4)
        out[0].setType(x.type())
        out[3].setType(x.type())
        return out[0], out[3]


class RMSNorm(nn.Module):
    """RMSNorm with a (1 + scale) gain, scale starting at zero (recurrentgemma's convention)."""

    def __init__(self, d: int):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None, single: bool = False):
        """norm(x); with `skip`, the residual add first: (norm(skip + x), skip + x), one node when
        exported fused (called through the module, so that the node keeps the norm's scope name).
        `single` (the step graph, T == 1): norm(x) exported fused too, as the same node with a constant
        zero skip (onnxruntime's SimplifiedLayerNormalization is registered in the onnx domain, which
        onnx's checker refuses; a skip of any length T would need a zero tensor of shape T)."""
        if single and skip is None and _fusing(x):
            return _SkipRMSNorm.apply(x, torch.zeros_like(x), 1.0 + self.scale)[0]
        if skip is not None:
            if _fusing(x) and skip.dtype == x.dtype:
                return _SkipRMSNorm.apply(x, skip, 1.0 + self.scale)
            s = skip + x
            return self(s), s
        xf = up(x)
        y = xf / torch.sqrt((xf * xf).mean(-1, keepdim=True) + RMS_EPS)
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
