"""visual_sound at smoke, what only this paper has (the generic checks of every paper are in `test_papers_e2e.py`, on
the same workspace): the paper's numbers beside ours, the paper-only Ambisonics row, a malformed real FAIR-Play
file, and audio players on the site. That the same seed gives byte-identical tables in a fresh workspace is measured
by `benchmarks/paper_bars.py` (a second smoke run: too long for the suite on a slow host)."""
import numpy as np, pytest, soundfile as sf
from conftest import check_bad_data_run
from browser import chromium_path
import json

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(smoke_workspace): return smoke_workspace("visual_sound")


def test_table1_has_the_papers_numbers_and_a_paper_only_row(ws):
    root, _, out = ws
    rep = json.loads((root/"build/visual_sound/smoke/report.json").read_text())
    claims = {c["id"]: c for c in rep["claims"]}
    assert claims["ambisonics_baseline"]["status"] == "not evaluated" and claims["ambisonics_baseline"]["reason"]
    t1 = next(t for t in rep["tables"] if t["name"] == "table1")
    assert t1["paper"]["data"][t1["paper"]["index"].index("Mono2Binaural (ours)")][0] == 0.836
    ours = np.array(t1["ours"]["data"], dtype=float)
    assert np.isnan(ours[0]).all() and np.isfinite(ours[1:]).all()  # Ambisonics row is paper-only
    assert len(rep["audio"]) >= 6
    assert "claims:" in out


def test_malformed_real_dataset_file_is_named_and_loses_nothing(ws, tmp_path):
    root, _, _ = ws
    from paper_kit.visual_sound.data import write_fairplay_fixture, FairPlay
    fp = write_fairplay_fixture(tmp_path/"FAIR-Play", n_clips=5, seconds=2.0)
    bad = FairPlay(fp, 1, "train")[0].wav
    sf.write(bad, np.zeros(32000, np.float32), 16000)  # a mono file where binaural is required
    check_bad_data_run(root, "visual_sound", "11_mono2binaural", f"fairplay_root={fp}", bad)


@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
def test_site_has_audio_players_and_the_papers_numbers(ws, built_site):
    root, _, _ = ws
    html, _, infos, problems = built_site(root, "visual_sound")
    assert not problems, "\n".join(problems[:30])
    assert len(infos["visual_sound/results.html"]["aud"]) >= 6
    assert "0.836" in (html/"visual_sound/results.html").read_text()
    assert any(i["aud"] for p, i in infos.items() if p.startswith("visual_sound/11a_table1")), \
        "notebook audio players missing"
