"""The engine's cache keys see every input, and only inputs: a dataset file, a weight file, a system asset and a
toolkit import each rerun the notebook that reads them; a prose edit reruns nothing; two runs of one result set
never write it at once."""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import run_cli, _nb, paper_tree, REPO, toy  # noqa: F401 (fixture)

READ = '''\\
import os, pandas as pd
from pathlib import Path
from paper_kit.kit.registry import start_run
run = start_run("inp", "10_read", namespace=globals())
root = run.dataset(data_root, "synthetic")                 # the real dataset when given
w = run.use_input(Path(weights))                          # a weight file passed as a parameter
asset = run.use_input(Path(os.environ["INP_ASSET"]))     # a system asset the code reads (an HRTF, a soundfont)
n = sum(len(f.read_bytes()) for f in sorted(root.rglob("*.txt"))) + len(w.read_bytes()) + len(asset.read_bytes())
run.save_table("bytes", pd.DataFrame({"bytes": [n]}), caption="bytes read")
run.finish()
'''

@pytest.fixture
def inp(tmp_path):
    "A one-notebook paper that reads a dataset folder, a weight file and a system asset."
    (src, root, pf), ext = paper_tree(tmp_path, "inp"), tmp_path/"outside"
    (ext/"data").mkdir(parents=True)
    (ext/"data/a.txt").write_text("one"); (ext/"w.pt").write_text("weights"); (ext/"asset.bin").write_text("hrtf")
    _nb(pf/"10_read.ipynb", f"profile = 'smoke'\ndevice = 'cpu'\nseed = 0\ndata_root = ''\nweights = ''", READ)
    (pf/"paper.yml").write_text("title: Inputs\nnotebooks: [10_read.ipynb]\n")
    args = ["-p", f"data_root={ext/'data'}", "-p", f"weights={ext/'w.pt'}"]
    return src, root, ext, args, {"INP_ASSET": str(ext/"asset.bin")}

def _run(inp, *cmd):
    src, root, ext, args, env = inp
    return run_cli([*cmd, "inp", "--profile", "smoke", *args] + (["--no-progress"] if cmd[0] == "reproduce" else []),
                   root, src, env_extra=env)

def _status(inp) -> str:
    return next(l for l in _run(inp, "status").stdout.splitlines() if "10_read" in l)

def _bytes(inp) -> int:
    root = inp[1]
    (csv,) = (root/"figures/inp").glob("smoke-custom-*/bytes.csv")
    return int(csv.read_text().splitlines()[1].split(",")[1])

def test_every_input_kind_reruns_its_notebook(inp):
    src, root, ext, _, _ = inp
    assert _run(inp, "reproduce").returncode == 0 and _bytes(inp) == 3 + 7 + 4
    assert "up to date" in _status(inp)
    nb = src/"nbs/papers/inp/10_read.ipynb"          # prose only: nothing reruns
    d = json.loads(nb.read_text()); d["cells"][0]["source"] = "# Reading inputs, now with a longer title"
    nb.write_text(json.dumps(d))
    assert "up to date" in _status(inp)
    for path, text, why in ((ext/"data/a.txt", "three", "changed: paths"), (ext/"w.pt", "weights!", "changed: paths"),
                            (ext/"asset.bin", "hrtf v2", "asset.bin changed since the last run")):
        path.write_text(text)
        assert why in _status(inp), (path, _status(inp))
        r = _run(inp, "reproduce")
        assert r.returncode == 0 and "1 notebook(s) run" in r.stdout, r.stdout + r.stderr
        assert "up to date" in _status(inp)
    assert _bytes(inp) == 5 + 8 + 7
    os.utime(ext/"asset.bin")                          # touched, same bytes: its content hash still matches
    assert "up to date" in _status(inp)

def test_a_toolkit_import_joins_the_key_and_must_be_declared(inp, monkeypatch):
    from paper_kit.kit import code, config
    src = inp[0]
    (src/"nbs/geometry").symlink_to(REPO/"nbs/geometry")    # the toolkits of this checkout, as a real source tree has
    monkeypatch.setenv("PAPER_KIT_SRC", str(src))
    nb = src/"nbs/papers/inp/10_read.ipynb"
    d = json.loads(nb.read_text()); d["cells"][-1]["source"] += "\nfrom paper_kit.geometry.metrics import chamfer\n"
    nb.write_text(json.dumps(d))
    from paper_kit.kit.paper import load_paper
    with pytest.raises(code.ReproduceError, match="imports the toolkit\\(s\\) geometry, which `toolkits:` does not"):
        code.library_hash(load_paper("inp"))
    yml = src/"nbs/papers/inp/paper.yml"; yml.write_text(yml.read_text() + "toolkits: [geometry]\n")
    paper = load_paper("inp")
    assert "geometry/metrics.py" in code.library_files(paper)
    before = code.library_hash(paper)
    real = code.file_code_hash      # the toolkit file's code changes: the key changes
    monkeypatch.setattr(code, "file_code_hash", lambda p: "edited" if Path(p).name == "metrics.py" else real(p))
    assert code.library_hash(paper) != before

