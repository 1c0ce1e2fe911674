"""Depth growth (grow.py): the grown model computes the original's function, over a prefill and step by
step from its own (longer) state; its new blocks write nothing yet still learn; the plan spreads the
copies over the depth."""
import pytest
import torch

from statewise_models.grow import grow_depth, grow_plan, max_logit_diff
from statewise_models.registry import make_model

V = 300
SMALL = dict(vocab_size=V, d_model=48, d_rnn=64, n_layers=6, n_gate_blocks=4, n_heads=3, head_dim=16, window=4, max_chunk=64)


def _trained_like(seed=0):
    torch.manual_seed(seed)
    m = make_model("griffin", SMALL).double()
    with torch.no_grad():  # non-trivial weights everywhere (norm scales too)
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return m.eval()


def test_plan_spreads_the_copies_and_keeps_the_order():
    assert grow_plan(3, 3) == [(0, False), (1, False), (2, False)]
    assert grow_plan(3, 6) == [(0, False), (0, True), (1, False), (1, True), (2, False), (2, True)]
    assert grow_plan(3, 4) == [(0, False), (1, False), (1, True), (2, False)]
    plan = grow_plan(3, 5)
    assert [g for g, new in plan if not new] == [0, 1, 2] and sum(new for _, new in plan) == 2
    with pytest.raises(ValueError):
        grow_plan(3, 2)


@pytest.mark.parametrize("n_layers", [6, 9, 12])
def test_grown_model_computes_the_same_logits(n_layers):
    m = _trained_like()
    g = grow_depth(m, n_layers).double().eval()
    assert len(g.layers) == n_layers and g.cfg.n_layers == n_layers and m.cfg.n_layers == 6
    tokens = torch.randint(0, V, (2, 23))
    assert max_logit_diff(m, g, tokens) < 1e-9
    # step by step from the grown model's own state (the new attention layers' windows fill too)
    s_m, s_g = m.init_state(2), g.init_state(2)
    for t in range(tokens.shape[1]):
        lm_, s_m = m(tokens[:, t : t + 1], s_m, mode="step")
        lg, s_g = g(tokens[:, t : t + 1], s_g, mode="step")
        assert float((lm_ - lg).abs().max()) < 1e-9


def test_new_blocks_write_nothing_but_learn():
    m = _trained_like()
    g = grow_depth(m, 9).double().train()
    new = [j for j, (_, is_new) in enumerate(grow_plan(2, 3)) if is_new]
    assert new == [1]  # layers 3, 4, 5: the copy of group 0 (layers 0..2)
    for i in (3, 4, 5):
        b = g.layers[i]
        for part in (b.mixer, b.mlp):
            for name in part.out_names:
                assert float(getattr(part, name).weight.abs().max()) == 0.0
    # copied, not fresh: the new layers' input projections are their source's
    assert torch.equal(g.layers[3].mixer.linear_x.weight, m.layers[0].mixer.linear_x.weight)
    tokens = torch.randint(0, V, (2, 12))
    logits, _ = g(tokens, g.init_state(2), mode="export")
    torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1)).backward()
    for i in (3, 4, 5):
        assert float(g.layers[i].mlp.down.weight.grad.abs().max()) > 0.0


def test_only_whole_groups_of_a_known_architecture():
    m = _trained_like()
    with pytest.raises(ValueError, match="groups of 3"):
        grow_depth(m, 8)
    with pytest.raises(ValueError, match="depth growth is defined for griffin"):
        grow_depth(make_model("hawk", dict(vocab_size=V, d_model=48, d_rnn=64, n_layers=3, n_gate_blocks=4)), 6)
