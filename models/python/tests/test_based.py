"""Parity of the Based definitions: Taylor features; parallel forward == step-by-step decoding from
a non-trivial state; chunked export prefill continues the state for any split."""
import math

import pytest
import torch

from statewise_models.based import Based, BasedConfig, taylor_features

SMALL = dict(vocab_size=300, d_model=48, layout="CLS", n_heads=2, feature_dim=4, window=4, max_chunk=64)


def small_model(layout="CLS"):
    torch.manual_seed(0)
    m = Based(BasedConfig(**{**SMALL, "layout": layout})).double()
    # non-trivial norms and biases so the test exercises them
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "scale" in n or "bias" in n or "conv_b" in n:
                p.normal_(0, 0.1)
    return m


def zero_state(m, b):
    return [x.double() for x in m.init_state(b)]


def prefix_state(m, lengths, noise=True):
    """State after a different number of random tokens per batch row, plus noise on the tensors
    where any value is legal (conv inputs, S, cached K/V); z and valid stay consistent."""
    g = torch.Generator().manual_seed(7)
    rows = []
    with torch.no_grad():
        for n in lengths:
            st = zero_state(m, 1)
            if n > 0:
                toks = torch.randint(0, SMALL["vocab_size"], (1, n), generator=g)
                _, st = m(toks, st, mode="train")
            rows.append(st)
    out = []
    for (name, _), xs in zip(m.state_spec(), zip(*rows)):
        x = torch.cat(xs, dim=0)
        if noise and name.split(".")[1] in ("conv", "S", "k", "v"):
            x = x + 0.5 * torch.randn(x.shape, generator=g, dtype=x.dtype)
        out.append(x)
    return out


def test_taylor_features():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(2, 3, 5, 16, generator=g, dtype=torch.float64)
    b = torch.randn(2, 3, 5, 16, generator=g, dtype=torch.float64)
    fa, fb = taylor_features(a, 16), taylor_features(b, 16)
    assert fa.shape == (2, 3, 5, 273)
    s = (a * b).sum(-1) / 4.0
    assert torch.allclose((fa * fb).sum(-1), 1 + s + s * s / 2, atol=1e-12)


def test_state_spec_shapes():
    m = small_model("CLSC")
    st = m.init_state(3)
    spec = m.state_spec()
    assert [n for n, _ in spec] == ["0.conv", "1.S", "1.z", "2.k", "2.v", "2.valid", "3.conv"]
    assert spec[0][1] == [2, 96]
    assert spec[1][1] == [2, 21, 24] and spec[2][1] == [2, 21]
    assert spec[3][1] == [2, 4, 24] and spec[5][1] == [4]
    for x, (name, shape) in zip(st, spec):
        assert list(x.shape) == [3] + list(shape), name


@pytest.mark.parametrize("prefix", [[0, 0], [2, 9]])
def test_parallel_equals_steps(prefix):
    m = small_model()
    toks = torch.randint(0, 300, (2, 13))  # crosses the window of 4
    st0 = prefix_state(m, prefix, noise=prefix != [0, 0])
    with torch.no_grad():
        par, par_state = m(toks, st0, mode="train")
        s = st0
        outs = []
        for t in range(toks.shape[1]):
            lg, s = m(toks[:, t : t + 1], s, mode="step")
            outs.append(lg)
        seq = torch.cat(outs, dim=1)
    assert torch.allclose(par, seq, atol=1e-9)
    for x, y in zip(par_state, s):
        assert torch.allclose(x, y, atol=1e-9)


@pytest.mark.parametrize("cuts", [[1], [3], [4], [5], [13], [29], [2, 7], [4, 5, 17]])
def test_chunked_prefill_continues_state(cuts):
    m = small_model()
    toks = torch.randint(0, 300, (2, 30))
    st0 = prefix_state(m, [0, 3])
    with torch.no_grad():
        full, full_state = m(toks, st0, mode="export", last_only=True)
        s = st0
        bounds = [0] + cuts + [toks.shape[1]]
        for a, b in zip(bounds[:-1], bounds[1:]):
            last, s = m(toks[:, a:b], s, mode="export", last_only=True)
    assert torch.allclose(full, last, atol=1e-9)
    for x, y in zip(full_state, s):
        assert torch.allclose(x, y, atol=1e-9)


def test_window_limits_attention():
    """A token more than `window` positions back no longer influences an S-only model."""
    m = small_model("S")
    toks = torch.randint(0, 300, (1, 12))
    alt = toks.clone()
    alt[0, 2] = (alt[0, 2] + 1) % 300
    with torch.no_grad():
        a, _ = m(toks, zero_state(m, 1), mode="train")
        b, _ = m(alt, zero_state(m, 1), mode="train")
    w = SMALL["window"]
    assert torch.allclose(a[0, : 2], b[0, : 2], atol=1e-12)
    assert not torch.allclose(a[0, 2 + w], b[0, 2 + w], atol=1e-6)  # window previous + current
    assert torch.allclose(a[0, 3 + w :], b[0, 3 + w :], atol=1e-12)


def test_param_count_default():
    m = Based(BasedConfig())
    d, v = 384, 16384
    mlp = (d * 2 * d + 2 * d) * 2 + (2 * d * d + d)
    conv = (d * 4 * d + 4 * d) + 3 * 2 * d + 2 * d + (2 * d * d + d)
    la = 2 * d * 96 + 2 * d * d
    swa = 4 * d * d
    total = v * d + d + 6 * (conv + mlp + 2 * d) + 2 * (la + mlp + 2 * d) + 2 * (swa + mlp + 2 * d)
    assert m.param_count()["total"] == total == 22_421_376
