"""Fan-out and executors end to end on a throw-away paper: a notebook that fans out over a list parameter runs one
papermill job per unit (here, in parallel processes, and through submitit's local executor, the Slurm path), each
unit cached on its own, gathered downstream into the same bytes whichever executor ran them; a failed unit names
the paper, notebook, unit, cell and log, keeps its siblings' results, and a rerun runs only what failed."""
import json, os, shutil, signal, subprocess, time
import pytest
from conftest import run_cli, REPO, BIN, _nb

pytestmark = pytest.mark.slow

MAKE = '''\
import numpy as np
from paper_kit.kit.registry import start_run
from paper_kit.kit.config import use_seed
run = start_run("fan", "10_make", namespace=globals())
with use_seed(seed): x = np.random.rand(n)
run.data_dir.mkdir(parents=True, exist_ok=True)
np.save(run.data_dir/"x.npy", x); run.register_output(run.data_dir/"x.npy")
run.finish()
'''
UNITS = '''\
import os, time, zlib, numpy as np, pandas as pd
from pathlib import Path
from paper_kit.kit.registry import start_run
run = start_run("fan", "11_units", namespace=globals())
x = np.load(run.use_input(run.data_dir/"x.npy"))
for item in items:   # a unit gets a one-element list; run by hand, the notebook does every item
    if (Path(os.environ["PAPER_KIT_ROOT"])/f"poison_{item}").exists(): raise RuntimeError(f"poisoned unit {item}")
    while (Path(os.environ["PAPER_KIT_ROOT"])/f"hold_{item}").exists(): time.sleep(0.2)   # a unit still running
    rng = np.random.default_rng([seed, zlib.crc32(item.encode())])   # per item, not per position in the list
    w = x * rng.standard_normal(x.shape)
    np.save(run.data_dir/f"unit_{item}.npy", w); run.register_output(run.data_dir/f"unit_{item}.npy")
    run.save_table(f"unit_{item}", pd.DataFrame({"sum": [float(w.sum())]}, index=[item]), caption=f"unit {item}")
run.finish()
'''
GATHER = '''\
import numpy as np, pandas as pd
from paper_kit.kit.registry import start_run
run = start_run("fan", "12_gather", namespace=globals())
rows = {i: np.load(run.use_input(run.data_dir/f"unit_{i}.npy")) for i in items}
table = pd.DataFrame({"mean": {i: float(v.mean()) for i, v in rows.items()},
                      "energy": {i: float((v ** 2).sum()) for i, v in rows.items()}})
run.save_table("gathered", table, caption="one row per unit")
run.claim("units_differ", "the units give different results", ref="-",
          passed=bool(table["mean"].nunique() == len(items)),
          evidence=table["mean"].to_dict(), check="distinct means")
run.finish()
'''
ITEMS = "['a', 'b', 'c']"


@pytest.fixture
def fan(tmp_path):
    "A three-notebook paper whose middle notebook fans out over `items`, in a temporary source tree."
    src = tmp_path/"src"; pf = src/"nbs/papers/fan"; pf.mkdir(parents=True)
    _nb(pf/"10_make.ipynb", "profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nn = 50", MAKE)
    _nb(pf/"11_units.ipynb", f"profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nitems = {ITEMS}", UNITS)
    _nb(pf/"12_gather.ipynb", f"profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nitems = {ITEMS}", GATHER)
    (pf/"paper.yml").write_text("title: Fan-out paper\nnotebooks: [10_make.ipynb, 11_units.ipynb, 12_gather.ipynb]\n"
                                "fanout: {11_units: items}\nproduces: {tables: [gathered], claims: [units_differ]}\n")
    return src, tmp_path


def _reproduce(src, root, *extra):
    root.mkdir(exist_ok=True)
    return run_cli(["reproduce", "fan", "--profile", "smoke", "--no-progress", *extra], root, src, timeout=600)


def test_units_give_the_bytes_of_a_sequential_run(fan):
    src, tmp = fan
    seq = _reproduce(src, tmp/"seq", "--threads", "1")
    assert seq.returncode == 0, seq.stdout + seq.stderr
    for ws, executor in (("local", ["--executor", "local", "--jobs", "2", "--threads", "1"]),
                         ("submitit", ["--executor", "submitit-local", "--threads", "1"])):
        par = _reproduce(src, tmp/ws, *executor)
        assert par.returncode == 0, par.stdout + par.stderr
        for name in ("gathered.csv", "unit_a.csv", "unit_b.csv", "unit_c.csv"):
            a, b = (tmp/"seq/figures/fan/smoke"/name).read_bytes(), (tmp/ws/"figures/fan/smoke"/name).read_bytes()
            assert a == b, (ws, name)
        states = sorted(p.name for p in (tmp/ws/"build/fan/smoke/state").iterdir())
        assert states == ["10_make.json", "11_units@a.json", "11_units@b.json", "11_units@c.json", "12_gather.json"]
        rep = json.loads((tmp/ws/"build/fan/smoke/report.json").read_text())
        assert rep["summary"]["missing"] == {} and [c["status"] for c in rep["claims"]] == ["pass"]
        assert ({s["notebook"] for s in rep["steps"] if s["status"] == "ran"}
                >= {"11_units@a", "11_units@b", "11_units@c"})
    assert list((tmp/"submitit/build/fan/slurm").rglob("*_log.out")), "submitit's per-job logs"


