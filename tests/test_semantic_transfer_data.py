"""semantic_transfer's sets: the same seed writes the same files in every set (the end-to-end same-seed test reads
Pix3D and SPair-71k as real sets, so their determinism is checked here). A MATLAB file's header carries the time it
was written, so `.mat` files are compared by their variables."""
import numpy as np
import scipy.io
from paper_kit.semantic_transfer.data import DataConfig, make_datasets

TINY = DataConfig(n_train=2, n_val=1, n_test=2, views=2, size=32, res=16, pix3d_models=1, pix3d_views=1, pairs=2,
                  train_pairs=3, train_views=3)


def _variables(path) -> dict:
    return {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}


def _equal(x, y) -> bool:
    "Equal MATLAB values as loadmat gives them: arrays, structs (named fields) and cells (object arrays), nested."
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray): return bool(np.array_equal(x, y))
    if x.dtype.names or y.dtype.names:
        return x.dtype.names == y.dtype.names and x.shape == y.shape and all(_equal(x[n], y[n]) for n in x.dtype.names)
    if x.dtype == object or y.dtype == object:
        return x.shape == y.shape and all(_equal(a, b) for a, b in zip(x.flat, y.flat))
    return bool(np.array_equal(x, y, equal_nan=np.issubdtype(x.dtype, np.floating)))   # hidden keypoints are NaN


def _same(a, b) -> bool:
    if a.suffix != ".mat": return a.read_bytes() == b.read_bytes()
    x, y = _variables(a), _variables(b)
    return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)


def test_same_seed_writes_the_same_sets(tmp_path):
    a, b = tmp_path/"a", tmp_path/"b"
    make_datasets(a, TINY); make_datasets(b, TINY)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert {f.parts[0] for f in files} == {"kpnet", "shapehd", "shapenet_test", "pix3d", "pf_pascal", "spair"}
    differ = [str(f) for f in files if not _same(a/f, b/f)]
    assert not differ, differ


def test_mat_files_are_compared_by_content(tmp_path):
    scipy.io.savemat(tmp_path/"x.mat", {"v": np.arange(3)}); scipy.io.savemat(tmp_path/"y.mat", {"v": np.arange(3)})
    big = np.zeros((16, 16, 16)); changed = big.copy(); changed[8, 8, 8] = 1    # past numpy's summarised repr
    scipy.io.savemat(tmp_path/"z.mat", {"v": np.arange(3), "s": {"grid": big}})
    scipy.io.savemat(tmp_path/"w.mat", {"v": np.arange(3), "s": {"grid": changed}})
    assert _same(tmp_path/"x.mat", tmp_path/"y.mat") and not _same(tmp_path/"x.mat", tmp_path/"z.mat")
    assert not _same(tmp_path/"z.mat", tmp_path/"w.mat")
