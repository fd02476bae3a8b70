"End-to-end tests of the kit (reproduce, status, report, registry) on a two-notebook toy paper."
import json, os, shutil
from pathlib import Path
import pytest
from conftest import run_cli, REPO, toy  # noqa: F401 (fixture)

def _comment_and_wrap(nb):
    "Add a comment above the toy notebook's `run.finish()` and wrap the call: new layout, the same code."
    d = json.loads(nb.read_text())
    cell = next(c for c in d["cells"] if "run.finish()" in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]).replace("run.finish()", "# all outputs saved\nrun.finish(\n)")
    nb.write_text(json.dumps(d))

def test_reproduce_report_provenance_and_skip(toy):
    src, root = toy
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r.returncode == 0, r.stderr
    assert "2 notebook(s) run" in r.stdout and "3 pass" in r.stdout
    rep = json.loads((root/"build/toy/smoke/report.json").read_text())
    assert [s["status"] for s in rep["steps"]] == ["ran", "ran"]
    (tab,) = rep["tables"]
    assert tab["paper"]["data"] == [[0.5]] and tab["ref"] == "Table 1"
    prov = tab["provenance"]
    for k in ("notebook", "cell_id", "git", "params", "params_hash", "profile", "seed", "input_hash", "versions",
              "wall_time_s"):
        assert k in prov, k
    assert prov["cell_id"], "the cell that saved the table must be identified"
    assert prov["params"] == {"profile": "smoke", "device": "cpu", "seed": 0, "n": 10}
    assert prov["results"] == "smoke" and prov["machine"]["cpu"] and prov["machine"]["torch_threads"] >= 1
    (fig,) = rep["figures"]
    assert fig["provenance"]["inputs"], "the figure's notebook declared an input; its hash belongs in the provenance"
    assert (root/"figures/toy/smoke/fig_hist.png").stat().st_size > 1000
    assert {c["id"]: c["status"] for c in rep["claims"]}["mean_near_half"] == "pass"
    # nothing changed: both notebooks are skipped (how fast: benchmarks/paper_bars.py measures it)
    r2 = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r2.returncode == 0 and "0 notebook(s) run, 2 up to date" in r2.stdout, r2.stdout + r2.stderr
    # a comment and a wrapped line change no code: nothing reruns and nothing is stale
    nb = src/"nbs/papers/toy/10_make.ipynb"
    _comment_and_wrap(nb)
    r2 = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r2.returncode == 0 and "0 notebook(s) run, 2 up to date" in r2.stdout, r2.stdout + r2.stderr
    # a changed notebook reruns, and so does the one that depends on it
    nb.write_text(nb.read_text().replace("mean of n uniforms", "the mean of n uniforms"))
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src)
    assert ("result set 'smoke'" in st.stdout and "changed: code" in st.stdout
            and "after 10_make" in st.stdout), st.stdout
    r3 = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert "2 notebook(s) run" in r3.stdout, r3.stdout + r3.stderr
    # a tampered output makes the notebook stale
    (root/"figures/toy/smoke/fig_hist.png").write_bytes(b"garbage")
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src)
    assert "fig_hist.png changed" in st.stdout, st.stdout

def _git(src, *args):
    import subprocess
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=src, check=True,
                   capture_output=True)

