"""The registration toolkit: CGAL's meshes and scans read (and malformed files refused by name), range scans that lie
on the surface facing the camera, noise/outlier levels as stated, Kabsch against scipy, ICP against trimesh, and
trimmed ICP robust where plain ICP is not."""
import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation
from paper_kit.registration.meshes import load_mesh, load_scan, read_off, read_ply_points, MESHES
from paper_kit.registration.scans import range_scan, add_noise, add_outliers, remove_first, crop, diameter
from paper_kit.registration.align import kabsch, icp, random_rotation, rotation_error, transform


def test_every_mesh_and_scan_loads():
    for name in MESHES:
        m = load_mesh(name)
        assert len(m.faces) > 1000 and np.isfinite(m.vertices).all(), name
    pts, nrm = load_scan("hippo2")
    assert pts.shape == nrm.shape and len(pts) > 1000
    with pytest.raises(ValueError, match="'teapot' is not one of the meshes"):
        load_mesh("teapot")


def test_a_missing_cgal_archive_says_how_to_install_it(tmp_path, monkeypatch):
    from paper_kit.registration.meshes import cgal_archive
    monkeypatch.setenv("PAPER_KIT_CGAL_DATA", str(tmp_path/"absent.tar.gz"))
    with pytest.raises(FileNotFoundError, match="absent.tar.gz is missing. Install Debian's 'libcgal-demo'"):
        cgal_archive()


@pytest.mark.parametrize("text, message", [
    ("3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", "not an OFF file"),
    ("OFF\n3 1 0\n0 0 0\n1 0 0\n", "promises 3 vertices and 1 faces"),
    ("OFF\n3 1 0\n0 0 0\n1 0 x\n0 1 0\n3 0 1 2\n", "a vertex row is not three numbers"),
    ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n", "line 6: a vertex index outside 0..2"),
])
def test_a_malformed_off_is_named(tmp_path, text, message):
    (tmp_path/"m.off").write_text(text)
    with pytest.raises(ValueError, match=message) as e:
        read_off(tmp_path/"m.off")
    assert "m.off" in str(e.value)


def test_a_malformed_ply_is_named(tmp_path):
    (tmp_path/"p.ply").write_text("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
                                  "property float z\nend_header\n0 0 0\n1 nan 0\n")
    with pytest.raises(ValueError, match="p.ply: NaN or inf coordinates"):
        read_ply_points(tmp_path/"p.ply")
    (tmp_path/"f.ply").write_text("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                                  "property float z\nelement face 0\nproperty list uchar int vertex_indices\n"
                                  "end_header\n")
    with pytest.raises(ValueError, match="only vertex-only PLY"):
        read_ply_points(tmp_path/"f.ply")


def test_a_range_scan_is_the_visible_surface():
    bunny = load_mesh("bunny")
    scan = range_scan(bunny, azimuth=-45, elevation=10, size=96)
    assert len(scan) > 1000
    assert trimesh.proximity.closest_point(bunny, scan[::15])[1].max() < 1e-6
    other = range_scan(bunny, azimuth=135, elevation=-10, size=96)      # the opposite side: little in common
    from scipy.spatial import cKDTree
    near = cKDTree(scan).query(other)[0] < 0.01 * diameter(scan)
    assert near.mean() < 0.3


def test_levels_are_as_stated():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=(2000, 3))
    assert np.std(add_noise(p, 0.02, rng) - p) == pytest.approx(0.02, rel=0.05)
    assert len(add_outliers(p, 0.25, rng)) == 2500 and len(remove_first(p, 0.1)) == 1800
    assert len(crop(p, 0.5, rng)) == 1000
    with pytest.raises(ValueError, match="fraction: 1 must be in"):
        remove_first(p, 1)


def test_kabsch_matches_scipy_and_umeyama_recovers_scale():
    rng = np.random.default_rng(2)
    P = rng.normal(size=(40, 3)); R0 = Rotation.random(random_state=3).as_matrix()
    Q = 0.5 * P @ R0.T + [1, 2, 3] + rng.normal(0, 0.01, P.shape)
    R, t, s = kabsch(P, Q, scale=True)
    assert rotation_error(R, R0) < 1 and s == pytest.approx(0.5, rel=0.02)
    w = rng.uniform(0.1, 1, len(P))
    ref = Rotation.align_vectors(Q - w @ Q / w.sum(), P - w @ P / w.sum(), weights=w)[0].as_matrix()
    assert np.allclose(kabsch(P, Q, weights=w)[0], ref, atol=1e-8)


def test_icp_and_trimmed_icp_on_the_bunny():
    rng = np.random.default_rng(4)
    pts = trimesh.sample.sample_surface(load_mesh("bunny"), 2000, seed=1)[0]
    Rg = random_rotation(25, rng)
    dst = transform(pts, Rg, [0.01, 0.02, -0.01])
    fit = icp(pts, dst)
    M, _, _ = trimesh.registration.icp(pts, dst, max_iterations=100, threshold=1e-8)
    assert rotation_error(fit["R"], Rg) < 0.5 and rotation_error(M[:3, :3], fit["R"]) < 0.5
    src = add_outliers(pts, 0.5, rng)                                   # outliers among the points moved
    assert rotation_error(icp(src, dst, trim=0.6)["R"], Rg) < 1.0 < rotation_error(icp(src, dst)["R"], Rg)


