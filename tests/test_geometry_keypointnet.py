"""KeypointNet's layout: a tree written by hand exactly as the official repository ships it (annotations/<class>.json,
ASCII PCD with packed colour, splits with `<synset>-<model_id>` lines) loads; our writer's output loads the same
way; bad files are refused with the file and entry named."""
import json
import numpy as np
import pytest
from paper_kit.geometry.keypointnet import load_keypointnet, read_pcd, write_keypointnet, KPNET_SYNSETS
from paper_kit.geometry.shapes import make_shape, KEYPOINT_NAMES

CHAIR, MODEL = "03001627", "88382b877be91b2a572f8e1c1caad99e"
HEADER = ("VERSION .7\nFIELDS x y z rgb\nSIZE 4 4 4 4\nTYPE F F F U\nCOUNT 1 1 1 1\nWIDTH {n}\nHEIGHT 1\n"
          "VIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA ascii\n")
ROWS = ["-0.168447 -0.180980 -0.044919 13614742", "-0.160178 0.286306 0.159585 10524260",
        "0.181522 0.253775 0.096252 10712133"]


@pytest.fixture
def real_tree(tmp_path):
    "A one-model KeypointNet tree in the published layout, its cloud's first rows copied from the shipped chair."
    (tmp_path/"pcds"/CHAIR).mkdir(parents=True)
    (tmp_path/"pcds"/CHAIR/f"{MODEL}.pcd").write_text(HEADER.format(n=3) + "\n".join(ROWS) + "\n")
    kp = lambda sid, idx, xyz: {"xyz": xyz, "rgb": [0, 0, 0], "semantic_id": sid, "pcd_info": {"point_index": idx},
                                "mesh_info": {"face_index": 0, "face_uv": [0.3, 0.3, 0.4]}}
    entry = {"class_id": CHAIR, "model_id": MODEL, "keypoints": [kp(0, 1, [-0.16, 0.286, 0.16]),
                                                                 kp(2, 2, [0.18, 0.25, 0.1])],
             "symmetries": {"reflection": [], "rotation": []}}
    (tmp_path/"annotations").mkdir(); (tmp_path/"annotations/chair.json").write_text(json.dumps([entry]))
    (tmp_path/"splits").mkdir()
    (tmp_path/"splits/train.txt").write_text(f"02691156-0123\n{CHAIR}-{MODEL}\n")
    return tmp_path


def test_the_published_layout_loads(real_tree):
    (m,) = load_keypointnet(real_tree, "chair", "train")
    assert m.model_id == MODEL and m.points.shape == (3, 3) and m.colors[0].tolist() == [207, 190, 150]
    assert m.labels.tolist() == [1, -1, 2] and np.isnan(m.keypoints[1]).all()
    with pytest.raises(FileNotFoundError, match="test.txt: no such split file"):
        load_keypointnet(real_tree, "chair", "test")


def test_our_writer_gives_the_same_layout(tmp_path):
    write_keypointnet(tmp_path, {"train": [make_shape("car", 0)], "val": [make_shape("car", 1)]}, n_points=256)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations", "pcds", "splits"]
    (m,) = load_keypointnet(tmp_path, "car", "val")
    assert (tmp_path/"pcds"/KPNET_SYNSETS["car"]/f"{m.model_id}.pcd").read_text().startswith(HEADER.format(n=256))
    assert len(m.labels) == len(KEYPOINT_NAMES["car"]) and (m.labels >= 0).all()


@pytest.mark.parametrize("edit, message", [
    (lambda t: (t/"pcds"/CHAIR/f"{MODEL}.pcd").write_text(HEADER.format(n=4) + "\n".join(ROWS)), "POINTS 4"),
    (lambda t: (t/"pcds"/CHAIR/f"{MODEL}.pcd").write_text(HEADER.format(n=3).replace("rgb", "i") + "\n".join(ROWS)),
     "expected `x y z rgb`"),
    (lambda t: (t/"pcds"/CHAIR/f"{MODEL}.pcd").unlink(), f"model '{MODEL}': its cloud"),
    (lambda t: (t/"annotations/chair.json").write_text("[{"), "chair.json: not JSON"),
])
def test_bad_files_are_named(real_tree, edit, message):
    edit(real_tree)
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        load_keypointnet(real_tree, "chair", "train")
    assert message in str(e.value), str(e.value)
