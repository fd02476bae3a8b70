"The docs site, built offline and loaded page by page in real headless Chromium."
import json, shutil
from pathlib import Path
import nbformat
import pytest
from conftest import run_cli, REPO, toy  # noqa: F401
from browser import check_site, chromium_path

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chromium_path() is None,
                                 reason="Debian chromium is not installed (./bootstrap.sh installs it)")]

def _toolkit(src):
    "The real 3D-views notebook and a broken audio notebook as the toy checkout's toolkit."
    (src/"nbs/geometry").mkdir(parents=True)
    shutil.copy(REPO/"nbs/geometry/07_views.ipynb", src/"nbs/geometry/07_views.ipynb")
    (src/"nbs/audio").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken\n\nA toolkit notebook that fails."),
                nbformat.v4.new_code_cell("#| slow\nimport time; time.sleep(600)"),  # skipped, as under nbdev-test
                nbformat.v4.new_code_cell("raise RuntimeError('toolkit boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, src/"nbs/audio/00_broken.ipynb")

def test_toy_site_renders_tables_figures_claims_audio_and_3d(toy):
    src, root = toy
    _toolkit(src)
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    r = run_cli(["site"], root, src)
    assert r.returncode == 0, r.stderr
    assert "executing toolkit notebook geometry/07_views.ipynb" in r.stderr
    assert "toolkit notebook audio/00_broken.ipynb failed: RuntimeError: toolkit boom" in r.stderr
    html = root/"build/site/html"
    infos, problems = check_site(html, screenshot_dir=REPO/"build/screenshots/toy")
    assert not problems, "\n".join(problems)
    res = infos["toy/results.html"]
    assert len(res["imgs"]) >= 1 and len(res["aud"]) == 1
    page = (html/"toy/results.html").read_text()
    assert "pk-badge pk-pass" in page and "0.5" in page  # claim badge and the paper's number beside ours
    nb = infos["toy/11_use.html"]
    assert len(nb["plots"]) == 1 and len(nb["aud"]) == 1, nb
    assert not list(html.rglob("*.tmp"))
    # the toolkit section: the views notebook executed, its plotly 3D scenes drawn, its k3d snapshots in WebGL
    index = (html/"index.html").read_text()
    assert "Toolkit" in index and "toolkit/geometry/index.html" in index
    views = infos["toolkit/geometry/07_views.html"]
    assert (len(views["plots"]) >= 5
            and all(p["scenes"] >= 1 and p["canvases"] >= 1 for p in views["plots"])), views["plots"]
    assert all(p["width"] <= p["column"] for p in views["plots"]), views["plots"]  # redrawn to fit their column
    k3d = [f for f in views["frames"] if f["k3d"]]
    assert len(k3d) == 2 and all(f["webgl"] and f["colors"] > 20 for f in k3d), views["frames"]
    vpage = (html/"toolkit/geometry/07_views.html").read_text()
    assert "jupyter-widget-state" not in vpage and "IFrame" not in vpage  # no stale k3d widget state, no warning text
    broken = (html/"toolkit/audio/00_broken.html").read_text()
    assert "Executing this notebook for the site failed" in broken and "toolkit boom" in broken
    # a second build reuses the executed toolkit notebooks (a failure is not retried while the notebook is unchanged);
    # a notebook reruns only when its key changed (other people may be editing the library of this checkout meanwhile)
    states = {f"{t}/{n}": src/f"build/toolkit/{t}/state/{n}.json"
              for t, n in (("geometry", "07_views"), ("audio", "00_broken"))}
    before = {n: json.loads(p.read_text())["key"] for n, p in states.items()}
    assert json.loads(states["geometry/07_views"].read_text())["error"] is None
    r2 = run_cli(["site"], root, src)
    assert r2.returncode == 0, r2.stderr
    for n, p in states.items():
        ran = f"executing toolkit notebook {n}.ipynb" in r2.stderr
        assert (json.loads(p.read_text())["key"] != before[n]) == ran, n

def test_two_builds_of_one_checkout_execute_a_toolkit_notebook_once(tmp_path, monkeypatch, capfd):
    "Site builds in two workspaces of one checkout take turns on a toolkit notebook: it runs once, both show it."
    import threading
    from paper_kit.kit import site
    src = tmp_path/"src"; (src/"nbs/audio").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time; time.sleep(1); print('ran')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = src/"nbs/audio/00_once.ipynb"; nbformat.write(nb, path)
    monkeypatch.setenv("PAPER_KIT_SRC", str(src))
    got = []
    builds = [threading.Thread(target=lambda: got.append(site.execute_toolkit_notebook(path, "audio")))
              for _ in range(2)]
    for b in builds: b.start()
    for b in builds: b.join()
    assert len(got) == 2 and got[0] == got[1] and got[0][1] is None, got
    assert "ran" in json.dumps(json.loads(got[0][0].read_text())["cells"][0]["outputs"])
    assert capfd.readouterr().err.count("executing toolkit notebook audio/00_once.ipynb") == 1
