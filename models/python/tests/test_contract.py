"""The state contract every architecture of the registry keeps (lm.LM), in float64 from non-trivial
states: the state tensors match state_spec; a parallel forward equals step-by-step decoding; a
prefill split anywhere continues the state exactly; the hidden forward through the head is the
logits forward; a checkpoint with the module names of before the shared shell still loads."""
import pytest
import torch

from statewise_models.head import tied_logits
from statewise_models.lm import migrate_key
from statewise_models.registry import ARCHS, make_model

V = 300
# Small configs that cross every window, cache cap and group boundary within ~20 tokens.
SMALL = {
    "hawk": dict(d_model=48, d_rnn=64, n_layers=3, n_gate_blocks=4, max_chunk=64),
    "griffin": dict(d_model=48, d_rnn=64, n_layers=3, n_gate_blocks=4, n_heads=3, head_dim=16, window=4, max_chunk=64),
    "based": dict(d_model=48, layout="CLSC", n_heads=2, feature_dim=4, window=4, max_chunk=64),
    "alibi": dict(d_model=48, n_layers=2, n_heads=6, mlp_mult=4, max_context=8, max_chunk=64),
    "linearized": dict(d_model=48, n_layers=2, qk_dim=16, expansion=2, group=4, conv_k=3, max_chunk=64),
}
# Configurations beyond an architecture's default that keep the same contract: case -> (arch, overrides).
VARIANTS = {"linearized+global_norm": ("linearized", {"global_norm": True})}
CASES = [*ARCHS, *VARIANTS]
# State tensors where any value is legal (the others: masks, fill counters, normalisers).
FREE = {"conv", "h", "k", "v", "S", "s_prev", "s_cur", "kbuf", "vbuf"}
# What each architecture called its mixer (and linearized its norm) before lm.Block.
OLD_NAMES = {"hawk": "rec", "griffin": "mix", "alibi": "attn", "based": "mixer", "linearized": "mixer"}


def test_every_architecture_has_a_small_config():
    assert set(SMALL) == set(ARCHS)


def small_model(case):
    arch, extra = VARIANTS.get(case, (case, {}))
    torch.manual_seed(0)
    m = make_model(arch, {"vocab_size": V, **SMALL[arch], **extra}).double()
    with torch.no_grad():  # non-trivial norms, biases and offsets, so the tests exercise them
        for n, p in m.named_parameters():
            if p.dim() == 1 and not n.endswith("a_param") or "qk_offset" in n:
                p.normal_(0, 0.1)
    m.set_export_chunk(64)
    return m


def legal_state(m, lengths, noise=0.3):
    """The state after a different number of random tokens per batch row, plus noise where any
    value is legal."""
    g = torch.Generator().manual_seed(7)
    rows = []
    with torch.no_grad():
        for n in lengths:
            st = [x.double() for x in m.init_state(1)]
            if n:
                _, st = m(torch.randint(0, V, (1, n), generator=g), st, mode="train")
            rows.append(st)
    out = []
    for (name, _), xs in zip(m.state_spec(), zip(*rows)):
        x = torch.cat(xs, dim=0)
        if noise and name.split(".", 1)[1] in FREE:
            x = x + noise * torch.randn(x.shape, generator=g, dtype=x.dtype)
        out.append(x)
    return out


def assert_states_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert torch.allclose(x, y, atol=1e-9), (x - y).abs().max()


@pytest.mark.parametrize("arch", CASES)
def test_state_matches_spec(arch):
    m = small_model(arch)
    spec = m.state_spec()
    assert len({n for n, _ in spec}) == len(spec)
    assert all(n.split(".", 1)[0].isdigit() for n, _ in spec)
    toks = torch.randint(0, V, (3, 5))
    with torch.no_grad():
        _, new = m(toks, [x.double() for x in m.init_state(3)], mode="train")
    for (name, shape), x0, x1 in zip(spec, m.init_state(3), new):
        assert list(x0.shape) == [3, *shape] and x0.dtype == torch.float32 and not x0.any(), name
        assert list(x1.shape) == [3, *shape], name


@pytest.mark.parametrize("arch", CASES)
@pytest.mark.parametrize("prefix", [[0, 0], [3, 9], [2, 7], [1, 11]])
def test_parallel_equals_steps(arch, prefix):
    m = small_model(arch)
    toks = torch.randint(0, V, (2, 19))
    st0 = legal_state(m, prefix, noise=0.3 if any(prefix) else 0)
    with torch.no_grad():
        par, par_state = m(toks, st0, mode="train")
        s, outs = st0, []
        for t in range(toks.shape[1]):
            lg, s = m(toks[:, t : t + 1], s, mode="step")
            outs.append(lg)
    assert torch.allclose(par, torch.cat(outs, dim=1), atol=1e-9)
    assert_states_equal(par_state, s)


@pytest.mark.parametrize("arch", CASES)
@pytest.mark.parametrize("prefix", [[0, 0], [1, 6]])
def test_chunked_prefill_continues_state(arch, prefix):
    m = small_model(arch)
    toks = torch.randint(0, V, (2, 20))
    st0 = legal_state(m, prefix, noise=0.3 if any(prefix) else 0)
    splits = [[c] for c in range(1, 20)] + [[2, 7], [4, 5, 17], [1, 2, 3, 12], [6, 14]]
    with torch.no_grad():
        full, full_state = m(toks, st0, mode="export", last_only=True)
        for cuts in splits:
            s, bounds = st0, [0, *cuts, toks.shape[1]]
            for a, b in zip(bounds[:-1], bounds[1:]):
                last, s = m(toks[:, a:b], s, mode="export", last_only=True)
            assert torch.allclose(full, last, atol=1e-9), cuts
            assert_states_equal(full_state, s)


