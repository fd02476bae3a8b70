"""`paper-kit reproduce visual_sound --profile smoke` end to end, in a throw-away workspace: report, claims,
caching, determinism, bad input, and the site in real headless Chromium."""
import json, shutil, time
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from conftest import run_cli, REPO, reproduce_smoke, check_report, check_bad_data_run
from browser import check_site, chromium_path

EXPECTED_TABLES = {"table1", "table1_stderr", "table2", "table2_stderr", "dataset_stats", "fig5_standin_preference",
                   "fig5_standin_direction", "fig6_localization_scores", "training_stats", "table2_training"}
EXPECTED_FIGURES = {"dataset_examples", "training_curves", "fig5_standins", "fig6_localization", "table2_bars"}
EXPECTED_CLAIMS = {"fairplay_ours_beats_every_baseline", "ytclean_ours_beats_every_baseline", "visual_stream_is_essential",
                   "flipping_the_frame_hurts", "ambisonics_baseline", "standin_ours_preferred", "standin_direction_clearer",
                   "heatmaps_fall_on_sources", "predicted_binaural_helps_separation", "gt_binaural_is_upper_bound"}

@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return reproduce_smoke(tmp_path_factory.mktemp("vs_ws"), "visual_sound")

def test_report_has_every_table_figure_and_claim(ws):
    root, secs, out = ws
    rep = check_report(root, "visual_sound", EXPECTED_TABLES, EXPECTED_FIGURES, EXPECTED_CLAIMS)
    claims = {c["id"]: c for c in rep["claims"]}
    assert claims["ambisonics_baseline"]["status"] == "not evaluated" and claims["ambisonics_baseline"]["reason"]
    t1 = next(t for t in rep["tables"] if t["name"] == "table1")
    assert t1["paper"]["data"][t1["paper"]["index"].index("Mono2Binaural (ours)")][0] == 0.836
    assert t1["provenance"]["profile"] == "smoke" and t1["provenance"]["cell_id"]
    ours = np.array(t1["ours"]["data"], dtype=float)
    assert np.isnan(ours[0]).all() and np.isfinite(ours[1:]).all()  # Ambisonics row is paper-only
    assert len(rep["audio"]) >= 6
    assert "claims:" in out

def test_second_run_skips_everything_quickly(ws):
    root, _, _ = ws
    t0 = time.time()
    r = run_cli(["reproduce", "visual_sound", "--profile", "smoke", "--no-progress"], root)
    assert r.returncode == 0 and "0 notebook(s) run" in r.stdout, r.stdout + r.stderr
    assert time.time() - t0 < 10
    st = run_cli(["status", "visual_sound", "--profile", "smoke"], root)
    assert st.stdout.count("up to date") == st.stdout.count("\n  "), st.stdout

def test_same_seed_gives_identical_tables(ws, tmp_path):
    root, _, _ = ws
    other = tmp_path/"again"; other.mkdir()
    r = run_cli(["reproduce", "visual_sound", "--profile", "smoke", "--experiments-only", "--no-progress"], other, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("table1.csv", "table2.csv", "fig6_localization_scores.csv", "fig5_standin_preference.csv"):
        a = (root/"figures/visual_sound/smoke"/name).read_text(); b = (other/"figures/visual_sound/smoke"/name).read_text()
        assert a == b, name

def test_bad_real_dataset_is_reported_and_loses_nothing(ws, tmp_path):
    root, _, _ = ws
    from paper_kit.visual_sound.data import write_fairplay_fixture, FairPlay
    fp = write_fairplay_fixture(tmp_path/"FAIR-Play", n_clips=5, seconds=2.0)
    bad = FairPlay(fp, 1, "train")[0].wav
    sf.write(bad, np.zeros(32000, np.float32), 16000)  # a mono file where binaural is required
    check_bad_data_run(root, "visual_sound", "11_mono2binaural", f"fairplay_root={fp}", bad)

@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
def test_site_builds_offline_and_every_page_loads(ws):
    root, _, _ = ws
    t0 = time.time()
    r = run_cli(["site"], root)
    assert r.returncode == 0, r.stderr[-2000:]
    build_s = time.time() - t0
    html = root/"build/site/html"
    infos, problems = check_site(html, screenshot_dir=REPO/"build/screenshots/visual_sound")
    assert not problems, "\n".join(problems[:30])
    res = infos["visual_sound/results.html"]
    assert len(res["aud"]) >= 6 and len(res["imgs"]) >= len(EXPECTED_FIGURES)
    page = (html/"visual_sound/results.html").read_text()
    assert "pk-badge" in page and "0.836" in page
    assert any(i["aud"] for p, i in infos.items() if p.startswith("visual_sound/11_")), "notebook audio players missing"
    assert build_s < 60, build_s
