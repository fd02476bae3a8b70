"""ssl_pointcloud at smoke, what only this paper has (the generic checks of every paper are in `test_papers_e2e.py`,
on the same workspace): Table 3 with the paper's numbers and the Chamfer floors, a broken file inside a real-layout
dataset, and the interactive 3D views on the site."""
import json, shutil
import numpy as np, pytest
from conftest import check_bad_data_run
from browser import chromium_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(smoke_workspace): return smoke_workspace("ssl_pointcloud")


def test_table3_has_the_papers_numbers_and_the_floors(ws):
    root, _, _ = ws
    rep = json.loads((root/"build/ssl_pointcloud/smoke/report.json").read_text())
    t3 = next(t for t in rep["tables"] if t["name"] == "table3")
    paper = t3["paper"]
    assert paper["data"][paper["index"].index("DIFFER")][paper["columns"].index("Chamfer Car")] == 6.35
    ours = np.array([[v for v in row if isinstance(v, (int, float))] for row in t3["ours"]["data"]], dtype=float)
    assert np.isfinite(ours).all() and (ours > 0).all()
    assert {"Mean shape (floor)", "Nearest training shape (floor)"} <= set(t3["ours"]["index"])


def test_broken_real_layout_dataset_is_named_and_loses_nothing(ws, tmp_path):
    root, _, _ = ws
    src = root/"data/ssl_pointcloud/smoke/procedural"
    bad = tmp_path/"ssl_data"
    shutil.copytree(src, bad)
    from paper_kit.geometry.collections import read_drc_split
    name = read_drc_split(bad/"splits/images_list_03001627_train.npy")[0]
    model, view = name.rsplit("_", 1)
    missing = bad/"data/ShapeNet_rendered/03001627"/model/f"render_{view}.png"
    missing.unlink()
    check_bad_data_run(root, "ssl_pointcloud", "11_train", f"data_root={bad}", missing, table="table3")


@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
def test_notebook_pages_have_interactive_3d(ws, built_site):
    root, _, _ = ws
    html, _, infos, problems = built_site(root, "ssl_pointcloud")
    assert not problems, "\n".join(problems[:30])
    assert "6.35" in (html/"ssl_pointcloud/results.html").read_text()
    qual = next(i for p, i in infos.items() if p.startswith("ssl_pointcloud/13_"))
    assert any(p["scenes"] > 0 for p in qual["plots"]), qual          # interactive plotly 3D views (Fig. 4)
    assert any(f.get("k3d") for f in qual["frames"]), qual            # the k3d snapshot
    held = next(i for p, i in infos.items() if p.startswith("ssl_pointcloud/14_"))
    assert any(p["scenes"] > 0 for p in held["plots"]), held          # Fig. 6: held-out objects in interactive 3D
