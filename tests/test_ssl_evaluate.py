"Tests for paper_kit.ssl_pointcloud.evaluate: naive references, known rotations, pose-frame composition, colour metric."
import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from paper_kit.geometry.camera import rotation_x, rotation_y, rotation_z, ssl_rotation
from paper_kit.geometry.points import ssl_project
from paper_kit.ssl_pointcloud.evaluate import (
    PoseErrors, color_metric, cube_rotations_deg, euler_rotation, fit_global_rotation, normalize_pair,
    pose_errors, pose_summary, random_views, reconstruction_metrics, summarize)


def boxy_cloud(n=256, seed=0):
    "Points on an asymmetric L of two boxes (no rotational symmetry), roughly unit size."
    g = torch.Generator().manual_seed(seed)
    lo = torch.tensor([[-.4, -.1, -.3], [-.4, .1, -.3]]); hi = torch.tensor([[.4, .1, .3], [-.25, .5, .3]])
    k = torch.randint(0, 2, (n,), generator=g)
    u = torch.rand(n, 3, generator=g)
    axis = torch.randint(0, 3, (n,), generator=g)
    u[torch.arange(n), axis] = torch.randint(0, 2, (n,), generator=g).float()
    return lo[k] + u * (hi[k] - lo[k])


def official_scale(gt, pred):
    "Naive numpy reading of the official `scale` (pcl_loss_saved.py / capnet utils_metrics.py)."
    out = []
    for x, clip in ((gt, False), (pred, True)):
        x = x.astype(np.float64); xc = np.clip(x, -0.5, 0.5) if clip else x
        res = np.empty_like(x)
        for b in range(len(x)):
            mn, mx = xc[b].min(0), xc[b].max(0)
            length = np.abs(mx - mn); diff = length.max() - length
            new_min = mn - diff / 2
            s = 1.0 / length.max()
            res[b] = x[b] * s + (-0.5 - s * new_min)
        out.append(res)
    return out


def brute_chamfer(a, b):
    d = ((a[:, None] - b[None]) ** 2).sum(-1)
    return d.min(1).mean(), d.min(0).mean()


def geodesic_deg(A, B):
    c = (np.trace(A.T @ B) - 1) / 2
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


# ---------------------------------------------------------------- rescaling, Euler angles

def test_normalize_pair_matches_official_scale():
    g = torch.Generator().manual_seed(1)
    gt = torch.rand(3, 50, 3, generator=g) * torch.tensor([2., 1., .5]) + 3
    pred = torch.rand(3, 60, 3, generator=g) * 1.4 - 0.7          # some points outside ±0.5 → clipped bbox
    pred[0, 0] = torch.tensor([8., -9., 0.])
    gs, ps = normalize_pair(gt.double(), pred.double())
    rg, rp = official_scale(gt.numpy(), pred.numpy())
    np.testing.assert_allclose(gs.numpy(), rg, atol=1e-6)
    np.testing.assert_allclose(ps.numpy(), rp, atol=1e-6)
    assert gs.amin() >= -0.5 - 1e-6 and gs.amax() <= 0.5 + 1e-6


