"""SPair-71k's and PF-PASCAL's layouts: pairs written by hand in the published forms (pair JSON and layout lines;
WeakAlign's CSV with `;`-joined coordinates and MATLAB annotations) load; our rendered pairs load the same way;
bad files are refused with the file and line named, and a later bad write leaves earlier files intact."""
import json
import numpy as np
import pytest
import scipy.io
from PIL import Image
from paper_kit.geometry.pairs import read_spair, read_pf_pascal, write_spair, write_pf_pascal
from paper_kit.geometry.shapes import make_shape

LINE = "000007-2010_000001-2011_000002:chair"


@pytest.fixture
def spair(tmp_path):
    for n in ("2010_000001", "2011_000002"):
        (tmp_path/"JPEGImages/chair").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (400, 300)).save(tmp_path/f"JPEGImages/chair/{n}.jpg")
    pair = {"pair_id": 7, "src_imname": "2010_000001.jpg", "trg_imname": "2011_000002.jpg",
            "src_imsize": [400, 300, 3], "trg_imsize": [400, 300, 3], "src_bndbox": [5, 6, 205, 296],
            "trg_bndbox": [100, 30, 380, 250], "src_pose": "Frontal", "trg_pose": "Right",
            "src_kps": [[30, 40], [60, 80], [90, 100]], "trg_kps": [[130, 60], [160, 90], [200, 140]],
            "kps_ids": [1, 4, 6], "category": "chair", "viewpoint_variation": 1, "scale_variation": 0,
            "truncation": 0, "occlusion": 2}
    (tmp_path/"PairAnnotation/test").mkdir(parents=True)
    (tmp_path/f"PairAnnotation/test/{LINE}.json").write_text(json.dumps(pair))
    (tmp_path/"Layout/large").mkdir(parents=True)
    (tmp_path/"Layout/large/test.txt").write_text(LINE + "\n")
    return tmp_path


@pytest.fixture
def pf(tmp_path):
    for d in ("JPEGImages", "Annotations/sofa"): (tmp_path/"PF-dataset-PASCAL"/d).mkdir(parents=True)
    kps = {"2008_000010": [[10, 20], [np.nan, np.nan], [50, 60]], "2008_000011": [[12, 22], [5, 5], [52, 62]]}
    for n, k in kps.items():
        Image.new("RGB", (320, 240)).save(tmp_path/f"PF-dataset-PASCAL/JPEGImages/{n}.jpg")
        scipy.io.savemat(tmp_path/f"PF-dataset-PASCAL/Annotations/sofa/{n}.mat",
                         {"kps": np.array(k, float), "bbox": np.array([[3, 4, 300, 200]])})
    (tmp_path/"test_pairs_pf_pascal.csv").write_text(
        "source_image,target_image,class,XA,YA,XB,YB\n"
        "PF-dataset-PASCAL/JPEGImages/2008_000010.jpg,PF-dataset-PASCAL/JPEGImages/2008_000011.jpg,18,"
        "10;50,20;60,12;52,22;62\n")
    return tmp_path


def test_published_spair_loads(spair):
    (p,) = read_spair(spair, "test")
    assert p.kps_ids.tolist() == [1, 4, 6] and p.flags == dict(viewpoint_variation=1, scale_variation=0,
                                                               truncation=0, occlusion=2)
    assert p.pck_reference("bbox") == 280 and p.pck_reference("img") == 400 and p.trg_kps[2].tolist() == [200, 140]
    assert read_spair(spair, "test", "aeroplane") == []


def test_published_pf_pascal_loads(pf):
    (p,) = read_pf_pascal(pf, "test")
    assert p.category == "sofa" and p.src_kps.tolist() == [[10, 20], [50, 60]] and p.trg_size == (320, 240)
    assert p.trg_bbox.tolist() == [3, 4, 300, 200] and p.pck_reference("bbox") == 297


@pytest.mark.parametrize("edit, message", [
    (lambda t: (t/"Layout/large/test.txt").write_text("no-colon-here\n"), "test.txt: line 1: expected"),
    (lambda t: (t/f"PairAnnotation/test/{LINE}.json").unlink(), "line 1: its pair file"),
    (lambda t: (t/"JPEGImages/chair/2010_000001.jpg").unlink(), "its src_imname"),
    (lambda t: (t/f"PairAnnotation/test/{LINE}.json").write_text(
        (t/f"PairAnnotation/test/{LINE}.json").read_text().replace("[90, 100]", "[NaN, 100]")), "src_kps has NaN"),
    (lambda t: (t/f"PairAnnotation/test/{LINE}.json").write_text(
        (t/f"PairAnnotation/test/{LINE}.json").read_text().replace("[1, 4, 6]", "[1, 4]")), "differ in length"),
])
def test_bad_spair_files_are_named(spair, edit, message):
    edit(spair)
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        read_spair(spair, "test")
    assert message in str(e.value), str(e.value)


@pytest.mark.parametrize("edit, message", [
    (lambda t: (t/"PF-dataset-PASCAL/JPEGImages/2008_000011.jpg").unlink(), "row 2: its target_image"),
    (lambda t: (t/"PF-dataset-PASCAL/Annotations/sofa/2008_000010.mat").unlink(), "row 2: its annotation"),
    (lambda t: (t/"test_pairs_pf_pascal.csv").write_text(
        (t/"test_pairs_pf_pascal.csv").read_text().replace("10;50", "10;x")), "XA '10;x' is not `;`-joined"),
    (lambda t: (t/"test_pairs_pf_pascal.csv").write_text(
        (t/"test_pairs_pf_pascal.csv").read_text().replace(",18,", ",0,")), "class 0 is not in 1..20"),
])
def test_bad_pf_pascal_files_are_named(pf, edit, message):
    edit(pf)
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        read_pf_pascal(pf, "test")
    assert "test_pairs_pf_pascal.csv" in str(e.value) and message in str(e.value), str(e.value)


def test_our_pairs_load_and_repeat(tmp_path):
    chairs = [make_shape("chair", i) for i in range(3)]
    assert write_spair(tmp_path/"a", {"test": chairs}, {"test": 4}, img_size=(96, 72), seed=3) == {"test": 4}
    assert write_spair(tmp_path/"b", {"test": chairs}, {"test": 4}, img_size=(96, 72), seed=3) == {"test": 4}
    pa, pb = read_spair(tmp_path/"a", "test"), read_spair(tmp_path/"b", "test")
    assert [p.src_kps.tolist() for p in pa] == [p.src_kps.tolist() for p in pb]
    assert all(len(p.kps_ids) >= 3 and p.src_img.parent.name == "chair" for p in pa)
    assert write_pf_pascal(tmp_path/"c", {"test": chairs}, {"test": 3}, img_size=(96, 72)) == {"test": 3}
    assert all(p.category == "chair" and len(p.src_kps) >= 3 for p in read_pf_pascal(tmp_path/"c", "test"))


def test_a_category_the_dataset_lacks_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"splits\['test'\]\[1\] \(bench_0000\): category 'bench' has no class"):
        write_pf_pascal(tmp_path/"pf", {"test": [make_shape("chair", 0), make_shape("bench", 0)]}, {"test": 1})
    with pytest.raises(ValueError, match="category 'table' has no class"):     # SPair-71k has no dining tables
        write_spair(tmp_path/"sp", {"test": [make_shape("table", 0)]}, {"test": 1})
    assert not (tmp_path/"pf").exists() and not (tmp_path/"sp").exists()
