"Tests for paper_kit.geometry.metrics against naive references (loops, brute force), gradcheck and golden values."
import itertools, math
import numpy as np
import pytest
import torch
import roma
from paper_kit.geometry.metrics import (nearest_neighbors, chamfer, chamfer_psgn, chamfer_l1_unicorn,
    chamfer_associative3d, emd, fscore, scale_to_unit_box, normalize_unicorn, icp, icp_gradient,
    geodesic_rotation_error, pck)


def rand(*shape, seed=0, dtype=torch.float64):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------- naive references (pure Python loops) ----------
def naive_nn(a, b):
    "(N,) squared distance from each row of a to its nearest row of b, by double loop."
    out = []
    for p in a.tolist():
        out.append(min(sum((pi - qi) ** 2 for pi, qi in zip(p, q)) for q in b.tolist()))
    return np.array(out)

def naive_chamfer(a, b, squared, reduction, combine):
    f, g = naive_nn(a, b), naive_nn(b, a)
    if not squared: f, g = np.sqrt(f), np.sqrt(g)
    red = np.mean if reduction == "mean" else np.sum
    f, g = red(f), red(g)
    return (f + g if combine == "sum" else 0.5 * (f + g)), f, g


# ---------- nearest neighbours and Chamfer ----------
@pytest.mark.parametrize("squared", [True, False])
def test_nearest_neighbors_vs_loops(squared):
    a, b = rand(3, 11, 3, seed=1), rand(3, 7, 3, seed=2)
    d, idx = nearest_neighbors(a, b, squared=squared)
    for i in range(3):
        ref = naive_nn(a[i], b[i])
        np.testing.assert_allclose(d[i].numpy(), ref if squared else np.sqrt(ref), rtol=1e-12, atol=1e-12)
        # the index really points at a nearest neighbour
        np.testing.assert_allclose(((a[i] - b[i][idx[i]]) ** 2).sum(-1).numpy(), ref, atol=1e-12)

def test_chunking_is_invisible():
    a, b = rand(2, 300, 3, seed=3), rand(2, 200, 3, seed=4)
    full = nearest_neighbors(a, b)
    for m in (1, 500, 5000):
        part = nearest_neighbors(a, b, max_elems=m)
        torch.testing.assert_close(part[0], full[0]); assert torch.equal(part[1], full[1])

@pytest.mark.parametrize("squared,reduction,combine",
                         list(itertools.product([True, False], ["mean", "sum"], ["sum", "mean"])))
def test_chamfer_vs_loops(squared, reduction, combine):
    a, b = rand(2, 9, 3, seed=5), rand(2, 13, 3, seed=6)
    c = chamfer(a, b, squared=squared, reduction=reduction, combine=combine)
    for i in range(2):
        v, f, g = naive_chamfer(a[i], b[i], squared, reduction, combine)
        assert c.value[i].item() == pytest.approx(v, rel=1e-12)
        assert c.fwd[i].item() == pytest.approx(f, rel=1e-12) and c.bwd[i].item() == pytest.approx(g, rel=1e-12)

def test_chamfer_one_sided_and_2d():
    a, b = rand(2, 9, 2, seed=7), rand(2, 5, 2, seed=8)   # any point dimension works (e.g. 2-D mask points)
    cf, cb, c = chamfer(a, b, directions="fwd"), chamfer(a, b, directions="bwd"), chamfer(a, b)
    assert cf.bwd is None and cb.fwd is None
    torch.testing.assert_close(cf.value, c.fwd); torch.testing.assert_close(cb.value, c.bwd)

def test_named_variants_match_official_definitions():
    gt, pred = rand(4, 20, 3, seed=9), rand(4, 30, 3, seed=10)
    p = chamfer_psgn(gt, pred)
    u = chamfer_l1_unicorn(gt, pred)
    u1 = chamfer_l1_unicorn(gt, pred, factor=1.0)
    for i in range(4):
        fwd, bwd = naive_nn(gt[i], pred[i]).mean(), naive_nn(pred[i], gt[i]).mean()   # fwd = GT→pred
        assert p.fwd[i].item() == pytest.approx(fwd) and p.bwd[i].item() == pytest.approx(bwd)
        assert p.value[i].item() == pytest.approx(fwd + bwd)
        l1 = 0.5 * (np.sqrt(naive_nn(gt[i], pred[i])).mean() + np.sqrt(naive_nn(pred[i], gt[i])).mean())
        assert u1.value[i].item() == pytest.approx(l1) and u.value[i].item() == pytest.approx(10 * l1)
    torch.testing.assert_close(u.value, 0.5 * (u.fwd + u.bwd))
    far = chamfer_associative3d(gt, pred + 100.0)
    assert torch.all(far.value == 40.0) and torch.all(far.fwd > 40)
    torch.testing.assert_close(chamfer_associative3d(gt, pred).value, p.value)

