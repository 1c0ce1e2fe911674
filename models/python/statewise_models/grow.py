"""Depth growth: a deeper model that computes exactly the function of a trained one, to train on from
there (the size question of issue 14: a larger default without paying for its first billion tokens).

The layers are cut into the architecture's repeating pattern (griffin: recurrent, recurrent, attention;
`period`) and each new group of `period` layers is a copy of the group before it, inserted right after
it, with the weights that write the residual stream (every mixer's and MLP's `out_names`) set to zero:
such a block adds nothing, so the grown model's logits equal the original's, while the zeroed
projections still get gradients (their inputs are the copied layers' activations) and learn from the
first step. New groups are spread over the depth: with g groups growing to g + n, the copies follow
groups round((k + 0.5) * g / n - 0.5) for k < n.
"""
from __future__ import annotations

import copy

import torch
import torch.nn as nn

from .lm import LM

PERIOD = {"griffin": 3}  # layers per repeat of the layout (Griffin.is_attention: i % 3 == 2)


def grow_plan(groups: int, new_groups: int) -> list[tuple[int, bool]]:
    """For each group of the grown model: (the source group, whether it is a new zero-output copy)."""
    if new_groups < groups:
        raise ValueError(f"cannot shrink {groups} groups to {new_groups}")
    n = new_groups - groups
    after = sorted(min(groups - 1, max(0, round((k + 0.5) * groups / n - 0.5))) for k in range(n)) if n else []
    plan: list[tuple[int, bool]] = []
    for g in range(groups):
        plan.append((g, False))
        plan += [(g, True)] * after.count(g)
    return plan


def _zero_outputs(block: nn.Module) -> None:
    for part in (block.mixer, block.mlp):
        if part is None:
            continue
        for name in part.out_names:
            lin = getattr(part, name)
            nn.init.zeros_(lin.weight)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)


def grow_depth(model: LM, n_layers: int) -> LM:
    """A new model of `n_layers` layers (a multiple of the architecture's period) computing the same
    function as `model` (which is left as it was)."""
    arch = model.arch
    if arch not in PERIOD:
        raise ValueError(f"depth growth is defined for {', '.join(PERIOD)}, not {arch}")
    p = PERIOD[arch]
    old = len(model.layers)
    if old % p or n_layers % p:
        raise ValueError(f"{arch} grows in groups of {p} layers: {old} -> {n_layers}")
    cfg = copy.deepcopy(model.cfg)
    cfg.n_layers = n_layers
    ref = next(model.parameters())
    grown = type(model)(cfg).to(dtype=ref.dtype, device=ref.device)
    grown.fast_train = model.fast_train
    sd = {k: v for k, v in model.state_dict().items() if not k.startswith("layers.")}
    zero: list[int] = []
    for j, (g, is_new) in enumerate(grow_plan(old // p, n_layers // p)):
        for i in range(p):
            src, dst = g * p + i, j * p + i
            for k, v in model.layers[src].state_dict().items():
                sd[f"layers.{dst}.{k}"] = v.clone()
            if is_new:
                zero.append(dst)
    grown.load_state_dict(sd)
    for dst in zero:
        _zero_outputs(grown.layers[dst])
    return grown


@torch.no_grad()
def max_logit_diff(a: LM, b: LM, tokens: torch.Tensor) -> float:
    """Largest |logit difference| of two models over `tokens` [B, T] from the zero state."""
    la, _ = a(tokens, a.init_state(tokens.shape[0]), mode="export")
    lb, _ = b(tokens, b.init_state(tokens.shape[0]), mode="export")
    return float((la - lb).abs().max())
