"""Pilot for robust_loss's clustering experiment (`12_rcc`): RCC / gRCC on a random subset of Shuttle, AMI per shape
alpha and per tolerance of the linear solves, with the time of each run. It set `12_rcc`'s budgets and showed how
much the solver's tolerance matters (numbers in docs/benchmarks.md):

    python benchmarks/pilot_rcc.py POINTS [--alphas -2 1 0] [--rtol 1e-2 1e-4] [--cap 100] [--seed 0]

Writes benchmarks/results/pilot_rcc_<POINTS>_cap<CAP>.json. Measured 2026-11-27 (one core, beside two other jobs):
5,000 points, RCC.m's steps (Jacobi CG from 0, relative residual 1e-2, at most 100 steps; the cap binds, 1e-4 gives
the same): alpha = -2 AMI 0.627, alpha = 1 0.609, about 11 s a run; exact steps (1e-6, --cap 3000): 0.373 and 0.639,
about 45 s. All 58,000 points, RCC.m's steps: alpha = -2 AMI 0.318 (42 clusters), 1: 0.305, 0: 0.314, -8: 0.318, 2 to
3.5 minutes a run.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
from paper_kit.robust_loss.rcc import load_shuttle, mknn_graph, rcc, ami


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("points", type=int, help="Shuttle points drawn at random (58000: all)")
    ap.add_argument("--alphas", type=float, nargs="+", default=[-2.0, 1.0, 0.0])
    ap.add_argument("--rtol", type=float, nargs="+", default=[1e-2], help="relative residual of each step's solve")
    ap.add_argument("--cap", type=int, default=100, help="CG steps per solve at most (RCC.m: 100)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    X, y, _ = load_shuttle()
    if not 100 <= a.points <= len(X): ap.error(f"points: must be in 100..{len(X)}")
    idx = np.sort(np.random.default_rng(a.seed).choice(len(X), a.points, replace=False))
    E, rows = mknn_graph(X[idx]), []
    for rtol in a.rtol:
        for alpha in a.alphas:
            t0 = time.perf_counter(); f = rcc(X[idx], E, alpha=alpha, cg_rtol=rtol, cg_cap=a.cap)
            rows.append(dict(points=a.points, rtol=rtol, cap=a.cap, alpha=alpha, ami=ami(y[idx], f["labels"]),
                             clusters=f["n_clusters"], iterations=f["iterations"], seconds=time.perf_counter() - t0))
            print(json.dumps(rows[-1]), flush=True)
    out = Path(__file__).parent/"results"/f"pilot_rcc_{a.points}_cap{a.cap}.json"
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