def test_float32_matches_float64():
    a, b = rand(2, 500, 3, seed=11), rand(2, 400, 3, seed=12)
    c64 = chamfer(a, b, squared=False).value
    c32 = chamfer(a.float(), b.float(), squared=False).value
    assert c32.dtype == torch.float32
    torch.testing.assert_close(c32.double(), c64, rtol=1e-5, atol=1e-6)

@pytest.mark.parametrize("squared", [True, False])
def test_chamfer_gradcheck(squared):
    a = rand(2, 6, 3, seed=13).requires_grad_(); b = rand(2, 8, 3, seed=14).requires_grad_()
    assert torch.autograd.gradcheck(lambda x, y: chamfer(x, y, squared=squared).value, (a, b))
    assert torch.autograd.gradcheck(lambda x, y: chamfer_psgn(x, y).value, (a, b))

def test_no_nan_gradient_on_identical_points():
    a = rand(1, 10, 3, seed=15).requires_grad_()
    chamfer_l1_unicorn(a, a.detach().clone()).value.sum().backward()
    assert torch.isfinite(a.grad).all()

def test_chamfer_as_loss_moves_points():
    gt = rand(1, 64, 3, seed=16); x = (gt + 0.2).requires_grad_()
    opt = torch.optim.Adam([x], lr=0.01)
    first = None
    for _ in range(50):
        loss = chamfer_psgn(gt, x).value.mean(); first = first or loss.item()
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.2 * first

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    a, b = rand(2, 300, 3, seed=17, dtype=torch.float32), rand(2, 200, 3, seed=18, dtype=torch.float32)
    torch.testing.assert_close(chamfer_psgn(a.cuda(), b.cuda()).value.cpu(), chamfer_psgn(a, b).value)
    torch.testing.assert_close(emd(a[:, :50].cuda(), b[:, :50].cuda()).value.cpu(), emd(a[:, :50], b[:, :50]).value)
    torch.testing.assert_close(fscore(a.cuda(), b.cuda(), 0.05).f.cpu(), fscore(a, b, 0.05).f)


# ---------- EMD ----------
def brute_force_emd(a, b, cost):
    best, best_p = math.inf, None
    A, B = a.numpy(), b.numpy()
    D2 = ((A[:, None] - B[None]) ** 2).sum(-1)
    C = D2 if cost == "squared" else np.sqrt(D2)
    for p in itertools.permutations(range(len(A))):
        v = C[np.arange(len(A)), p].sum()
        if v < best: best, best_p = v, p
    return best_p, D2

@pytest.mark.parametrize("cost", ["squared", "euclidean"])
def test_emd_vs_brute_force(cost):
    a, b = rand(3, 6, 3, seed=19), rand(3, 6, 3, seed=20)
    e2, e1 = emd(a, b, squared=True, cost=cost), emd(a, b, squared=False, cost=cost)
    for i in range(3):
        p, D2 = brute_force_emd(a[i], b[i], cost)
        assert tuple(e2.assignment[i].tolist()) == p
        assert e2.value[i].item() == pytest.approx(D2[np.arange(6), p].mean())
        assert e1.value[i].item() == pytest.approx(np.sqrt(D2[np.arange(6), p]).mean())

def test_emd_vs_pot():
    ot = pytest.importorskip("ot")
    a, b = rand(2, 40, 3, seed=21), rand(2, 40, 3, seed=22)
    e = emd(a, b)
    for i in range(2):
        M = ot.dist(a[i].numpy(), b[i].numpy())           # squared Euclidean by default
        w = np.full(40, 1 / 40)
        assert e.value[i].item() == pytest.approx(ot.emd2(w, w, M), rel=1e-9)

def test_emd_gradcheck_and_bounds():
    a = rand(2, 5, 3, seed=23).requires_grad_(); b = rand(2, 5, 3, seed=24).requires_grad_()
    assert torch.autograd.gradcheck(lambda x, y: emd(x, y).value, (a, b))
    # EMD ≥ each one-sided Chamfer term (a matching is one particular choice of neighbours)
    x, y = rand(2, 64, 3, seed=25), rand(2, 64, 3, seed=26)
    c, e = chamfer(x, y), emd(x, y).value
    assert (e >= c.fwd - 1e-12).all() and (e >= c.bwd - 1e-12).all()