def test_euler_rotation_matches_official_matrices():
    az, el, tilt = 0.3, -1.1, 2.0
    c, s = math.cos, math.sin
    Ra = np.array([[1, 0, 0], [0, c(az), -s(az)], [0, s(az), c(az)]])
    Re = np.array([[c(el), 0, s(el)], [0, 1, 0], [-s(el), 0, c(el)]])
    Rt = np.array([[c(tilt), -s(tilt), 0], [s(tilt), c(tilt), 0], [0, 0, 1]])
    Q = euler_rotation(torch.tensor([az, el, tilt], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(Q, Rt @ Re @ Ra, atol=1e-12)
    R = cube_rotations_deg()
    Qs = euler_rotation(torch.deg2rad(R))
    assert len(R) == 24 and len({tuple(q.round().flatten().int().tolist()) for q in Qs}) == 24


# ---------------------------------------------------------------- reconstruction metrics

def test_reconstruction_metrics_match_loop_reference():
    g = torch.Generator().manual_seed(2)
    gt = torch.stack([boxy_cloud(64, s) for s in range(3)]).double()
    pred = gt + 0.05 * torch.randn(gt.shape, generator=g, dtype=torch.float64)
    Q = euler_rotation(torch.tensor([0.4, 0.2, -0.3], dtype=torch.float64))
    pred_net = pred @ Q                                         # network frame: aligned = pred_net @ Q.T = pred
    df = reconstruction_metrics(gt, pred_net, rotation=Q, ids=["a", "b", "c"])
    assert list(df.columns) == ["chamfer", "fwd", "bwd", "emd"] and list(df.index) == ["a", "b", "c"]
    rg, rp = official_scale(gt.numpy(), pred.numpy())
    for i, k in enumerate("abc"):
        f, b = brute_chamfer(rg[i], rp[i])
        C = ((rg[i][:, None] - rp[i][None]) ** 2).sum(-1)
        r, c = linear_sum_assignment(C)
        assert df.loc[k, "fwd"] == pytest.approx(f, rel=1e-9)
        assert df.loc[k, "bwd"] == pytest.approx(b, rel=1e-9)
        assert df.loc[k, "chamfer"] == pytest.approx(f + b, rel=1e-9)
        assert df.loc[k, "emd"] == pytest.approx(C[r, c].mean(), rel=1e-9)


def test_reconstruction_metrics_identity_and_subsampling():
    gt = torch.stack([boxy_cloud(128, s) for s in range(2)])
    z = reconstruction_metrics(gt, gt.clone(), n_points=None)
    assert z.abs().to_numpy().max() < 1e-10
    # a denser prediction made of GT points: after subsampling to 128 every predicted point lies on the GT
    dense = torch.cat([gt, gt.flip(1)], 1)                      # (2, 256, 3)
    df = reconstruction_metrics(gt, dense, n_points=128, seed=3)
    assert (df["bwd"] < 1e-12).all() and (df["fwd"] > 0).all()
    df2 = reconstruction_metrics(gt, dense, n_points=128, seed=3)
    pd.testing.assert_frame_equal(df, df2)                      # seeded
    with pytest.raises(ValueError, match="emd=False"):
        reconstruction_metrics(gt, dense, n_points=None)
    assert "emd" not in reconstruction_metrics(gt, dense, n_points=None, emd=False)


def test_summarize_mean_and_official_off_by_one():
    df = pd.DataFrame({"chamfer": np.arange(20.) / 1000, "fwd": np.ones(20) / 1000})
    s = summarize(df)
    assert s["chamfer"] == pytest.approx(9.5) and s["fwd"] == pytest.approx(1.0) and s["n"] == 20
    assert summarize(df, scale=100)["chamfer"] == pytest.approx(0.95)
    o = summarize(df, official_average=True, batch_size=8)
    assert o["chamfer"] == pytest.approx(3.5 + 11.5) and o["fwd"] == pytest.approx(2.0) and o["n"] == 16
    with pytest.raises(ValueError, match="2 full batches"):
        summarize(df.iloc[:10], official_average=True)


# ---------------------------------------------------------------- global rotation

def test_fit_global_rotation_recovers_a_known_rotation():
    gt = torch.stack([boxy_cloud(64, s) for s in range(2)])
    G = euler_rotation(torch.deg2rad(torch.tensor([29. + 30., -10., 270. + 15.]))).T   # p_net = G p_gt
    fit = fit_global_rotation(gt @ G.T, gt, steps=150, lr=1e-2, batch="all")
    assert geodesic_deg(fit.Q.double().numpy(), G.T.double().numpy()) < 1.0
    torch.testing.assert_close(euler_rotation(torch.deg2rad(fit.angles_deg)), fit.Q, atol=1e-5, rtol=0)
    assert fit.loss < 1e-4 and fit.start_losses.shape == (1,)


def test_fit_global_rotation_grid_finds_far_rotation():
    gt = torch.stack([boxy_cloud(48, s) for s in range(2)])
    G = (rotation_x(torch.tensor(math.radians(170.))) @ rotation_y(torch.tensor(math.radians(40.)))).T
    grid = fit_global_rotation(gt @ G.T, gt, steps=150, lr=1e-2, batch="all", starts="grid")
    assert geodesic_deg(grid.Q.double().numpy(), G.T.double().numpy()) < 1.0
    assert grid.start_losses.shape == (25,) and grid.loss == pytest.approx(float(grid.start_losses.min()))


def test_fit_global_rotation_official_mode_runs_batch_one():
    gt = torch.stack([boxy_cloud(64, s) for s in range(3)])
    fit = fit_global_rotation(gt, gt, steps=5, batch=1, n_points=32)
    Q = fit.Q.double()
    torch.testing.assert_close(Q @ Q.T, torch.eye(3, dtype=torch.float64), atol=1e-5, rtol=0)
    # 5 steps of lr 1e-3 from (29, 0, 270) move each angle by at most ~5 * 0.057°
    assert (fit.angles_deg - torch.tensor([29., 0., -90.])).abs().max() < 0.5


# ---------------------------------------------------------------- pose

def _poses(m=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    az = (torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1) * math.pi
    el = torch.deg2rad(torch.rand(m, generator=g, dtype=torch.float64) * 60 - 20)
    return torch.stack([az, el], 1)


def test_pose_errors_match_naive_geodesic():
    gt, pred = _poses(8, 0), _poses(8, 1)
    r = pose_errors(pred, gt)
    for i in range(8):
        A = ssl_rotation(gt[i:i + 1, 0], gt[i:i + 1, 1])[0].numpy()
        B = ssl_rotation(pred[i:i + 1, 0], pred[i:i + 1, 1])[0].numpy()
        assert float(r.no_flip[i]) == pytest.approx(geodesic_deg(A, B), abs=1e-5)


def test_pose_errors_perfect_and_flip():
    gt = _poses()
    r = pose_errors(gt.clone(), gt)
    assert isinstance(r, PoseErrors) and r.no_flip.max() < 1e-5 and not r.flipped.any()
    r = pose_errors(gt + torch.tensor([math.pi, 0.], dtype=torch.float64), gt)
    assert torch.allclose(r.no_flip, torch.full_like(r.no_flip, 180.), atol=1e-4)
    assert r.flip.max() < 1e-5 and r.flipped.all()
    r = pose_errors(gt + torch.tensor([0.3, 0.], dtype=torch.float64), gt)      # below 90°: unchanged
    assert torch.allclose(r.flip, r.no_flip) and not r.flipped.any()


def test_pose_errors_frame_composition_with_global_rotation():
    gt = _poses()
    R_gt = ssl_rotation(gt[:, 0], gt[:, 1])
    G = euler_rotation(torch.tensor([0.7, -0.4, 1.9], dtype=torch.float64))   # network frame p_net = G p_gt
    R_net = R_gt @ G.T                                                         # a perfect pose-free prediction
    assert pose_errors(R_net, gt, rotation=G.T).no_flip.max() < 1e-5          # Q = Gᵀ aligns the network frame
    assert pose_errors(R_net, gt).no_flip.min() > 1.0
    assert pose_errors(R_net, gt, rotation=G).no_flip.min() > 1.0
    # the Q fitted by fit_global_rotation composes the same way
    clouds = torch.stack([boxy_cloud(64, s) for s in range(2)]).double()
    Ga = euler_rotation(torch.deg2rad(torch.tensor([29. + 25., 5., 270. - 10.], dtype=torch.float64))).T
    Q = fit_global_rotation(clouds @ Ga.T, clouds, steps=150, lr=1e-2, batch="all").Q
    assert pose_errors(R_gt @ Ga.T, gt, rotation=Q).no_flip.max() < 1.0
    # azimuth-only frame change: (az, el) predictions, az_net = az - alpha
    alpha = 1.2
    pred = gt - torch.tensor([alpha, 0.], dtype=torch.float64)
    assert pose_errors(pred, gt, rotation=rotation_x(torch.tensor(alpha, dtype=torch.float64)).T).no_flip.max() < 1e-5


def test_pose_flip_rule_paper_vs_min():
    gt = _poses(3)
    R_gt = ssl_rotation(gt[:, 0], gt[:, 1])
    pred = R_gt @ rotation_z(torch.tensor(math.radians(100.), dtype=torch.float64))  # 100° about z: flipping gives 180°
    p = pose_errors(pred, gt)
    assert torch.allclose(p.no_flip, torch.full((3,), 100., dtype=torch.float64), atol=1e-4)
    assert torch.allclose(p.flip, torch.full((3,), 180., dtype=torch.float64), atol=1e-3)   # literal paper rule
    m = pose_errors(pred, gt, flip_rule="min")
    assert torch.allclose(m.flip, m.no_flip) and not m.flipped.any()


def test_pose_summary():
    t = pose_summary(torch.tensor([5., 10., 29.9, 30., 100.], dtype=torch.float64))
    assert t.loc["error", "median_deg"] == pytest.approx(29.9) and t.loc["error", "accuracy_pct"] == pytest.approx(60.)
    t = pose_summary(PoseErrors(torch.tensor([10., 170.]), torch.tensor([10., 10.]), torch.tensor([False, True])))
    assert list(t.index) == ["no_flip", "flip"]
    assert t.loc["no_flip", "accuracy_pct"] == pytest.approx(50.)
    assert t.loc["flip", "accuracy_pct"] == pytest.approx(100.)
    assert t.loc["no_flip", "median_deg"] == pytest.approx(90.) and t.loc["flip", "n"] == 2


# ---------------------------------------------------------------- colour

def _coloured(m=2, n=200):
    X = torch.stack([boxy_cloud(n, s) for s in range(m)]) * 0.8
    C = torch.rand(m, n, 3, generator=torch.Generator().manual_seed(5))
    return X, C


def test_random_views_ranges():
    az, el = random_views(2000, torch.Generator().manual_seed(0))
    assert az.min() >= -math.pi and az.max() <= math.pi and az.min() < -3 and az.max() > 3
    assert math.radians(-20) <= el.min() and el.max() <= math.radians(40)


def test_color_metric_zero_and_known_shift():
    X, C = _coloured()
    assert color_metric(X, C, X, C, n_views=3).abs().max() == 0
    d = 0.25
    C2 = C.clone(); C2[..., 0] += d
    views = random_views(6, torch.Generator().manual_seed(7))
    views = (views[0].reshape(2, 3), views[1].reshape(2, 3))
    got = color_metric(X, C2, X, C, n_views=3, views=views)
    # coverage from an independent projection with constant unit colour (1 where some point reaches the pixel)
    cov = torch.zeros(2, 3, dtype=torch.float64)
    for i in range(2):
        for v in range(3):
            _, img = ssl_project(X[i:i + 1], torch.ones(1, X.shape[1], 1), views[0][i, v:v + 1].float(),
                                 views[1][i, v:v + 1].float())
            cov[i, v] = img.double().mean()
    torch.testing.assert_close(got, d ** 2 * cov.mean(1), rtol=1e-4, atol=1e-7)
    got_mean = color_metric(X, C2, X, C, n_views=3, views=views, channels="mean")
    torch.testing.assert_close(got_mean, got / 3)


def test_color_metric_uses_global_rotation():
    X, C = _coloured()
    G = rotation_x(torch.tensor(1.1))
    assert color_metric(X @ G.T, C, X, C, rotation=G.T, n_views=2).max() < 1e-8
    assert color_metric(X @ G.T, C, X, C, n_views=2).min() > 1e-4


# ---------------------------------------------------------------- bad input

def test_bad_input_names_the_problem():
    gt, pred = torch.rand(4, 32, 3), torch.rand(4, 32, 3)
    bad = pred.clone(); bad[2, 3, 1] = float("nan")
    with pytest.raises(ValueError, match=r"pred \(method 'Ours-CC'\) has NaN in sample 'c'"):
        reconstruction_metrics(gt, bad, method="Ours-CC", ids=list("abcd"))
    with pytest.raises(ValueError, match="gt has 4 samples but pred has 3"):
        reconstruction_metrics(gt, pred[:3])
    with pytest.raises(ValueError, match=r"gt must have shape \(M, N, 3\)"):
        reconstruction_metrics(gt[..., :2], pred)
    with pytest.raises(ValueError, match="empty set"):
        reconstruction_metrics(gt[:0], pred[:0])
    with pytest.raises(ValueError, match="rotation"):
        reconstruction_metrics(gt, pred, rotation=torch.ones(3, 3))
    with pytest.raises(ValueError, match=r"pred_val \(method 'ULSP'\) has inf"):
        b2 = pred.clone(); b2[0, 0, 0] = float("inf")
        fit_global_rotation(b2, gt, steps=1, method="ULSP")
    with pytest.raises(ValueError, match="starts"):
        fit_global_rotation(pred, gt, steps=1, starts="random")
    with pytest.raises(ValueError, match="batch"):
        fit_global_rotation(pred, gt, steps=1, batch=0)
    with pytest.raises(ValueError, match="pred_pose"):
        pose_errors(torch.full((3, 2), float("nan")), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="pred_pose"):
        pose_errors(torch.zeros(3, 4), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="samples"):
        pose_errors(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="pred_xyz"):
        color_metric(bad, pred, gt, gt)
    with pytest.raises(ValueError, match="pred_rgb"):
        color_metric(pred, pred[:, :5], gt, gt)
    with pytest.raises(ValueError, match="NaN"):
        summarize(pd.DataFrame({"chamfer": [1., float("nan")]}))
    with pytest.raises(ValueError, match="errors"):
        pose_summary(torch.tensor([]))
