"Tests for paper_kit.geometry.shapes: procedural shapes, part labels, sampling, FPS, validation, save/load."
import json
import numpy as np
import pytest
import trimesh

from paper_kit.geometry.shapes import (CATEGORIES, CATEGORY_PARTS, KEYPOINT_NAMES, Shape, make_shape, shape_solids,
                                       validate_mesh, union_with_labels, nearest_part_labels, face_colors,
                                       sample_points, farthest_point_sampling, point_cloud, save_shape, load_shape,
                                       flip_permutation)
from paper_kit.geometry.solids import _Parts
from paper_kit.geometry.birds import _bird_build, _mirror_bird_params

SEEDS = range(6)
NEW = ("phone", "rifle", "loudspeaker", "vessel", "bird")   # the categories added for UNICORN
CUB = ["back", "beak", "belly", "breast", "crown", "forehead", "left eye", "left leg", "left wing", "nape",
       "right eye", "right leg", "right wing", "tail", "throat"]     # CUB-200-2011 parts.txt, in its order
CMR_FLIP = [0, 1, 2, 3, 4, 5, 10, 11, 12, 9, 6, 7, 8, 13, 14]       # CMR's left/right permutation of those


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_is_valid(category):
    sigs = set()
    for seed in SEEDS:
        s = make_shape(category, seed)
        validate_mesh(s.mesh.vertices, s.mesh.faces, s.name, require_watertight=True)
        assert s.mesh.is_watertight and s.mesh.is_winding_consistent and s.mesh.volume > 0
        assert s.mesh.body_count == 1, s.name
        np.testing.assert_allclose(np.ptp(s.mesh.bounds, axis=0).max(), 1.0, atol=1e-9)
        np.testing.assert_allclose(s.mesh.bounds.mean(0), 0.0, atol=1e-9)
        assert s.face_part.shape == (len(s.mesh.faces),)
        assert sorted(set(s.face_part.tolist())) == list(range(len(s.part_names)))
        assert all(p in CATEGORY_PARTS[category] for p in s.part_names)
        assert [p for p in CATEGORY_PARTS[category] if p in s.part_names] == s.part_names  # canonical order
        assert s.part_colors.shape == (len(s.part_names), 3)
        assert s.part_colors.min() >= 0 and s.part_colors.max() <= 1
        assert set(KEYPOINT_NAMES[category]) <= set(s.keypoints)
        kp = np.stack(list(s.keypoints.values()))
        assert kp.shape[1] == 3 and np.all(np.abs(kp) <= 0.55)
        json.dumps(s.params)
        sigs.add(len(s.mesh.faces))
    assert len(sigs) > 1  # instances differ


def test_deterministic_and_seed_dependent():
    a, b, c = make_shape("airplane", 7), make_shape("airplane", 7), make_shape("airplane", 8)
    np.testing.assert_array_equal(a.mesh.vertices, b.mesh.vertices)
    np.testing.assert_array_equal(a.face_part, b.face_part)
    np.testing.assert_array_equal(a.part_colors, b.part_colors)
    assert a.params == b.params and a.params != c.params
    assert not np.array_equal(a.part_colors, c.part_colors)


def test_topology_varies():
    seen = {cat: set() for cat in ("chair", "airplane", "car", "table", "lamp", "cabinet", "sofa")}
    keys = {"chair": ("base", "back", "arms"), "airplane": ("wing_position", "wing_shape", "tail", "engines"),
            "car": ("style",), "table": ("top_shape", "base"), "lamp": ("kind",), "cabinet": ("style",),
            "sofa": ("arms",)}
    for cat in seen:
        for seed in range(40):
            _, _, p = shape_solids(cat, seed)
            for k in keys[cat]:
                seen[cat].add((k, str(p[k])))
    assert {("car", s) for s in ("sedan", "hatchback", "suv", "pickup", "van")} <= {("car", v) for _, v in seen["car"]}
    for v in ("four_legs", "pedestal", "sled"): assert ("base", v) in seen["chair"]
    for v in ("True", "False"): assert ("arms", v) in seen["chair"]
    for v in ("low", "high"): assert ("wing_position", v) in seen["airplane"]
    for v in ("straight", "swept"): assert ("wing_shape", v) in seen["airplane"]
    for v in ("conventional", "t_tail"): assert ("tail", v) in seen["airplane"]
    for v in ("none", "wing2", "wing4", "rear2"): assert ("engines", v) in seen["airplane"]
    for v in ("0", "1", "2"): assert ("arms", v) in seen["sofa"]
    for v in ("floor", "desk", "arc"): assert ("kind", v) in seen["lamp"]