def test_status_says_what_made_the_results_of_a_clone(toy):
    "In a checkout with results but no run states (a clone), status says which commit made them and what changed."
    src, root = toy
    reg = src/"paper_kit/kit/registry.py"                 # a library file the toy's code imports, tracked as in a clone
    reg.parent.mkdir(parents=True); reg.write_text((REPO/"paper_kit/kit/registry.py").read_text())
    _git(src, "init", "-q"); _git(src, "add", "-A"); _git(src, "commit", "-qm", "toy")
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    import shutil; shutil.rmtree(root/"build")                     # what a clone has: figures/, no build/
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    assert "never run in smoke" in st and "figures/toy/smoke/: 6 files made" in st, st
    assert "10_make, 11_use: commit" in st and "is unchanged since" in st, st
    assert "package versions: as recorded" in st and "made on " in st, st
    mk = src/"nbs/papers/toy/10_make.ipynb"             # prose only: the results still belong to the code
    mk.write_text(mk.read_text().replace("# 10_make", "# 10_make: the data"))
    assert "is unchanged since" in run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    _comment_and_wrap(mk)                                # a comment and a wrapped call: the same code
    reg.write_text(reg.read_text() + "# a note for readers of the module\n")
    assert "is unchanged since" in run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    yml = src/"nbs/papers/toy/paper.yml"               # another profile's parameters: not what made this set
    yml.write_text(yml.read_text().replace("profiles:\n", "profiles:\n  full:\n    10_make: {n: 5000}\n"))
    assert "is unchanged since" in run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    yml.write_text(yml.read_text() + "needs: {11_use: [10_make]}\n")   # what a notebook reads: no result changes
    assert "is unchanged since" in run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    nb = src/"nbs/papers/toy/11_use.ipynb"
    nb.write_text(nb.read_text().replace("training moves the estimate", "training moves the estimates"))
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    lines = {l.split(":")[0].strip(): l for l in st.splitlines() if ": commit " in l}
    assert "changed since: nbs/papers/toy/11_use.ipynb" in lines["11_use"], st
    assert "is unchanged since" in lines["10_make"], st      # what 10_make wrote cannot depend on a later notebook
    (src/"nbs/papers/toy/a new note.md").write_text("new, untracked, with spaces in its name")
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    assert "changed since: nbs/papers/toy/11_use.ipynb, nbs/papers/toy/a new note.md" in st, st
    reg.write_text(reg.read_text() + "_LIMIT = 1\n")          # new code in the library: the results may differ
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src).stdout
    assert ("changed since: nbs/papers/toy/11_use.ipynb, nbs/papers/toy/a new note.md, paper_kit/kit/registry.py"
            in st), st
    assert "figures/toy/small/: no results" in run_cli(["status", "toy"], root, src).stdout

def test_each_profile_and_custom_run_keeps_its_own_results(toy):
    src, root = toy
    assert run_cli(["reproduce", "toy", "--profile", "small", "--no-progress"], root, src).returncode == 0
    prov = json.loads((root/"build/toy/small/report.json").read_text())["tables"][0]["provenance"]
    assert prov["params"]["n"] == 200 and prov["profile"] == "small"            # the profile's value reached 10_make
    small = {p: p.read_bytes() for p in (root/"figures/toy/small").rglob("*") if p.is_file()}
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    r = run_cli(["reproduce", "toy", "--profile", "small", "-p", "steps=2", "--no-progress"], root, src)
    assert r.returncode == 0 and "small-custom-" in r.stdout, r.stdout + r.stderr  # a later notebook's parameter only
    r = run_cli(["reproduce", "toy", "--profile", "small", "-p", "n=11", "--no-progress"], root, src)
    assert r.returncode == 0 and "small-custom-" in r.stdout, r.stdout + r.stderr
    assert {p: p.read_bytes() for p in (root/"figures/toy/small").rglob("*") if p.is_file()} == small
    sets = sorted(p.name for p in (root/"figures/toy").iterdir())
    assert sets[0] == "small" and sets[-1] == "smoke" and len(sets) == 4, sets
    customs = [json.loads((root/f"build/toy/{s}/report.json").read_text()) for s in sets[1:3]]
    assert sorted(c["tables"][0]["provenance"]["params"]["n"] for c in customs) == [11, 200]
    for s in sets[1:3]: assert (root/f"data/toy/{s}/x.npy").exists(), "a custom run makes its own data"
    st = run_cli(["status", "toy", "--profile", "small"], root, src)
    assert "result set 'small'" in st.stdout and st.stdout.count("up to date") == 2, st.stdout