@pytest.mark.parametrize("arch", CASES)
def test_hidden_through_the_head_is_the_logits(arch):
    m = small_model(arch)
    toks = torch.randint(0, V, (2, 9))
    st = legal_state(m, [0, 4])
    with torch.no_grad():
        logits, s1 = m(toks, st)
        h, s2 = m(toks, st, hidden=True)
    assert torch.allclose(tied_logits(h, m.embed.weight), logits, atol=1e-12)
    assert_states_equal(s1, s2)


@pytest.mark.parametrize("arch", ARCHS)
def test_a_checkpoint_with_the_old_module_names_loads(arch):
    m = small_model(arch)
    old = {}
    for k, v in m.state_dict().items():
        parts = k.split(".")
        if parts[0] == "layers" and parts[2] == "mixer":
            parts[2] = OLD_NAMES[arch]
        if arch == "linearized" and parts[0] == "layers" and parts[2] == "norm1":
            parts[2] = "norm"
        old[".".join(parts)] = v.clone()
    if arch != "based":
        assert set(old) != set(m.state_dict())
    assert all(migrate_key(k) in m.state_dict() for k in old)
    fresh = make_model(arch, {"vocab_size": V, **SMALL[arch]}).double()
    fresh.load_state_dict(old)  # strict
    for k, v in m.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k


@pytest.mark.parametrize("prefix", [[0, 0], [1, 6]])
def test_griffin_blocked_attention_is_the_same_attention(prefix):
    """export_onnx.py --ingest-blocked: griffin's attention block by block (calls of a multiple of the
    window) computes what the banded form does, from an empty and from a partly filled window."""
    m = small_model("griffin")
    w = SMALL["griffin"]["window"]
    toks = torch.randint(0, V, (2, 5 * w))
    st0 = legal_state(m, prefix, noise=0.3 if any(prefix) else 0)
    with torch.no_grad():
        ref, ref_state = m(toks, st0, mode="export", last_only=False)
        assert m.set_blocked_attention(True)
        try:
            got, got_state = m(toks, st0, mode="export", last_only=False)
            # a second call goes on from the first's state
            nxt = torch.randint(0, V, (2, 2 * w))
            got2, _ = m(nxt, got_state, mode="export", last_only=True)
        finally:
            m.set_blocked_attention(False)
        ref2, _ = m(nxt, ref_state, mode="export", last_only=True)
    assert torch.allclose(ref, got, atol=1e-9), (ref - got).abs().max()
    assert_states_equal(ref_state, got_state)
    assert torch.allclose(ref2, got2, atol=1e-9)
    assert not small_model("hawk").set_blocked_attention(True), "hawk has no attention to block"


@pytest.mark.parametrize("arch", ["hawk", "griffin"])
def test_cumsum_scan_is_the_same_recurrence(arch):
    """export_onnx.py --ingest-scan-sums: the RG-LRU as running sums within chunks (scan_cumsum) computes
    what the doubling scan does, from the zero state and on from a call's state (float64: no decay here
    passes the floor)."""
    m = small_model(arch)
    toks = torch.randint(0, V, (2, 48))
    st0 = [x.double() for x in m.init_state(2)]
    with torch.no_grad():
        ref, ref_state = m(toks, st0, mode="export", last_only=False)
        ref2, _ = m(toks[:, :16], ref_state, mode="export", last_only=True)
        assert m.set_cumsum_scan((4, 2, 2))
        try:
            got, got_state = m(toks, st0, mode="export", last_only=False)
            got2, _ = m(toks[:, :16], got_state, mode="export", last_only=True)
        finally:
            m.set_cumsum_scan(())
    assert torch.allclose(ref, got, atol=1e-9), (ref - got).abs().max()
    assert_states_equal(ref_state, got_state)
    assert torch.allclose(ref2, got2, atol=1e-9)
    assert not small_model("alibi").set_cumsum_scan((4,)), "alibi has no recurrence"


# Architectures whose state holds shift-register caches (lm.state_windows; the manifest's `window`).
WINDOWED = {"griffin", "based", "alibi"}


@pytest.mark.parametrize("arch", CASES)
def test_windows_fill_from_the_end(arch):
    """The engine carries only a window's filled slots between the CPU and a GPU (server/engine/
    stateWindows.ts): after n tokens from the zero state the mask is 1 on exactly the last min(n, W)
    slots and every slot before them is still zero in each windowed entry."""
    m = small_model(arch)
    wins = m.state_windows()
    names = [n for n, _ in m.state_spec()]
    assert bool(wins) == (VARIANTS.get(arch, (arch,))[0] in WINDOWED), wins
    for n in (1, 3, 11):
        toks = torch.randint(0, V, (1, n))
        with torch.no_grad():
            _, st = m(toks, [x.double() for x in m.init_state(1)], mode="export", last_only=True)
        for name, w in wins.items():
            mask = st[names.index(w["valid"])][0]
            slots = mask.shape[0]
            filled = min(n, slots)
            assert mask.tolist() == [0.0] * (slots - filled) + [1.0] * filled, (name, n)
            x = st[names.index(name)]
            assert x.shape[w["axis"]] == slots, name
            assert not x.narrow(w["axis"], 0, slots - filled).any(), (name, n)
            assert x.narrow(w["axis"], slots - filled, filled).any(), (name, n)
