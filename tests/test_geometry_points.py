"""Tests for paper_kit.geometry.points: separable CAPNet / DIFFER projections against dense references and a
literal numpy re-statement of the official TensorFlow code (klnavaneet/ssl_3d_recon src/proj_codes.py)."""
import math
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from paper_kit.geometry.camera import ssl_camera, project_points
from paper_kit.geometry.points import (capnet_mask, capnet_mask_dense, differ_project, differ_project_dense,
                                       ssl_project, gaussian_profiles, well_indicators)

F64 = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _cloud(B, N, H, W, seed, dtype=F64, edges=0, margin=3.0):
    "Random projected points over (and a bit beyond) an H x W image; the first `edges` points sit on well edges."
    g = _gen(seed)
    uv = (torch.rand(B, N, 2, generator=g, dtype=F64) * torch.tensor([W + 2 * margin, H + 2 * margin], dtype=F64)
          - margin)
    if edges:
        sign = torch.randint(0, 2, (B, edges, 2), generator=g).to(F64) * 2 - 1
        uv[:, :edges] = uv[:, :edges].round() + sign          # exactly |coord - pixel| = 1 for a neighbour pixel
    depth = 1.2 + 1.6 * torch.rand(B, N, generator=g, dtype=F64)
    feat = torch.rand(B, N, 3, generator=g, dtype=F64)
    return uv.to(dtype), depth.to(dtype), feat.to(dtype)


# ---------------------------------------------------------------- separable == dense (float64)

@pytest.mark.parametrize("H,W,sigma2", [(16, 16, 0.4), (12, 20, 0.5), (9, 7, 2.0)])
def test_capnet_separable_matches_dense(H, W, sigma2):
    uv, _, _ = _cloud(3, 150, H, W, seed=H + W)
    uv[:, :10] = uv[:, :10].round() + 0.5                     # points exactly between pixel centres
    assert_close(capnet_mask(uv, (H, W), sigma2), capnet_mask_dense(uv, (H, W), sigma2), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["rgb", "normals", "partseg"])
@pytest.mark.parametrize("well_radius,beta", [(1.0, 100.0), (0.5, 100.0), (1.5, 20.0)])
def test_differ_separable_matches_dense(mode, well_radius, beta):
    H, W = 14, 18
    uv, depth, feat = _cloud(2, 250, H, W, seed=7, edges=60)
    depth[:, -5:] = 9.5                                        # z = depth + 1 >= 10: official far clip, invisible
    a, ca = differ_project(uv, depth, feat, (H, W), beta=beta, well_radius=well_radius, mode=mode)
    b, cb = differ_project_dense(uv, depth, feat, (H, W), beta=beta, well_radius=well_radius, mode=mode)
    assert a.shape == (2, 4 if mode == "partseg" else 3, H, W)
    assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert_close(ca, cb)
    assert 0.2 < ca.mean() < 1.0                               # both covered and empty pixels are exercised


def test_far_points_are_invisible_and_uncovered_pixels_empty():
    uv = torch.tensor([[[3.0, 3.0], [10.0, 10.0]]], dtype=F64)
    feat = torch.tensor([[[1.0, 0.5, 0.2], [0.3, 0.9, 0.1]]], dtype=F64)
    img, cov = differ_project(uv, torch.tensor([[2.0, 9.5]], dtype=F64), feat, (16, 16))
    assert cov.sum() == 9 and cov[0, 3, 3] == 1 and cov[0, 10, 10] == 0   # the far point (z = 10.5) reaches nothing
    assert_close(img[0, :, 3, 3], feat[0, 0])
    assert img[0, :, 10, 10].abs().sum() == 0
    seg, _ = differ_project(uv, torch.tensor([[2.0, 2.0]], dtype=F64), feat, (16, 16), mode="partseg")
    assert_close(seg[:, 0], 1 - differ_project(uv, torch.tensor([[2.0, 2.0]], dtype=F64), feat, (16, 16))[1])
    assert seg[0, 1:, 0, 0].abs().sum() == 0


def test_float32_matches_float64_reference():
    uv, depth, feat = _cloud(2, 300, 32, 32, seed=3)
    ref, _ = differ_project_dense(uv, depth, feat, (32, 32))
    out, _ = differ_project(uv.float(), depth.float(), feat.float(), (32, 32))
    assert out.dtype == torch.float32
    assert_close(out.double(), ref, rtol=1e-5, atol=1e-5)
    assert_close(capnet_mask(uv.float(), (32, 32)).double(), capnet_mask_dense(uv, (32, 32)), rtol=1e-5, atol=1e-5)