def test_emd_needs_equal_counts():
    with pytest.raises(ValueError, match="emd: a and b must have the same number of points"):
        emd(rand(1, 5, 3), rand(1, 6, 3))


# ---------- F-score ----------
def test_fscore_vs_loops():
    pred, gt = rand(3, 40, 3, seed=27), rand(3, 50, 3, seed=28)
    for tau in (0.05, 0.1, 0.3):
        fs = fscore(pred, gt, tau)
        for i in range(3):
            P = np.mean(np.sqrt(naive_nn(pred[i], gt[i])) < tau); R = np.mean(np.sqrt(naive_nn(gt[i], pred[i])) < tau)
            F = 2 * P * R / (P + R) if P + R > 0 else 0.0
            assert fs.precision[i].item() == pytest.approx(P) and fs.recall[i].item() == pytest.approx(R)
            assert fs.f[i].item() == pytest.approx(F)

def test_fscore_zero_not_nan():
    fs = fscore(rand(1, 10, 3), rand(1, 10, 3) + 10, tau=0.01)
    assert fs.f.item() == 0.0 and fs.precision.item() == 0.0


# ---------- normalisations ----------
def official_scale_transcription(pc, clip):
    "Our numpy re-statement of the ssl/CAPNet formula: pad the bbox to a cube, scale to side 1, min corner at -0.5."
    box = np.clip(pc, -0.5, 0.5) if clip else pc
    lo, hi = box.min(0), box.max(0)
    length = hi - lo; diff = length.max() - length
    new_lo = lo - diff / 2; s = 1.0 / length.max()
    return pc * s + (-0.5 - s * new_lo)

@pytest.mark.parametrize("clip", [False, True])
def test_scale_to_unit_box_vs_official_formula(clip):
    pc = (rand(4, 100, 3, seed=29) - 0.5) * torch.tensor([0.6, 1.4, 0.9], dtype=torch.float64) + 0.1
    out = scale_to_unit_box(pc, clip=clip)
    for i in range(4):
        np.testing.assert_allclose(out[i].numpy(), official_scale_transcription(pc[i].numpy(), clip), atol=1e-12)
    if not clip:
        assert torch.allclose(out.amin(1) + out.amax(1), torch.zeros(4, 3, dtype=torch.float64), atol=1e-12)
        assert torch.allclose((out.amax(1) - out.amin(1)).amax(1), torch.ones(4, dtype=torch.float64))

def test_scale_to_unit_box_golden():
    cloud = torch.tensor([[[0., 0, 0], [2, 1, 0.5], [1, 0.5, 0.25], [2, 0, 0]]])
    want = torch.tensor([[[-0.5, -0.25, -0.125], [0.5, 0.25, 0.125], [0, 0, 0], [0.5, -0.25, -0.125]]])
    torch.testing.assert_close(scale_to_unit_box(cloud), want)
    # clip: bbox of the clipped points [-0.5, 0.4] x [0, 0.2] x [0, 0.1] → size 0.9, centre (-0.05, 0.1, 0.05)
    stray = torch.tensor([[[-1., 0, 0], [0.4, 0.2, 0.1], [0, 0, 0]]])
    out, size, centre = scale_to_unit_box(stray, clip=True, return_transform=True)
    torch.testing.assert_close(size, torch.tensor([0.9]))
    torch.testing.assert_close(centre, torch.tensor([[-0.05, 0.1, 0.05]]))
    torch.testing.assert_close(out[0, 0], torch.tensor([-0.95 / 0.9, -0.1 / 0.9, -0.05 / 0.9]))
    torch.testing.assert_close(scale_to_unit_box(stray)[0, 0], torch.tensor([-0.5, -0.1 / 1.4, -0.05 / 1.4]))

def test_normalize_unicorn_golden():
    cloud = torch.tensor([[[1., 0, 0], [3, 2, 1], [2, 1, 0.5]]])
    torch.testing.assert_close(normalize_unicorn(cloud),
                               torch.tensor([[[-0.5, -0.5, -0.25], [0.5, 0.5, 0.25], [0., 0, 0]]]))

