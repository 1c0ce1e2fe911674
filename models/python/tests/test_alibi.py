"""The ALiBi Transformer: slopes; a naive full-attention reference; the cache cap; training without
the cache. The state contract (parallel == steps, chunked prefill): test_contract.py."""
import math

import pytest
import torch

from statewise_models.alibi import AlibiConfig, AlibiTransformer
from statewise_models.attention import alibi_slopes

SMALL = dict(vocab_size=300, d_model=48, n_layers=2, n_heads=6, mlp_mult=4, max_context=32, max_chunk=64)


def small_model(**over):
    torch.manual_seed(0)
    m = AlibiTransformer(AlibiConfig(**{**SMALL, **over})).double()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "scale" in n or "bias" in n:
                p.normal_(0, 0.1)
    return m


def zero_state(m, b):
    return [x.double() for x in m.init_state(b)]


def prefix_state(m, lengths):
    """State after a different number of random tokens per batch row (rows run separately)."""
    g = torch.Generator().manual_seed(7)
    rows = []
    with torch.no_grad():
        for n in lengths:
            st = zero_state(m, 1)
            if n > 0:
                toks = torch.randint(0, SMALL["vocab_size"], (1, n), generator=g)
                _, st = m(toks, st, mode="train")
            rows.append(st)
    return [torch.cat(xs, dim=0) for xs in zip(*rows)]


def test_alibi_slopes():
    assert alibi_slopes(6) == [1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]
    assert alibi_slopes(8) == [2.0 ** -h for h in range(1, 9)]
    want12 = [2.0 ** -h for h in range(1, 9)] + [2.0 ** -0.5, 2.0 ** -1.5, 2.0 ** -2.5, 2.0 ** -3.5]
    got12 = alibi_slopes(12)
    assert len(got12) == 12
    for a, b in zip(got12, want12):
        assert math.isclose(a, b, rel_tol=1e-12)


def test_state_spec_shapes():
    m = small_model()
    st = m.init_state(3)
    spec = m.state_spec()
    assert len(st) == len(spec) == 3 * SMALL["n_layers"]
    for x, (name, shape) in zip(st, spec):
        assert list(x.shape) == [3] + list(shape), name
    assert spec[0] == ("0.k", [6, 32, 8])
    assert spec[2] == ("0.valid", [32])


def naive_logits(m, toks, window):
    """Full causal attention with bias -m_h (i - j), keys restricted to i - j <= window."""
    x = m.embed(toks)
    t = toks.shape[1]
    i = torch.arange(t).unsqueeze(1)
    j = torch.arange(t).unsqueeze(0)
    allowed = (j <= i) & (i - j <= window)
    for layer in m.layers:
        att = layer.mixer
        h = layer.norm1(x)
        d, nh, dh = att.d, att.h, att.dh
        qkv = att.qkv(h)
        q, k, v = (qkv[..., c * d : (c + 1) * d].reshape(toks.shape[0], t, nh, dh).transpose(1, 2) for c in range(3))
        bias = -att.slopes.double().reshape(-1, 1, 1) * (i - j).double().unsqueeze(0)
        lg = q @ k.transpose(-1, -2) / math.sqrt(dh) + bias
        lg = lg.masked_fill(~allowed, float("-inf"))
        y = torch.softmax(lg, -1) @ v
        x = x + att.out(y.transpose(1, 2).reshape(toks.shape[0], t, d))
        x = x + layer.mlp(layer.norm2(x))
    return m.norm(x) @ m.embed.weight.t()


@pytest.mark.parametrize("t", [20, 45])
def test_matches_naive_attention(t):
    m = small_model()
    toks = torch.randint(0, 300, (2, t))
    with torch.no_grad():
        got, _ = m(toks, zero_state(m, 2), mode="train")
        ref = naive_logits(m, toks, SMALL["max_context"])
    assert torch.allclose(got, ref, atol=1e-9)


def test_cap_irrelevant_below_cap():
    m32 = small_model()
    m64 = small_model(max_context=64)
    m64.load_state_dict(m32.state_dict())
    toks = torch.randint(0, 300, (2, 25))
    with torch.no_grad():
        a, _ = m32(toks, zero_state(m32, 2), mode="train")
        b, _ = m64(toks, zero_state(m64, 2), mode="train")
    assert torch.allclose(a, b, atol=1e-9)


@pytest.mark.parametrize("t", [20, 45])
def test_train_without_cache_equals_empty_cache(t):
    """train_cache=False: 'train' ignores the incoming state, i.e. acts as from the empty cache."""
    m = small_model()
    m_nc = small_model(train_cache=False)
    m_nc.load_state_dict(m.state_dict())
    toks = torch.randint(0, 300, (2, t))
    with torch.no_grad():
        ref, ref_state = m(toks, zero_state(m, 2), mode="export")
        got, got_state = m_nc(toks, prefix_state(m_nc, [5, 30]), mode="train")
        exp_nc, _ = m_nc(toks, zero_state(m_nc, 2), mode="export")
    assert torch.allclose(got, ref, atol=1e-9)
    assert torch.allclose(exp_nc, ref, atol=1e-9)
    for x, y in zip(got_state, ref_state):
        assert torch.allclose(x, y, atol=1e-9)


def test_param_count_default():
    m = AlibiTransformer(AlibiConfig())
    d, v, f = 384, 16384, 4 * 384
    layer = 2 * d + 3 * d * d + d * d + (d * f + f) + (f * d + d)
    assert m.param_count()["total"] == v * d + 8 * layer + d == 20_469_120