def test_existing_categories_keep_their_seeds():
    # make_shape seeds each category with its index in CATEGORIES: new categories go at the end only
    assert CATEGORIES[:11] == ("car", "chair", "airplane", "table", "bench", "sofa", "bed", "desk", "display",
                               "lamp", "cabinet")
    assert CATEGORIES[11:] == NEW


@pytest.mark.parametrize("category", NEW)
def test_new_categories_keypoints_on_surface_and_sided(category):
    for seed in SEEDS:
        s = make_shape(category, seed)
        names = list(s.keypoints)
        kp = np.stack([s.keypoints[k] for k in names])
        dist = np.abs(trimesh.proximity.signed_distance(s.mesh, kp))
        assert dist.max() < 0.01, (s.name, names[int(dist.argmax())], dist.max())   # 1 % of the longest side
        for k in names:   # an object's own left is +x
            if "left" in k.split("_"):
                right = "_".join("right" if t == "left" else t for t in k.split("_"))
                assert s.keypoints[k][0] > s.keypoints[right][0], (s.name, k)


@pytest.mark.parametrize("category,key,values", [
    ("phone", "style", {"smartphone", "keypad"}), ("rifle", "style", {"bolt", "assault", "sniper"}),
    ("loudspeaker", "kind", {"bookshelf", "tower", "center"}), ("vessel", "kind", {"motorboat", "sailboat", "ship"}),
    ("bird", "pose", {"perched", "spread", "flying"})])
def test_new_categories_topology_varies(category, key, values):
    assert {shape_solids(category, seed)[2][key] for seed in range(30)} == values


def test_bird_has_the_cub_keypoints_in_cub_order():
    assert [k.replace("_", " ") for k in KEYPOINT_NAMES["bird"]] == CUB
    for seed in SEEDS:
        assert list(make_shape("bird", seed).keypoints) == KEYPOINT_NAMES["bird"]


def test_flip_permutation():
    assert flip_permutation(KEYPOINT_NAMES["bird"]).tolist() == CMR_FLIP
    for cat in CATEGORIES:
        perm = flip_permutation(KEYPOINT_NAMES[cat])
        assert sorted(perm.tolist()) == list(range(len(perm))) and (perm[perm] == np.arange(len(perm))).all()
    assert flip_permutation(["wheel_front_left", "nose", "wheel_front_right"]).tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="arm_left"):
        flip_permutation(["arm_left", "seat"])


def _assert_same_solids(a, b):
    "Two lists of (part, mesh) hold the same solids up to order: matched by centroid, equal part and volume."
    cb = np.stack([m.center_mass for _, m in b])
    assert len(a) == len(b)
    for part, m in a:
        j = int(np.argmin(np.linalg.norm(cb - m.center_mass, axis=1)))
        np.testing.assert_allclose(m.center_mass, cb[j], atol=1e-12)
        assert part == b[j][0] and abs(m.volume - b[j][1].volume) < 1e-9 * m.volume


@pytest.mark.parametrize("seed", range(8))
def test_mirrored_bird_keypoints_follow_the_cmr_permutation(seed):
    # the bird rebuilt from mirrored parameters is the mirror image (x -> -x) of the original, and its keypoints
    # are the original's, mirrored and permuted the way CMR permutes CUB keypoints after a horizontal flip
    solids, kp, params = shape_solids("bird", seed)
    P = _Parts()
    _bird_build(_mirror_bird_params(params), P)
    names = KEYPOINT_NAMES["bird"]
    mirrored = np.stack([kp[k] for k in names]) * [-1, 1, 1]
    np.testing.assert_allclose(np.stack([P.kp[k] for k in names]), mirrored[CMR_FLIP], atol=1e-12)
    flipped = [(p, m.copy().apply_transform(np.diag([-1.0, 1, 1, 1]))) for p, m in solids]
    _assert_same_solids(P.solids, flipped)
    assert (_mirror_bird_params(params)["head_yaw_deg"] == -params["head_yaw_deg"]
            and _mirror_bird_params(_mirror_bird_params(params)) == params)


def _canonical_solids(category, seed):
    s = make_shape(category, seed)
    solids, _, _ = shape_solids(category, seed)
    fr = s.params["frame"]
    out = []
    for _, m in solids:
        m = m.copy()
        m.vertices = (m.vertices - np.array(fr["center"])) * fr["scale"]
        out.append(m)
    return s, out


