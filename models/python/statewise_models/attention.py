"""ALiBi attention (Press et al. 2022) over a fixed-shape shift-register KV cache: the mixer of the
ALiBi transformer and of Based's sliding-window layers; Griffin's local attention shares the slopes.

A per-head linear distance bias -m_h * (i - j) and no position embeddings anywhere. The cache keeps
`window` slots: each call concatenates its new keys/values after the cached ones and keeps the last
`window` rows, so the oldest entries drop out. Slot positions are implicit (the last slot is the most
recent token), so the distances come from slot indices and the graph needs no position input.
Unfilled slots carry valid = 0 and are masked additively with (valid - 1) * 1e4; the zero state is the
empty cache. Queries never look further back than `window` tokens inside one call either (a band
mask), so a parallel prefill of any length equals token-by-token decoding: sliding-window attention.

State, per block: k, v [B, H, window, dh] and valid [B, window] (1.0 for filled slots).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .layers import up

MASK = 1e4  # additive mask magnitude (fp16-safe)


def alibi_slopes(n: int) -> list[float]:
    """Per-head slopes: 2^(-8h/n) for n a power of two; otherwise the power-of-two slopes for
    c = 2^floor(log2 n) heads followed by the even-indexed slopes of the 2c-head sequence."""

    def pow2(m: int) -> list[float]:
        start = 2.0 ** (-8.0 / m)
        return [start ** (i + 1) for i in range(m)]

    c = 2 ** int(math.floor(math.log2(n)))
    if c == n:
        return pow2(n)
    return pow2(c) + pow2(2 * c)[0::2][: n - c]


def cache_with(k, v, k_state, v_state, valid, use_cache: bool = True):
    """The cache followed by the new tokens, in k's dtype: k_all, v_all [B, H, W+T, dh] and
    valid_all [B, W+T]; use_cache=False takes the cache as empty (all slots invalid). The last W
    slots of the three are the new state."""
    cd = k.dtype
    if use_cache:
        k_state, v_state, valid = k_state.to(cd), v_state.to(cd), valid.to(cd)
    else:
        k_state, v_state = torch.zeros_like(k_state, dtype=cd), torch.zeros_like(v_state, dtype=cd)
        valid = torch.zeros_like(valid, dtype=cd)
    k_all = torch.cat([k_state, k], dim=2)
    v_all = torch.cat([v_state, v], dim=2)
    valid_all = torch.cat([valid, torch.ones_like(k[:, 0, :, 0])], dim=1)
    return k_all, v_all, valid_all


def window_attention(q, k, v, k_state, v_state, valid, slopes, window: int, use_cache: bool = True):
    """Causal softmax attention over a shift-register cache plus the new tokens, ALiBi-biased.

    q, k, v [B, H, T, dh]; k_state, v_state [B, H, W, dh]; valid [B, W]; slopes [H]; W = window.
    Query i sits at concatenated slot W + i and sees slots j with 0 <= (W + i) - j <= W that are
    valid. Returns y [B, H, T, dh] and the new (k_state, v_state, valid): the last W slots.
    Only dynamic Range ops (torch.arange of a shape) and constant slices depend on T.
    use_cache=False (cheap training only): the incoming state counts as empty, so attention runs
    over the T new keys alone; the returned state is the one an empty cache would give.
    """
    k_all, v_all, valid_all = cache_with(k, v, k_state, v_state, valid, use_cache)
    if use_cache:
        k_att, v_att, offset = k_all, v_all, float(window)
    else:
        k_att, v_att, offset = k, v, 0.0
    bias = alibi_band_bias(slopes, q.shape[2], k_att.shape[2], offset, window, q.device)  # [H, T, W+T] (or [H, T, T])
    logits = up(torch.matmul(q, k_att.transpose(-1, -2))) / math.sqrt(q.shape[-1])  # softmax in fp32+
    logits = logits + bias.to(logits.dtype).unsqueeze(0)
    if use_cache:
        logits = logits + ((valid_all - 1.0) * MASK).to(logits.dtype).unsqueeze(1).unsqueeze(1)
    att = torch.softmax(logits, dim=-1)
    y = torch.matmul(att.to(v_att.dtype), v_att)
    new_k = up(k_all[:, :, -window:])
    new_v = up(v_all[:, :, -window:])
    new_valid = up(valid_all[:, -window:])
    return y, new_k, new_v, new_valid


def alibi_band_bias(slopes, t_q: int, t_k: int, offset: float, window: int, device) -> torch.Tensor:
    """[H, t_q, t_k] additive bias: -m_h * (i + offset - j) where 0 <= i + offset - j <= window, else
    -MASK. Positions in float32 (exact integers), distances from slot indices; only Range ops depend
    on the lengths, so the exported graphs take any T."""
    qi = torch.arange(t_q, device=device).to(torch.float32) + float(offset)
    kj = torch.arange(t_k, device=device).to(torch.float32)
    dist = qi.unsqueeze(1) - kj.unsqueeze(0)
    band = ((dist >= 0.0) & (dist <= float(window))).to(torch.float32)
    return -slopes.to(torch.float32).reshape(-1, 1, 1) * (dist * band).unsqueeze(0) + ((band - 1.0) * MASK).unsqueeze(0)


def causal_attention_fast(q, k, v, slopes, window: int):
    """Training only: what `window_attention(..., use_cache=False)` computes for y, through fused
    scaled_dot_product_attention (torch >= 2) instead of a materialised float32 softmax."""
    bias = alibi_band_bias(slopes, q.shape[2], k.shape[2], 0, window, q.device)
    sdpa = getattr(torch.nn.functional, "scaled_dot_product_attention", None)
    if sdpa is not None:
        return sdpa(q, k, v, attn_mask=bias.to(q.dtype).unsqueeze(0))
    logits = up(torch.matmul(q, k.transpose(-1, -2))) / math.sqrt(q.shape[-1]) + bias.unsqueeze(0)
    return torch.matmul(torch.softmax(logits, dim=-1).to(v.dtype), v)


def window_attention_blocked(q, k, v, k_state, v_state, valid, slopes, window: int):
    """Training only: `window_attention` with the cache, computed block by block. Requires
    T % window == 0. Query block j (window queries) can only see the window keys before it and its
    own block, so each block attends to 2 * window keys instead of window + T: O(T * window)."""
    b, h, t, dh = q.shape
    w = window
    nb = t // w
    cd = q.dtype
    k_all, v_all, valid_all = cache_with(k, v, k_state, v_state, valid)
    kb = k_all.reshape(b, h, nb + 1, w, dh)
    vb = v_all.reshape(b, h, nb + 1, w, dh)
    k2 = torch.cat([kb[:, :, :-1], kb[:, :, 1:]], dim=3)  # [B, H, nb, 2W, dh]: previous + own block
    v2 = torch.cat([vb[:, :, :-1], vb[:, :, 1:]], dim=3)
    va = valid_all.reshape(b, nb + 1, w)
    val2 = torch.cat([va[:, :-1], va[:, 1:]], dim=2)  # [B, nb, 2W]
    qb = q.reshape(b, h, nb, w, dh)
    bias = alibi_band_bias(slopes, w, 2 * w, w, w, q.device)  # [H, W, 2W]: query i at slot W + i
    logits = up(torch.matmul(qb, k2.transpose(-1, -2))) / math.sqrt(dh)  # [B, H, nb, W, 2W]
    logits = logits + bias.unsqueeze(0).unsqueeze(2) + ((up(val2) - 1.0) * MASK).unsqueeze(1).unsqueeze(3)
    att = torch.softmax(logits, dim=-1)
    y = torch.matmul(att.to(cd), v2).reshape(b, h, t, dh)
    return y, up(k_all[:, :, -w:]), up(v_all[:, :, -w:]), up(valid_all[:, -w:])


class AlibiAttention(nn.Module):
    """Multi-head softmax attention with ALiBi over a window-sized shift-register KV state."""

    out_names = ("out",)

    def __init__(self, d: int, n_heads: int, window: int, train_cache: bool = True):
        super().__init__()
        self.d, self.h, self.dh, self.window = d, n_heads, d // n_heads, window
        self.train_cache = train_cache
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d, bias=False)
        self.register_buffer("slopes", torch.tensor(alibi_slopes(n_heads), dtype=torch.float32), persistent=False)

    # shift registers: the slots of k and v (axis 1 here), filled last, marked by "valid" (lm.state_windows)
    window_slots = {"k": 1, "v": 1}

    def state_shapes(self) -> list[tuple[str, list[int]]]:
        return [("k", [self.h, self.window, self.dh]), ("v", [self.h, self.window, self.dh]), ("valid", [self.window])]

    def forward(self, x, states, mode: str, fast: bool = False):
        """Mode 'train' ignores the incoming cache when train_cache is False (plain causal attention
        within the call); 'export' and 'step' always use it. fast (training only): the same function
        through `causal_attention_fast` (no cache) or `window_attention_blocked` (cache, T a
        multiple of the window), in the compute dtype."""
        k_state, v_state, valid = states
        use_cache = mode != "train" or self.train_cache
        b, t = x.shape[0], x.shape[1]
        d, h, dh = self.d, self.h, self.dh
        qkv = self.qkv(x)
        lift = (lambda z: z) if fast else up
        q = lift(qkv[..., 0:d]).reshape(b, -1, h, dh).transpose(1, 2)
        k = lift(qkv[..., d : 2 * d]).reshape(b, -1, h, dh).transpose(1, 2)
        v = lift(qkv[..., 2 * d : 3 * d]).reshape(b, -1, h, dh).transpose(1, 2)
        if fast and not use_cache:
            y = causal_attention_fast(q, k, v, self.slopes, self.window)
            k_all, v_all, valid_all = cache_with(k, v, k_state, v_state, valid, use_cache=False)
            w = self.window
            nk, nv, nvalid = up(k_all[:, :, -w:]), up(v_all[:, :, -w:]), up(valid_all[:, -w:])
        elif fast and t % self.window == 0:
            y, nk, nv, nvalid = window_attention_blocked(q, k, v, k_state, v_state, valid, self.slopes, self.window)
        else:
            y, nk, nv, nvalid = window_attention(up(q), up(k), up(v), k_state, v_state, valid, self.slopes, self.window, use_cache)
        y = y.transpose(1, 2).reshape(b, -1, d).to(x.dtype)
        return self.out(y), [nk, nv, nvalid]
