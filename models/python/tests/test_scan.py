"""Hawk's scans: the doubling scan (export) and the Triton scan (training) equal the sequential one.
The model's state contract: test_contract.py."""
import pytest
import torch

from statewise_models.scan import doubling_stages, scan_chunked, scan_doubling, scan_sequential, scan_triton


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
