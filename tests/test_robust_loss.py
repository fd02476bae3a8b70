"""Tests of `paper_kit.robust_loss`: the general loss against a naive reference written from the paper's Eq. 1 and
its special cases, its weight and partition function, and gFGR against FGR."""
import math
import numpy as np
import pytest
import torch
from scipy.integrate import quad
from paper_kit.robust_loss.loss import rho, weight, log_partition, nll
from paper_kit.robust_loss.gfgr import gfgr, fgr_matches, SHAPE_SCHEDULE, shape_at, terminal_mu
from paper_kit.registration.fgr import fgr
from paper_kit.registration.align import random_rotation, rotation_error, transform


def naive_rho(x: float, a: float, c: float) -> float:
    "Eq. 1 term by term in plain floats, with the limits the paper gives (Eqs. 2-5)."
    z = (x / c) ** 2
    if a == 2: return z / 2
    if a == 0: return math.log(z / 2 + 1)
    if a == -math.inf: return 1 - math.exp(-z / 2)
    b = abs(a - 2)
    return b / a * ((z / b + 1) ** (a / 2) - 1)


@pytest.mark.parametrize("a", [2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -2.0, -10.0, -math.inf])
def test_rho_matches_the_naive_reference(a):
    xs = np.linspace(-7, 7, 57)
    got = rho(xs, a, 1.7).numpy()
    want = [naive_rho(float(x), a, 1.7) for x in xs]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("a", [2.0, 1.0, 0.0, -2.0, -6.0, -math.inf])
def test_weight_is_the_derivative_over_x(a):
    x, h = np.linspace(0.1, 4, 25), 1e-6
    fd = np.array([(naive_rho(v + h, a, 0.8) - naive_rho(v - h, a, 0.8)) / (2 * h) for v in x])
    np.testing.assert_allclose(weight(x, a, 0.8).numpy() * x, fd, rtol=1e-6, atol=1e-9)


def test_gradcheck_in_x_alpha_and_c():
    x = torch.linspace(-2.5, 2.5, 7, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rho, (x, a, c))


@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 2.0, 4.0])
def test_partition_function_normalises_the_density(a):
    total = 2 * quad(lambda t: math.exp(-float(nll(t, a, 2.5))), 0, math.inf, limit=200)[0]
    assert abs(total - 1) < 1e-7


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="alpha: -0.5 < 0"): log_partition(-0.5)
    with pytest.raises(ValueError, match="c: the scale must be > 0"): rho([1.0], 1.0, -1.0)


def _problem(seed=0, angle=60.0, n_bad=300):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (400, 3)); R = random_rotation(angle, rng); t = np.array([0.2, 0.4, -0.1])
    b = transform(a - t, R.T, np.zeros(3))
    m = np.vstack([np.stack([np.arange(100)] * 2, 1), rng.integers(0, 400, (n_bad, 2))])
    return a, b, m, R


def test_gfgr_at_alpha_minus_two_is_fgr():
    a, b, m, _ = _problem()
    f, g = fgr(a, b, m), gfgr(a, b, m, alpha=-2.0)
    np.testing.assert_allclose(g["R"], f["R"], atol=1e-9); np.testing.assert_allclose(g["t"], f["t"], atol=1e-9)


def test_shape_schedule_is_the_papers():
    assert SHAPE_SCHEDULE == (2, 1, 0.5, 0.25, 0, -0.25, -0.5, -1, -2, -4, -8, -16, -32)
    assert [shape_at(4 * k) for k in range(13)] == list(SHAPE_SCHEDULE) and shape_at(63) == -32
    assert abs(terminal_mu() - 1.4 ** -11) < 1e-15


def test_robust_variants_recover_the_motion_and_least_squares_does_not():
    a, b, m, R = _problem(seed=2)
    err = {k: rotation_error(gfgr(a, b, m, **kw)["R"], R) for k, kw in
           dict(charbonnier=dict(alpha=1.0), redescending=dict(alpha=-16.0), annealed=dict(anneal="shape"),
                squares=dict(robust=False)).items()}
    # 75 % wrong matches: the redescending losses ignore them, Charbonnier (alpha = 1) is still pulled a little
    assert err["redescending"] < 0.2 and err["annealed"] < 0.2
    assert err["redescending"] < err["charbonnier"] < 5.0 < err["squares"]


def test_fgr_matches_on_identical_features_are_the_identity_pairs():
    rng = np.random.default_rng(0)
    p = rng.uniform(-1, 1, (300, 3)); f = rng.uniform(0, 1, (300, 33))
    m = fgr_matches(p, p, f, f, rng)
    assert len(m) > 250 and (m[:, 0] == m[:, 1]).all()


def naive_rcc_step(X, e, w, U, lam, mu):
    "One RCC.m iteration written out densely: Geman-McClure's line process, then (I + lam L) U = X solved exactly."
    n = len(X); A = np.zeros((n, n))
    for (p, q), wpq in zip(e, w):
        l = (mu / (mu + ((U[p] - U[q]) ** 2).sum())) ** 2
        A[p, q] += wpq * l; A[q, p] += wpq * l
    return np.linalg.solve(np.eye(n) + lam * (np.diag(A.sum(1)) - A), X)


def test_rcc_step_matches_a_dense_reference():
    from paper_kit.robust_loss.rcc import _line_process, _laplacian
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    e = np.array([(p, q) for p in range(30) for q in range(p + 1, 30) if rng.random() < 0.2])
    w, U, lam, mu = rng.uniform(0.5, 1.5, len(e)), X + rng.normal(scale=0.1, size=X.shape), 0.8, 1.3
    L = _laplacian(30, e, w * _line_process(((U[e[:, 0]] - U[e[:, 1]]) ** 2).sum(1), mu, -2.0))
    got = np.linalg.solve(np.eye(30) + lam * L.toarray(), X)
    np.testing.assert_allclose(got, naive_rcc_step(X, e, w, U, lam, mu), rtol=1e-10, atol=1e-12)


def test_shuttle_loader_names_a_bad_or_missing_file(tmp_path, monkeypatch):
    from paper_kit.robust_loss.rcc import load_shuttle, shuttle_path
    bad = tmp_path/"Shuttle.rda"; bad.write_bytes(b"not an R file")
    with pytest.raises(ValueError, match="Shuttle.rda"): load_shuttle(bad)
    monkeypatch.setenv("PAPER_KIT_SHUTTLE", str(tmp_path/"absent.rda"))
    with pytest.raises(FileNotFoundError, match="absent.rda.*r-cran-mlbench"): shuttle_path()
