"""Pilot for the robust-loss companion: FGR's RMSE on our range pairs for a few FPFH radii, per noise level.

Chooses the feature radii of `10_make_data` before the full run (stated in its notebook):
    python benchmarks/pilot_robust_loss.py [pairs_per_level]
"""
import sys, time
import numpy as np
from paper_kit.registration.meshes import load_mesh
from paper_kit.registration.range_pairs import NOISE_LEVELS, unit_mesh, make_pair, gt_correspondences, pair_rmse
from paper_kit.registration.features import estimate_normals, fpfh, reciprocal_matches, tuple_test
from paper_kit.registration.fgr import fgr, FGR_TUPLE_SCALE, FGR_TUPLE_MAX

def run(n_pairs: int, radii: list[tuple[float, float]]):
    meshes = {k: unit_mesh(load_mesh(k)) for k in ("bunny", "armadillo", "dragon", "elephant", "bull")}
    for level, sigma in NOISE_LEVELS.items():
        rng = np.random.default_rng(100 + level)
        pairs = [make_pair(meshes[k], sigma, rng) for k in list(meshes)[:n_pairs]]
        for rn, rf in radii:
            t0, errs = time.time(), []
            for pr in pairs:
                p0, p1 = pr["points"]
                f = [fpfh(p, estimate_normals(p, rn), rf) for p in (p0, p1)]
                m = tuple_test(p0, p1, reciprocal_matches(*f), np.random.default_rng(0), FGR_TUPLE_SCALE,
                               max_tuples=FGR_TUPLE_MAX)
                est = fgr(p0, p1, m)
                T = np.eye(4); T[:3, :3], T[:3, 3] = est["R"], est["t"]
                errs.append(100 * pair_rmse(p0, p1, gt_correspondences(p0, p1, pr["T"]), T))
            print(f"sigma {sigma:.4f} radii {rn:.3f}/{rf:.3f}: RMSE x100 mean {np.mean(errs):.3f} "
                  f"max {np.max(errs):.3f} ({' '.join(f'{e:.2f}' for e in errs)}) {time.time() - t0:.0f} s",
                  flush=True)

if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 5, [(0.02, 0.05), (0.03, 0.08), (0.04, 0.12)])
