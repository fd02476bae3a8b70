import os, re, shutil, subprocess, sys
from pathlib import Path
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_cli(args, root, src=REPO, timeout=900, env_extra=None):
    "Run the `paper-kit` command in workspace `root` with notebooks from `src`; return the CompletedProcess."
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(src), PYTHONUNBUFFERED="1")
    env.update(env_extra or {})
    exe = shutil.which("paper-kit", path=str(BIN)) or "paper-kit"
    return subprocess.run([exe, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def reproduce_smoke(root, paper: str):
    "Run `paper-kit reproduce <paper> --profile smoke` in workspace `root`; return (root, seconds, stdout)."
    import time
    t0 = time.time()
    r = run_cli(["reproduce", paper, "--profile", "smoke", "--no-progress"], root, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return root, time.time() - t0, r.stdout


@pytest.fixture(scope="session")
def smoke_workspace(tmp_path_factory):
    """`smoke_workspace(paper)`: one smoke reproduce of `paper` per test session (on the worker whose group holds the
    paper, under xdist), shared by every test file; the papers of a worker share one workspace."""
    made, ws = {}, []
    def get(paper: str):
        if not ws: ws.append(tmp_path_factory.mktemp("papers_ws"))
        if paper not in made: made[paper] = reproduce_smoke(ws[0], paper)
        return made[paper]
    return get


def _papers_in(root) -> frozenset:
    "The papers with smoke results in workspace `root`."
    figs = Path(root)/"figures"
    return frozenset(p.name for p in figs.iterdir() if (p/"smoke").is_dir()) if figs.is_dir() else frozenset()


@pytest.fixture(scope="session")
def built_site():
    """`built_site(root, paper)`: `paper-kit site` in workspace `root`; the home page, `paper`'s index and results
    pages and its notebook pages with 3D figures, players or snapshots loaded in headless Chromium (the index and
    results pages' screenshots under build/screenshots/), its other notebook pages (text, tables, PNG figures, from
    the pipeline the loaded pages share) checked for missing or off-machine files without a browser, to keep the
    suite within its time on a slow host (loading all of them took 12 of its 97 minutes). The site is built again
    only when papers were reproduced there since the last build (the toolkit notebooks are executed once, for the
    checkout), and each paper's pages are checked once; the pages no paper owns are checked once for the suite by
    `test_papers_e2e.py::test_site_shared_pages`. Returns (html folder, build seconds, infos, problems)."""
    import time
    from browser import check_site, interactive, site_pages, static_problems
    builds, checked = {}, {}
    def get(root, paper):
        assert paper in _papers_in(root), f"reproduce {paper} in {root} before building the site"
        key = (root, _papers_in(root))
        if key not in builds:
            t0 = time.time()
            r = run_cli(["site"], root)
            assert r.returncode == 0, r.stderr[-2000:]
            builds[key] = (root/"build/site/html", time.time() - t0)
        html, secs = builds[key]
        if (key, paper) not in checked:
            pages = [p for p in site_pages(html) if p == "index.html" or p.startswith(f"{paper}/")]
            loaded = [p for p in pages if p.endswith(("index.html", "results.html")) or interactive(html, p)]
            infos, problems = check_site(html, screenshot_dir=REPO/"build/screenshots", pages=loaded)
            checked[(key, paper)] = infos, problems + static_problems(html, [p for p in pages if p not in loaded])
        return (html, secs, *checked[(key, paper)])
    return get


def check_bad_data_run(root, paper: str, notebook: str, param: str, bad_file, table: str = "table1"):
    """Rerun `paper`'s experiments at smoke on a broken real-layout dataset (`-p param`): the run fails, the error
    names the notebook and `bad_file`, and the earlier results (`table`) stay as they were, with no temp files left."""
    before = (root/f"figures/{paper}/smoke/{table}.csv").read_bytes()
    r = run_cli(["reproduce", paper, "--profile", "smoke", "--experiments-only", "--no-progress", "-p", param], root)
    assert r.returncode == 1
    # a fanned-out notebook's error names the unit too: "<paper>/<notebook>.ipynb (unit 'car') failed"
    failed = re.search(rf"{paper}/{notebook}\.ipynb( \(unit '[^']+'\))? failed", r.stderr)
    assert failed and str(bad_file) in r.stderr, r.stderr[-2000:]
    assert (root/f"figures/{paper}/smoke/{table}.csv").read_bytes() == before
    assert not list((root/"figures").rglob("*.tmp"))


def smoke_report(root, paper: str) -> dict:
    "The smoke report of `paper` in workspace `root`."
    import json
    return json.loads((root/f"build/{paper}/smoke/report.json").read_text())


def report_table(rep: dict, name: str) -> dict:
    "Table `name` of a report (ours and the paper's, as the report stores them)."
    return next(t for t in rep["tables"] if t["name"] == name)


def check_report(root, paper: str, tables: set, figures: set, claims: set) -> dict:
    "Common checks of a smoke report: every expected artifact, every claim well-formed; returns the report."
    import json
    rep = json.loads((root/f"build/{paper}/smoke/report.json").read_text())
    assert {t["name"] for t in rep["tables"]} >= tables
    assert {f["name"] for f in rep["figures"]} >= figures
    got = {c["id"]: c for c in rep["claims"]}
    assert set(got) >= claims
    for c in got.values():
        assert c["status"] in ("pass", "fail", "undecided", "not evaluated") and c["check"] and c["ref"]
        if c["status"] != "not evaluated": assert c["evidence"], c["id"]
    for f in rep["figures"]: assert (root/f["path"]).stat().st_size > 5000
    return rep


MAKE = '''\
import pandas as pd, numpy as np
from paper_kit.kit.registry import start_run
from paper_kit.kit.config import data_dir, use_seed
run = start_run("toy", "10_make", namespace=globals())
with use_seed(seed): x = np.random.rand(n)
d = run.data_dir; d.mkdir(parents=True, exist_ok=True)
np.save(d/"x.npy", x); run.register_output(d/"x.npy")
ours = pd.DataFrame({"mean": [float(x.mean())]}, index=["Ours"])
run.save_table("table_1", ours, paper=pd.DataFrame({"mean": [0.5]}, index=["Ours"]),
               caption="mean of n uniforms", ref="Table 1")
run.claim("mean_near_half", "the mean is near one half", ref="Sec. 1", passed=bool(abs(x.mean()-0.5) < 0.25),
          evidence={"mean": float(x.mean())}, check="|mean-0.5| < 0.25")
run.finish()
'''
USE = '''\
import numpy as np
from paper_kit.kit.registry import start_run
from paper_kit.kit.config import data_dir
run = start_run("toy", "11_use", namespace=globals())
x = np.load(run.use_input(run.data_dir/"x.npy"))
if fail: raise ValueError("boom: asked to fail")
run.claim("trained_far", "training moves the estimate", ref="Sec. 2", passed=steps > 0, evidence={"steps": steps},
          check="steps > 0")
run.claim("data_positive", "the data are positive", ref="Sec. 2", passed=bool((x > 0).all()), evidence={},
          check="x > 0", by_nature="a property of the generator, not of training")
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
fig, ax = plt.subplots(); ax.hist(x); run.save_figure("fig_hist", fig, caption="histogram", ref="Fig. 1")
t = np.arange(8000)/16000
run.save_audio("tone", np.stack([np.sin(2*np.pi*440*t), 0.2*np.sin(2*np.pi*440*t)]), 16000,
               caption="a tone, louder on the left")
run.finish()

'''

def _nb(path, params, *bodies):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"),
                nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                *[nbformat.v4.new_code_cell(b) for b in bodies]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


PLOT = """\
# A 3D view
import plotly.graph_objects as go
from paper_kit.kit.display import show_plotly, audio
show_plotly(go.Figure(go.Scatter3d(x=x, y=x**2, z=x**3, mode="markers")))
audio(np.stack([np.sin(np.arange(8000)/5), np.sin(np.arange(8000)/7)]), 16000)
"""

def paper_tree(tmp_path, name: str):
    "A source tree under `tmp_path` with an empty folder for paper `name` (the site's JavaScript linked), a workspace."
    src, root = tmp_path/"src", tmp_path/"ws"
    pf = src/f"nbs/papers/{name}"; pf.mkdir(parents=True); root.mkdir()
    (src/"site_vendor").symlink_to(REPO/"site_vendor")
    return src, root, pf

@pytest.fixture
def toy(tmp_path):
    "A two-notebook paper in a temporary source tree and an empty workspace."
    src, root, pf = paper_tree(tmp_path, "toy")
    _nb(pf/"10_make.ipynb", "profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nn = 10", MAKE)
    _nb(pf/"11_use.ipynb", "profile = 'smoke'\ndevice = 'cpu'\nseed = 0\nfail = False\nsteps = 5", USE, PLOT)
    (pf/"paper.yml").write_text("title: Toy paper\nnotebooks: [10_make.ipynb, 11_use.ipynb]\n"
                                "profiles:\n  small:\n    10_make: {n: 200}\naudit:\n  11_use: {steps: 0}\n")
    return src, root


# Two workers (scripts/test.sh runs pytest-xdist with `--dist loadgroup`). The papers are split into one group per
# worker, and every test that uses a paper's smoke workspace goes with its paper: each paper is reproduced once, and
# each worker builds the site of its papers once, after reproducing them all. The other tests go to whichever worker
# is free. The split balances the seconds each paper's end-to-end tests took on one worker (docs/benchmarks.md).
E2E_SECONDS = {"visual_sound": 490, "unicorn": 470, "associative3d": 394, "semantic_transfer": 381,
               "ssl_pointcloud": 359, "sdrsac": 174, "robust_loss": 148, "filterreg": 59}

def paper_groups(papers, workers: int) -> dict[str, int]:
    "Each paper's group: the longest first, each to the group with the fewest seconds so far (a new paper: the mean)."
    mean = sum(E2E_SECONDS.values()) / len(E2E_SECONDS)
    load, out = [0.0] * max(1, workers), {}
    for p in sorted(papers, key=lambda p: (-E2E_SECONDS.get(p, mean), p)):
        out[p] = min(range(len(load)), key=load.__getitem__)
        load[out[p]] += E2E_SECONDS.get(p, mean)
    return out

def _paper(item) -> str | None:
    "The paper whose smoke workspace test `item` uses, or None."
    if "smoke_workspace" not in item.fixturenames: return None
    if hasattr(item, "callspec") and "paper" in item.callspec.params: return item.callspec.params["paper"]
    return Path(str(item.fspath)).stem.removeprefix("test_").removesuffix("_e2e")

@pytest.hookimpl(tryfirst=True)      # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    papers = {it: p for it in items if (p := _paper(it))}
    groups = paper_groups(set(papers.values()), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    for it, p in papers.items(): it.add_marker(pytest.mark.xdist_group(f"papers-{groups[p]}"))


# Time per part of the suite (scripts/test.sh times nbdev-test): each paper's end-to-end tests, the site, JupyterLab,
# each unit-test file. Printed at the end of every pytest run (by the controller, from the node ids, under xdist).
_SECONDS: dict[str, float] = {}

def _part(nodeid: str) -> str:
    "The part of the suite test `nodeid` belongs to (xdist adds `@group` to the node id)."
    name = Path(nodeid.split("::")[0]).stem.removeprefix("test_")
    if name == "papers_e2e" and (param := re.search(r"\[([^\]-]+)", nodeid)): return f"e2e {param.group(1)}"
    if name.endswith("_e2e"): return f"e2e {name.removesuffix('_e2e')}"
    return name

def pytest_runtest_logreport(report):
    _SECONDS[report.nodeid] = _SECONDS.get(report.nodeid, 0.0) + report.duration

def pytest_terminal_summary(terminalreporter):
    parts: dict[str, float] = {}
    for nodeid, secs in _SECONDS.items():
        part = _part(nodeid); parts[part] = parts.get(part, 0.0) + secs
    if not parts: return
    terminalreporter.write_sep("=", "time per part of the suite")
    for part, secs in sorted(parts.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{secs:8.1f} s  {part}")
