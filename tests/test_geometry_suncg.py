"""The SUNCG-derived layout Associative3D reads: a house written by hand in the published form (house.json with
column-major transforms, sscnet camera lines, 1-indexed boxes with level*10000+node ids, object voxels, a split
file with 3 header lines and 16 tokens a line) loads; our furnished rooms load the same way; bad files are refused
with the file and line or entry named."""
import json
import numpy as np
import pytest
import scipy.io
from PIL import Image
from scipy.spatial.transform import Rotation
from paper_kit.geometry.suncg import (read_split, load_view, load_object, write_suncg, campose_to_extrinsic,
                                      SUNCG_CLASSES, OUR_CLASS)
from paper_kit.geometry.shapes import make_shape

H = "0004d52d1aeeb8ae6de39d6bd993e992"


@pytest.fixture
def house(tmp_path):
    (tmp_path/"renderings_ldr"/H).mkdir(parents=True)
    Image.new("RGB", (640, 480)).save(tmp_path/"renderings_ldr"/H/"000003_mlt.png")
    (tmp_path/"camera"/H).mkdir(parents=True)
    line = "1.0 1.5 2.0 0 0 -1 0 1 0 0.5534 0.4339 1.0\n"
    (tmp_path/"camera"/H/"room_camera.txt").write_text(line * 4)
    T = np.eye(4); T[:3, 3] = [1.0, 0.0, 0.5]
    nodes = [{"id": "0_0", "type": "Room", "modelId": "fr_0rm_0"},
             {"id": "0_1", "type": "Object", "modelId": "142", "transform": T.T.ravel().tolist(), "valid": 1,
              "bbox": {"min": [0.7, 0, 0.2], "max": [1.3, 0.9, 0.8]}}]
    (tmp_path/"house"/H).mkdir(parents=True)
    (tmp_path/"house"/H/"house.json").write_text(json.dumps({"id": H, "levels": [{"id": "0", "nodes": nodes}]}))
    (tmp_path/"bboxes_node"/H).mkdir(parents=True)
    scipy.io.savemat(tmp_path/"bboxes_node"/H/"000003_bboxes.mat",
                     {"bboxes": np.array([[101.0, 51, 300, 400]]), "node_ids": np.array([[10002]]),
                      "n_pixels": np.array([[9000]])})
    (tmp_path/"object/142").mkdir(parents=True)
    scipy.io.savemat(tmp_path/"object/142/142.mat", {"voxels": np.ones((32, 32, 32), np.uint8),
                                                     "scale": np.array([[0.9]]), "translation": np.zeros((3, 1))})
    q = Rotation.from_euler("y", 30, degrees=True).as_quat()          # x y z w
    pose = lambda t: f"{t} 0.5 1.5 {q[3]} {q[0]} {q[1]} {q[2]}"
    (tmp_path/"test_set.txt").write_text("h1\nh2\nh3\n" + f"{H}/000003_mlt.png {pose(1.0)} "
                                         f"{H}/000007_mlt.png {pose(2.0)}\n")
    return tmp_path


def test_the_published_layout_loads(house):
    (p,) = read_split(house/"test_set.txt")
    assert p.house == H and p.views == ("000003", "000007")
    assert np.allclose(p.poses[0][:3, :3], Rotation.from_euler("y", 30, degrees=True).as_matrix())
    v = load_view(house, H, "000003")
    assert v["boxes"].tolist() == [[100, 50, 299, 399]] and v["nodes"][0]["modelId"] == "142"
    assert np.allclose(v["cam2world"][:3, 2], [0, 0, -1]) and v["K"][0, 0] == pytest.approx(517.97)
    o = load_object(house, "142")
    assert o["voxels"].shape == (32, 32, 32) and o["scale"] == pytest.approx(0.9)


def test_boxes_are_kept_as_the_official_loader_keeps_them(house):
    "Any level's Object nodes seen by more than 500 pixels (at 640 x 480) stay; rooms and small objects go."
    doc = json.loads((house/"house"/H/"house.json").read_text())
    upstairs = dict(doc["levels"][0]["nodes"][1], id="1_0")
    doc["levels"].append({"id": "1", "nodes": [upstairs]})
    (house/"house"/H/"house.json").write_text(json.dumps(doc))
    scipy.io.savemat(house/"bboxes_node"/H/"000003_bboxes.mat",
                     {"bboxes": np.array([[1.0, 1, 10, 10], [2, 2, 20, 20], [3, 3, 30, 30], [4, 4, 40, 40]]),
                      "node_ids": np.array([[10001], [10002], [20001], [10002]]),
                      "n_pixels": np.array([[90000], [9000], [501], [500]])})
    v = load_view(house, H, "000003")
    assert v["boxes"].tolist() == [[1, 1, 19, 19], [2, 2, 29, 29]]        # the room and the 500-pixel box dropped
    assert [n["id"] for n in v["nodes"]] == ["0_1", "1_0"] and v["n_pixels"].tolist() == [9000, 501]


