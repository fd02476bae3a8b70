"""Pilot for the SDRSAC companion: consensus, samples and time of SDRSAC, the same loop without the SDP, ICP, TrICP
and IRLS on Sec. 4.1's bunny (10,000 points, noise 0.01 m, the first r of the target removed, eps 0.01).

    python benchmarks/pilot_sdrsac.py [runs] [removal ...]
    python benchmarks/pilot_sdrsac.py sdp      # the SDP alone: time and true pairs on planted 16-point samples
"""
import sys, time
import numpy as np
from scipy.spatial import cKDTree
from paper_kit.registration.meshes import load_mesh
from paper_kit.registration.align import random_rotation, transform, icp
from paper_kit.registration.scans import remove_first
from paper_kit.sdrsac.sdp import Relaxation
from paper_kit.sdrsac.method import sdrsac, irls_icp, count_consensus

def trial(S, rng, r, relax, eps=0.01):
    R = random_rotation(rng.uniform(0, 180), rng)
    D = remove_first(transform(S, R, rng.uniform(-0.15, 0.15, 3)) + rng.normal(0, 0.01, S.shape), r)
    tree, out = cKDTree(D), {}
    for name, fn in (("SDRSAC", lambda: sdrsac(S, D, eps, rng, relax=relax)),
                     ("no SDP", lambda: sdrsac(S, D, eps, rng, relax=relax, matching=False)),
                     ("ICP", lambda: icp(S, D)), ("TrICP", lambda: icp(S, D, trim=1 - r)),
                     ("IRLS", lambda: irls_icp(S, D))):
        t0 = time.perf_counter(); f = fn(); dt = time.perf_counter() - t0
        out[name] = (count_consensus(tree, S, f["R"], f["t"], eps), dt, f.get("iterations", 0))
    return out

def sdp_accuracy(n=20):
    "Time and true pairs per 16-point sample holding 8 planted matches, at several SCS tolerances and caps."
    from paper_kit.sdrsac.sdp import match
    mesh = load_mesh("bunny").vertices * 0.155
    solvers = {"tol 0.1 (default)": Relaxation(16, 4), "tol 0.01": Relaxation(16, 4, tol=0.01),
               "100 iterations": Relaxation(16, 4, tol=1e-9, max_iters=100)}
    for name, relax in solvers.items():
        right, secs = [], []
        for seed in range(n):
            rng = np.random.default_rng(seed); v = mesh[rng.choice(len(mesh), 32, replace=False)]
            order = rng.permutation(16)
            Q = np.vstack([v[:8], v[16:24]])[order] @ random_rotation(70, rng).T
            t0 = time.perf_counter(); pairs = match(v[:16], Q, relax, gamma=1e-3); secs.append(time.perf_counter() - t0)
            right.append(sum(order[b] == a and a < 8 for a, b in pairs))
        print(f"{name}: {np.mean(right):.2f} of 4 pairs true, all 4 in {np.mean(np.equal(right, 4)):.0%}, "
              f"median {np.median(secs[1:]):.3f} s per SDP")

if __name__ == "__main__" and sys.argv[1:2] == ["sdp"]:
    sdp_accuracy()
elif __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    removal = [float(x) for x in sys.argv[2:]] or [0.1, 0.3, 0.5]
    rng = np.random.default_rng(0)
    mesh = load_mesh("bunny").vertices * 0.155
    S = mesh[np.sort(rng.choice(len(mesh), 10000, replace=False))]
    first = S[:3000]
    print("first 30 % of the file spans", np.ptp(first, 0).round(3), "of", np.ptp(S, 0).round(3))
    relax = Relaxation(16, 4)
    for r in removal:
        res = [trial(S, rng, r, relax) for _ in range(runs)]
        print(f"removal {r:.2f}: " + "  ".join(
            f"{k}: {np.median([x[k][0] for x in res]):.0f} in {np.median([x[k][1] for x in res]):.1f} s "
            f"({np.median([x[k][2] for x in res]):.0f} it)" for k in res[0]), flush=True)