def test_degenerate_boxes():
    with pytest.raises(ValueError, match="batch item 1 has a zero-size bounding box"):
        scale_to_unit_box(torch.cat([rand(1, 5, 3), torch.ones(1, 5, 3, dtype=torch.float64)]))
    with pytest.raises(ValueError, match="after clipping"):
        scale_to_unit_box(torch.full((1, 4, 3), 2.0), clip=True)
    with pytest.raises(ValueError, match="normalize_unicorn: pcl batch item 0 is a single point"):
        normalize_unicorn(torch.ones(1, 4, 3))


# ---------- ICP ----------
def cloud(n=600, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, 3)) * [0.5, 0.3, 0.15])

@pytest.mark.parametrize("mode,scale",
                         [("rigid", [1, 1, 1]), ("similarity", [0.8] * 3), ("anisotropic", [1.3, 0.75, 1.1])])
def test_icp_recovers_known_transform(mode, scale):
    src = cloud(seed=1)
    R = roma.rotvec_to_rotmat(torch.tensor([-0.15, 0.2, 0.1], dtype=torch.float64))
    s = torch.tensor(scale, dtype=torch.float64); t = torch.tensor([0.05, 0.03, -0.04], dtype=torch.float64)
    dst = ((src * s) @ R.T + t)[torch.randperm(len(src), generator=torch.Generator().manual_seed(0))]
    res = icp(src, dst, mode=mode, iters=100)
    torch.testing.assert_close(res.R, R, atol=1e-6, rtol=0); torch.testing.assert_close(res.scale, s, atol=1e-6, rtol=0)
    torch.testing.assert_close(res.t, t, atol=1e-6, rtol=0)
    assert res.error < 1e-12 and res.aligned.shape == src.shape and res.R.dtype == torch.float64

def test_icp_one_way_rigid_and_float32():
    src = cloud(seed=2).float()
    R = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, 0.3]))
    res = icp(src, src @ R.T + 0.02, mode="rigid", symmetric=False)
    assert res.R.dtype == torch.float32
    torch.testing.assert_close(res.R, R, atol=1e-4, rtol=0)

def test_icp_aniso_on_different_samples():
    "Anisotropic ICP between two different samplings of the same stretched box surface."
    import trimesh
    box = trimesh.creation.box(extents=[1.0, 0.6, 0.3])
    a = torch.from_numpy(np.asarray(trimesh.sample.sample_surface(box, 3000, seed=1)[0]))
    b = torch.from_numpy(np.asarray(trimesh.sample.sample_surface(box, 3000, seed=2)[0]))
    s = torch.tensor([1.2, 0.9, 1.1], dtype=torch.float64)
    res = icp(a, b * s, mode="anisotropic", iters=100)
    torch.testing.assert_close(res.scale, s, atol=0.02, rtol=0)
    assert geodesic_rotation_error(res.R[None], torch.eye(3, dtype=torch.float64)[None]).item() < 1.0

def test_icp_gradient_improves_chamfer():
    gt = cloud(300, seed=3)[None].float()
    R = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.15, 0.0]))
    pred = (gt * torch.tensor([1.15, 0.9, 1.0])) @ R.T + 0.02
    res = icp_gradient(pred, gt, iters=100)
    before, after = chamfer_psgn(gt, pred).value, chamfer_psgn(gt, res.aligned).value
    assert after < 0.1 * before
    torch.testing.assert_close(res.scale, torch.tensor([[1 / 1.15, 1 / 0.9, 1.0]]), atol=0.03, rtol=0)
    rigid = icp_gradient(pred, gt, estimate_scale=False, iters=20)
    assert torch.all(rigid.scale == 1)


# ---------- rotations and keypoints ----------
def test_geodesic_vs_naive_formula():
    R1, R2 = roma.random_rotmat(50, dtype=torch.float64), roma.random_rotmat(50, dtype=torch.float64)
    got = geodesic_rotation_error(R1, R2)
    for i in range(50):
        M = R1[i].numpy().T @ R2[i].numpy()
        naive = math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(M) - 1) / 2))))
        assert got[i].item() == pytest.approx(naive, abs=1e-6)
    eye = torch.eye(3, dtype=torch.float64)[None]
    Rz = roma.rotvec_to_rotmat(torch.tensor([[0, 0, math.pi / 2]], dtype=torch.float64))
    assert geodesic_rotation_error(eye, Rz).item() == pytest.approx(90.0)
    assert geodesic_rotation_error(eye, Rz, degrees=False).item() == pytest.approx(math.pi / 2)
    assert geodesic_rotation_error(eye, eye).item() == 0.0

