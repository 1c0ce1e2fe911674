"""Diagonal linear recurrence h_t = a_t * h_{t-1} + b_t over the time axis.

Implementations of the same function:
- `scan_sequential`: the definition, a Python loop (reference for tests).
- `scan_doubling`: log-depth doubling scan with static slices and concats; this is the form
  exported to ONNX (docs/models.md §8.2), valid for T <= 2**stages.
- `scan_chunked`: decay matrices within chunks, a doubling scan between them (or decay matrices again
  over the chunks' states, then the doubling scan); T a multiple of the chunk (the GPU ingest graph).
- `scan_cumsum`: running sums within chunks of a few steps, the chunks' states the same way in turn, a
  doubling scan over what is left: every tensor [T, D] or smaller (the GPU ingest graph, form cumsum).
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



def scan_chunked(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor, chunk: int, stages: int, outer: int = 0) -> torch.Tensor:
    """The same recurrence for T a multiple of `chunk`, in chunks of `chunk` steps (export only: the
    ingest graph for a GPU, docs/models.md §8.2). Within a chunk, with A_t the sum of log a over the
    chunk up to t, h_t = sum_{s<=t} exp(A_t - A_s) b_s + exp(A_t) H, where H is the state before the
    chunk: one [chunk, chunk] decay matrix per chunk and channel instead of a scan over T. The states
    between chunks are a doubling scan over T / chunk positions (`stages` stages: exact for up to
    2**stages chunks). Every exponent is <= 0 (clamped before the mask zeroes s > t), so nothing
    overflows; a decay that underflows float32 (log a < -69) is taken as 1e-30. Its largest tensor is
    [T, chunk, D] (T * D * chunk floats), against the doubling scan's log2(T) passes over [T, D].

    `outer` > 0: the states between chunks are themselves a recurrence (each chunk's total decay and
    its sum from the zero state), computed the same way in chunks of `outer` chunks, so the doubling
    scan (`stages`) runs over T / (chunk * outer) positions: a GPU graph with fewer, larger nodes
    (7 nodes a doubling stage). T a multiple of chunk * outer."""
    bsz, d = a.shape[0], a.shape[2]
    la = torch.log(a.clamp(min=1e-30)).reshape(bsz, -1, chunk, d)  # [B, N, C, D]
    cum = torch.cumsum(la, dim=2)  # A_t within the chunk
    diff = cum.unsqueeze(3) - cum.unsqueeze(2)  # [B, N, C(t), C(s), D]: A_t - A_s
    tril = torch.tril(torch.ones(chunk, chunk, dtype=a.dtype, device=a.device)).unsqueeze(-1)  # s <= t
    decay = torch.exp(diff.clamp(max=0.0)) * tril
    inner = (decay * b.reshape(bsz, -1, chunk, d).unsqueeze(2)).sum(3)  # [B, N, C, D]: from the zero state
    whole = torch.exp(cum)  # decay from the chunk's start to t
    if outer:
        states = scan_chunked(whole[:, :, -1], inner[:, :, -1], h0, outer, stages)  # [B, N, D]: after each chunk
    else:
        states = scan_doubling(whole[:, :, -1], inner[:, :, -1], h0, stages)
    before = torch.cat([h0.unsqueeze(1), states[:, :-1]], dim=1)  # [B, N, D]: before each chunk
    return (inner + whole * before.unsqueeze(2)).reshape(bsz, -1, d)


# scan_cumsum: within a chunk of C steps exp(-A_t) <= e^CUMSUM_MAX_EXP (finite in float32, max ~3.4e38)
# because each log a is floored at -CUMSUM_MAX_EXP / C. A decay below that floor (e^-10 for C = 8) is
# taken as the floor: what that changes is a contribution already scaled by less than the floor.
CUMSUM_MAX_EXP = 80.0


def scan_cumsum(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor, chunks: tuple[int, ...], stages: int) -> torch.Tensor:
    """The same recurrence, T a multiple of the product of `chunks` (export only: the GPU ingest graph,
    docs/models.md §8.2). Within a chunk of C = chunks[0] steps, with A_t the sum of log a over the chunk
    up to t, h_t = exp(A_t) * (H + sum_{s<=t} exp(-A_s) b_s), H the state before the chunk: two running
    sums (CumSum) over [T, D] instead of scan_chunked's [T, C, D] decay matrices. The states between
    chunks are the same recurrence over T / C positions (each chunk's total decay and its sum from the
    zero state), computed with chunks[1:], and a doubling scan of `stages` stages where none are left.
    log a is floored at -CUMSUM_MAX_EXP / C so that exp(-A_t) cannot overflow (exact where no decay is
    below it: for C = 8, e^-10; the chunks' totals at the next levels pass it more often)."""
    if not chunks:
        return scan_doubling(a, b, h0, stages)
    c = chunks[0]
    bsz, d = a.shape[0], a.shape[2]
    cum = torch.cumsum(torch.log(a.clamp(min=math.exp(-CUMSUM_MAX_EXP / c))).reshape(bsz, -1, c, d), dim=2)
    whole = torch.exp(cum)  # [B, N, C, D]: decay from the chunk's start to t, >= e^-80
    inner = whole * torch.cumsum(b.reshape(bsz, -1, c, d) * whole.reciprocal(), dim=2)  # from the zero state
    states = scan_cumsum(whole[:, :, -1], inner[:, :, -1], h0, chunks[1:], stages)  # [B, N, D]: after each chunk
    before = torch.cat([h0.unsqueeze(1), states[:, :-1]], dim=1)  # [B, N, D]: before each chunk
    return (inner + whole * before.unsqueeze(2)).reshape(bsz, -1, d)


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
