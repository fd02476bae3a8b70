"""associative3d at smoke, what only this paper has (the generic checks of every paper, the missing real dataset
among them, are in `test_papers_e2e.py`, on the same workspace): the paper's numbers beside ours in Tables 1 to 6,
every claim recorded with its tests, and a malformed `house.json` named. Same seed, same tables is measured by
`benchmarks/paper_bars.py --paper associative3d` (two fresh workspaces, tables compared byte for byte), kept out of
the suite for its time."""
import shutil
import numpy as np, pytest
from conftest import smoke_report, report_table, check_bad_data_run
from paper_kit.geometry.suncg import read_split

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(smoke_workspace): return smoke_workspace("associative3d")


def test_tables_hold_the_papers_numbers_and_ours(ws):
    root, _, _ = ws
    rep = smoke_report(root, "associative3d")
    t1 = report_table(rep, "table1")
    paper = dict(zip(t1["paper"]["index"], t1["paper"]["data"]))
    assert paper["Associative3D"][0] == 23.3 and paper["Feedforward"][2] == 31.7      # All, Trans
    ours = np.array(t1["ours"]["data"], dtype=float)
    assert ours.shape == (5, 8) and np.isfinite(ours).all() and ((ours >= 0) & (ours <= 100)).all()
    assert t1["ours"]["index"][4] == "Random training box" and "Random training box" not in paper  # our floor
    learning = report_table(rep, "learning")["ours"]
    floors = dict(zip(learning["index"], (row[1] for row in learning["data"])))
    assert floors["affinity AUROC (GT boxes)"] == 0.5
    assert abs(floors["All AP × 100 (Associative3D)"] - ours[4, 0]) <= 0.05                 # Table 1 rounds to 0.1
    pre = np.array(report_table(rep, "pretrain_curve")["ours"]["data"], dtype=float)   # step 0 is the untrained net
    assert pre.shape[0] >= 2 and ((pre[:, :2] >= 0) & (pre[:, :2] <= 1)).all()
    assert paper["Associative3D"][6] == 38.8                                           # top 50 %
    for name in ("table2", "table3", "table4", "table5", "table6"):
        assert report_table(rep, name)["paper"]["data"], name
    t2 = np.array(report_table(rep, "table2")["ours"]["data"], dtype=float)             # AUROC, Correlation
    assert t2.shape == (2, 4) and np.isnan(t2[0, 2]) and (np.isnan(t2[0]) | ((t2[0] >= 0) & (t2[0] <= 1))).all()
    assert np.isfinite(t2[:, 0]).all()                          # every room holds several categories
    t5, t6 = (np.array(report_table(rep, n)["ours"]["data"], dtype=float) for n in ("table5", "table6"))
    assert t5.shape == t6.shape == (3, 5) and np.allclose(t5[2], t5[1] - t5[0], atol=0.11)  # row 2 − row 1
    assert t5[0, 0] == ours[3, 6]        # Table 5's ours is Table 1's Associative3D on the same top half of the pairs
    claims = {c["id"]: c for c in rep["claims"]}
    assert set(claims) == {"beats_alternatives_on_all_ap", "stitching_improves_correspondence",
                           "stitching_improves_translation", "averaging_rotation_hurts"}
    for c in claims.values(): assert c["status"] in ("pass", "fail", "undecided", "not evaluated"), c


def test_malformed_house_file_is_named_and_loses_nothing(ws, tmp_path):
    root, _, _ = ws
    real = tmp_path/"suncg"
    shutil.copytree(root/"data/associative3d/smoke/suncg", real)
    first = min((p.house, v) for p in read_split(real/"associative3d_train_set.txt") for v in p.views)[0]
    house = real/"house"/first/"house.json"                  # the first house 10_make_data reads
    house.write_text("{not json")
    check_bad_data_run(root, "associative3d", "10_make_data", f"suncg_root={real}", house, table="dataset_stats")
