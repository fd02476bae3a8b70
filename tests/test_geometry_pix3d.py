"""Pix3D's layout: an entry written by hand in the published form (pix3d.json, img/, mask/, model/ with
3d_keypoints.txt) loads; our rendered views load the same way and keep the layout's promises (keypoints projected
by each entry's camera, masks re-rendered from model and camera); bad entries are refused with the file, the entry
and the image named, and nothing written over."""
import json
import numpy as np
import pytest
import trimesh
from paper_kit.geometry.pix3d import read_pix3d, write_pix3d, render_pix3d, look_at_pix3d, project_pix3d
from paper_kit.geometry.shapes import make_shape

FILES = ("img/chair/0001.jpg", "mask/chair/0001.png", "model/chair/IKEA_MARKUS/model.obj")


@pytest.fixture
def real_tree(tmp_path):
    "A one-image tree in the published form: two annotators, the third keypoint marked by none."
    for p in FILES:
        (tmp_path/p).parent.mkdir(parents=True, exist_ok=True); (tmp_path/p).write_bytes(b"")
    (tmp_path/"model/chair/IKEA_MARKUS/3d_keypoints.txt").write_text("0.1 0.2 0.3\n-0.1 0.2 0.3\n0 -0.4 0\n")
    entry = {"img": FILES[0], "category": "chair", "img_size": [600, 800],
             "2d_keypoints": [[[300.0, 200.0], [340.0, 210.0], [-1.0, -1.0]],
                              [[302.0, 204.0], [-1.0, -1.0], [-1.0, -1.0]]],
             "mask": FILES[1], "img_source": "ikea", "model": FILES[2], "model_raw": None, "model_source": "ikea",
             "3d_keypoints": "model/chair/IKEA_MARKUS/3d_keypoints.txt", "voxel": "model/chair/IKEA_MARKUS/voxel.mat",
             "rot_mat": [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]], "trans_mat": [0.0, 0.05, 2.1],
             "focal_length": 46.2, "cam_position": [2.1, 0.05, 0.0], "inplane_rotation": 0.02,
             "truncated": False, "occluded": False, "slightly_occluded": True, "bbox": [180, 120, 420, 700]}
    (tmp_path/"pix3d.json").write_text(json.dumps([entry]))
    return tmp_path


def test_the_published_layout_loads(real_tree):
    (e,) = read_pix3d(real_tree, "chair")
    assert e.img_size == (600, 800) and e.flags["slightly_occluded"] and not e.flags["truncated"]
    assert np.allclose(e.keypoints_2d[:2], [[301, 202], [340, 210]]) and np.isnan(e.keypoints_2d[2]).all()
    assert e.K[0, 0] == pytest.approx(46.2 / 32 * 600) and tuple(e.K[:2, 2]) == (300, 400)
    uv, depth = e.project(e.keypoints_3d)
    p = e.K @ (e.rot_mat @ e.keypoints_3d[2] + e.trans_mat)                  # by hand: (W, H) - p[:2] / p[2]
    assert np.allclose(uv[2], [600 - p[0] / p[2], 800 - p[1] / p[2]]) and depth[2] == pytest.approx(2.1)


def test_our_views_keep_the_layouts_promises(tmp_path):
    written = write_pix3d(tmp_path, [make_shape("chair", 3), make_shape("table", 1)], views=1, img_size=(96, 80))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img", "mask", "model", "pix3d.json"]
    entries = read_pix3d(tmp_path)
    assert [e.category for e in entries] == ["chair", "table"] and len(written) == 2
    for e in entries:
        seen = ~np.isnan(e.keypoints_2d[:, 0])
        assert seen.sum() >= 2
        assert np.allclose(e.project(e.keypoints_3d)[0][seen], e.keypoints_2d[seen], atol=1e-3)
        mesh = trimesh.load(tmp_path/e.model, process=False)
        again = render_pix3d(mesh, np.ones((len(mesh.faces), 3)), e.raw, e.img_size, np.zeros(3))["mask"]
        assert (again == e.silhouette()).all() and e.image().shape == (80, 96, 3)
        R, t = look_at_pix3d(e.raw["cam_position"], e.raw["inplane_rotation"])
        assert np.allclose(R, e.rot_mat) and np.allclose(t, e.trans_mat)


def test_same_seed_same_files(tmp_path):
    a = write_pix3d(tmp_path/"a", [make_shape("sofa", 0)], views=1, seed=5)
    b = write_pix3d(tmp_path/"b", [make_shape("sofa", 0)], views=1, seed=5)
    assert a == b and (tmp_path/"a/img/sofa/0001.png").read_bytes() == (tmp_path/"b/img/sofa/0001.png").read_bytes()


@pytest.mark.parametrize("edit, message", [
    (lambda e, t: e.update(rot_mat=np.diag([1.0, 1.0, -1.0]).tolist()), "rot_mat is not a rotation"),
    (lambda e, t: e["2d_keypoints"][1][0].__setitem__(1, float("nan")), "2d_keypoints has NaN or inf"),
    (lambda e, t: e.update(focal_length=0), "focal_length 0.0 must be positive"),
    (lambda e, t: e.update(bbox=[180, 120, 420, 900]), "not inside the 600x800 image"),
    (lambda e, t: (t/FILES[1]).unlink(), "its mask"),
    (lambda e, t: (t/"model/chair/IKEA_MARKUS/3d_keypoints.txt").write_text("1 2 3\n"), "has 3 keypoints"),
    (lambda e, t: e.pop("trans_mat"), "lacks ['trans_mat']"),
])
def test_bad_entries_are_named(real_tree, edit, message):
    entry = json.loads((real_tree/"pix3d.json").read_text())[0]
    edit(entry, real_tree)
    (real_tree/"pix3d.json").write_text(json.dumps([entry]))
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        read_pix3d(real_tree)
    assert "pix3d.json: entry 0 (img/chair/0001.jpg)" in str(e.value) and message in str(e.value), str(e.value)


def test_a_second_write_loses_nothing(real_tree):
    before = (real_tree/"pix3d.json").read_bytes()
    with pytest.raises(FileExistsError, match="already there"):
        write_pix3d(real_tree, [make_shape("chair", 0)])
    with pytest.raises(ValueError, match="not a Pix3D category"):
        write_pix3d(real_tree/"new", [make_shape("chair", 0), make_shape("car", 0)])
    assert (real_tree/"pix3d.json").read_bytes() == before and not (real_tree/"new").exists()
    (real_tree/"pix3d.json").write_text('[{"img": ')
    with pytest.raises(ValueError, match="pix3d.json: not JSON"):
        read_pix3d(real_tree)


def test_projection_matches_the_official_formula():
    "SemanticTransfer's demo: p = K [R | t] X, (u, v) = (W, H) - p[:2] / p[2], f = focal_length / 32 * W."
    R, t = look_at_pix3d([1.0, 0.5, -2.0], -0.1)
    X = np.array([[0.1, -0.2, 0.3]])
    f = 40 / 32 * 200
    p = np.array([[f, 0, 100], [0, f, 75], [0, 0, 1]]) @ (R @ X[0] + t)
    uv, _ = project_pix3d(X, R, t, 40.0, (200, 150))
    assert np.allclose(uv[0], [200 - p[0] / p[2], 150 - p[1] / p[2]])