@pytest.mark.parametrize("edit, call, message", [
    (lambda t: (t/"test_set.txt").write_text("a\nb\nc\n" + " ".join(["1"] * 15) + "\n"), "split",
     "line 4: 15 tokens, expected 16"),
    (lambda t: (t/"test_set.txt").write_text("a\nb\nc\n" + f"{H}/000003_mlt.png 1 2 3 0 0 0 0 "
                                             f"{H}/000007_mlt.png 1 2 3 1 0 0 0\n"), "split", "quaternion of norm 0"),
    (lambda t: scipy.io.savemat(t/"object/142/142.mat", {"scale": np.array([[1.0]])}), "object", "lacks ['voxels'"),
    (lambda t: scipy.io.savemat(t/"bboxes_node"/H/"000003_bboxes.mat", {"bboxes": np.ones((1, 4)),
     "node_ids": np.array([[10005]]), "n_pixels": np.array([[600]])}), "view", "node id 10005 names no node"),
    (lambda t: scipy.io.savemat(t/"bboxes_node"/H/"000003_bboxes.mat", {"bboxes": np.ones((2, 4)),
     "node_ids": np.array([[10002]]), "n_pixels": np.array([[600], [700]])}), "view",
     "_bboxes.mat: 2 boxes, 1 node ids and 2 pixel counts"),
    (lambda t: scipy.io.savemat(t/"bboxes_node"/H/"000003_bboxes.mat", {"bboxes": np.ones((1, 4)),
     "n_pixels": np.array([[600]])}), "view", "_bboxes.mat: lacks ['node_ids']"),
    (lambda t: (t/"camera"/H/"room_camera.txt").write_text("1 2 3\n" * 4), "view",
     "room_camera.txt: line 4: not a camera (3 values, expected at least 9)"),
    (lambda t: (t/"test_set.txt").write_text("a\nb\nc\n" + f"{H}/000003_mlt.png 1 2 3 nan 0 0 1 "
                                             f"{H}/000007_mlt.png 1 2 3 1 0 0 0\n"), "split",
     "line 4: a quaternion that is not finite"),
    (lambda t: Image.new("RGB", (320, 240)).save(t/"renderings_ldr"/H/"000003_mlt.png"), "view",
     "320 x 240, expected 640 x 480"),
    (lambda t: (t/"house"/H/"house.json").write_text("{not json"), "view", "house.json: not a SUNCG house file"),
    (lambda t: (t/"house"/H/"house.json").write_text('{"levels": []}'), "view", "house.json: not a SUNCG house file"),
])
def test_bad_files_are_named(house, edit, call, message):
    edit(house)
    run = {"split": lambda: read_split(house/"test_set.txt"), "object": lambda: load_object(house, "142"),
           "view": lambda: load_view(house, H, "000003")}[call]
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        run()
    assert message in str(e.value), str(e.value)


def test_our_rooms_load_and_repeat(tmp_path):
    shapes = {c: [make_shape(OUR_CLASS[c], 0)] for c in SUNCG_CLASSES}
    a = write_suncg(tmp_path/"a", shapes, houses=2, views=4, image_size=(96, 72), seed=4)
    b = write_suncg(tmp_path/"b", shapes, houses=2, views=4, image_size=(96, 72), seed=4)
    assert a == b and sum(a.values()) > 0
    for split in a:
        assert (tmp_path/"a"/f"associative3d_{split}_set.txt").read_text() == \
               (tmp_path/"b"/f"associative3d_{split}_set.txt").read_text()
        for p in read_split(tmp_path/"a"/f"associative3d_{split}_set.txt"):
            for view, pose in zip(p.views, p.poses):
                v = load_view(tmp_path/"a", p.house, view, (96, 72))
                assert np.allclose(v["cam2world"], pose, atol=1e-5) and len(v["nodes"]) >= 2
                assert (v["boxes"][:, 2:] < [96, 72]).all() and (v["boxes"] >= 0).all()
