"The docs site, built offline and loaded page by page in real headless Chromium."
import json, time
from pathlib import Path
import pytest
from conftest import run_cli, REPO, toy  # noqa: F401
from browser import check_site, chromium_path

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed (./bootstrap.sh installs it)")

def test_toy_site_renders_tables_figures_claims_audio_and_3d(toy):
    src, root = toy
    assert run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src).returncode == 0
    r = run_cli(["site"], root, src)
    assert r.returncode == 0, r.stderr
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
