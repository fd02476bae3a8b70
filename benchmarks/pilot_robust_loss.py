"""Pilot for the robust-loss companion: FGR's RMSE x 100 on our range pairs for view gaps and feature settings, per
noise level, with the floor (the RMSE at the true motion). It chose `10_make_data`'s settings before any claim was
evaluated (numbers in docs/benchmarks.md):

    python benchmarks/pilot_robust_loss.py [pairs_per_level]

Measured 2026-11-25 (5 pairs, sigma = 0.005): views 30-60 degrees apart fail on 3 of 5 pairs whatever the radii
(RMSE x 100 of 10-30); 15-30 degrees apart with normals from up to 100 neighbours in 0.05 and FPFH from up to 300 in
0.1 register all five (0.48-1.36, the paper's FGR: mean 0.82, max 1.77).
"""
import sys, time
import numpy as np
from paper_kit.registration.meshes import load_mesh
from paper_kit.registration.range_pairs import NOISE_LEVELS, unit_mesh, make_pair, gt_correspondences, pair_rmse
from paper_kit.registration.features import estimate_normals, fpfh, reciprocal_matches, tuple_test
from paper_kit.registration.fgr import fgr, FGR_TUPLE_SCALE, FGR_TUPLE_MAX

CONFIGS = {"gap 30-60, normals 30 nn, FPFH 100 nn in 0.05": ((30, 60), 30, 0.05, 100),
           "gap 15-30, normals 100 nn, FPFH 300 nn in 0.1": ((15, 30), 100, 0.1, 300)}

def run(n_pairs: int):
    meshes = {k: unit_mesh(load_mesh(k)) for k in ("bunny", "armadillo", "dragon", "elephant", "bull")}
    for level, sigma in NOISE_LEVELS.items():
        for name, (gap, nn_n, rf, nn_f) in CONFIGS.items():
            rng, t0, errs, floor = np.random.default_rng(100 + level), time.time(), [], []
            for k in range(n_pairs):
                pr = make_pair(meshes[list(meshes)[k % 5]], sigma, rng, gap=gap, size=256)
                p0, p1 = pr["points"]
                f = [fpfh(p, estimate_normals(p, 0.05, max_nn=nn_n), rf, max_nn=nn_f) for p in (p0, p1)]
                m = tuple_test(p0, p1, reciprocal_matches(*f), np.random.default_rng(0), FGR_TUPLE_SCALE,
                               max_tuples=FGR_TUPLE_MAX)
                est = fgr(p0, p1, m)
                T = np.eye(4); T[:3, :3], T[:3, 3] = est["R"], est["t"]
                gt = gt_correspondences(p0, p1, pr["T"])
                errs.append(100 * pair_rmse(p0, p1, gt, T)); floor.append(100 * pair_rmse(p0, p1, gt, pr["T"]))
            print(f"sigma {sigma:.4f} {name}: RMSE x100 mean {np.mean(errs):.3f} max {np.max(errs):.3f}, floor "
                  f"{np.mean(floor):.3f}, failures (> 3x floor) {sum(e > 3 * f for e, f in zip(errs, floor))}/{n_pairs}"
                  f" ({time.time() - t0:.0f} s)", flush=True)

if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
