"""paper_kit.kit.safeio: files from outside (split lists, checkpoints) are read without letting them run code."""
import contextlib, os, pickle, shutil, warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from paper_kit.kit.safeio import UnsafeFileError, load_checkpoint, load_str_array, save_checkpoint, to_plain


class Exec:
    "Unpickling calls `exec`, which creates the marker file."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (exec, (f"open({self.marker!r}, 'w').close()",))


class System:
    "Unpickling calls `os.system('touch marker')`."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (os.system, (f"touch '{self.marker}'",))


PAYLOADS = [Exec, pytest.param(System, marks=pytest.mark.skipif(shutil.which("touch") is None, reason="no touch"))]
OBJECT_HEADER = {"descr": "|O", "fortran_order": False}


def _npy(path, shape, pickled: bytes):
    "A `.npy` file with an object-array header and the given pickle after it."
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {**OBJECT_HEADER, "shape": shape}); f.write(pickled)
    return path


# ---------------------------------------------------------------- string arrays
@pytest.mark.parametrize("payload", PAYLOADS)
def test_malicious_npy_is_refused_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / "marker"
    f = tmp_path / "images_list_03001627_train.npy"
    np.save(f, np.array([["1a2b_0"], [payload(marker)]], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match=r"images_list_03001627_train\.npy.*refused global"):
        load_str_array(f)
    assert not marker.exists()
    np.load(f, allow_pickle=True)              # the file really is malicious: an unrestricted load runs it
    assert marker.exists()


def test_bare_payload_after_a_valid_header_is_refused(tmp_path):
    marker = tmp_path / "marker"
    f = _npy(tmp_path / "knn_list_03001627.npy", (1,), pickle.dumps(Exec(marker), protocol=2))
    with pytest.raises(UnsafeFileError, match="knn_list_03001627.npy"): load_str_array(f)
    assert not marker.exists()


@pytest.mark.parametrize("obj, why", [
    (np.ma.masked_array(np.array(["a_0"], dtype=object)), "numpy.ma"),           # ndarray subclasses: not admitted
    (np.array([np.float64(1.5)], dtype=object), "scalar"),                       # numeric scalars: not admitted
])
def test_anything_but_strings_is_refused(tmp_path, obj, why):
    f = _npy(tmp_path / "x.npy", obj.shape, pickle.dumps(obj, protocol=3))
    with pytest.raises(UnsafeFileError, match=why): load_str_array(f)


def test_protocol2_spellings_are_admitted_only_for_strings(tmp_path):
    ok = np.array([b"1a2b_0", b"", np.str_("3c4d_2"), np.bytes_(b"5e6f_1")], dtype=object)
    assert load_str_array(_npy(tmp_path / "ok.npy", (4,), pickle.dumps(ok, protocol=2))).tolist() == \
        [b"1a2b_0", b"", "3c4d_2", b"5e6f_1"]
    big = (b"\x80\x02c__builtin__\nbytes\nJ\x00\xca\x9a;\x85R.")                 # bytes(10**9): refused
    with pytest.raises(UnsafeFileError, match="bytes"): load_str_array(_npy(tmp_path / "big.npy", (), big))
    enc = b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf-8\x86R."
    with pytest.raises(UnsafeFileError, match="latin-1"): load_str_array(_npy(tmp_path / "enc.npy", (), enc))


def test_python2_era_split_file_reads(tmp_path):
    "The pickle Python 2's NumPy writes for an object array of str (protocol 2, SHORT_BINSTRING entries)."
    py2 = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b\x87R"
           b"(K\x01K\x02K\x01\x86cnumpy\ndtype\nU\x02O8K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xff"
           b"J\xff\xff\xff\xffK?tb\x89]q\x03(U\x061a2b_0U\x063c4d_2etb.")
    f = _npy(tmp_path / "images_list_03001627_test.npy", (2, 1), py2)
    with warnings.catch_warnings():            # NumPy 2 may warn about the numpy.core name
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = np.load(f, allow_pickle=True, encoding="latin1")                  # what the official code reads
    a = load_str_array(f)
    assert a.dtype == object and a.tolist() == ref.tolist() == [["1a2b_0"], ["3c4d_2"]]
    from paper_kit.geometry.collections import read_drc_split
    assert read_drc_split(f) == ["1a2b_0", "3c4d_2"]