def test_profiles_have_no_subnormals_and_half_inputs_work():
    "Far Gaussian tails are set to exactly 0, so the matmul never multiplies subnormal floats (slow on x86)."
    uv, _, _ = _cloud(2, 500, 64, 64, seed=13, dtype=torch.float32, margin=20.0)
    for dt in (torch.float32, F64):
        gr, gc = gaussian_profiles(uv.to(dt), (64, 64), 0.4)
        for g_ in (gr, gc, gr.transpose(1, 2) @ gc):
            assert not ((g_ != 0) & (g_.abs() < torch.finfo(dt).tiny)).any()
    half = capnet_mask(uv.half())
    assert half.dtype == torch.float16
    assert_close(half.float(), capnet_mask(uv.half().float()), rtol=0, atol=2e-3)


def test_wide_logit_span_switches_to_float64_and_stays_exact():
    # depth_offset 0, beta 150: logits 150 near, ~16.5 far: a span of ~135 underflows float32 weights (e^-135 = 0)
    uv = torch.tensor([[[4.0, 4.0], [12.0, 12.0], [12.2, 12.4]]])
    depth = torch.tensor([[1.0, 9.0, 9.2]])
    feat = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]])
    out, cov = differ_project(uv, depth, feat, (16, 16), depth_offset=0.0, beta=150.0)
    ref, _ = differ_project_dense(uv.double(), depth.double(), feat.double(), (16, 16), depth_offset=0.0, beta=150.0)
    assert torch.isfinite(out).all() and out.dtype == torch.float32
    assert_close(out.double(), ref, rtol=1e-6, atol=1e-6)
    assert out[0, 1, 12, 12] > 0.5                             # the far pixel keeps its (nearer of two) colour
    with pytest.raises(ValueError, match="spans"):
        differ_project(uv, depth, feat, (16, 16), depth_offset=0.0, beta=2000.0)


def test_normalisation_detail_is_reproduced_and_negligible():
    "Official denominator = in-well softmax mass + 1e-8 * (softmax over all points); vs the plain in-well softmax."
    H, W = 16, 16
    uv, depth, feat = _cloud(2, 400, H, W, seed=11)
    out, cov = differ_project(uv, depth, feat, (H, W))
    wr, wc = well_indicators(uv, (H, W), 1.0)
    logit = 100 / (depth + 1 + 1e-5)
    e = torch.exp(logit - logit.amax(1, keepdim=True))
    num = torch.einsum("bni,bn,bnc,bnj->bcij", wr.double(), e, feat, wc.double())
    s_in = torch.einsum("bni,bn,bnj->bij", wr.double(), e, wc.double())
    plain = torch.where(s_in[:, None] > 0, num / s_in.clamp_min(1e-300)[:, None], 0.0)
    rel = ((out - plain).abs() / plain.abs().clamp_min(1e-12)).max()
    assert 1e-9 < rel < 1e-7                                   # present (reproduced) but far below float32 resolution


# ---------------------------------------------------------------- gradients

def test_capnet_gradcheck_uv():
    uv, _, _ = _cloud(2, 6, 7, 9, seed=5)
    uv.requires_grad_()
    assert torch.autograd.gradcheck(lambda p: capnet_mask(p, (7, 9), 0.4), (uv,))
    g1 = torch.autograd.grad(capnet_mask(uv, (7, 9)).pow(2).sum(), uv)[0]
    g2 = torch.autograd.grad(capnet_mask_dense(uv, (7, 9)).pow(2).sum(), uv)[0]
    assert_close(g1, g2, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["rgb", "partseg"])
def test_differ_gradcheck_depth_and_features(mode):
    uv, depth, feat = _cloud(2, 8, 6, 6, seed=9, margin=0.5)
    uv[:, :, :] = uv.clamp(0.2, 5.0)                           # many overlaps on a small image
    depth.requires_grad_(); feat.requires_grad_()
    f = lambda d, x: differ_project(uv, d, x, (6, 6), beta=5.0, mode=mode)[0]
    assert torch.autograd.gradcheck(f, (depth, feat))
    w = torch.rand(f(depth, feat).shape, generator=_gen(0), dtype=F64)
    g1 = torch.autograd.grad((f(depth, feat) * w).sum(), (depth, feat))
    g2 = torch.autograd.grad((differ_project_dense(uv, depth, feat, (6, 6), beta=5.0, mode=mode)[0] * w).sum(),
                             (depth, feat))
    for a, b in zip(g1, g2): assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_differ_has_no_gradient_wrt_uv():
    uv, depth, feat = _cloud(1, 20, 8, 8, seed=2)
    uv.requires_grad_()
    out, _ = differ_project(uv, depth, feat, (8, 8))
    assert not out.requires_grad                               # hard well: like the official code


# ---------------------------------------------------------------- the official formulas on the ssl camera

