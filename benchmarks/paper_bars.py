"""Measure the visual_sound bars of the issue on this machine and write benchmarks/results/visual_sound_<profile>.json.

    python benchmarks/visual_sound_bars.py                 # smoke: fresh run, rerun, site, determinism
    python benchmarks/visual_sound_bars.py --profile small # the same at small (about 30 min per run; determinism doubles it)

Every run happens in a fresh temporary workspace (PAPER_KIT_ROOT), so the repository's figures are untouched.
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent/"paper-kit")

def cli(args, root):
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(REPO))
    t0 = time.time()
    r = subprocess.run([EXE, *args], env=env, capture_output=True, text=True)
    if r.returncode: sys.exit(f"paper-kit {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return time.time() - t0, r.stdout

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="smoke", choices=["smoke", "small", "full"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-determinism", action="store_true", help="skip the second fresh run")
    a = ap.parse_args()
    out = {"profile": a.profile, "device": a.device, "machine": platform.platform(), "cpus": os.cpu_count(),
           "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
        args = ["reproduce", "visual_sound", "--profile", a.profile, "--device", a.device, "--no-progress"]
        out["reproduce_fresh_s"], _ = cli(args, d1)
        rep = json.loads((Path(d1)/f"build/visual_sound/{a.profile}/report.json").read_text())
        out["notebook_s"] = {s["notebook"]: round(s["seconds"], 1) for s in rep["steps"]}
        out["claims"] = {c["id"]: c["status"] for c in rep["claims"]}
        out["reproduce_again_s"], _ = cli(args, d1)
        out["site_s"], _ = cli(["site", "visual_sound"], d1)
        tstats = Path(d1)/f"figures/visual_sound/{a.profile}/training_stats.csv.json"
        if tstats.exists():
            t = json.loads(tstats.read_text())["ours"]
            out["training"] = [dict(zip(["dataset", "split", "model"] + t["columns"], list(i) + r)) for i, r in zip(t["index"], t["data"])]
        if not a.no_determinism:
            cli(args + ["--experiments-only"], d2)
            same = {}
            for f in sorted((Path(d1)/f"figures/visual_sound/{a.profile}").glob("*.csv")):
                g = Path(d2)/f"figures/visual_sound/{a.profile}"/f.name
                same[f.name] = g.exists() and f.read_bytes() == g.read_bytes()
            out["identical_tables_same_seed"] = same
    res = REPO/"benchmarks/results"; res.mkdir(exist_ok=True)
    p = res/f"visual_sound_{a.profile}.json"
    p.write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps({k: v for k, v in out.items() if k not in ("training",)}, indent=1, default=str))
    print(f"written {p}")

if __name__ == "__main__":
    main()
