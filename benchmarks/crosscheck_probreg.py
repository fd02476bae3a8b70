"""Cross-check FilterReg's companion against probreg (issue 25): our rigid CPD and FilterReg beside probreg's.

probreg (0.3.8, Kenta Tanaka's library of probabilistic registration) implements CPD and FilterReg, and imports
Open3D, which is not one of the project's dependencies (see `crosscheck_open3d.py`, whose side folder and system
library this script reuses). It is built from source:

    pip install --no-deps --target /tmp/preglib probreg transforms3d
    LD_LIBRARY_PATH=/tmp/usb/usr/lib/x86_64-linux-gnu PYTHONPATH=/tmp/preglib:/tmp/o3dlib \
        python benchmarks/crosscheck_probreg.py

On FilterReg's own draws (`filterreg.protocol.sample`: the bunny at 3,500 points turned 50°, with outliers) at outlier
ratios 0, 0.2 and 0.6, three draws each, with the same outlier weight w = r / (1 + r):
- CPD, rigid without scale: ours (`filterreg.baselines.cpd_rigid`) and probreg's `registration_cpd` run to
  convergence (150 iterations at most, tight tolerances), so the two EM fixed points can be compared: rotation
  apart, translation apart, and each one's pose error as a share of the diameter;
- FilterReg, point-to-point with σ fixed at 5 % of the diameter: ours (`filterreg.method.filterreg`) and probreg's
  `registration_filterreg`; the lattices differ (ours normalised so that its sums match the exact Gaussian's, see
  `registration/06_permutohedral`), so this compares outcomes: each one's pose error.
"""
import json, sys, time
from pathlib import Path
import numpy as np
from probreg import cpd as pcpd, filterreg as pfilterreg
from paper_kit.filterreg.baselines import cpd_rigid
from paper_kit.filterreg.method import filterreg
from paper_kit.filterreg.protocol import block_rng, sample
from paper_kit.registration.align import pose_error, rotation_error
from paper_kit.registration.meshes import bunny

OUT = Path(__file__).parent/"results"/"crosscheck_probreg.json"


def error(R, t, d) -> float:
    "Pose error of (R, t) on draw d (X moved onto Y), a share of the diameter."
    return float(pose_error(R, t, d["R"], np.zeros(3), d["v"]) / d["D"])


def check_cpd(d: dict, w: float) -> dict:
    "Our rigid CPD and probreg's on draw d, both to convergence."
    t0 = time.process_time(); ours = cpd_rigid(d["X"], d["Y"], w=w, max_iter=150, tol=1e-10); t1 = time.process_time()
    res = pcpd.registration_cpd(d["X"], d["Y"], "rigid", w=w, maxiter=150, tol=1e-8, update_scale=False)
    t2 = time.process_time()
    tf = res.transformation
    return dict(rotation_apart_deg=rotation_error(ours["R"], tf.rot), translation_apart=float(np.linalg.norm(ours["t"]
                - tf.t) / d["D"]), ours_error=error(ours["R"], ours["t"], d), probreg_error=error(tf.rot, tf.t, d),
                ours_iterations=ours["iterations"], ours_seconds=t1 - t0, probreg_seconds=t2 - t1)


def check_filterreg(d: dict, w: float, sigma: float = 0.05) -> dict:
    "Our FilterReg and probreg's on draw d, point-to-point, σ fixed at `sigma` of the diameter."
    s = sigma * d["D"]
    ours = filterreg(d["X"], d["Y"], s, w=w)
    res = pfilterreg.registration_filterreg(d["X"], d["Y"], sigma2=s ** 2, update_sigma2=False, w=w, maxiter=100,
                                            tol=1e-6)
    tf = res.transformation
    return dict(ours_error=error(ours["R"], ours["t"], d), probreg_error=error(tf.rot, tf.t, d),
                rotation_apart_deg=rotation_error(ours["R"], tf.rot))


def main() -> int:
    mesh, rows = bunny(), []
    for r in (0.0, 0.2, 0.6):
        for b in range(3):
            d = sample(block_rng(0, b, r, 0.0), mesh, 3500, r, 0.0)
            w = r / (1 + r)
            rows.append(dict(outlier_ratio=r, draw=b, cpd=check_cpd(d, w), filterreg=check_filterreg(d, w)))
            print(json.dumps(rows[-1]), flush=True)
    OUT.write_text(json.dumps(dict(rows=rows), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
