"""`paper-kit new` end to end, in a copy of the source tree: the skeleton paper it writes reproduces at smoke and
produces what its paper.yml declares; its claim passes when trained and fails at the audit; a second reproduce
runs nothing; its own test passes; its module is what nbdev-export makes; taken or bad names are refused."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest, yaml
from conftest import run_cli, REPO, BIN, check_report

PAPER = "demo_paper"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    "A copy of the notebooks, the library and the nbdev config, an empty workspace, and `paper-kit new demo_paper`."
    tmp = tmp_path_factory.mktemp("new_paper")
    src, root = tmp/"src", tmp/"ws"
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(REPO/"nbs", src/"nbs", ignore=skip)
    shutil.copytree(REPO/"paper_kit", src/"paper_kit", ignore=skip)
    shutil.copy(REPO/"pyproject.toml", src/"pyproject.toml")
    (src/"site_vendor").symlink_to(REPO/"site_vendor")
    root.mkdir()
    env = {"PYTHONPATH": str(src)}   # the copy's paper_kit, where the new package is exported
    r = run_cli(["new", PAPER, "--title", "A demo paper"], root, src, env_extra=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return src, root, env


@pytest.fixture(scope="module")
def smoke(tree):
    "The skeleton reproduced at smoke, then audited."
    src, root, env = tree
    cli = lambda cmd: run_cli([cmd, PAPER, "--profile", "smoke", "--no-progress"], root, src, env_extra=env)
    first = cli("reproduce")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    audit = cli("audit")
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-3000:]
    return first, audit, cli("reproduce")


def test_new_writes_the_skeleton(tree):
    src, _, _ = tree
    folder = src/"nbs/papers"/PAPER
    assert sorted(p.name for p in folder.iterdir()) == ["00_overview.ipynb", "01_method.ipynb", "10_make_data.ipynb",
                                                       "11_experiment.ipynb", "paper.yml"]
    cfg = yaml.safe_load((folder/"paper.yml").read_text())
    assert cfg["title"] == "A demo paper" and cfg["toolkits"] == [] and cfg["audit"] == {"11_experiment": {"steps": 0}}
    assert cfg["notebooks"] == sorted(p.name for p in folder.glob("*.ipynb"))
    assert "Deviations" in (folder/"00_overview.ipynb").read_text()
    assert (src/"tests"/f"test_{PAPER}.py").exists() and (src/"paper_kit"/PAPER/"__init__.py").exists()
    assert not list(src.glob(".new-*")), "no temporary folder is left behind"


def test_export_and_clean_leave_the_skeleton_as_written(tree):
    src, _, _ = tree
    files = [src/"paper_kit"/PAPER/"method.py", src/"paper_kit/_modidx.py", *(src/"nbs/papers"/PAPER).glob("*.ipynb")]
    before = {f: f.read_bytes() for f in files}
    env = {k: v for k, v in os.environ.items() if k != "IN_TEST"}
    for cmd in (["nbdev-export"], ["nbdev-clean", "--fname", f"nbs/papers/{PAPER}"]):
        r = subprocess.run([str(BIN/cmd[0]), *cmd[1:]], cwd=src, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    assert [f for f in files if f.read_bytes() != before[f]] == []


def test_smoke_produces_what_paper_yml_declares(tree, smoke):
    src, root, _ = tree
    first, _, _ = smoke
    assert "4 notebook(s) run" in first.stdout, first.stdout
    declared = yaml.safe_load((src/"nbs/papers"/PAPER/"paper.yml").read_text())["produces"]
    rep = check_report(root, PAPER, set(declared["tables"]), set(declared["figures"]), set(declared["claims"]))
    assert {c["id"]: c["status"] for c in rep["claims"]} == {"training_beats_mean_predictor": "pass"}
    table = next(t for t in rep["tables"] if t["name"] == "table1")
    assert table["paper"] is not None and table["provenance"]["profile"] == "smoke"
    assert [e["name"] for e in rep["evidence"]] == ["per_sample_errors"]


def test_the_claim_does_not_pass_at_the_audit(tree, smoke):
    _, root, _ = tree
    _, audit, _ = smoke
    assert "0 of 1 claims uninformative" in audit.stdout, audit.stdout
    rep = json.loads((root/f"build/{PAPER}/smoke-audit/report.json").read_text())
    assert [s["status"] for s in rep["steps"]] == ["up to date", "up to date", "up to date", "ran"]
    assert rep["claims"][0]["status"] in ("fail", "undecided")


def test_a_second_reproduce_runs_nothing_and_keeps_the_pass(tree, smoke):
    _, root, _ = tree
    _, _, again = smoke
    assert again.returncode == 0 and "0 notebook(s) run" in again.stdout, again.stdout + again.stderr
    (claim,) = json.loads((root/f"build/{PAPER}/smoke/report.json").read_text())["claims"]
    assert (claim["status"], claim["audit"], claim["verdict"]) == ("pass", "fail", "pass")


def test_the_generated_test_passes(tree):
    src, _, env = tree
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/test_{PAPER}.py"],
                       cwd=src, env=dict(os.environ, **env), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "4 passed" in r.stdout, r.stdout[-3000:]


def test_taken_and_bad_names_are_refused(tree):
    src, root, env = tree
    r = run_cli(["new", PAPER], root, src, env_extra=env)
    assert r.returncode == 2 and str(src/"nbs/papers"/PAPER) in r.stderr, r.stderr
    from paper_kit.kit.new import new_paper, NewPaperError
    for name, says in [("geometry", str(src/"nbs/geometry")), ("kit", str(src/"nbs/kit")),
                       ("Demo", "not a valid package name"), ("demo-paper", "not a valid package name"),
                       ("2d", "not a valid package name"), ("import", "keyword")]:
        with pytest.raises(NewPaperError) as e: new_paper(name, src=src)
        assert says in str(e.value), (name, str(e.value))
    assert {p.name for p in (src/"nbs/papers").iterdir()} == {p.name for p in (REPO/"nbs/papers").iterdir()} | {PAPER}