def test_audit_marks_claims_that_pass_untrained(toy):
    src, root = toy
    assert run_cli(["reproduce", "toy", "--profile", "small", "--no-progress"], root, src).returncode == 0
    r = run_cli(["audit", "toy", "--profile", "small", "--no-progress"], root, src)
    assert r.returncode == 0, r.stdout + r.stderr
    steps = json.loads((root/"build/toy/small-audit/report.json").read_text())["steps"]
    assert "reused from small" in json.dumps(steps)
    assert "1 of 3 claims uninformative" in r.stdout, r.stdout
    # a reader of a clone learns from paper.yml alone which notebook's run the audit took from the profile
    shutil.move(root/"build", root/"build_kept")
    r = run_cli(["status", "toy", "--profile", "small", "--audit"], root, src)
    assert "reused from small (the audit runs them as it does; their files are in figures/toy/small/): 10_make" \
        in r.stdout, r.stdout
    shutil.move(root/"build_kept", root/"build")
    # the audit's own state of the reused run goes stale: it reuses the profile's run again, the shared data untouched
    data = sorted((root/"data/toy/small").rglob("*"))
    before = {p: p.stat().st_mtime_ns for p in data}
    for sp in (root/"build/toy/small-audit/state").glob("*.json"):
        mine, theirs = json.loads(sp.read_text()), root/"build/toy/small/state"/sp.name
        if theirs.exists() and json.loads(theirs.read_text())["key"] == mine["key"]:
            sp.write_text(json.dumps(mine | {"key": "an older key"}))
    # files an earlier run of the reused notebook left in the audit's own set go: the profile's records stand for them
    small, audit = root/"figures/toy/small", root/"figures/toy/small-audit"
    left = [audit/"table_1.csv", audit/"table_1.csv.json", audit/"claims/mean_near_half.json"]
    for f in left: shutil.copy(small/f.relative_to(audit), f)
    (audit/"claims/mean_near_half.json").write_text(
        json.dumps(json.loads((small/"claims/mean_near_half.json").read_text()) | {"passed": False, "status": "fail"}))
    r = run_cli(["audit", "toy", "--profile", "small", "--no-progress"], root, src)
    assert r.returncode == 0, r.stdout + r.stderr
    steps = json.loads((root/"build/toy/small-audit/report.json").read_text())["steps"]
    assert "reused from small" in json.dumps(steps)
    assert not any(f.exists() for f in left) and (small/"table_1.csv").exists()
    assert {p: p.stat().st_mtime_ns for p in data} == before and data
    import os
    os.environ["PAPER_KIT_ROOT"], os.environ["PAPER_KIT_SRC"] = str(root), str(src)
    try:
        from paper_kit.kit.ledger import ledger
        led = {c["id"]: c for c in ledger("toy", "small")}
    finally:
        os.environ.pop("PAPER_KIT_ROOT"); os.environ.pop("PAPER_KIT_SRC")
    assert led["mean_near_half"]["verdict"] == "uninformative" and led["mean_near_half"]["audit"] == "pass"
    assert led["trained_far"]["verdict"] == "pass" and led["trained_far"]["audit"] == "fail"
    assert led["data_positive"]["verdict"] == "pass", "a claim that holds by nature keeps its pass"

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
    assert not (root/"build").exists() and not (root/"figures").exists(), \
        "nothing may run before the parameters are checked"

def test_failure_names_notebook_cell_and_log_and_keeps_earlier_results(toy):
    src, root = toy
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    before = (root/"figures/toy/smoke/table_1.csv").read_text()
    nb = src/"nbs/papers/toy/11_use.ipynb"
    nb.write_text(nb.read_text().replace("fail = False", "fail = True"))
    mk = src/"nbs/papers/toy/10_make.ipynb"
    mk.write_text(mk.read_text().replace("n = 10", "n = 12"))
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r.returncode == 1
    err = r.stderr
    assert "toy/11_use.ipynb failed at code cell" in err and "ValueError: boom" in err, err
    log = root/"build/toy/smoke/logs/11_use.log"
    assert f"log: {log}" in err and log.exists()
    assert (root/"build/toy/smoke/executed/11_use.failed.ipynb").exists()
    # 10_make ran with n=12 and its outputs are intact; the old figure of 11_use is still there and the report says
    # what failed
    assert (root/"figures/toy/smoke/fig_hist.png").exists()
    rep = json.loads((root/"build/toy/smoke/report.json").read_text())
    assert [s["status"] for s in rep["steps"]] == ["ran", "failed"]
    # the ledger says which claims are the failed notebook's earlier run, not this one's
    earlier = {c["id"]: c.get("out_of_date") for c in rep["claims"]}
    assert earlier["trained_far"] == "its last run failed or did not finish" and not earlier["mean_near_half"], earlier
    assert (root/"figures/toy/smoke/table_1.csv").read_text() != before  # rerun with n=12 saved a new table
    st = run_cli(["status", "toy", "--profile", "smoke"], root, src)
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


