"""Based: Taylor features, its state layout, the sliding window's reach. The state contract
(parallel == steps, chunked prefill): test_contract.py."""
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
