"""The augmented linear attention model: a naive per-token reference from the definition, its state
layout, the fill counter. The state contract (parallel == steps from states at every position in
the group, chunked prefill at every split), global_norm included: test_contract.py."""
import pytest
import torch
import torch.nn.functional as F

from statewise_models.linearized import Linearized, LinearizedConfig

SMALL = dict(vocab_size=300, d_model=48, n_layers=2, qk_dim=16, expansion=2, group=4, conv_k=3, max_chunk=64)


def small_model(**over):
    torch.manual_seed(0)
    m = Linearized(LinearizedConfig(**{**SMALL, **over})).double()
    # non-trivial norms, biases, offsets and conv taps so the test exercises them
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "scale" in n and "qk_scale" not in n or "bias" in n or "qk_offset" in n:
                p.normal_(0, 0.1)
            if "conv_w" in n:
                p.normal_(0, 0.3)
    return m


def zero_state(m, b):
    return [x.double() for x in m.init_state(b)]


def naive_mixer(mx, h):
    e, g, K = mx.e, mx.g, mx.k
    p = mx.proj(h)
    v, gate, z = F.silu(p[..., :e]), F.silu(p[..., e : 2 * e]), F.silu(p[..., 2 * e :])
    ql, kl, qg, kg = (z * mx.qk_scale[r] + mx.qk_offset[r] for r in range(4))
    outs = []
    for t in range(h.shape[1]):
        y = torch.zeros_like(v[:, 0])
        yg = torch.zeros_like(v[:, 0])
        for j in range(t + 1):
            if j // g == t // g:  # local: same group, causal
                w = torch.relu((ql[:, t] * kl[:, j]).sum(-1) / g) ** 2
                y = y + w.unsqueeze(-1) * v[:, j]
            else:  # global: completed earlier groups
                yg = yg + ((qg[:, t] * kg[:, j]).sum(-1) / g).unsqueeze(-1) * v[:, j]
        if mx.global_norm:  # RMS over the channels, times the (1 + scale) gain; zero before any group completes
            yg = yg / torch.sqrt((yg * yg).mean(-1, keepdim=True) + 1e-6) * (1.0 + mx.norm_global.scale)
        y = y + yg
        for lag in range(K):
            if t - lag >= 0:
                y = y + mx.conv_w[K - 1 - lag] * v[:, t - lag]
        outs.append(gate[:, t] * y)
    return mx.out(torch.stack(outs, dim=1))


@pytest.mark.parametrize("global_norm", [False, True])
def test_matches_naive_definition(global_norm):
    m = small_model(global_norm=global_norm)
    toks = torch.randint(0, 300, (2, 11))
    with torch.no_grad():
        got, _ = m(toks, zero_state(m, 2), mode="train")
        x = m.embed(toks)
        for layer in m.layers:
            x = x + naive_mixer(layer.mixer, layer.norm1(x))
        ref = m.norm(x) @ m.embed.weight.t()
    assert torch.allclose(got, ref, atol=1e-9)


def test_state_spec_shapes():
    m = small_model()
    st = m.init_state(3)
    spec = m.state_spec()
    assert [n for n, _ in spec[:6]] == ["0.s_prev", "0.s_cur", "0.kbuf", "0.vbuf", "0.fill", "0.conv"]
    assert [s for _, s in spec[:6]] == [[16, 96], [16, 96], [4, 16], [4, 96], [4], [2, 96]]
    assert len(spec) == 6 * SMALL["n_layers"]
    for x, (name, shape) in zip(st, spec):
        assert list(x.shape) == [3] + list(shape), name


def test_fill_tracks_position_in_group():
    m = small_model()
    toks = torch.randint(0, 300, (1, 10))
    s = zero_state(m, 1)
    with torch.no_grad():
        for t in range(toks.shape[1]):
            _, s = m(toks[:, t : t + 1], s, mode="step")
            n = (t + 1) % SMALL["group"]
            want = torch.zeros(1, SMALL["group"], dtype=torch.float64)
            if n:
                want[0, -n:] = 1.0
            assert torch.equal(s[4], want)


def test_param_count_default():
    m = Linearized(LinearizedConfig())
    d, v, e, s, k = 384, 16384, 768, 128, 16
    layer = d + (d * (2 * e + s) + 2 * e + s) + 8 * s + k * e + (e * d + d)
    assert m.param_count()["total"] == v * d + 16 * layer + d == 21_485_952
