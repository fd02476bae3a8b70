"""Tests of `paper_kit.filterreg` and the permutohedral lattice it rests on, against naive references."""
import numpy as np
import pytest
from paper_kit.registration.permutohedral import Lattice
from paper_kit.registration.align import random_rotation, pose_error, transform, icp
from paper_kit.filterreg.method import filterreg, e_step, _lattice
from paper_kit.filterreg.baselines import cpd_rigid, _cpd_e_step


def _sheet(n, rng, z=0.3):
    return np.c_[rng.uniform(-10, 10, (n, 2)), rng.normal(0, z, n)]


def test_lattice_matches_exact_gaussian_sums_on_a_dense_cloud():
    rng = np.random.default_rng(3)
    y = _sheet(4000, rng); x = y[:200] + rng.normal(0, 0.4, (200, 3))
    got = Lattice(y, np.c_[np.ones(len(y)), y]).slice(x)
    k = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1) / 2)
    m0, m1 = k.sum(1), k @ y
    assert (got[:, 0] > 0).all()
    assert abs(np.median(got[:, 0] / m0) - 1) < 0.15
    assert np.median(np.linalg.norm(got[:, 1:] / got[:, :1] - m1 / m0[:, None], axis=1)) < 0.1


def test_lattice_is_linear_in_the_values_and_empty_far_away():
    rng = np.random.default_rng(0)
    y = _sheet(500, rng); v = rng.normal(size=(500, 2))
    a, b = Lattice(y, v[:, :1]).slice(y[:20]), Lattice(y, v[:, 1:]).slice(y[:20])
    np.testing.assert_allclose(Lattice(y, 2 * v[:, :1] - v[:, 1:]).slice(y[:20]), 2 * a - b, atol=1e-9)
    assert Lattice(y, v).slice(np.array([[1000.0, 0, 0]])).tolist() == [[0.0, 0.0]]


def test_lattice_bad_input_is_named():
    with pytest.raises(ValueError, match="NaN"): Lattice(np.array([[np.nan, 0, 0]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="sigma too small"): Lattice(np.array([[1e9, 0, 0]]), np.ones((1, 1)))
    lat = Lattice(np.zeros((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="queries: expected"): lat.slice(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="queries: 1e"): lat.slice(np.array([[1e9, 0, 0]]))
    with pytest.raises(ValueError, match="queries: NaN"): lat.slice(np.array([[np.nan, 0, 0]]))
    with pytest.raises(ValueError, match="4 dimensions"): Lattice(np.zeros((2, 4)), np.ones((2, 1)))


def test_cpd_e_step_matches_dense_posteriors():
    rng = np.random.default_rng(1)
    X, TY = rng.normal(size=(50, 3)), rng.normal(size=(35, 3))
    K = np.exp(-((X[:, None] - TY[None]) ** 2).sum(-1) / (2 * 0.4))
    P = (K / (K.sum(1, keepdims=True) + 0.02)).T
    P1, Pt1, PX, L = _cpd_e_step(X, TY, 0.4, 0.02)
    np.testing.assert_allclose(P1, P.sum(1), atol=1e-12); np.testing.assert_allclose(Pt1, P.sum(0), atol=1e-12)
    np.testing.assert_allclose(PX, P @ X, atol=1e-12)
    np.testing.assert_allclose(L, -np.log(K.sum(1) + 0.02).sum(), rtol=1e-12)


def _bunny_like(rng, n=800):
    from paper_kit.registration.meshes import load_mesh
    v = load_mesh("bunny").vertices * 0.155
    return v[rng.choice(len(v), n, replace=False)]


@pytest.mark.parametrize("update", [False, True])
def test_filterreg_recovers_a_50_degree_turn(update):
    rng = np.random.default_rng(5)
    v = _bunny_like(rng); D = np.linalg.norm(np.ptp(v, 0)); R = random_rotation(50, rng)
    f = filterreg(v, transform(v, R, np.zeros(3)), (0.2 if update else 0.05) * D, update_sigma=update)
    assert pose_error(f["R"], f["t"], R, np.zeros(3), v) < 0.01 * D


def test_filterreg_without_the_filter_is_icp():
    rng = np.random.default_rng(2)
    v = _bunny_like(rng, 400); Y = transform(v, random_rotation(10, rng), np.array([0.01, 0, 0]))
    f, g = filterreg(v, Y, 0.01, filtered=False, max_iter=30, tol=0), icp(v, Y, max_iter=30, tol=0)
    np.testing.assert_allclose(f["R"], g["R"], atol=1e-9); np.testing.assert_allclose(f["t"], g["t"], atol=1e-9)


def test_cpd_recovers_a_turn_and_bad_input_is_named():
    rng = np.random.default_rng(4)
    v = _bunny_like(rng, 500); D = np.linalg.norm(np.ptp(v, 0)); R = random_rotation(50, rng)
    f = cpd_rigid(v, transform(v, R, np.zeros(3)))
    assert pose_error(f["R"], f["t"], R, np.zeros(3), v) < 0.01 * D
    with pytest.raises(ValueError, match="X: NaN"): cpd_rigid(v, np.full((5, 3), np.nan))
    with pytest.raises(ValueError, match="Y: expected"): filterreg(v, np.zeros((2, 3)), 0.1)