@pytest.mark.parametrize("category,seed", [("chair", 1), ("car", 2), ("airplane", 3), ("cabinet", 0), ("lamp", 0)])
def test_union_is_true_union(category, seed):
    s, solids = _canonical_solids(category, seed)
    rng = np.random.default_rng(0)
    near = np.concatenate([m.sample(300, seed=i) for i, m in enumerate(solids)])  # near every part's surface
    pts = np.concatenate([rng.uniform(*s.mesh.bounds, (3000, 3)), near + rng.normal(scale=0.01, size=near.shape)])
    inside_union = s.mesh.contains(pts)
    inside_parts = np.zeros(len(pts), bool)
    for m in solids:
        inside_parts |= m.contains(pts)
    assert inside_union.sum() > 50
    mismatch = np.flatnonzero(inside_union != inside_parts)
    if len(mismatch):  # only points within numerical distance of the surface may disagree
        d = np.abs(trimesh.proximity.signed_distance(s.mesh, pts[mismatch]))
        assert d.max() < 1e-6, (len(mismatch), d.max())
    # volume of the union is below the sum of the overlapping parts and above the largest part
    assert s.mesh.volume < sum(m.volume for m in solids) + 1e-9
    assert s.mesh.volume > max(m.volume for m in solids) - 1e-9


def test_face_part_matches_nearest_reference():
    parts = [trimesh.creation.box([1.0, 0.1, 0.6]),
             trimesh.creation.cylinder(0.08, segment=[[0.3, -0.6, 0.1], [0.3, 0.02, 0.1]], sections=12),
             trimesh.creation.icosphere(2, 0.2).apply_translation([-0.3, 0.12, 0.0]),
             trimesh.creation.capsule(height=0.5, radius=0.05, count=[8, 8]).apply_translation([0.0, 0.0, 0.35])]
    u, lab = union_with_labels(parts, [0, 1, 2, 3], "composite")
    validate_mesh(u.vertices, u.faces, "composite", require_watertight=True)
    ref = nearest_part_labels(u, parts)
    np.testing.assert_array_equal(lab, ref)
    assert set(lab.tolist()) == {0, 1, 2, 3}


def test_swallowed_part_is_dropped():
    parts = [trimesh.creation.box([1, 1, 1]), trimesh.creation.box([0.2, 0.2, 0.2])]
    u, lab = union_with_labels(parts, [0, 1])
    assert set(lab.tolist()) == {0} and len(u.faces) == 12


def test_enclosed_cavity_is_filled():
    # six boards enclosing an empty room: the union must be the outer box only (no inner shell)
    t, boards = 0.1, []
    for ax in range(3):
        for s in (-1, 1):
            ext = np.ones(3); ext[ax] = t
            c = np.zeros(3); c[ax] = s * (0.5 - t / 2)
            boards.append(trimesh.creation.box(ext, trimesh.transformations.translation_matrix(c)))
    u, _ = union_with_labels(boards, [0] * 6, fill_cavities=True)
    assert u.body_count == 1 and abs(u.volume - 1.0) < 1e-9
    u2, _ = union_with_labels(boards, [0] * 6, fill_cavities=False)
    assert abs(u2.volume - (1 - 0.8 ** 3)) < 1e-9


def _naive_fps(p, n, first):
    chosen = [first]
    for _ in range(n - 1):
        best, best_d = -1, -1.0
        for j in range(len(p)):
            d = min(float(np.sum((p[j] - p[c]) ** 2)) for c in chosen)
            if d > best_d:
                best, best_d = j, d
        chosen.append(best)
    return np.array(chosen)


def test_fps_matches_naive():
    p = np.random.default_rng(1).normal(size=(150, 3))
    idx = farthest_point_sampling(p, 20, seed=3)
    assert idx[0] == np.random.default_rng(3).integers(150)
    np.testing.assert_array_equal(idx, _naive_fps(p, 20, idx[0]))
    assert len(set(idx.tolist())) == 20


def test_sampling_is_area_weighted_and_on_surface():
    parts = [trimesh.creation.box([1, 1, 1]),
             trimesh.creation.box([2, 2, 2], trimesh.transformations.translation_matrix([5, 0, 0]))]
    u, lab = union_with_labels(parts, [0, 1])
    s = Shape("test", "two_boxes", u, lab, ["small", "big"], np.array([[1.0, 0, 0], [0, 0, 1.0]]))
    pts, nrm, part, col = sample_points(s, 20000, seed=0)
    frac_big = (part == 1).mean()
    assert abs(frac_big - 0.8) < 0.015  # areas 6 and 24
    assert np.all(np.abs(np.abs(pts[part == 0]).max(1) - 0.5) < 1e-6)  # on the small cube's faces
    np.testing.assert_allclose(col, s.part_colors[part])
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(face_colors(s), s.part_colors[lab])
    a = sample_points(s, 100, seed=5)[0]; b = sample_points(s, 100, seed=5)[0]
    np.testing.assert_array_equal(a, b)


