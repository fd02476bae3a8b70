"End-to-end tests of the kit (reproduce, status, report, registry) on a two-notebook toy paper."
import json, os, time
from pathlib import Path
import pytest
from conftest import run_cli, REPO, toy  # noqa: F401 (fixture)

def test_reproduce_report_provenance_and_skip(toy):
    src, root = toy
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r.returncode == 0, r.stderr
    assert "2 notebook(s) run" in r.stdout and "1 pass" in r.stdout
    rep = json.loads((root/"build/toy/report.json").read_text())
    assert [s["status"] for s in rep["steps"]] == ["ran", "ran"]
    (tab,) = rep["tables"]
    assert tab["paper"]["data"] == [[0.5]] and tab["ref"] == "Table 1"
    prov = tab["provenance"]
    for k in ("notebook", "cell_id", "git", "params", "params_hash", "profile", "seed", "input_hash", "versions", "wall_time_s"):
        assert k in prov, k
    assert prov["cell_id"], "the cell that saved the table must be identified"
    assert prov["params"] == {"profile": "smoke", "device": "cpu", "seed": 0, "n": 10}
    (fig,) = rep["figures"]
    assert fig["provenance"]["inputs"], "the figure's notebook declared an input; its hash belongs in the provenance"
    assert (root/"figures/toy/fig_hist.png").stat().st_size > 1000
    assert rep["claims"][0]["status"] == "pass"
    # nothing changed: both notebooks are skipped quickly
    t0 = time.time()
    r2 = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r2.returncode == 0 and "0 notebook(s) run, 2 up to date" in r2.stdout, r2.stdout + r2.stderr
    assert time.time() - t0 < 10
    # a parameter change reruns the notebook and the one that depends on it
    st = run_cli(["status", "toy", "--profile", "smoke", "-p", "n=11"], root, src)
    assert "changed: params" in st.stdout and "after 10_make" in st.stdout, st.stdout
    r3 = run_cli(["reproduce", "toy", "--profile", "smoke", "-p", "n=11", "--no-progress"], root, src)
    assert "2 notebook(s) run" in r3.stdout, r3.stdout + r3.stderr
    # a tampered output makes the notebook stale
    (root/"figures/toy/fig_hist.png").write_bytes(b"garbage")
    st = run_cli(["status", "toy", "--profile", "smoke", "-p", "n=11"], root, src)
    assert "fig_hist.png changed" in st.stdout, st.stdout

def test_profile_values_reach_the_notebook(toy):
    src, root = toy
    r = run_cli(["reproduce", "toy", "--profile", "small", "--no-progress"], root, src)
    assert r.returncode == 0, r.stderr
    rep = json.loads((root/"build/toy/report.json").read_text())
    assert rep["tables"][0]["provenance"]["params"]["n"] == 200
    assert rep["tables"][0]["provenance"]["profile"] == "small"

@pytest.mark.parametrize("args,msg", [
    (["-p", "epochs=3"], "unknown parameter(s) epochs"),
    (["-p", "n=ten"], "parameter 'n' of toy/10_make.ipynb expects int"),
    (["-p", "fail=maybe"], "expects bool"),
    (["--device", "tpu"], "unknown device"),
])
def test_bad_parameters_are_refused_before_work(toy, args, msg):
    src, root = toy
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress", *args], root, src)
    assert r.returncode == 2 and msg in r.stderr, r.stderr
    assert not (root/"build").exists() and not (root/"figures").exists(), "nothing may run before the parameters are checked"

def test_failure_names_notebook_cell_and_log_and_keeps_earlier_results(toy):
    src, root = toy
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    before = (root/"figures/toy/table_1.csv").read_text()
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress", "-p", "fail=true", "-p", "n=12"], root, src)
    assert r.returncode == 1
    err = r.stderr
    assert "toy/11_use.ipynb failed at code cell" in err and "ValueError: boom" in err, err
    log = root/"build/toy/logs/11_use.log"
    assert f"log: {log}" in err and log.exists()
    assert (root/"build/toy/executed/11_use.failed.ipynb").exists()
    # 10_make ran with n=12 and its outputs are intact; the old figure of 11_use is still there and the report says what failed
    assert (root/"figures/toy/fig_hist.png").exists()
    rep = json.loads((root/"build/toy/report.json").read_text())
    assert [s["status"] for s in rep["steps"]] == ["ran", "failed"]
    assert (root/"figures/toy/table_1.csv").read_text() != before  # rerun with n=12 saved a new table
    st = run_cli(["status", "toy", "--profile", "smoke", "-p", "n=12"], root, src)
    line = next(l for l in st.stdout.splitlines() if "11_use" in l)
    assert "up to date" not in line, "the notebook that failed must stay stale"
    assert "up to date" in next(l for l in st.stdout.splitlines() if "10_make" in l)

def test_unknown_paper(toy):
    src, root = toy
    r = run_cli(["reproduce", "nope"], root, src)
    assert r.returncode == 2 and "unknown paper" in r.stderr

def test_atomic_write_keeps_previous_file(tmp_path, monkeypatch):
    from paper_kit.kit import registry
    p = tmp_path/"t.json"
    registry.atomic_write_json(p, {"v": 1})
    def boom(*a, **k): raise KeyboardInterrupt
    monkeypatch.setattr(registry.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt): registry.atomic_write_json(p, {"v": 2})
    assert json.loads(p.read_text()) == {"v": 1}
    assert [x.name for x in tmp_path.iterdir()] == ["t.json"]
