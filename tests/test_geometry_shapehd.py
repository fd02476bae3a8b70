"""ShapeHD/GenRe's rendered-ShapeNet layout: status lists with one True/False line per item, per-view sketches and
angles, per-model voxels and renderer-to-voxel transforms. A tree written by hand in the published naming loads;
our renders load the same way and tie together (angles -> camera -> silhouette; voxels -> silhouette; depth PNG ->
absolute depth); bad trees are refused naming the status file and the item."""
import numpy as np
import pytest
import torch
from PIL import Image
from paper_kit.geometry.shapehd import (STATUS, apply, genre_angles, genre_camera, genre_position, load_view,
                                        read_shapehd, renderer_to_voxel, write_shapehd, RENDERER_TO_SHAPE)
from paper_kit.geometry.shapes import make_shape

ITEM = "03001627/1a6f615e8b1b5ae4dbbc9440457e303e/03001627_1a6f615e8b1b5ae4dbbc9440457e303e_view004"


@pytest.fixture
def hand_tree(tmp_path):
    "One item with rgb, silhouette and angles, one skipped (rgb False), named as SemanticTransfer's loader expects."
    (tmp_path/"status").mkdir()
    items = [ITEM, ITEM.replace("view004", "view005")]
    (tmp_path/"status/items_all.txt").write_text("".join(i + "\n" for i in items))
    (tmp_path/"status/is_train.txt").write_text("True\nTrue\n")
    for k, v in (("rgb", "True\nFalse\n"), ("silhou", "True\nTrue\n"), ("azimuth", "True\nTrue\n"),
                 ("elevation", "True\nTrue\n")):
        (tmp_path/f"status/{k}.txt").write_text(v)
    (tmp_path/ITEM).parent.mkdir(parents=True)
    Image.new("RGB", (480, 480), "white").save(str(tmp_path/ITEM) + "_rgb.png")
    Image.new("L", (480, 480)).save(str(tmp_path/ITEM) + "_silhouette.png")
    np.save(str(tmp_path/ITEM) + "_azimuth.npy", np.float64(4.0)); np.save(str(tmp_path/ITEM) + "_elevation.npy", 1.2)
    return tmp_path


def test_the_published_naming_loads(hand_tree):
    (s,) = read_shapehd(hand_tree, "train")
    v = load_view(s)
    assert s["item"] == ITEM and v["rgb"].shape == (480, 480, 3) and v["rgb"].max() == 1.0
    assert v["azimuth"] == 4.0 and v["elevation"] == 1.2 and read_shapehd(hand_tree, "vali") == []


def test_official_transform_on_a_box():
    "renderer2voxel on a 2 x 1 x 4 box in ShapeNet's frame: x negated, (x, y, z) -> (x, -z, y), / 4, + 0.5."
    box = np.array([[x, y, z] for x in (-1, 1) for y in (-0.5, 0.5) for z in (-2, 2)], float)
    T = renderer_to_voxel(box)
    v = apply(T, apply(RENDERER_TO_SHAPE, box))
    assert np.allclose(v.min(0), [0.25, 0.0, 0.375]) and np.allclose(v.max(0), [0.75, 1.0, 0.625])
    assert np.allclose(apply(T, [[-1.0, 0, 0]]), [[0.75, 0.5, 0.5]])     # renderer -x = ShapeNet +x -> voxel +x


def test_angles_are_preprocess_pys():
    "azimuth = atan2(x, z) in [0, 2 pi), elevation = arccos(y / 2.2), of the camera centre in the renderer frame."
    az, el = genre_angles([-1.0, 1.1, -1.0])
    assert az == pytest.approx(np.arctan2(-1, -1) + 2 * np.pi) and el == pytest.approx(np.arccos(1.1 / 2.2))
    assert np.allclose(genre_angles(genre_position(5.0, 2.0)), (5.0, 2.0))
    R, T, K = genre_camera(5.0, 2.0, 480)
    assert K[0, 0].item() == pytest.approx(784.4645406) and float(T.norm()) == pytest.approx(2.2)


def test_our_renders_tie_together(tmp_path):
    n = write_shapehd(tmp_path, {"train": [make_shape("car", 0)], "vali": [make_shape("airplane", 0)]}, views=2,
                      size=48, res=24, seed=1)
    assert n == 4 and len(read_shapehd(tmp_path, "vali", synsets=("02691156",))) == 2
    assert read_shapehd(tmp_path, "vali", synsets=("03001627",)) == []
    for s in read_shapehd(tmp_path, "train", requires=tuple(STATUS)):
        v = load_view(s)
        assert v["vox_canon"].shape == (24, 24, 24) and v["vox_canon"].sum() > 50
        assert np.allclose(v["renderer2voxel"] @ v["voxel2renderer"], np.eye(4))
        occ = apply(RENDERER_TO_SHAPE, apply(v["voxel2renderer"], (np.argwhere(v["vox_canon"]) + 0.5) / 24))
        R, T, K = (x.numpy() for x in genre_camera(v["azimuth"], v["elevation"], 48))
        cam = occ @ R.T + T
        uv = np.round(cam[:, :2] / cam[:, 2:] * K[0, 0] + K[0, 2]).astype(int)
        sil = np.pad(v["silhou"] > 0.5, 1)
        assert np.mean([sil[r:r + 3, c:c + 3].any() for c, r in uv]) > 0.98
        lo, hi = v["depth_minmax"]
        assert 2.2 - 0.87 < lo < hi < 2.2 + 0.87       # the unit-diagonal model stays within its sphere


def test_same_seed_same_files(tmp_path):
    for d in ("a", "b"): write_shapehd(tmp_path/d, {"train": [make_shape("chair", 5)]}, views=1, size=32, res=16)
    item = read_shapehd(tmp_path/"a")[0]["item"]
    for suffix in ("_rgb.png", "_depth.png", "_azimuth.npy"):
        assert (tmp_path/"a"/(item + suffix)).read_bytes() == (tmp_path/"b"/(item + suffix)).read_bytes()


@pytest.mark.parametrize("edit, message", [
    (lambda t: (t/"status/silhou.txt").write_text("True\n"), "silhou.txt: 1 lines, but status/items_all.txt lists 2"),
    (lambda t: (t/(ITEM + "_silhouette.png")).unlink(), "silhou.txt: line 1 says"),
    (lambda t: (t/"status/azimuth.txt").unlink(), "azimuth.txt: no such status file"),
])
def test_bad_trees_are_named(hand_tree, edit, message):
    edit(hand_tree)
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        read_shapehd(hand_tree)
    assert message in str(e.value), str(e.value)


def test_a_nan_angle_and_a_class_without_synset_are_refused(hand_tree, tmp_path):
    np.save(str(hand_tree/ITEM) + "_azimuth.npy", np.float64("nan"))
    with pytest.raises(ValueError, match="_azimuth.npy: azimuth is not a finite number"):
        load_view(read_shapehd(hand_tree)[0])
    with pytest.raises(ValueError, match="not a KeypointNet class"):
        write_shapehd(tmp_path/"x", {"train": [make_shape("chair", 0), make_shape("bench", 0)]}, size=16, res=8)
    assert not (tmp_path/"x").exists()
