"""Tests of `paper_kit.sdrsac`: the potentials against a naive loop, the SDP against cvxpy and brute force, the
rounding against planted matches, the stopping rule, and SDRSAC end to end on a small bunny."""
import numpy as np
import pytest
from scipy.spatial import cKDTree
from paper_kit.registration.align import random_rotation, transform, rotation_error
from paper_kit.sdrsac.sdp import potentials, Relaxation, round_pairs, brute_force, cvxpy_value, match
from paper_kit.sdrsac.method import sdrsac, stopping_samples, count_consensus, irls_icp


def _bunny(n, rng):
    from paper_kit.registration.meshes import load_mesh
    v = load_mesh("bunny").vertices * 0.155
    return v[rng.choice(len(v), n, replace=False)]


def test_potentials_match_a_naive_loop_over_eq_6():
    rng = np.random.default_rng(0)
    P, Q = rng.uniform(0, 0.1, (4, 3)), rng.uniform(0, 0.1, (4, 3))
    A, ok = potentials(P, Q, gamma=0.02, min_len=0.01)
    d = lambda X, i, j: np.linalg.norm(X[i] - X[j])
    for a, b, c, e in np.ndindex(4, 4, 4, 4):
        diff = abs(d(P, a, c) - d(Q, b, e))
        good = a != c and b != e and diff <= 0.02 and d(P, a, c) >= 0.01 and d(Q, b, e) >= 0.01
        assert ok[a + 4 * b, c + 4 * e] == good
        assert A[a + 4 * b, c + 4 * e] == pytest.approx(np.exp(-diff) if good else 0.0)


def _planted(N, n_true, rng, noise=0.0):
    "A source sample and a target sample holding n_true of its points turned and shuffled; Q[j] is P[truth[j]]."
    v = _bunny(2 * N, rng)
    P, R = v[:N], random_rotation(70, rng)
    order = rng.permutation(N)
    Q = np.vstack([P[:n_true], v[N:2 * N - n_true]])[order] @ R.T + rng.normal(0, noise, (N, 3))
    return P, Q, np.where(order < n_true, order, -1)


def test_relaxation_reaches_cvxpys_value_and_bounds_brute_force():
    rng = np.random.default_rng(1)
    P, Q, _ = _planted(4, 3, rng)
    A, ok = potentials(P, Q, gamma=0.01)
    relax = Relaxation(4, 3, tol=1e-7)
    relax.solve(A, ok)
    ref = cvxpy_value(A, ok, 4, 3)
    W = np.where(ok, A, -1.0); np.fill_diagonal(W, 0)
    best, _ = brute_force(W, 4, 3)
    assert relax.last["value"] == pytest.approx(ref, rel=1e-3, abs=1e-3)
    assert relax.last["value"] >= best - 1e-4


def test_rounding_solves_the_assignment_and_keeps_the_strongest():
    X = np.array([[0.1, 0.9, 0.0], [0.8, 0.2, 0.0], [0.0, 0.1, 0.3]])
    assert round_pairs(X, 2).tolist() == [[0, 1], [1, 0]]
    assert round_pairs(-X, 3).shape == (3, 2)              # negative entries are clipped, not refused


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_sdp_finds_planted_pairs(seed):
    "At the official loose tolerance most of the 4 pairs are true (3.6 on average); after 100 iterations, all are."
    rng = np.random.default_rng(seed)
    P, Q, truth = _planted(16, 8, rng)
    loose = match(P, Q, Relaxation(16, 4), gamma=1e-3)
    tight = match(P, Q, Relaxation(16, 4, tol=1e-9, max_iters=100), gamma=1e-3)
    assert sum(truth[b] == a for a, b in loose) >= 3 and all(truth[b] == a for a, b in tight)


def test_samples_without_compatible_segments_are_skipped():
    rng = np.random.default_rng(5)
    P, Q = rng.uniform(0, 1, (6, 3)), rng.uniform(0, 1, (6, 3))
    assert match(P, Q, Relaxation(6, 3), gamma=1e-9) is None


def test_stopping_rule_is_eq_14():
    assert stopping_samples(0.5, 4) == pytest.approx(np.log(0.01) / np.log(1 - 0.5 ** 4))
    assert stopping_samples(0.0, 4) == np.inf and stopping_samples(1.0, 4) == 1.0


def test_sdrsac_registers_a_turned_bunny_that_icp_misses():
    rng = np.random.default_rng(6)
    S = _bunny(1500, rng); R = random_rotation(150, rng)
    D = transform(S, R, np.array([0.05, 0, 0]))[300:]
    out = sdrsac(S, D, 0.003, np.random.default_rng(0), max_iter=60)
    assert out["consensus"] >= 0.75 * len(S) and rotation_error(out["R"], R) < 2
    assert out["iterations"] >= 6 and out["iterations"] % 2 == 0 and len(out["trace"]) == out["iterations"]
    ir = irls_icp(S, D)
    assert count_consensus(cKDTree(D), S, ir["R"], ir["t"], 0.003) < out["consensus"]


def test_bad_input_is_named():
    rng = np.random.default_rng(0); S = rng.normal(size=(100, 3))
    with pytest.raises(ValueError, match="D: NaN"): sdrsac(S, np.full((100, 3), np.nan), 0.01, rng)
    with pytest.raises(ValueError, match="S: expected"): sdrsac(S[:10], S, 0.01, rng)
    with pytest.raises(ValueError, match="eps"): sdrsac(S, S, 0.0, rng)
    with pytest.raises(ValueError, match="m: 2"): Relaxation(16, 2)
    with pytest.raises(ValueError, match="P, Q: expected"): potentials(S[:4], S[:5])