def test_a_second_run_of_the_same_result_set_is_refused_with_the_holder_named(toy):
    src, root = toy
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(src))
    holder = subprocess.Popen([sys.executable, "-c",
                               "import time; from paper_kit.kit.reproduce import holding, run_locks\n"
                               "with holding(run_locks('toy', 'smoke-audit', False), 'toy audit'): "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
        # the audit holds the data folder that the profile's run would write
        assert r.returncode == 1 and f"data/toy/smoke/ is in use by process {holder.pid}" in r.stderr, r.stderr
        assert not (root/"figures/toy/smoke").exists(), "the refused run wrote nothing"
    finally: holder.kill(); holder.wait()
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0

def test_a_system_asset_a_toolkit_declares_joins_every_key_of_the_papers_that_import_it(tmp_path, monkeypatch):
    from paper_kit.kit import code
    from paper_kit.kit.paper import load_paper
    mod = tmp_path/"m.py"
    mod.write_text('SEARCH = ("/no/such/file",)\nSYSTEM_ASSETS = {"HRTF": {"env": "T_ASSET", "paths": SEARCH}}\n')
    spec = code.declared_assets([mod])
    assert spec == {"HRTF": {"env": "T_ASSET", "paths": ("/no/such/file",)}}
    assert code.asset_fingerprint(spec["HRTF"]) == "absent"
    a = tmp_path/"hrtf.sofa"; a.write_text("v1"); monkeypatch.setenv("T_ASSET", str(a))
    first = code.asset_fingerprint(spec["HRTF"])
    a.write_text("v2")
    assert code.asset_fingerprint(spec["HRTF"]) not in (first, "absent")
    # the audio toolkit declares the HRTF it reads: another HRTF changes visual_sound's keys, not unicorn's
    vs, uni = load_paper("visual_sound"), load_paper("unicorn")
    before = code.library_key(vs)["assets"], code.library_key(uni)["assets"]
    monkeypatch.setenv("PAPER_KIT_SOFA", str(a))
    after = code.library_key(vs)["assets"], code.library_key(uni)["assets"]
    assert after[0] != before[0] and after[1] == before[1]

DEP = '''\\
import numpy as np, pandas as pd
from paper_kit.kit.registry import start_run
run = start_run("dep", "{nb}", namespace=globals())
{body}
run.finish()
'''
DEP_BODIES = {
    "10_make": 'd = run.data_dir; d.mkdir(parents=True, exist_ok=True)\n'
               'np.save(d/"x.npy", np.arange(5.0)); run.register_output(d/"x.npy")',
    "11_a": 'x = np.load(run.use_input(run.data_dir/"x.npy"))\n'
            'run.save_table("a", pd.DataFrame({"s": [x.sum() + 1]}), caption="a sum")',
    "12_b": 'x = np.load(run.use_input(run.data_dir/"x.npy"))\n'
            'if read_a: x = x + pd.read_csv(run.use_input(run.results_dir/"a.csv")).iloc[0, -1]\n'
            'run.save_table("b", pd.DataFrame({"m": [x.mean()]}), caption="a mean")'}

@pytest.fixture
def dep(tmp_path):
    "Three experiment notebooks: 10_make writes data, 11_a and 12_b read it (12_b reads 11_a's table if `read_a`)."
    src, root, pf = paper_tree(tmp_path, "dep")
    for nb, body in DEP_BODIES.items():
        extra = "\nread_a = False" if nb == "12_b" else ""
        _nb(pf/f"{nb}.ipynb", f"profile = 'smoke'\ndevice = 'cpu'\nseed = 0{extra}", DEP.format(nb=nb, body=body))
    (pf/"paper.yml").write_text("title: Needs\nnotebooks: [10_make.ipynb, 11_a.ipynb, 12_b.ipynb]\n")
    return src, root

def test_needs_keeps_a_notebook_from_rerunning_after_one_it_does_not_read_and_a_wrong_one_fails(dep, monkeypatch):
    from paper_kit.kit.ledger import out_of_date
    from paper_kit.kit.paper import load_paper
    src, root = dep
    monkeypatch.setenv("PAPER_KIT_SRC", str(src)); monkeypatch.setenv("PAPER_KIT_ROOT", str(root))
    run = lambda *a: run_cli([*a, "dep", "--profile", "smoke"] + (["--no-progress"] if a[0] == "reproduce" else []),
                             root, src)
    line = lambda nb: next(l for l in run("status").stdout.splitlines() if l.strip().startswith(nb))
    def edit_a(n: int):     # a code change in 11_a: it reruns
        nb = src/"nbs/papers/dep/11_a.ipynb"; d = json.loads(nb.read_text())
        d["cells"][-1]["source"] = "".join(d["cells"][-1]["source"]).replace(f"+ {n - 1}", f"+ {n}")
        nb.write_text(json.dumps(d))
    assert run("reproduce").returncode == 0
    edit_a(2)               # without `needs:`, every later notebook counts as reading 11_a
    assert "after 11_a, which will run" in line("12_b")
    yml = src/"nbs/papers/dep/paper.yml"; yml.write_text(yml.read_text() + "needs: {12_b: [10_make]}\n")
    assert "changed: upstream" in line("12_b")     # its key now hashes the outputs of 10_make only
    assert run("reproduce").returncode == 0 and "up to date" in line("12_b")
    edit_a(3)
    assert "changed: code" in line("11_a") and "up to date" in line("12_b")
    r = run("reproduce")
    assert r.returncode == 0 and "1 notebook(s) run" in r.stdout, r.stdout + r.stderr
    assert out_of_date(load_paper("dep"), "smoke") == {}     # 12_b's files still follow from what it reads
    # a declaration that leaves out what the notebook reads fails the run that shows it, naming file and notebook
    r = run_cli(["reproduce", "dep", "--profile", "smoke", "-p", "read_a=true", "--no-progress"], root, src)
    assert r.returncode == 1 and "a.csv (made by 11_a)" in r.stderr and str(yml) in r.stderr, r.stdout + r.stderr
    (custom,) = (root/"build/dep").glob("smoke-custom-*")
    assert not (custom/"state/12_b.json").exists(), "the failed notebook has no state: the next run redoes it"
    assert (custom/"state/11_a.json").exists()
