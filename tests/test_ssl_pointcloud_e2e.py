"""`paper-kit reproduce ssl_pointcloud --profile smoke` end to end in a throw-away workspace: every table, figure
and claim of the report, the paper's numbers beside ours, caching, a broken real-layout dataset, and the results
page in real headless Chromium."""
import json, shutil, time
from pathlib import Path
import numpy as np, pytest
from conftest import run_cli, REPO, reproduce_smoke, check_report, check_bad_data_run
from browser import check_site, chromium_path

EXPECTED_TABLES = {"dataset_stats", "training", "per_object", "table1", "supp_table1", "table2", "table3", "supp_table2",
                   "supp_table3", "table5", "supp_table5", "fig8_part_transfer", "table4", "supp_table4", "pose_flips"}
EXPECTED_FIGURES = {"inputs", "training_curves", "fig3_neighbours", "fig4_reconstructions", "fig7_color_projections",
                    "supp_fig4_correspondence", "fig8_part_transfer", "fig6_heldout", "fig5_iso"}
EXPECTED_CLAIMS = {"cycle_losses_needed", "each_cycle_loss_needed", "lg_improves_differ", "lg_improves_ulsp_sup",
                   "nn_improves", "nn_helps_chairs_most", "comparable_to_pose_supervised", "one_or_two_neighbours_best",
                   "symmetry_helps_airplanes", "pose_best_for_cars", "nn_improves_pose", "color_comparable_to_differ",
                   "index_correspondence", "real_chairs_comparable", "iso_fits_input", "iso_keeps_structure"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return reproduce_smoke(tmp_path_factory.mktemp("ssl_ws"), "ssl_pointcloud")


def test_report_has_every_table_figure_and_claim(ws):
    root, secs, out = ws
    rep = check_report(root, "ssl_pointcloud", EXPECTED_TABLES, EXPECTED_FIGURES, EXPECTED_CLAIMS)
    t3 = next(t for t in rep["tables"] if t["name"] == "table3")
    paper = t3["paper"]
    assert paper["data"][paper["index"].index("DIFFER")][paper["columns"].index("Chamfer Car")] == 6.35
    ours = np.array([[v for v in row if isinstance(v, (int, float))] for row in t3["ours"]["data"]], dtype=float)
    assert np.isfinite(ours).all() and (ours > 0).all()
    assert t3["provenance"]["profile"] == "smoke" and t3["provenance"]["cell_id"]
    assert {"Mean shape (floor)", "Nearest training shape (floor)"} <= set(t3["ours"]["index"])
    assert sorted(p.name for p in (root/"figures/ssl_pointcloud").iterdir()) == ["smoke"], "smoke writes only its own set"


def test_second_run_skips_everything_quickly(ws):
    root, _, _ = ws
    t0 = time.time()
    r = run_cli(["reproduce", "ssl_pointcloud", "--profile", "smoke", "--no-progress"], root)
    assert r.returncode == 0 and "0 notebook(s) run" in r.stdout, r.stdout + r.stderr
    assert time.time() - t0 < 10


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
def test_results_page_and_3d_notebook_pages_load(ws):
    root, _, _ = ws
    r = run_cli(["site"], root)
    assert r.returncode == 0, r.stderr[-2000:]
    html = root/"build/site/html"
    infos, problems = check_site(html, screenshot_dir=REPO/"build/screenshots/ssl_pointcloud")
    assert not problems, "\n".join(problems[:30])
    res = infos["ssl_pointcloud/results.html"]
    assert len(res["imgs"]) >= len(EXPECTED_FIGURES)
    page = (html/"ssl_pointcloud/results.html").read_text()
    assert "pk-badge" in page and "6.35" in page
    qual = next(i for p, i in infos.items() if p.startswith("ssl_pointcloud/13_"))
    assert any(p["scenes"] > 0 for p in qual["plots"]), qual          # interactive plotly 3D views (Fig. 4)
    assert any(f.get("k3d") for f in qual["frames"]), qual            # the k3d snapshot
    held = next(i for p, i in infos.items() if p.startswith("ssl_pointcloud/14_"))
    assert any(p["scenes"] > 0 for p in held["plots"]), held          # Fig. 6: held-out objects in interactive 3D
