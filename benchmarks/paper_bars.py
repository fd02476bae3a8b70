"""Measure the per-paper bars of the issues on this machine; write benchmarks/results/<paper>_<profile>.json.

    python benchmarks/paper_bars.py                            # every paper of nbs/papers at smoke
    python benchmarks/paper_bars.py --paper visual_sound       # one paper
    python benchmarks/paper_bars.py --paper ssl_pointcloud --profile small --no-determinism

For each paper, from an empty workspace (PAPER_KIT_ROOT in a temporary folder, so the repository's figures are
untouched): `paper-kit reproduce` (the bar: smoke <= 3 min on 2 cores), the same again with nothing changed (<= 10 s),
`paper-kit site`, and unless --no-determinism a second fresh run of the experiments whose CSV tables are compared byte
for byte with the first (timing columns included, so the training-statistics tables may differ).
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent/"paper-kit")

def cli(args, root):
    "Run `paper-kit args` in workspace `root`; return (seconds, stdout); exit with its stderr if it fails."
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(REPO))
    t0 = time.time()
    r = subprocess.run([EXE, *args], env=env, capture_output=True, text=True)
    if r.returncode: sys.exit(f"paper-kit {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return time.time() - t0, r.stdout

def papers() -> list[str]:
    "Every paper with a paper.yml under nbs/papers."
    return sorted(p.parent.name for p in (REPO/"nbs/papers").glob("*/paper.yml"))

def same_tables(d1: Path, d2: Path) -> dict[str, bool]:
    "Each CSV of results folder `d1`: is it byte-identical in `d2`?"
    return {f.name: (d2/f.name).exists() and f.read_bytes() == (d2/f.name).read_bytes()
            for f in sorted(d1.glob("*.csv"))}

def measure(paper: str, profile: str, device: str, determinism: bool) -> dict:
    "The bars of one paper, each run in its own empty workspace."
    out = {"paper": paper, "profile": profile, "device": device, "machine": platform.platform(),
           "cpus": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    args = ["reproduce", paper, "--profile", profile, "--device", device, "--no-progress"]
    with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
        out["reproduce_fresh_s"], _ = cli(args, d1)
        rep = json.loads((Path(d1)/f"build/{paper}/{profile}/report.json").read_text())
        out["notebook_s"] = {s["notebook"]: round(s["seconds"], 1) for s in rep["steps"]}  # `11_train@car`: a unit
        out["claims"] = {c["id"]: c["status"] for c in rep["claims"]}
        out["reproduce_again_s"], _ = cli(args, d1)
        out["site_s"], _ = cli(["site", paper], d1)
        if determinism:
            cli(args + ["--experiments-only"], d2)
            res = f"figures/{paper}/{profile}"
            out["identical_tables_same_seed"] = same_tables(Path(d1)/res, Path(d2)/res)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper", action="append", help="a paper under nbs/papers (repeatable; default: all)")
    ap.add_argument("--profile", default="smoke", choices=["smoke", "small", "full"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-determinism", action="store_true", help="skip the second fresh run")
    a = ap.parse_args()
    res = REPO/"benchmarks/results"; res.mkdir(exist_ok=True)
    for paper in a.paper or papers():
        out = measure(paper, a.profile, a.device, not a.no_determinism)
        p = res/f"{paper}_{a.profile}.json"
        p.write_text(json.dumps(out, indent=1, default=str) + "\n")
        print(json.dumps(out, indent=1, default=str))
        print(f"written {p}")

if __name__ == "__main__":
    main()
