"""Hawk's scans: the doubling scan (export) and the Triton scan (training) equal the sequential one.
The model's state contract: test_contract.py."""
import math

import pytest
import torch

from statewise_models.scan import (
    CUMSUM_MAX_EXP,
    doubling_stages,
    scan_chunked,
    scan_cumsum,
    scan_doubling,
    scan_sequential,
    scan_triton,
)


def rand_scan_inputs(b, t, d, device="cpu"):
    g = torch.Generator().manual_seed(t * 31 + d)
    a = torch.rand(b, t, d, generator=g).to(device) * 0.98 + 0.01
    x = torch.randn(b, t, d, generator=g).to(device)
    h0 = torch.randn(b, d, generator=g).to(device)
    return a, x, h0


@pytest.mark.parametrize("t", [1, 2, 5, 64, 100])
def test_doubling_equals_sequential(t):
    a, b, h0 = rand_scan_inputs(2, t, 8)
    ref = scan_sequential(a.double(), b.double(), h0.double())
    got = scan_doubling(a.double(), b.double(), h0.double(), doubling_stages(t))
    assert torch.allclose(got, ref, atol=1e-10)
    # more stages than needed changes nothing (the exported graph has a fixed count)
    got8 = scan_doubling(a.double(), b.double(), h0.double(), 8)
    assert torch.allclose(got8, ref, atol=1e-10)


@pytest.mark.parametrize("t,chunk", [(16, 16), (64, 8), (256, 16), (96, 32)])
def test_chunked_equals_sequential(t, chunk):
    a, b, h0 = rand_scan_inputs(2, t, 8)
    a[0, 3, :4] = 0.0  # a decay that underflows: the log is clamped, the product stays ~0
    a[1, 7:20] = 1.0  # no decay at all for a stretch
    ref = scan_sequential(a.double(), b.double(), h0.double())
    got = scan_chunked(a.double(), b.double(), h0.double(), chunk, doubling_stages(t // chunk))
    assert torch.allclose(got, ref, atol=1e-10)
    # float32, as exported: every exponent <= 0, so no inf or nan even with the strongest decays
    got32 = scan_chunked(a, b, h0, chunk, doubling_stages(t // chunk))
    assert torch.isfinite(got32).all() and torch.allclose(got32.double(), ref, atol=1e-4)


@pytest.mark.parametrize("t,chunk,outer", [(64, 8, 8), (256, 8, 32), (96, 4, 3), (32, 4, 8)])
def test_chunked_with_outer_chunks_equals_sequential(t, chunk, outer):
    a, b, h0 = rand_scan_inputs(2, t, 8)
    a[0, 3, :4] = 0.0
    a[1, 7:20] = 1.0
    ref = scan_sequential(a.double(), b.double(), h0.double())
    stages = doubling_stages(max(2, t // (chunk * outer)))
    got = scan_chunked(a.double(), b.double(), h0.double(), chunk, stages, outer)
    assert torch.allclose(got, ref, atol=1e-10)
    got32 = scan_chunked(a, b, h0, chunk, stages, outer)
    assert torch.isfinite(got32).all() and torch.allclose(got32.double(), ref, atol=1e-4)


def floor_error_bound(a, b, h0, chunks):
    """How far the floors of scan_cumsum may move h (0 where no decay passes them): each chunk's decays
    at each level, below e^-80/C, taken as the floor; every changed contribution was scaled by less."""
    ref = scan_sequential(a.double(), b.double(), h0.double())
    bound, la = 0.0, a.double().log()
    for c in chunks:
        la = la.reshape(la.shape[0], -1, c, la.shape[2])
        if (la < -CUMSUM_MAX_EXP / c).any():
            bound += math.exp(-CUMSUM_MAX_EXP / c) * (ref.abs().max().item() + h0.abs().max().item()) * la.shape[1] * c
        la = la.clamp(min=-CUMSUM_MAX_EXP / c).sum(2, keepdim=True).squeeze(2)
    return ref, bound


@pytest.mark.parametrize("t,chunks", [(8, (8,)), (64, (8,)), (256, (8, 8, 4)), (96, (4, 8)), (24, (2, 3))])
def test_cumsum_equals_sequential(t, chunks):
    a, b, h0 = rand_scan_inputs(2, t, 8)
    a[1, 7:20] = 1.0  # no decay at all for a stretch
    n = t
    for c in chunks:
        n //= c
    stages = doubling_stages(max(2, n))
    ref, bound = floor_error_bound(a, b, h0, chunks)
    got = scan_cumsum(a.double(), b.double(), h0.double(), chunks, stages)
    assert (got - ref).abs().max().item() <= bound + 1e-10, bound
    got32 = scan_cumsum(a, b, h0, chunks, stages)
    assert torch.isfinite(got32).all() and (got32.double() - ref).abs().max().item() <= bound + 1e-4


def test_cumsum_is_exact_where_no_decay_passes_the_floor():
    a, b, h0 = rand_scan_inputs(2, 64, 8)
    a = a.clamp(min=0.3)  # log a >= -1.2: 8 steps >= -9.6, above the second level's floor of -10
    ref, bound = floor_error_bound(a, b, h0, (8, 8))
    assert bound == 0.0
    got = scan_cumsum(a.double(), b.double(), h0.double(), (8, 8), 1)
    assert torch.allclose(got, ref, atol=1e-10)


def test_cumsum_floors_the_strongest_decays():
    """A decay below e^-10 (here 0, and e^-30 for a whole chunk) is taken as e^-10 in chunks of 8: still
    finite in float32 (exp(-A) <= e^80 in a chunk), and what changes is scaled by < 4.5e-5."""
    a, b, h0 = rand_scan_inputs(2, 64, 8)
    a[0, 3, :4] = 0.0
    a[1, 8:16] = math.exp(-30.0)
    ref = scan_sequential(a.double(), b.double(), h0.double())
    got32 = scan_cumsum(a, b, h0, (8,), doubling_stages(8))
    assert torch.isfinite(got32).all()
    err = (got32.double() - ref).abs().max().item()
    assert 1e-7 < err < math.exp(-10.0) * (ref.abs().max().item() + b.abs().max().item()) * 8, err  # moved, and not far


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("t,d", [(1, 8), (37, 200), (512, 256)])
def test_triton_scan_forward_backward(t, d):
    a, b, h0 = rand_scan_inputs(3, t, d, "cuda")
    a1, b1, h1 = (x.clone().requires_grad_() for x in (a, b, h0))
    a2, b2, h2 = (x.clone().double().requires_grad_() for x in (a, b, h0))
    out1 = scan_triton(a1, b1, h1)
    out2 = scan_sequential(a2, b2, h2)
    assert torch.allclose(out1.double(), out2, atol=1e-4, rtol=1e-4)
    w = torch.randn_like(out2)
    (out1.double() * w).sum().backward()
    (out2 * w).sum().backward()
    for g1, g2 in ((a1.grad, a2.grad), (b1.grad, b2.grad), (h1.grad, h2.grad)):
        assert torch.allclose(g1.double(), g2, atol=1e-3, rtol=1e-3)
