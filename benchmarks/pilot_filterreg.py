"""Pilot for the FilterReg companion: pose error and time of FilterReg (fixed and updated sigma), CPD and TrICP on
the bunny (3,500 points, 50 degrees about a random axis) at a few outlier ratios and noise levels.

    python benchmarks/pilot_filterreg.py [runs]
"""
import sys, time
import numpy as np
from paper_kit.registration.meshes import load_mesh
from paper_kit.registration.align import random_rotation, pose_error, transform
from paper_kit.registration.scans import add_outliers, add_noise, diameter
from paper_kit.filterreg.method import filterreg
from paper_kit.filterreg.baselines import cpd_rigid, trimmed_icp

def trial(v, D, rng, ratio, noise):
    R = random_rotation(50, rng)
    X = add_noise(add_outliers(v, ratio, rng), noise * D, rng)
    Y = add_noise(add_outliers(transform(v, R, np.zeros(3)), ratio, rng), noise * D, rng)
    out = {}
    for name, fn in (("FilterReg", lambda: filterreg(X, Y, 0.05 * D, w=0.2)),
                     ("FilterReg-upd", lambda: filterreg(X, Y, 0.2 * D, w=0.2, update_sigma=True)),
                     ("CPD", lambda: cpd_rigid(X, Y, w=0.2)),
                     ("TrICP", lambda: trimmed_icp(X, Y, 1 / (1 + ratio)))):
        t0 = time.perf_counter(); f = fn(); dt = time.perf_counter() - t0
        out[name] = (pose_error(f["R"], f["t"], R, np.zeros(3), v) / D, dt, f["iterations"])
    return out

if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rng = np.random.default_rng(0)
    mesh = load_mesh("bunny").vertices * 0.155
    v = mesh[rng.choice(len(mesh), 3500, replace=False)]; D = diameter(v)
    for ratio, noise in ((0, 0), (0.2, 0), (0.4, 0), (0.6, 0), (0, 0.01), (0, 0.03)):
        res = [trial(v, D, rng, ratio, noise) for _ in range(runs)]
        line = "  ".join(f"{k}: err {np.median([r[k][0] for r in res]):.4f} "
                         f"t {np.median([r[k][1] for r in res]) * 1e3:.0f} ms "
                         f"it {np.median([r[k][2] for r in res]):.0f}" for k in res[0])
        print(f"outliers {ratio:.1f} noise {noise:.3f}: {line}", flush=True)
