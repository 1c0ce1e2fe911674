"""The training-only fast paths (`fast_train`) compute the same function as the reference forward
that is exported and tested against step-by-step decoding: same logits, same new state, same
gradients, from non-trivial states (float64, CPU)."""
import pytest
import torch

from statewise_models import based as based_mod
from statewise_models.alibi import AlibiConfig, AlibiTransformer
from statewise_models.based import Based, BasedConfig
from statewise_models.linearized import Linearized, LinearizedConfig

V = 300


def perturbed(model):
    torch.manual_seed(0)
    m = model.double()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "scale" in n and "qk_scale" not in n or "bias" in n or "conv_b" in n or "qk_offset" in n:
                p.normal_(0, 0.1)
    return m


def run(m, toks, state, fast):
    m.fast_train = fast
    m.zero_grad(set_to_none=True)
    st = [s.clone() for s in state]
    logits, new = m(toks, st, mode="train")
    (logits.square().mean() + sum(x.square().mean() for x in new if x.requires_grad)).backward()
    grads = {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}
    return logits.detach(), [x.detach() for x in new], grads


def assert_same(m, toks, state, atol=1e-9):
    ref = run(m, toks, state, False)
    fast = run(m, toks, state, True)
    assert torch.allclose(ref[0], fast[0], atol=atol), (ref[0] - fast[0]).abs().max()
    assert len(ref[1]) == len(fast[1])
    for (name, _), a, b in zip(m.state_spec(), ref[1], fast[1]):
        assert a.shape == b.shape, name
        assert torch.allclose(a, b, atol=atol), (name, (a - b).abs().max())
    assert ref[2].keys() == fast[2].keys()
    for n in ref[2]:
        assert torch.allclose(ref[2][n], fast[2][n], atol=atol), (n, (ref[2][n] - fast[2][n]).abs().max())


def noisy_state(m, b, g, names):
    st = [x.double() for x in m.init_state(b)]
    for i, (name, _) in enumerate(m.state_spec()):
        if name.split(".")[1] in names:
            st[i] = st[i] + 0.3 * torch.randn(st[i].shape, generator=g, dtype=torch.float64)
    return st


@pytest.mark.parametrize("t", [7, 16, 33])
def test_alibi_no_cache(t):
    """train_cache False (what the zoo trains): plain causal ALiBi attention within the call."""
    m = perturbed(AlibiTransformer(AlibiConfig(vocab_size=V, d_model=48, n_layers=2, n_heads=3, max_context=16, train_cache=False)))
    g = torch.Generator().manual_seed(1)
    toks = torch.randint(0, V, (2, t), generator=g)
    assert_same(m, toks, noisy_state(m, 2, g, ("k", "v")))


def test_alibi_blocked_cache():
    """train_cache True with T a multiple of the cap: block-by-block attention over the cache."""
    m = perturbed(AlibiTransformer(AlibiConfig(vocab_size=V, d_model=48, n_layers=2, n_heads=3, max_context=8, train_cache=True)))
    g = torch.Generator().manual_seed(2)
    toks = torch.randint(0, V, (2, 24), generator=g)
    st = noisy_state(m, 2, g, ("k", "v"))
    for i, (name, _) in enumerate(m.state_spec()):  # a partly filled cache: the oldest slots empty
        if name.endswith("valid"):
            st[i] = torch.cat([torch.zeros(2, 3), torch.ones(2, 5)], dim=1).double()
    assert_same(m, toks, st)


def test_based(monkeypatch):
    monkeypatch.setattr(based_mod, "LA_CHUNK", 8)
    m = perturbed(Based(BasedConfig(vocab_size=V, d_model=48, layout="CLSC", n_heads=2, feature_dim=4, window=4)))
    g = torch.Generator().manual_seed(3)
    toks = torch.randint(0, V, (2, 32), generator=g)
    st = noisy_state(m, 2, g, ("conv", "S", "k", "v"))
    for i, (name, _) in enumerate(m.state_spec()):
        if name.endswith(".z"):  # a normaliser as after some tokens (positive)
            st[i] = st[i] + 5.0
        if name.endswith("valid"):
            st[i] = torch.tensor([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]).double()
    assert_same(m, toks, st)
    # a length that is not a multiple of the chunk falls back to the reference
    assert_same(m, toks[:, :13], st)


@pytest.mark.parametrize("t", [4, 12, 32])
@pytest.mark.parametrize("global_norm", [False, True])
def test_linearized_aligned(t, global_norm):
    cfg = LinearizedConfig(vocab_size=V, d_model=48, n_layers=2, qk_dim=16, expansion=2, group=4, conv_k=3, global_norm=global_norm)
    m = perturbed(Linearized(cfg))
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "conv_w" in n:
                p.normal_(0, 0.3)
    g = torch.Generator().manual_seed(4)
    toks = torch.randint(0, V, (2, t), generator=g)
    # a group boundary (fill all zeros) with arbitrary sums and buffers, as after whole groups
    st = noisy_state(m, 2, g, ("s_prev", "s_cur", "kbuf", "vbuf", "conv"))
    assert_same(m, toks, st)


def test_linearized_state_after_aligned_call_is_aligned():
    """What makes the fast path apply to every train.py step: a call of whole groups from a group
    boundary ends at a group boundary (fill zeros, s_cur zeros)."""
    m = perturbed(Linearized(LinearizedConfig(vocab_size=V, d_model=48, n_layers=2, qk_dim=16, expansion=2, group=4, conv_k=3)))
    toks = torch.randint(0, V, (1, 12))
    with torch.no_grad():
        _, st = m(toks, [x.double() for x in m.init_state(1)], mode="train")
    for (name, _), x in zip(m.state_spec(), st):
        if name.split(".")[1] in ("fill", "s_cur"):
            assert torch.count_nonzero(x) == 0, name
