"""Diagonal linear recurrence h_t = a_t * h_{t-1} + b_t over the time axis.

Three implementations of the same function:
- `scan_sequential`: the definition, a Python loop (reference for tests).
- `scan_doubling`: log-depth doubling scan with static slices and concats; this is the form
  exported to ONNX (docs/models.md §8.2), valid for T <= 2**stages.
- `scan_triton`: a Triton kernel (sequential in time, parallel over batch x channels) with a
  hand-written backward pass, used for training.
All take a, b of shape [B, T, D] (float32) and h0 of shape [B, D]; they return h of shape [B, T, D].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

try:  # Triton is present on the GPU machine, absent elsewhere.
    import triton
    import triton.language as tl
except Exception:  # pragma: no cover
    triton = None


def scan_sequential(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    h = h0
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, dim=1)


def doubling_stages(max_len: int) -> int:
    return max(1, math.ceil(math.log2(max(2, max_len))))


def scan_doubling(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor, stages: int) -> torch.Tensor:
    """Associative scan by doubling. After stage k each position holds the composition of the
    2**(k+1) most recent steps; shifts pull in the identity (alpha=1, beta=0) past the start.

    Each shift is a constant Pad then a constant Slice, so the exported graph holds no shape
    arithmetic (torch.zeros(b, s, d) would trace into Shape/ConstantOfShape/Concat chains that
    onnxruntime runs on the CPU under a GPU provider): 7 nodes a stage, any T."""
    alpha, beta = a, b
    for k in range(stages):
        s = 2 ** k
        beta_prev = F.pad(beta, (0, 0, s, 0))[:, :-s]
        alpha_prev = F.pad(alpha, (0, 0, s, 0), value=1.0)[:, :-s]
        beta = beta + alpha * beta_prev
        alpha = alpha * alpha_prev
    return beta + alpha * h0.unsqueeze(1)


if triton is not None:

    @triton.jit
    def _scan_fwd_kernel(A, B, H0, H, T, D, BLOCK: tl.constexpr):
        pid_b = tl.program_id(0)
        pid_d = tl.program_id(1)
        offs = pid_d * BLOCK + tl.arange(0, BLOCK)
        mask = offs < D
        h = tl.load(H0 + pid_b * D + offs, mask=mask, other=0.0)
        base = pid_b * T * D
        for t in range(T):
            a = tl.load(A + base + t * D + offs, mask=mask, other=0.0)
            b = tl.load(B + base + t * D + offs, mask=mask, other=0.0)
            h = a * h + b
            tl.store(H + base + t * D + offs, h, mask=mask)

    @triton.jit
    def _scan_bwd_kernel(A, H, H0, DH, DA, DB, DH0, T, D, BLOCK: tl.constexpr):
        # g_t = dL/dh_t (total) = dh_t + a_{t+1} g_{t+1};  db_t = g_t;  da_t = g_t h_{t-1}
        pid_b = tl.program_id(0)
        pid_d = tl.program_id(1)
        offs = pid_d * BLOCK + tl.arange(0, BLOCK)
        mask = offs < D
        base = pid_b * T * D
        h0 = tl.load(H0 + pid_b * D + offs, mask=mask, other=0.0)
        carry = tl.zeros([BLOCK], dtype=tl.float32)
        for i in range(T):
            t = T - 1 - i
            g = carry + tl.load(DH + base + t * D + offs, mask=mask, other=0.0)
            prev = tl.load(H + base + (t - 1) * D + offs, mask=mask & (t > 0), other=0.0)
            prev = tl.where(t > 0, prev, h0)
            a = tl.load(A + base + t * D + offs, mask=mask, other=0.0)
            tl.store(DB + base + t * D + offs, g, mask=mask)
            tl.store(DA + base + t * D + offs, g * prev, mask=mask)
            carry = g * a
        tl.store(DH0 + pid_b * D + offs, carry, mask=mask)

    class _TritonScan(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, h0):
            a = a.contiguous().float()
            b = b.contiguous().float()
            h0 = h0.contiguous().float()
            bsz, t, d = a.shape
            h = torch.empty_like(a)
            block = 128
            grid = (bsz, triton.cdiv(d, block))
            _scan_fwd_kernel[grid](a, b, h0, h, t, d, BLOCK=block)
            ctx.save_for_backward(a, h, h0)
            return h

        @staticmethod
        def backward(ctx, dh):
            a, h, h0 = ctx.saved_tensors
            dh = dh.contiguous().float()
            bsz, t, d = a.shape
            da = torch.empty_like(a)
            db = torch.empty_like(a)
            dh0 = torch.empty_like(h0)
            block = 128
            grid = (bsz, triton.cdiv(d, block))
            _scan_bwd_kernel[grid](a, h, h0, dh, da, db, dh0, t, d, BLOCK=block)
            return da, db, dh0


def scan_triton(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    if triton is None or not a.is_cuda:
        raise RuntimeError("scan_triton needs Triton and CUDA tensors")
    return _TritonScan.apply(a, b, h0)


def scan_auto(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    if triton is not None and a.is_cuda:
        return scan_triton(a, b, h0)
    return scan_doubling(a, b, h0, doubling_stages(a.shape[1]))
