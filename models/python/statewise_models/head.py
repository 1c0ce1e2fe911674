"""The tied output head every architecture ends in (lm.LM), and the training loss computed through it in
chunks of positions so that the [batch, seq, vocab] logits never exist whole (at batch 16 x 2,048 x
16,384 they are 2 GiB in float32, and the loss's softmax and gradient as much again each)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def tied_logits(x: torch.Tensor, embed_weight: torch.Tensor) -> torch.Tensor:
    """Final-norm output [..., D] -> logits [..., V] against the tied embedding, float32 (float64 kept)."""
    logits = torch.matmul(x, embed_weight.to(x.dtype).t())
    return logits if logits.dtype == torch.float64 else logits.float()


def _chunk_nll(h, w, y):
    logits = tied_logits(h, w)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")


def chunked_loss(h: torch.Tensor, embed_weight: torch.Tensor, y: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Mean cross-entropy of normed hidden states h [B, T, D] against targets y [B, T], equal to
    F.cross_entropy(tied_logits(h, w).reshape(-1, V), y.reshape(-1)); each chunk of positions is
    recomputed in the backward pass instead of stored, so at most one chunk's logits are alive."""
    total = None
    for c in range(0, h.shape[1], chunk):
        part = (h[:, c : c + chunk], embed_weight, y[:, c : c + chunk])
        nll = checkpoint(_chunk_nll, *part, use_reentrant=False) if torch.is_grad_enabled() else _chunk_nll(*part)
        total = nll if total is None else total + nll
    return total / y.numel()