def test_geodesic_rejects_non_rotations():
    eye = torch.eye(3)[None].repeat(3, 1, 1); bad = eye.clone(); bad[2] *= 2
    with pytest.raises(ValueError, match="R2 batch item 2 is not a rotation"):
        geodesic_rotation_error(eye, bad)
    with pytest.raises(ValueError, match="R1 batch item 0 is not a rotation"):
        geodesic_rotation_error(-eye, eye)   # a reflection (det = -1)
    with pytest.raises(ValueError, match=r"must have shape \(B, 3, 3\)"):
        geodesic_rotation_error(torch.eye(3), torch.eye(3))

def test_pck_vs_loops():
    g = torch.Generator().manual_seed(30)
    gt = torch.rand(6, 15, 2, generator=g) * 256; pred = gt + torch.randn(6, 15, 2, generator=g) * 20
    vis = torch.rand(6, 15, generator=g) > 0.3; ref = torch.rand(6, generator=g) * 100 + 150
    gt[~vis] = float("nan")                      # invisible keypoints may hold anything
    r = pck(pred, gt, alpha=0.1, ref_size=ref, visible=vis)
    tot = hit = 0
    for i in range(6):
        ok = n = 0
        for k in range(15):
            if not vis[i, k]: continue
            e = math.dist(pred[i, k].tolist(), gt[i, k].tolist())
            ok += e <= 0.1 * ref[i].item(); n += 1
        assert r.per_sample[i].item() == pytest.approx(ok / n); hit += ok; tot += n
    assert r.pooled.item() == pytest.approx(hit / tot)

def test_pck_bad_input():
    kp = torch.zeros(2, 4, 2)
    with pytest.raises(ValueError, match="pck: pred_kp has a non-finite visible keypoint 3 in batch item 1"):
        bad = kp.clone(); bad[1, 3, 0] = float("nan"); pck(bad, kp, 0.1, 256.0)
    with pytest.raises(ValueError, match="no visible keypoint"):
        pck(kp, kp, 0.1, 256.0, visible=torch.zeros(2, 4))
    with pytest.raises(ValueError, match="ref_size"):
        pck(kp, kp, 0.1, torch.ones(3))


# ---------- bad input everywhere ----------
@pytest.mark.parametrize("fn", [lambda a, b: chamfer(a, b), lambda a, b: chamfer_psgn(a, b), lambda a, b: emd(a, b),
                                lambda a, b: fscore(a, b, 0.1), lambda a, b: chamfer_l1_unicorn(a, b)])
def test_bad_inputs_raise(fn):
    ok = rand(4, 10, 3)
    nan = ok.clone(); nan[3, 2, 1] = float("nan")
    inf = ok.clone(); inf[1, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="has NaN in batch item 3"): fn(ok, nan)
    with pytest.raises(ValueError, match="has inf in batch item 1"): fn(inf, ok)
    with pytest.raises(ValueError, match="empty point cloud"): fn(ok[:, :0], ok)
    with pytest.raises(ValueError, match="batch sizes differ"): fn(ok, ok[:2])
    with pytest.raises(ValueError, match="point dimensions differ"): fn(ok, ok[..., :2])
    with pytest.raises(ValueError, match="dtypes differ"): fn(ok, ok.float())
    with pytest.raises(ValueError, match=r"add a batch dimension"): fn(ok[0], ok[0])
    with pytest.raises(ValueError, match="floating-point"): fn(ok.long(), ok.long())

def test_error_names_function_and_argument():
    ok = rand(4, 10, 3); bad = ok.clone(); bad[3, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"^chamfer_psgn: pred has NaN in batch item 3$"): chamfer_psgn(ok, bad)
    with pytest.raises(ValueError, match=r"^chamfer: b has NaN in batch item 3$"): chamfer(ok, bad)
    with pytest.raises(ValueError, match="reduction"): chamfer(ok, ok, reduction="max")
    with pytest.raises(ValueError, match="tau"): fscore(ok, ok, tau=-1)
    with pytest.raises(ValueError, match="icp: mode"): icp(ok[0], ok[0], mode="affine")
    with pytest.raises(ValueError, match="icp: dst has NaN in point 0"): icp(ok[0], bad[3])
    with pytest.raises(ValueError, match="icp: src must be a single float cloud"): icp(ok, ok[0])