def test_point_cloud_shapes_and_dtype():
    s = make_shape("chair", 2)
    pts, nrm, part, col = point_cloud(s, 1024, seed=1)
    assert pts.shape == (1024, 3) and pts.dtype == np.float32
    assert nrm.shape == (1024, 3) and part.shape == (1024,) and col.shape == (1024, 3)
    assert len(np.unique(pts, axis=0)) == 1024
    assert set(part.tolist()) == set(range(len(s.part_names)))


def _err(fn):
    with pytest.raises(ValueError) as e:
        fn()
    return str(e.value)


def test_bad_input_names_the_object():
    tv = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    tf = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    validate_mesh(tv, tf, "tetra", require_watertight=True)
    msg = _err(lambda: make_shape("spaceship", 0))
    assert "category" in msg and "spaceship" in msg and "chair" in msg
    assert "seed" in _err(lambda: make_shape("chair", -1))
    nanv = tv.copy(); nanv[2, 1] = np.nan
    msg = _err(lambda: validate_mesh(nanv, tf, "chair_0007")); assert "chair_0007" in msg and "NaN" in msg
    msg = _err(lambda: validate_mesh(tv, np.vstack([tf, [[0, 1, 1]]]), "chair_0007"))
    assert "chair_0007" in msg and "zero-area" in msg
    msg = _err(lambda: validate_mesh(tv, np.vstack([tf, [[0, 1, 2]]]) * 0 + np.array([[0, 1, 2]]), "flat"))
    assert "flat" in msg
    msg = _err(lambda: validate_mesh(np.zeros((0, 3)), np.zeros((0, 3), int), "empty_mesh"))
    assert "empty_mesh" in msg and "empty" in msg
    msg = _err(lambda: validate_mesh(tv, tf + 1, "tetra")); assert "out of range" in msg and "tetra" in msg
    msg = _err(lambda: validate_mesh(np.vstack([tv, [[1, 1, 1]]]), np.vstack([tf, [[0, 1, 4]]]), "fin"))
    assert "non-manifold" in msg and "fin" in msg
    msg = _err(lambda: validate_mesh(tv, tf[:3], "open_box", require_watertight=True))
    assert "watertight" in msg and "open_box" in msg
    flipped = tf.copy(); flipped[0] = flipped[0, ::-1]
    msg = _err(lambda: validate_mesh(tv, flipped, "flipped", require_watertight=True))
    assert "oriented" in msg
    assert "(V, 3)" in _err(lambda: validate_mesh(tv[:, :2], tf, "x"))
    p = np.random.default_rng(0).normal(size=(10, 3))
    assert "n" in _err(lambda: farthest_point_sampling(p, 11))
    p[3, 0] = np.inf
    assert "NaN" in _err(lambda: farthest_point_sampling(p, 2))


def test_save_load_roundtrip(tmp_path):
    s = make_shape("car", 4)
    s.attribution = "procedural (paper_kit)"
    path = save_shape(s, tmp_path / "sub" / "car_0004.npz")
    assert [p.name for p in path.parent.iterdir()] == ["car_0004.npz"]  # no temporary file left
    t = load_shape(path)
    assert t.name == s.name and t.category == s.category and t.attribution == s.attribution
    np.testing.assert_array_equal(t.mesh.vertices, s.mesh.vertices)
    np.testing.assert_array_equal(t.mesh.faces, s.mesh.faces)
    np.testing.assert_array_equal(t.face_part, s.face_part)
    np.testing.assert_array_equal(t.part_colors, s.part_colors)
    assert t.part_names == s.part_names and t.params == s.params
    assert list(t.keypoints) == list(s.keypoints)
    for k in s.keypoints:
        np.testing.assert_array_equal(t.keypoints[k], s.keypoints[k])
    s.attribution = None
    assert load_shape(save_shape(s, path)).attribution is None  # overwrite in place
    bad = tmp_path / "bad.npz"; bad.write_bytes(b"not a zip")
    assert "bad.npz" in _err(lambda: load_shape(bad))
    assert "missing.npz" in _err(lambda: load_shape(tmp_path / "missing.npz"))