def _official_world2cam(xyz, az, el):
    ca, sa, ce, se = math.cos(az), math.sin(az), math.cos(el), math.sin(el)
    rot_az = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    rot_el = np.array([[ce, 0, se], [0, 1, 0], [-se, 0, ce]])
    return (rot_el @ rot_az @ xyz.T).T - np.array([0, 0, 2.0])


def _official_perspective(xyz):
    K = np.array([[120.0, 0, -32], [0, 120, -32], [0, 0, 1]])
    o = K @ xyz.T
    return np.concatenate([o[:2] / np.abs(xyz[:, 2]), np.abs(o[2:])], 0).T        # (N, 3): x (row), y (col), |z|


def _official_grid_diff(pcl, H, W):
    gi, gj = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    return pcl[:, None, None, :2] - np.stack([gi, gj], -1).astype(float)          # (N, H, W, 2)


def _official_cont_proj(pcl, H, W, sigma_sq):
    k = np.exp(-_official_grid_diff(pcl, H, W) ** 2 / (2 * sigma_sq))
    return np.tanh((k[..., 0] * k[..., 1]).sum(0))


def _official_rgb_cont_proj(pcl, feat, H, W, well_radius=1.0, beta=100.0):
    pcl = pcl + np.array([0, 0, 1.0])
    k = np.where(np.abs(_official_grid_diff(pcl, H, W)) <= well_radius, 1.0, 10.0)
    depth = np.clip(k[..., 0] * k[..., 1] * pcl[:, 2, None, None], 0.0, 10.0)     # (N, H, W)
    logits = beta / (depth + 1e-5)
    prob = np.exp(logits - logits.max(0, keepdims=True)); prob /= prob.sum(0, keepdims=True)
    mask = (depth != 10.0).astype(float)
    prob = prob * mask
    prob = prob / (prob.sum(0, keepdims=True) + 1e-8)
    proj = (prob[..., None] * feat[:, None, None, :]).sum(0)                      # (H, W, C)
    return proj * (mask.sum(0) != 0)[..., None]


