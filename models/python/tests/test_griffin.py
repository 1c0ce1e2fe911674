"""Griffin parity: parallel forward == step-by-step (window crossed, random initial state), chunked
export-mode prefill continues the state exactly, ALiBi slopes."""
import torch

from statewise_models.attention import alibi_slopes
from statewise_models.griffin import Griffin, GriffinConfig

SMALL = dict(vocab_size=300, d_model=48, d_rnn=64, n_layers=3, n_gate_blocks=4, n_heads=3, head_dim=16, window=4, max_chunk=64)


def small_model():
    torch.manual_seed(0)
    m = Griffin(GriffinConfig(**SMALL)).double()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "scale" in n or n.endswith(".b") or "bias" in n or "conv_b" in n:
                p.normal_(0, 0.1)
    m.set_export_chunk(64)
    return m


def random_state(m, b):
    g = torch.Generator().manual_seed(3)
    out = []
    for name, shape in m.state_spec():
        if name.endswith("valid"):
            v = (torch.rand(b, *shape, generator=g) > 0.4).double()
            out.append(v)
        else:
            out.append(torch.randn(b, *shape, generator=g).double())
    return out


def test_slopes():
    assert alibi_slopes(8) == [2 ** -(i + 1) for i in range(8)]
    assert torch.allclose(torch.tensor(alibi_slopes(6)), torch.tensor([1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]))
    s12 = alibi_slopes(12)
    assert torch.allclose(torch.tensor(s12[8:]), torch.tensor([2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5]))


def test_state_shapes():
    m = small_model()
    for t, (_, shape) in zip(m.init_state(2), m.state_spec()):
        assert list(t.shape) == [2, *shape]


def test_parallel_equals_steps():
    m = small_model()
    toks = torch.randint(0, 300, (2, 19))
    for st0 in (random_state(m, 2), [x.double() for x in m.init_state(2)]):
        with torch.no_grad():
            par, par_state = m(toks, st0, mode="train")
            s, outs = st0, []
            for t in range(toks.shape[1]):
                lg, s = m(toks[:, t : t + 1], s, mode="step")
                outs.append(lg)
        assert torch.allclose(par, torch.cat(outs, dim=1), atol=1e-9)
        for x, y in zip(par_state, s):
            assert torch.allclose(x, y, atol=1e-9)


def test_chunked_prefill_continues_state():
    m = small_model()
    toks = torch.randint(0, 300, (1, 30))
    st0 = random_state(m, 1)
    with torch.no_grad():
        full, full_state = m(toks, st0, mode="export", last_only=True)
        for split in (1, 3, 4, 17):
            a, sa = m(toks[:, :split], st0, mode="export", last_only=True)
            b, sb = m(toks[:, split:], sa, mode="export", last_only=True)
            assert torch.allclose(full, b, atol=1e-9)
            for x, y in zip(full_state, sb):
                assert torch.allclose(x, y, atol=1e-9)
