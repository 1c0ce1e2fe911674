"""Augmented linear attention (You et al., ICML 2024), FLASH/GAU-style simplified (docs/models.md §7).

Each layer is x + W_o(gate * (local + global + conv)) on a pre-RMSNorm input (no separate MLP):
- v = SiLU(W_v x), gate = SiLU(W_g x) (width e = expansion * D); z = SiLU(W_z x) (width s), from
  which four per-dim scale/offset pairs give q_l, k_l (local branch) and q_g, k_g (global branch).
- local: within groups of g tokens (aligned on the absolute position), weights ReLU(q_l.k_l / g)^2
  with a causal in-group mask, applied to v.
- global: q_g . S_prev, where S_prev = sum over COMPLETED earlier groups of k_g v^T / g.
- conv: causal depthwise conv with K taps over v.

State contract, per layer l (all fixed shapes):
  s_prev [B, s, e]  sum of k_g v^T / g over completed groups
  s_cur  [B, s, e]  the same sum over the tokens of the current (incomplete) group
  kbuf   [B, g, s]  shift register of the last g tokens' k_l (last slot = most recent)
  vbuf   [B, g, e]  the same for v
  fill   [B, g]     1.0 on the slots that belong to the current group: always the last n slots,
                    n = tokens already in the current group (0 <= n < g); all zeros = group start
  conv   [B, K-1, e] the last K-1 inputs of the conv
The position in the group is n = sum(fill), so the zero state is the start of a document and no
host input is needed. Every call (any T, T == 1 included) runs the same code: token i of the call
has the relative group index floor((n + i) / g) (0 = the group open at the call start); the
intra-call part of both branches is a masked quadratic form, the carried part uses the state.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import RMSNorm, causal_conv, up
from .lm import LM, Block


@dataclass
class LinearizedConfig:
    vocab_size: int = 16384
    d_model: int = 384
    n_layers: int = 16
    qk_dim: int = 128  # s
    expansion: int = 2  # e = expansion * d_model
    group: int = 64  # g
    conv_k: int = 16  # K taps of the causal depthwise conv on v
    max_chunk: int = 256
    # RMS-normalise the global branch's output per token (with a learned gain), as TransNormerLLM's
    # NormAttention: its sum over completed groups has neither a decay nor a normaliser, so without
    # this its output grows with the number of groups read (the shipped model, trained without it, gets
    # worse as a file goes on: models/README.md, "Which models use their context").
    global_norm: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class AugmentedGAU(nn.Module):
    out_names = ("out",)

    def __init__(self, cfg: LinearizedConfig):
        super().__init__()
        d = cfg.d_model
        self.e, self.s, self.g, self.k = cfg.expansion * d, cfg.qk_dim, cfg.group, cfg.conv_k
        e, s = self.e, self.s
        self.proj = nn.Linear(d, 2 * e + s)  # [v | gate | z]
        # rows: q_local, k_local, q_global, k_global
        self.qk_scale = nn.Parameter(torch.ones(4, s) + 0.02 * torch.randn(4, s))
        self.qk_offset = nn.Parameter(torch.zeros(4, s))
        self.conv_w = nn.Parameter(torch.randn(self.k, e) * math.sqrt(0.01 / self.k))
        self.out = nn.Linear(e, d)
        self.global_norm = cfg.global_norm
        if cfg.global_norm:  # the global branch's output, RMS-normalised per token; zero (no group yet) stays zero
            self.norm_global = RMSNorm(e)

    def state_shapes(self):
        e, s, g, k = self.e, self.s, self.g, self.k
        return [
            ("s_prev", [s, e]),
            ("s_cur", [s, e]),
            ("kbuf", [g, s]),
            ("vbuf", [g, e]),
            ("fill", [g]),
            ("conv", [k - 1, e]),
        ]

    def project(self, x):
        """v [B, T, e] and gate (compute dtype) from one projection; z [B, T, s] gives the four
        scaled and offset copies q_local, k_local, q_global, k_global. v and z in float32."""
        e, s = self.e, self.s
        hproj = self.proj(x)
        v = up(F.silu(hproj[..., 0:e]))
        gate = F.silu(hproj[..., e : 2 * e])
        z = up(F.silu(hproj[..., 2 * e : 2 * e + s]))
        sc = self.qk_scale.to(z.dtype)
        of = self.qk_offset.to(z.dtype)
        return v, gate, z * sc[0] + of[0], z * sc[1] + of[1], z * sc[2] + of[2], z * sc[3] + of[3]

    def forward(self, x, states, mode: str = "train", fast: bool = False):
        """fast (training only): `forward_aligned` for calls that span whole groups (the same
        function for calls that start at a group boundary, which train.py's calls always do)."""
        s_prev, s_cur, kbuf, vbuf, fill, conv_state = states
        if fast and x.shape[1] % self.g == 0:
            return self.forward_aligned(x, s_prev, s_cur, kbuf, vbuf, conv_state)
        g, K = self.g, self.k
        gf = float(g)
        v, gate, ql, kl, qg, kg = self.project(x)
        cd = v.dtype
        s_prev = s_prev.to(cd)
        s_cur = s_cur.to(cd)
        kb = kbuf.to(cd)
        vb = vbuf.to(cd)
        fl = fill.to(cd)

        # group bookkeeping in float32 (exact small integers)
        n0 = fill.float().sum(-1, keepdim=True)  # [B, 1] tokens already in the open group
        t = torch.arange(x.shape[1], device=x.device).to(torch.float32)  # [T]
        a = n0 + t.unsqueeze(0)  # [B, T] position counted from the open group's start
        grp = torch.floor(a / gf)  # [B, T] relative group index of each token
        grp_end = torch.floor((a[:, -1:] + 1.0) / gf)  # [B, 1] group index of the next token
        causal = (t.unsqueeze(0) <= t.unsqueeze(1)).unsqueeze(0)  # [1, T(query), T(key)]
        same = grp.unsqueeze(2) == grp.unsqueeze(1)  # [B, T, T]
        earlier = grp.unsqueeze(2) > grp.unsqueeze(1)  # key in an earlier group than the query
        m_loc = (causal & same).to(cd)
        m_glob = earlier.to(cd)
        first = (grp == 0.0).to(cd)  # [B, T] tokens of the group open at the call start
        closed0 = (grp_end >= 1.0).to(cd)  # [B, 1] that group gets completed in this call

        # intra-call part of both branches
        sl = torch.relu(up(torch.matmul(ql, kl.transpose(-1, -2))) / gf)
        sg = up(torch.matmul(qg, kg.transpose(-1, -2))) / gf
        # local branch over the buffered tokens of the open group (only for tokens still in it)
        sb = torch.relu(up(torch.matmul(ql, kb.transpose(-1, -2))) / gf)  # [B, T, g]
        wb = (sb * sb) * fl.unsqueeze(1) * first.unsqueeze(2)
        # global branch from the carried state
        carried = torch.matmul(qg, s_prev) + (1.0 - first).unsqueeze(2) * torch.matmul(qg, s_cur)
        if self.global_norm:  # the two branches apart, the global one normalised
            y = torch.matmul(m_loc * (sl * sl), v) + torch.matmul(wb, vb)
            y = y + self.norm_global(torch.matmul(m_glob * sg, v) + carried)
        else:  # the graph the shipped model was exported with
            w = m_loc * (sl * sl) + m_glob * sg  # [B, T, T]
            y = torch.matmul(w, v)
            y = y + torch.matmul(wb, vb)
            y = y + carried

        # causal depthwise conv on v (static slices only)
        vc = torch.cat([conv_state.to(cd), v], dim=1)  # [B, T+K-1, e]
        y = y + causal_conv(vc, self.conv_w.to(cd))
        out = self.out(gate * y.to(gate.dtype))

        # new state
        w_prev = (grp < grp_end).to(cd)  # [B, T] tokens of groups completed by the call's end
        w_cur = (grp == grp_end).to(cd)  # tokens of the group left open
        kv_prev = torch.matmul((kg * w_prev.unsqueeze(-1)).transpose(-1, -2), v) / gf  # [B, s, e]
        kv_cur = torch.matmul((kg * w_cur.unsqueeze(-1)).transpose(-1, -2), v) / gf
        c3 = closed0.unsqueeze(-1)  # [B, 1, 1]
        new_prev = s_prev + c3 * s_cur + kv_prev
        new_cur = (1.0 - c3) * s_cur + kv_cur
        new_kb = torch.cat([kb, kl], dim=1)[:, -g:]
        new_vb = torch.cat([vb, v], dim=1)[:, -g:]
        new_fill = torch.cat([fl * (1.0 - closed0), w_cur], dim=1)[:, -g:]
        new_conv = vc[:, -(K - 1) :]
        new = [up(new_prev), up(new_cur), up(new_kb), up(new_vb), up(new_fill), up(new_conv)]
        return out, new

    def forward_aligned(self, x, s_prev, s_cur, kbuf, vbuf, conv_state):
        """Training only: `forward` for a call that starts at a group boundary (fill all zeros, as
        every train.py step does: the zero state and T a multiple of g) and spans whole groups.
        Local attention runs per group block; the global branch reads the state summed over
        earlier groups (exclusive prefix sum); the conv is a depthwise conv1d. O(T * g)."""
        e, s, g, K = self.e, self.s, self.g, self.k
        gf = float(g)
        b, t = x.shape[0], x.shape[1]
        n = t // g
        v, gate, ql, kl, qg, kg = self.project(x)
        cd = v.dtype
        vb = v.reshape(b, n, g, e)
        # local: ReLU^2 weights, causal inside each group
        sl = torch.relu(up(torch.matmul(ql.reshape(b, n, g, s), kl.reshape(b, n, g, s).transpose(-1, -2))) / gf)
        causal = torch.tril(torch.ones(g, g, device=x.device, dtype=cd))
        y = up(torch.matmul(causal * (sl * sl), vb))  # [B, n, g, e]
        # global: q_g . (s_prev + s_cur + sum over earlier groups of k_g v^T / g); the open group at
        # the call start is group 0, which sees s_prev only (as `forward` with n = 0)
        kv = up(torch.matmul(kg.reshape(b, n, g, s).transpose(-1, -2), vb)) / gf  # [B, n, s, e]
        incl = torch.cumsum(kv, dim=1)
        later = (torch.arange(n, device=x.device) > 0).to(cd).reshape(1, n, 1, 1)
        s_before = s_prev.to(cd).unsqueeze(1) + later * s_cur.to(cd).unsqueeze(1) + incl - kv
        yg = up(torch.matmul(qg.reshape(b, n, g, s), s_before))
        y = y + (self.norm_global(yg) if self.global_norm else yg)
        y = y.reshape(b, t, e)
        vc = torch.cat([conv_state.to(cd), v], dim=1)  # [B, T+K-1, e]
        conv = F.conv1d(vc.transpose(1, 2), self.conv_w.to(cd).t().unsqueeze(1), groups=e).transpose(1, 2)
        y = y + conv
        out = self.out(gate * y.to(gate.dtype))
        new_prev = s_prev.to(cd) + s_cur.to(cd) + incl[:, -1]
        zeros = torch.zeros(b, g, device=x.device, dtype=cd)
        new = [up(new_prev), torch.zeros_like(up(new_prev)), up(kl[:, -g:]), up(v[:, -g:]), zeros, up(vc[:, -(K - 1) :])]
        return out, new


class Linearized(LM):
    """Blocks of x + mixer(norm1(x)) with no separate MLP."""

    arch = "linearized"

    def blocks(self, cfg: LinearizedConfig):
        return [Block(cfg.d_model, AugmentedGAU(cfg)) for _ in range(cfg.n_layers)]