def test_ssl_project_matches_official_formulas():
    g = _gen(4)
    B, N = 3, 400
    pts = (torch.rand(B, N, 3, generator=g, dtype=F64) - 0.5) * 0.9
    col = torch.rand(B, N, 3, generator=g, dtype=F64)
    az = torch.tensor([0.0, 1.1, -2.5], dtype=F64); el = torch.tensor([0.0, 0.5, -0.3], dtype=F64)
    mask, rgb = ssl_project(pts, col, az, el)
    for b in range(B):
        p = _official_perspective(_official_world2cam(pts[b].numpy(), float(az[b]), float(el[b])))
        np.testing.assert_allclose(mask[b].numpy(), _official_cont_proj(p, 64, 64, 0.4), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(rgb[b].permute(1, 2, 0).numpy(), _official_rgb_cont_proj(p, col[b].numpy(), 64, 64),
                                   rtol=1e-9, atol=1e-9)
    assert (mask > 0.5).float().mean() > 0.1 and (rgb.sum(1) > 0).float().mean() > 0.1


def test_ssl_project_gradients_reach_points_colors_and_angles():
    g = _gen(6)
    pts = ((torch.rand(2, 300, 3, generator=g) - 0.5) * 0.8).requires_grad_()
    col = torch.rand(2, 300, 3, generator=g).requires_grad_()
    az = torch.tensor([0.3, -1.0], requires_grad=True); el = torch.tensor([0.1, 0.4], requires_grad=True)
    mask, rgb = ssl_project(pts, col, az, el)
    (mask.square().mean() + rgb.square().mean()).backward()
    for t in (pts, col, az, el):
        assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


def test_cull_behind_equals_removing_points_and_keeps_gradients_finite():
    g = _gen(8)
    pts = (torch.rand(2, 200, 3, generator=g, dtype=F64) - 0.5) * 0.8
    col = torch.rand(2, 200, 3, generator=g, dtype=F64)
    bad = pts.clone()
    bad[0, 3] = torch.tensor([0.0, 0.0, 2.0], dtype=F64)       # exactly on the camera plane (z_c = 0)
    bad[1, 7] = torch.tensor([0.1, 0.0, 3.0], dtype=F64)       # behind the camera
    zero = torch.zeros(2, dtype=F64)
    with pytest.raises(ValueError, match=r"points: 1 points at or behind the camera .* batch item 0"):
        ssl_project(bad, col, zero, zero)
    bad.requires_grad_()
    m, r = ssl_project(bad, col, zero, zero, cull_behind=True)
    (m.sum() + r.sum()).backward()
    assert torch.isfinite(bad.grad).all() and bad.grad[0, 3].abs().sum() == 0 and bad.grad[1, 7].abs().sum() == 0
    for b, k in ((0, 3), (1, 7)):
        keep = torch.arange(200) != k
        m0, r0 = ssl_project(pts[b:b + 1, keep], col[b:b + 1, keep], zero[:1], zero[:1])
        assert_close(m[b:b + 1], m0)
        assert_close(r[b:b + 1], r0, rtol=1e-6, atol=1e-7)   # the culled point still sits in the 1e-8 term's N


# ---------------------------------------------------------------- bad input

def test_bad_inputs_raise_clear_errors():
    uv, depth, feat = _cloud(2, 10, 8, 8, seed=1)
    nan_uv = uv.clone(); nan_uv[1, 4, 0] = float("nan")
    inf_feat = feat.clone(); inf_feat[0, 2, 1] = float("inf")
    cases = [
        (lambda: capnet_mask(uv[:, :0]), "capnet_mask: uv: empty point cloud"),
        (lambda: capnet_mask(uv[:0]), "uv: empty batch"),
        (lambda: capnet_mask(nan_uv), "uv: NaN in batch item 1"),
        (lambda: capnet_mask(uv[..., :1]), "uv: expected shape (B, N, 2)"),
        (lambda: capnet_mask(uv[0]), "uv: expected shape (B, N, 2)"),
        (lambda: capnet_mask(uv.long()), "uv: expected a floating dtype"),
        (lambda: capnet_mask(uv.numpy()), "uv must be a torch.Tensor"),
        (lambda: capnet_mask(uv, sigma2=0.0), "sigma2"),
        (lambda: capnet_mask(uv, sigma2=float("nan")), "sigma2"),
        (lambda: capnet_mask(uv, image_size=(0, 8)), "image_size"),
        (lambda: capnet_mask(uv, image_size=(8.5, 8)), "image_size"),
        (lambda: capnet_mask(uv, image_size=8), "image_size"),
        (lambda: capnet_mask_dense(nan_uv), "capnet_mask_dense: uv: NaN in batch item 1"),
        (lambda: differ_project(uv, depth, inf_feat), "differ_project: features: inf in batch item 0"),
        (lambda: differ_project(uv, depth[:, :5], feat), "depth: expected (B, N) = (2, 10)"),
        (lambda: differ_project(uv, depth[..., None], feat), "depth: expected shape (B, N)"),
        (lambda: differ_project(uv, depth, feat[:1]), "features: expected (B, N) = (2, 10)"),
        (lambda: differ_project(uv, depth, feat[..., :0]), "features: no feature channels"),
        (lambda: differ_project(uv, depth * torch.tensor([1.0, -1.0], dtype=F64)[:, None], feat),
         "depth: 10 points at or behind the camera (depth <= 0) in batch item 1"),
        (lambda: differ_project(uv, depth, feat, beta=0), "beta"),
        (lambda: differ_project(uv, depth, feat, well_radius=-1), "well_radius"),
        (lambda: differ_project(uv, depth, feat, depth_offset=-1), "depth_offset"),
        (lambda: differ_project(uv, depth, feat, mode="depth"), "mode"),
        (lambda: differ_project_dense(uv, depth, feat, mode="x"), "differ_project_dense: mode"),
        (lambda: ssl_project(torch.full((1, 5, 3), float("nan")), torch.rand(1, 5, 3), torch.zeros(1), torch.zeros(1)),
         "ssl_project: points: NaN in batch item 0"),
        (lambda: ssl_project(torch.zeros(1, 5, 3), torch.rand(1, 4, 3), torch.zeros(1), torch.zeros(1)), "colors"),
        (lambda: ssl_project(torch.zeros(1, 5, 3), torch.rand(1, 5, 3), torch.zeros(2), torch.zeros(2)), "az, el"),
        (lambda: ssl_project(torch.zeros(1, 5, 3), torch.rand(1, 5, 3), torch.tensor([float("nan")]), torch.zeros(1)),
         "az"),
    ]
    for f, msg in cases:
        with pytest.raises(ValueError) as e: f()
        assert msg in str(e.value), (msg, str(e.value))


# ---------------------------------------------------------------- devices

@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cpu_cuda_parity():
    g = _gen(12)
    pts = (torch.rand(4, 1024, 3, generator=g) - 0.5) * 0.9
    col = torch.rand(4, 1024, 3, generator=g)
    az, el = torch.rand(4, generator=g) * 6 - 3, torch.rand(4, generator=g) - 0.3
    outs = {}
    for dev in ("cpu", "cuda"):
        p, c = (x.to(dev, copy=True).requires_grad_() for x in (pts, col))   # leaves on each device, pts kept
        m, r = ssl_project(p, c, az.to(dev), el.to(dev))
        (m.square().mean() + r.square().mean()).backward()
        outs[dev] = [t.detach().cpu() for t in (m, r, p.grad, c.grad)]
    for a, b in zip(outs["cpu"], outs["cuda"]):
        assert_close(a, b, rtol=1e-4, atol=1e-5)