def _naive_fpfh(p, n, r):
    "FPFH by its definition, point by point (Rusu et al. 2009; 11 bins per angle, parts scaled to 100)."
    def angles(a, b):
        d = p[b] - p[a]; d = d / np.linalg.norm(d)
        first = abs(n[a] @ d) >= abs(n[b] @ d) - 1e-12
        u, other, d = (n[a], n[b], d) if first else (n[b], n[a], -d)
        v = np.cross(u, d); v /= np.linalg.norm(v); w = np.cross(u, v)
        return v @ other, u @ d, np.arctan2(w @ other, u @ other)
    def scaled(h):
        for k in range(3):
            s = h[k * 11:(k + 1) * 11].sum()
            if s: h[k * 11:(k + 1) * 11] *= 100 / s
        return h
    def spfh(i, nb):
        h = np.zeros(33)
        for j in nb:
            for k, (x, lo, hi) in enumerate(zip(angles(i, j), (-1, -1, -np.pi), (1, 1, np.pi))):
                h[k * 11 + min(max(int((x - lo) / (hi - lo) * 11), 0), 10)] += 1
        return scaled(h)
    nbs = [[j for j in range(len(p)) if j != i and np.linalg.norm(p[j] - p[i]) <= r] for i in range(len(p))]
    s = [spfh(i, nb) for i, nb in enumerate(nbs)]
    return np.array([scaled(s[i] + sum(s[j] / np.linalg.norm(p[j] - p[i]) for j in nb) / max(len(nb), 1))
                     for i, nb in enumerate(nbs)])


def test_fpfh_matches_its_definition_and_ignores_rigid_motion():
    from paper_kit.registration.features import estimate_normals, fpfh
    rng = np.random.default_rng(7)
    p = rng.normal(size=(120, 3)); p /= np.linalg.norm(p, axis=1, keepdims=True)
    p *= rng.uniform(0.95, 1.05, (120, 1))
    n = estimate_normals(p, 0.5)
    f = fpfh(p, n, 0.5)
    assert np.allclose(f, _naive_fpfh(p, n, 0.5), atol=1e-9)
    assert np.allclose(f.reshape(-1, 3, 11).sum(2), 100)
    R = random_rotation(80, rng)
    assert np.allclose(fpfh(transform(p, R, [3, 0, -1]), n @ R.T, 0.5), f, atol=1e-6)


def test_reciprocal_matches_and_the_tuple_test():
    from paper_kit.registration.features import reciprocal_matches, tuple_test
    rng = np.random.default_rng(8)
    fa = rng.normal(size=(50, 33)); perm = rng.permutation(50)
    m = reciprocal_matches(fa, fa[perm] + 1e-6)
    assert len(m) == 50 and (perm[m[:, 1]] == m[:, 0]).all()
    pa = rng.normal(size=(100, 3)); pb = transform(pa, random_rotation(30, rng), [1, 0, 0])
    good = np.stack([np.arange(30), np.arange(30)], 1)                  # 30 true matches among 100
    bad = np.stack([np.arange(30, 100), rng.permutation(np.arange(30, 100))], 1)
    kept = tuple_test(pa, pb, np.vstack([good, bad]), rng)
    assert set(map(tuple, good.tolist())) <= set(map(tuple, kept.tolist()))     # true triples always agree
    assert (kept[:, 0] < 30).mean() > 0.36                                     # purer than the 30 % it was given


def test_fgr_survives_wrong_matches_and_takes_a_weight():
    from paper_kit.registration.fgr import fgr, line_process
    rng = np.random.default_rng(9)
    a = rng.uniform(-1, 1, (400, 3)); Rg, tg = random_rotation(90, rng), np.array([1.0, 0.0, -0.5])
    b = transform(a - tg, Rg.T, np.zeros(3))
    m = np.vstack([np.stack([np.arange(80)] * 2, 1), rng.integers(0, 400, (320, 2))])
    fit = fgr(a, b, m)
    assert rotation_error(fit["R"], Rg) < 0.5 and np.abs(fit["t"] - tg).max() < 0.02
    assert np.allclose(line_process(np.array([0.0, 1.0]), 1.0), [1.0, 0.25])
    squares = fgr(a, b, m, weight=lambda r2, mu, it: np.ones_like(r2))       # the weight switched off: least squares
    assert rotation_error(squares["R"], Rg) > 5 * rotation_error(fit["R"], Rg) + 1


def test_the_registration_widget_draws_registers_and_names_bad_input():
    import ipywidgets as W
    from paper_kit.registration.widget import draw_bunny_pair, register_once, register_widget
    from paper_kit.registration.align import icp
    pair = draw_bunny_pair(0.2, 0.01, n_points=300, seed=3)
    assert len(pair["model"]) == len(pair["observation"]) == 360                 # 300 points + 20 % outliers
    r = register_once(lambda X, Y, D, ratio: icp(X, Y, trim=1 / (1 + ratio)), pair)
    assert r["after"].shape == pair["model"].shape and r["error"] >= 0 and r["seconds"] > 0
    box = register_widget({"ICP": lambda X, Y, D, ratio: icp(X, Y)}, n_points=200)
    assert isinstance(box, W.VBox) and len(box.children) == 3
    with pytest.raises(ValueError, match="methods: give at least one"): register_widget({})
    with pytest.raises(ValueError, match="n_points: 5"): draw_bunny_pair(0, 0, n_points=5 * 10 ** 6)