def test_readme_status_says_what_the_committed_ledger_says():
    "The README's status column quotes `ledger_line` for every paper with committed results, word for word."
    from paper_kit.kit.paper import list_papers
    from paper_kit.kit.ledger import ledger_line, best_results
    readme = (REPO/"README.md").read_text()
    for paper in list_papers():
        if best_results(paper) in ("small", "full"):
            line = ledger_line(paper)
            assert line in readme, f"README.md must quote the {paper} ledger: {line}"


def _ignored(path: str) -> bool:
    "Whether git ignores `path` (relative to the repository), as it would be in a fresh clone."
    import subprocess
    r = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO)
    return r.returncode == 0

@pytest.mark.parametrize("paper", sorted(p.parent.name for p in (REPO/"nbs/papers").glob("*/paper.yml")))
def test_what_git_keeps_of_each_result_set(paper):
    """A smoke or custom run leaves `git status` clean (its results, data, builds and checkpoints are ignored); the
    committed sets keep everything they make, the per-clip and per-object evidence under `data/` included."""
    for results in ("smoke", "smoke-audit", "small-custom-0123abcd", "full-custom-0123abcd"):
        for where in (f"figures/{paper}/{results}/table1.csv", f"figures/{paper}/{results}/data/per_unit.csv",
                      f"build/{paper}/{results}/report.json", f"build/{paper}/{results}/checkpoints/m.pt",
                      f"data/{paper}/{results.split('-')[0]}/x.npy"):
            assert _ignored(where), f"{where} would show in `git status` after a {results} run"
    for results in ("small", "full", "small-audit", "full-audit"):
        for where in (f"figures/{paper}/{results}/table1.csv", f"figures/{paper}/{results}/table1.csv.json",
                      f"figures/{paper}/{results}/data/per_unit.csv", f"figures/{paper}/{results}/claims/c.json"):
            assert not _ignored(where), f"{where} is a committed result but git ignores it"


def test_a_profile_leaves_out_only_what_not_at_names(toy):
    "`produces.not_at`: small (and its custom sets) may lack table_9; smoke may not, and both lack nothing else."
    src, root = toy
    yml = src/"nbs/papers/toy/paper.yml"
    yml.write_text(yml.read_text() + "produces: {tables: [table_1, table_9], not_at: {small: [table_9]}}\n")
    for profile, extra, missing in (("small", [], {}), ("small", ["-p", "n=11"], {}),
                                    ("smoke", [], {"tables": ["table_9"]})):
        r = run_cli(["reproduce", "toy", "--profile", profile, *extra, "--no-progress"], root, src)
        assert r.returncode == 0, r.stderr
        results = profile if not extra else next(l.split("[")[1].split("]")[0] for l in r.stdout.splitlines()
                                                 if l.startswith("toy ["))
        rep = json.loads((root/f"build/toy/{results}/report.json").read_text())
        assert rep["summary"]["missing"] == missing, (results, rep["summary"]["missing"])
        assert ("MISSING" in r.stdout) == bool(missing), r.stdout


def test_commands_start_without_torch_or_scipy_statistics():
    """`paper-kit` and a notebook's `kit.registry`/`kit.config` import neither torch nor `scipy.stats` (2-3 s and
    about 1 s of every command's start on a slow host): `kit.config` imports torch when it seeds or picks a device,
    `kit.registry` imports `kit.stats` when it decides a claim."""
    import subprocess, sys
    code = ("import sys, paper_kit.kit.cli, paper_kit.kit.registry, paper_kit.kit.config, paper_kit.kit.display\n"
            "print(sorted(m for m in ('torch', 'scipy.stats') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
