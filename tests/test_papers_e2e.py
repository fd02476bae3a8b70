"""Every paper found in `nbs/papers/`, end to end at profile smoke, from what its `paper.yml` declares: a smoke
reproduce in a throw-away workspace makes every declared table, figure and claim and nothing outside its own result
set; a rerun with nothing changed runs nothing; a real dataset that is not there is named and loses nothing; the
site shows the results page in real headless Chromium (each paper's pages there; the pages no paper owns once, in
`test_site_shared_pages`). Paper-specific checks live in `test_<paper>_e2e.py` and share the same workspace
(`smoke_workspace` in conftest)."""
import json
import pytest
from conftest import run_cli, check_bad_data_run, REPO
from browser import chromium_path, check_search, check_site, site_pages
from paper_kit.kit.paper import list_papers, load_paper

pytestmark = pytest.mark.slow

PAPERS = list_papers()


@pytest.fixture(params=PAPERS)
def paper(request): return request.param


def _report(root, paper):
    return json.loads((root/f"build/{paper}/smoke/report.json").read_text())


def test_smoke_makes_every_declared_artifact(paper, smoke_workspace):
    root, _, out = smoke_workspace(paper)
    spec, rep = load_paper(paper), _report(root, paper)
    assert spec.produces, f"nbs/papers/{paper}/paper.yml declares nothing under `produces:`"
    assert rep["summary"]["missing"] == {}, rep["summary"]["missing"]
    assert "MISSING" not in out
    for kind, key in (("tables", "tables"), ("figures", "figures")):
        made = {a["name"]: a for a in rep[key]}
        for name in spec.produces.get(kind, []):
            assert made[name]["complete"] and made[name]["provenance"]["profile"] == "smoke", name
            assert made[name]["provenance"]["cell_id"], name
    for f in rep["figures"]: assert (root/f["path"]).stat().st_size > 5000, f["path"]
    for c in rep["claims"]:
        assert c["status"] in ("pass", "fail", "undecided", "not evaluated") and c["check"] and c["ref"], c["id"]
        assert c["evidence"] or c["status"] == "not evaluated", c["id"]
        assert c["reason"] or c["status"] not in ("not evaluated",), c["id"]
    assert sorted(p.name for p in (root/f"figures/{paper}").iterdir()) == ["smoke"], "smoke writes only its own set"


def test_rerun_with_nothing_changed_runs_nothing(paper, smoke_workspace):
    root, _, _ = smoke_workspace(paper)
    r = run_cli(["reproduce", paper, "--profile", "smoke", "--no-progress"], root)
    assert r.returncode == 0 and "0 notebook(s) run" in r.stdout, r.stdout + r.stderr
    st = run_cli(["status", paper, "--profile", "smoke"], root)
    rows = st.stdout.split("\nwhat made the committed results")[0].splitlines()[1:]     # one per notebook
    assert rows and all(r.endswith("up to date") for r in rows), st.stdout
    assert "; made by\n" in st.stdout and "package versions: " in st.stdout, st.stdout


def test_missing_real_dataset_is_named_and_loses_nothing(paper, smoke_workspace, tmp_path):
    root, _, _ = smoke_workspace(paper)
    spec = load_paper(paper)
    if not spec.real_data: pytest.skip(f"{paper} declares no `real_data:` parameter")
    gone = tmp_path/"no_such_dataset"
    check_bad_data_run(root, paper, spec.real_data["notebook"], f"{spec.real_data['param']}={gone}", gone,
                       table=spec.produces["tables"][0])


@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
def test_site_shows_the_results_page(paper, smoke_workspace, built_site):
    root, _, _ = smoke_workspace(paper)
    html, secs, infos, problems = built_site(root, paper)
    assert not problems, "\n".join(problems[:30])
    res = infos[f"{paper}/results.html"]
    assert len(res["imgs"]) >= len(load_paper(paper).produces.get("figures", []))
    page = (html/f"{paper}/results.html").read_text()
    assert "pk-badge" in page and "smoke" in page
    word = max(load_paper(paper).title.split(), key=len).strip("(),.:")  # the title's longest word
    found, errs = check_search(html, word)
    assert found >= 1 and not errs, (word, found, errs)  # the site's search works offline
    print(f"paper-kit site: {secs:.0f} s (toolkit notebooks executed on first build; timed in benchmarks, not here)")


@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
def test_site_shared_pages(tmp_path, monkeypatch):
    """The pages no paper owns (the home page, the toolkits' executed notebooks, the kit), from a workspace where
    nothing is reproduced: checked here once for the suite, while each paper's site test checks its own pages. Every
    toolkit notebook executed without an error: this is the suite's run of them (`scripts/test.sh` leaves them out
    of nbdev-test; the site skips the same `#| slow` and `#| gpu` cells)."""
    from paper_kit.kit.site import toolkit_dir, toolkit_notebooks
    monkeypatch.setenv("PAPER_KIT_SRC", str(REPO))                     # the checkout whose site `run_cli` builds
    r = run_cli(["site"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    states = {f"{s}/{nb.name}": toolkit_dir()/s/"state"/f"{nb.stem}.json" for s, nbs in toolkit_notebooks().items()
              for nb in nbs}
    assert len(states) >= 20 and all(p.exists() for p in states.values()), sorted(states)
    failed = {n: err for n, p in states.items() if (err := json.loads(p.read_text())["error"])}
    assert not failed, failed
    html = tmp_path/"build/site/html"
    pages = [p for p in site_pages(html) if p.split("/")[0] not in PAPERS]
    infos, problems = check_site(html, screenshot_dir=REPO/"build/screenshots", pages=pages)
    assert not problems, "\n".join(problems[:30])
    assert "index.html" in infos and sum(p.startswith("toolkit/") for p in infos) >= 10, sorted(infos)