def test_failed_unit_is_named_keeps_its_siblings_and_reruns_alone(fan):
    src, tmp = fan
    root = tmp/"ws"; root.mkdir()
    (root/"poison_b").touch()
    r = _reproduce(src, root, "--executor", "local", "--jobs", "2")
    assert r.returncode == 1
    assert "fan/11_units.ipynb (unit 'b') failed at code cell" in r.stderr and "poisoned unit b" in r.stderr, r.stderr
    assert str(root/"build/fan/smoke/logs/11_units@b.log") in r.stderr
    steps = {s["notebook"]: s["status"] for s in json.loads((root/"build/fan/smoke/report.json").read_text())["steps"]}
    assert steps["11_units@a"] == steps["11_units@c"] == "ran" and steps["11_units@b"] == "failed"
    assert "12_gather" not in steps and (root/"figures/fan/smoke/unit_a.csv").exists()
    (root/"poison_b").unlink()
    st = run_cli(["status", "fan", "--profile", "smoke"], root, src).stdout
    assert "11_units@a" in st and "11_units@b" in st, st
    r = _reproduce(src, root, "--executor", "local", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    ran = [s["notebook"] for s in json.loads((root/"build/fan/smoke/report.json").read_text())["steps"]
           if s["status"] == "ran"]
    assert ran == ["11_units@b", "12_gather"], ran


def test_a_stopped_run_keeps_the_units_it_finished(fan):
    "Each unit's state is recorded as its job returns: stopping a long run loses only the units still running."
    src, tmp = fan
    root = tmp/"ws"; root.mkdir()
    (root/"hold_b").touch()
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(src))
    cmd = [shutil.which("paper-kit", path=str(BIN)) or "paper-kit", "reproduce", "fan", "--profile", "smoke",
           "--no-progress", "--executor", "local", "--jobs", "1"]
    p = subprocess.Popen(cmd, cwd=root, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    state = root/"build/fan/smoke/state"
    try:
        t0 = time.time()
        while not (state/"11_units@a.json").exists() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.5)
        assert (state/"11_units@a.json").exists(), "unit a's state was not recorded while unit b ran"
        assert p.poll() is None and not (state/"11_units@b.json").exists()
    finally: os.killpg(p.pid, signal.SIGKILL); p.wait()
    (root/"hold_b").unlink()
    r = _reproduce(src, root, "--executor", "local", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    steps = {s["notebook"]: s["status"] for s in json.loads((root/"build/fan/smoke/report.json").read_text())["steps"]}
    assert steps["10_make"] == steps["11_units@a"] == "up to date", steps
    assert steps["11_units@b"] == steps["11_units@c"] == steps["12_gather"] == "ran", steps


def test_bad_fanout_declaration_is_refused(fan):
    src, tmp = fan
    (src/"nbs/papers/fan/paper.yml").write_text("title: t\nnotebooks: [10_make.ipynb, 11_units.ipynb]\n"
                                                "fanout: {11_units: n}\n")
    r = run_cli(["status", "fan", "--profile", "smoke"], tmp, src)
    assert r.returncode == 2 and "fanout" in r.stderr and "11_units" in r.stderr, r.stderr


def _slurm_fan(fan):
    "The fan-out paper with `hours:` stated for its fanned-out notebook."
    src, tmp = fan
    yml = src/"nbs/papers/fan/paper.yml"
    yml.write_text(yml.read_text() + "hours: {11_units: {smoke: 2, full: 72}}\n")
    return src, tmp

SLURM_ARGS = ["--executor", "slurm", "--device", "cuda", "--slurm-cpus", "4", "--slurm-mem", "16",
              "--slurm-partition", "gpu"]

def test_slurm_dry_run_lists_the_jobs_with_their_resources_from_a_login_node(fan):
    "No GPU, no Slurm here (a login node): a CUDA run on Slurm is planned, not refused, and nothing starts."
    src, tmp = _slurm_fan(fan)
    (tmp/"ws").mkdir()
    r = run_cli(["reproduce", "fan", "--profile", "smoke", "--dry-run", *SLURM_ARGS], tmp/"ws", src)
    assert r.returncode == 0, r.stdout + r.stderr
    # the 5 jobs: 10_make, 3 units, 12_gather
    assert "fan [smoke-custom" not in r.stdout and "5 of 5 job(s) would run" in r.stdout, r.stdout
    units = [l for l in r.stdout.splitlines() if "11_units@" in l]
    assert len(units) == 3 and all("slurm job: time 180 min, 1 GPU, 4 CPUs, 16.0 GB, partition gpu" in l
                                   for l in units), r.stdout
    assert "time 45 min" in next(l for l in r.stdout.splitlines() if "10_make" in l), "none stated: smoke's half hour"
    assert not (tmp/"ws/figures").exists() and not (tmp/"ws/build/fan/slurm").exists(), "a dry run starts nothing"

def test_the_sbatch_script_carries_every_setting(fan, tmp_path, monkeypatch):
    "What submitit would hand to sbatch for the three units: one array, GPUs, CPUs, memory, partition, time."
    import submitit
    from paper_kit.kit.jobs import SubmititExecutor, Job
    fake = tmp_path/"bin"; fake.mkdir(); (fake/"srun").write_text("#!/bin/sh\nexit 0\n"); (fake/"srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{__import__('os').environ['PATH']}")   # submitit looks for srun, never runs it
    src, _ = _slurm_fan(fan)
    ex = SubmititExecutor(tmp_path/"slurm", "slurm", {"gpus": 1, "cpus": 4, "mem": 16, "partition": "gpu"})
    job = Job("fan", src/"nbs/papers/fan/11_units.ipynb", "11_units@a", {}, "full", tmp_path, unit="a", hours=72)
    sub = submitit.AutoExecutor(folder=str(tmp_path/"slurm"), cluster="slurm")
    sub.update_parameters(**ex.parameters(job))
    sub._executor.parameters["map_count"] = 3   # what `batch()` sets for a three-unit array
    text = sub._executor._make_submission_file_text("python -u -m submitit.core._submit x", "uid")
    for line in ("--array=0-2", "--gpus-per-node=1", "--cpus-per-task=4", "--mem=16GB", "--partition=gpu",
                 f"--time={72 * 60 * 3 // 2}", "--job-name=fan-11_units"):
        assert f"#SBATCH {line}" in text, (line, text)


HELD_UNITS = '''\
import os, time
from pathlib import Path
root = Path(os.environ["PAPER_KIT_ROOT"])
with open(root/f"started_{items[0]}", "a") as f: f.write(f"{os.getpid()}\\n")   # one line per start of this unit
while (root/"hold").exists(): time.sleep(0.2)
''' + UNITS

def test_a_lost_login_session_is_reattached_not_resubmitted(fan):
    """The submitting `paper-kit` dies while its cluster jobs run (submitit's local executor: real processes);
    `status` lists them, the same command again reattaches to them, each unit runs once, the run completes."""
    import os, signal, subprocess, threading, time
    from conftest import BIN
    src, tmp = fan
    params = f"profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nitems = {ITEMS}"
    _nb(src/"nbs/papers/fan/11_units.ipynb", params, HELD_UNITS)
    ws = tmp/"ws"; ws.mkdir(); (ws/"hold").touch()
    args = [str(BIN/"paper-kit"), "reproduce", "fan", "--profile", "smoke", "--no-progress", "--experiments-only",
            "--executor", "submitit-local", "--threads", "1"]
    env = dict(os.environ, PAPER_KIT_ROOT=str(ws), PAPER_KIT_SRC=str(src), PYTHONUNBUFFERED="1")
    first = subprocess.Popen(args, cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not all((ws/f"started_{i}").exists() for i in "abc"):
        assert first.poll() is None and time.time() - t0 < 300, "the units never started"
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL); first.wait()     # the login session is lost; the cluster jobs go on
    r = run_cli(["status", "fan", "--profile", "smoke"], ws, src)
    listed = [l for l in r.stdout.splitlines() if "11_units@" in l and ": running" in l]
    assert r.returncode == 0 and len(listed) == 3, r.stdout + r.stderr
    second = subprocess.Popen(args, cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, release = [], threading.Timer(240, lambda: (ws/"hold").unlink(missing_ok=True))
    release.start()                 # a run that submits again instead would wait on the hold: fail, do not hang
    for line in second.stderr:      # the units stay held until all three are reattached
        seen.append(line)
        if sum("reattached to cluster job" in l for l in seen) == 3: break
    release.cancel(); (ws/"hold").unlink(missing_ok=True)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, "".join(seen) + out + err
    assert all(len((ws/f"started_{i}").read_text().split()) == 1 for i in "abc"), "a unit was submitted twice"
    assert (ws/"figures/fan/smoke/gathered.csv").exists()
    assert json.loads((ws/"build/fan/slurm/submitted.json").read_text()) == {}, "collected jobs leave the record"
    r = run_cli(["status", "fan", "--profile", "smoke"], ws, src)
    assert "cluster jobs submitted" not in r.stdout and "11_units@a" in r.stdout and "up to date" in r.stdout, r.stdout