def test_plain_arrays_and_wrong_content(tmp_path):
    np.save(tmp_path / "s.npy", np.array([[b"1a2b_0", b"3c4d_2"]]))
    assert load_str_array(tmp_path / "s.npy").dtype.kind == "S"
    np.save(tmp_path / "f.npy", np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"f\.npy.*float64"): load_str_array(tmp_path / "f.npy")
    np.save(tmp_path / "m.npy", np.array(["1a2b_0", None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"m\.npy: element 1 is a NoneType"): load_str_array(tmp_path / "m.npy")
    (tmp_path / "t.npy").write_text("1a2b_0\n")
    with pytest.raises(ValueError, match=r"t\.npy: not a readable \.npy"): load_str_array(tmp_path / "t.npy")
    f = _npy(tmp_path / "cut.npy", (2,), pickle.dumps(np.array(["a_0", "b_1"], dtype=object), protocol=3)[:-20])
    with pytest.raises(ValueError, match=r"cut\.npy: unreadable"): load_str_array(f)
    g = _npy(tmp_path / "shape.npy", (3,), pickle.dumps(np.array(["a_0", "b_1"], dtype=object), protocol=3))
    with pytest.raises(ValueError, match=r"header says shape \(3,\)"): load_str_array(g)
    with pytest.raises(FileNotFoundError, match="none.npy"): load_str_array(tmp_path / "none.npy")


def test_collection_readers_refuse_malicious_lists(tmp_path):
    from paper_kit.geometry import collections as C
    marker = tmp_path / "marker"
    split = C.drc_split_path(tmp_path, "03001627", "train"); split.parent.mkdir(parents=True)
    np.save(split, np.array([[Exec(marker)]], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match="images_list_03001627_train"): C.read_drc_split(split)
    knn = C.knn_list_path(tmp_path, "03001627"); knn.parent.mkdir(parents=True)
    np.save(knn, np.array([["1a2b_0", Exec(marker)]], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match="knn_list_03001627"): C.load_knn_list(knn)
    assert not marker.exists()


# ---------------------------------------------------------------- checkpoints
def _evil_pt(path, marker, legacy: bool):
    if legacy: path.write_bytes(pickle.dumps({"state": {}, "x": Exec(marker)}, protocol=2))   # old torch format
    else: torch.save({"config": {}, "state": {}, "x": Exec(marker)}, path)
    return path


@pytest.mark.parametrize("legacy", [False, True])
def test_malicious_checkpoint_is_refused_and_nothing_runs(tmp_path, legacy):
    marker = tmp_path / "marker"
    f = _evil_pt(tmp_path / "model.pt", marker, legacy)
    with pytest.raises(UnsafeFileError, match=r"model\.pt: refused \(.*exec"): load_checkpoint(f, ("state",))
    assert not marker.exists()
    with contextlib.suppress(Exception):       # the file really is malicious: an unrestricted load runs it
        torch.load(f, weights_only=False)
    assert marker.exists()


def test_paper_checkpoint_readers_refuse_malicious_files(tmp_path):
    from paper_kit.visual_sound.experiment import load_m2b
    from paper_kit.ssl_pointcloud.train import load_checkpoint as ssl_load
    marker = tmp_path / "marker"
    f = _evil_pt(tmp_path / "fairplay_split1_ours.pt", marker, legacy=False)
    with pytest.raises(UnsafeFileError, match="fairplay_split1_ours.pt"): load_m2b(f)
    with pytest.raises(UnsafeFileError, match="fairplay_split1_ours.pt"): ssl_load(f, "Ours-CC")
    assert not marker.exists()


@dataclass
class Hp:
    lr: float = 5e-4
    el_range: tuple = (-20.0, 40.0)


def test_checkpoint_roundtrip_and_errors(tmp_path):
    import pandas as pd
    lin = torch.nn.Linear(3, 2)
    ck = {"hyper": to_plain(Hp()), "history": to_plain(pd.DataFrame({"it": [1, 2], "loss": [0.5, np.float32(.25)]})),
          "state": lin.state_dict(), "extra": {"best": to_plain(np.float64(0.25)), "note": None}}
    assert ck["hyper"] == {"lr": 5e-4, "el_range": (-20.0, 40.0)}
    assert ck["history"] == {"it": [1, 2], "loss": [.5, .25]} and type(ck["history"]["loss"][1]) is float
    f = save_checkpoint(tmp_path / "sub" / "m.pt", ck)
    assert [p.name for p in f.parent.iterdir()] == ["m.pt"]
    back = load_checkpoint(f, expect_keys=("hyper", "state"))
    assert back["hyper"] == ck["hyper"] and back["history"] == ck["history"] and back["extra"] == ck["extra"]
    torch.testing.assert_close(back["state"]["weight"], lin.weight.detach())
    with pytest.raises(ValueError, match=r"m\.pt: not a checkpoint: lacks key\(s\) \['optimizer'\]"):
        load_checkpoint(f, ("optimizer",))
    with pytest.raises(FileNotFoundError, match="none.pt"): load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "text.pt").write_text("weights")
    with pytest.raises(ValueError, match=r"text\.pt: not a checkpoint"): load_checkpoint(tmp_path / "text.pt")
    (tmp_path / "cut.pt").write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"cut\.pt: not a readable checkpoint, corrupt"):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save(torch.zeros(2), tmp_path / "t.pt")
    with pytest.raises(ValueError, match=r"t\.pt: not a checkpoint: holds a Tensor"):
        load_checkpoint(tmp_path / "t.pt")


@pytest.mark.parametrize("bad, where", [
    ({"hyper": Hp()}, r"\['hyper'\] is a .*Hp"),                                  # dataclass: use to_plain/asdict
    ({"h": {"loss": [np.float32(1)]}}, r"\['h'\]\['loss'\]\[0\] is a numpy.float32"), # saves, but would not load
    ({"x": np.zeros(2)}, r"\['x'\] is a numpy.ndarray")])
def test_only_plain_content_is_saved(tmp_path, bad, where):
    with pytest.raises(TypeError, match=r"m\.pt: checkpoint" + where + r".*to_plain"):
        save_checkpoint(tmp_path / "m.pt", bad)
    assert not list(tmp_path.iterdir())        # nothing written
