"""Cross-check `paper_kit.registration`'s FPFH and FGR against Open3D's on the bunny (issue 25).

Open3D is not one of the project's dependencies (the CPU wheel and what it imports take about 400 MB, and it loads
the system library `libusb-1.0`, which the machines here lack), so this check runs outside the suite, once per
change of `registration.features` or `registration.fgr`, and its numbers go to docs/benchmarks.md. Set up:

    pip download --no-deps -d /tmp/o3d open3d-cpu==0.20.0
    pip install --no-deps --target /tmp/o3dlib /tmp/o3d/open3d_cpu-0.20.0-*.whl
    pip install --target /tmp/o3dlib dash   # open3d.visualization imports it
    (cd /tmp/usb && apt-get download libusb-1.0-0 && dpkg -x libusb-1.0-0_*.deb .)
    LD_LIBRARY_PATH=/tmp/usb/usr/lib/x86_64-linux-gnu PYTHONPATH=/tmp/o3dlib python benchmarks/crosscheck_open3d.py

What it compares, on the bunny (4,000 points) and copies of it turned 60° with noise of 0, 0.25 and 0.5 % of the
diameter (FGR's benchmark levels), the same points and normals given to both:
- FPFH. Ours follows Rusu et al. (ICRA 2009): FPFH = SPFH(p) + (1/k) Σ SPFH(q) / |p − q|, each part then scaled to
  100. Open3D (like PCL) weights the neighbours by 1 / |p − q|², scales their sum to 100 a part and adds SPFH(p) (so
  its parts sum to 200). So the check is on the building blocks: our pair features and SPFH, aggregated Open3D's way
  (`open3d_convention`), against Open3D's FPFH; and, for the aggregation itself, how many reciprocal feature matches
  each FPFH gives between the two copies and what share of them is right.
- FGR from the same matches (reciprocal FPFH matches after our tuple test), with FGR's constants (64 iterations,
  division factor 1.4, μ floor 0.025): ours against `registration_fgr_based_on_correspondence`, run twice, since it
  is not deterministic; each one's rotation error against the true motion.
"""
import json, sys, time
from pathlib import Path
import numpy as np
import open3d as o3d
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree
from paper_kit.registration.align import random_rotation, rotation_error, transform
from paper_kit.registration.features import (BINS, _histogram3, _pair_features, estimate_normals, fpfh,
                                             reciprocal_matches, tuple_test)
from paper_kit.registration.fgr import (FGR_DIV_FACTOR, FGR_ITERATIONS, FGR_MAX_CORR_DIST, FGR_TUPLE_MAX,
                                        FGR_TUPLE_SCALE, fgr)
from paper_kit.registration.meshes import bunny
from paper_kit.registration.scans import diameter

REG = o3d.pipelines.registration
OUT = Path(__file__).parent/"results"/"crosscheck_open3d.json"


def o3d_cloud(points, normals) -> o3d.geometry.PointCloud:
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    pc.normals = o3d.utility.Vector3dVector(normals)
    return pc


def open3d_convention(points, normals, radius: float, k: int) -> np.ndarray: # (N, 33)
    """Our pair features and SPFH (`registration.features`' own helpers), aggregated as Open3D and PCL do: the
    neighbours' SPFH weighted by 1 / squared distance, that sum scaled to 100 a part, plus the point's own SPFH
    (Open3D; PCL leaves it out); parts reordered (θ, α, φ) and mirrored, for Open3D's v = d × n where Rusu's paper,
    and ours, take v = n × d."""
    d, j = cKDTree(points).query(points, k=min(k, len(points)), distance_upper_bound=radius)
    i = np.repeat(np.arange(len(points)), d.shape[1]).reshape(d.shape)
    keep = np.isfinite(d) & (j != i)
    src, dst, dist = i[keep], j[keep], d[keep]
    spfh = _histogram3(*_pair_features(points[src], normals[src], points[dst], normals[dst]), src, len(points))
    agg = csr_matrix((1 / dist ** 2, (src, dst)), shape=(len(points),) * 2) @ spfh
    parts = agg.reshape(len(points), 3, BINS)
    s = parts.sum(2, keepdims=True)
    out = (100 * parts / np.where(s > 0, s, 1)).reshape(len(points), 3 * BINS) + spfh
    return np.concatenate([out[:, 2 * BINS:][:, ::-1], out[:, :BINS][:, ::-1], out[:, BINS:2 * BINS]], 1)


def check_fpfh(points, normals, radius: float, max_nn: int = 100) -> dict:    # max_nn as `open3d_fpfh`'s
    "Open3D's FPFH against ours, and against our building blocks aggregated Open3D's way (same points and normals)."
    theirs = open3d_fpfh(points, normals, radius)
    ours = fpfh(points, normals, radius, max_nn=max_nn - 1)       # Open3D's max_nn counts the point itself
    as_open3d = open3d_convention(points, normals, radius, max_nn)
    blocks = np.abs(as_open3d - theirs).reshape(len(points), 3, BINS).max(2)     # (N, 3) per part (θ, α, φ)
    return dict(points=len(points), radius=radius, open3d_part_sum=float(theirs[0, :BINS].sum()),
                building_blocks_max_abs_diff_per_part=blocks.max(0).round(6).tolist(),
                building_blocks_rows_off_by_1e_3_per_part=(blocks > 1e-3).mean(0).tolist(),
                ours_vs_open3d_mean_abs_bin_diff=float(np.abs(ours - theirs).mean()))


def match_quality(a, fa, fb, tol: float) -> dict:
    "Reciprocal feature matches between a and a moved copy (same point order): how many, and the share correct."
    m = reciprocal_matches(fa, fb)
    right = np.linalg.norm(a[m[:, 0]] - a[m[:, 1]], axis=1) < tol
    return dict(matches=len(m), share_correct=float(right.mean()) if len(m) else 0.0)


def open3d_fpfh(points, normals, radius: float) -> np.ndarray: # (N, 33)
    return np.asarray(REG.compute_fpfh_feature(o3d_cloud(points, normals),
                                               o3d.geometry.KDTreeSearchParamHybrid(radius, 100)).data).T


def check_fgr(points, normals, fa, oa, radius: float, seed: int, noise: float) -> dict:
    """FGR from the same matches, ours and Open3D's; poses apart and against the true motion (noise in metres).
    `fa`, `oa`: our FPFH and Open3D's of `points`, computed once for every draw."""
    rng = np.random.default_rng(seed)
    R_gt, t_gt = random_rotation(60.0, rng), rng.normal(0, 0.05, 3)
    b = transform(points, R_gt.T, -R_gt.T @ t_gt) + rng.normal(0, noise, points.shape)   # a = R_gt b + t_gt
    nb = estimate_normals(b, radius / 2)
    fb, ob = fpfh(b, nb, radius), open3d_fpfh(b, nb, radius)
    quality = dict(ours=match_quality(points, fa, fb, radius / 4), open3d=match_quality(points, oa, ob, radius / 4))
    m = tuple_test(points, b, reciprocal_matches(fa, fb), rng, tau=FGR_TUPLE_SCALE, max_tuples=FGR_TUPLE_MAX)
    head = dict(seed=seed, noise=noise, reciprocal_fpfh_matches=quality, matches_after_tuple_test=len(m))
    if len(m) < 3: return head
    ours = fgr(points, b, m)
    option = REG.FastGlobalRegistrationOption(division_factor=FGR_DIV_FACTOR, use_absolute_scale=False,
                                              decrease_mu=True, maximum_correspondence_distance=FGR_MAX_CORR_DIST,
                                              iteration_number=FGR_ITERATIONS)
    # Open3D's FGR moves its target onto its source and returns the inverse: source = a, target = b (the cloud ours
    # moves), so that both solve the same problem, and the result inverted back to b -> a. It is not deterministic
    # (the same call twice gives different poses), so it runs twice and its own spread is the yardstick.
    corres = o3d.utility.Vector2iVector(np.ascontiguousarray(m.astype(np.int32)))
    T, T2 = (np.linalg.inv(REG.registration_fgr_based_on_correspondence(o3d_cloud(points, normals), o3d_cloud(b, nb),
                                                                        corres, option).transformation)
             for _ in range(2))
    return dict(**head, ours_vs_open3d_rotation_deg=float(rotation_error(ours["R"], T[:3, :3])),
                ours_vs_open3d_translation=float(np.linalg.norm(ours["t"] - T[:3, 3])),
                open3d_vs_itself_rotation_deg=float(rotation_error(T2[:3, :3], T[:3, :3])),
                open3d_vs_itself_translation=float(np.linalg.norm(T2[:3, 3] - T[:3, 3])),
                ours_rotation_error_deg=float(rotation_error(ours["R"], R_gt)),
                open3d_rotation_error_deg=float(rotation_error(T[:3, :3], R_gt)))


def main() -> int:
    mesh, rng = bunny(), np.random.default_rng(0)
    points = mesh[rng.choice(len(mesh), 4000, replace=False)]
    size = diameter(points)
    radius = 0.05 * size
    normals = estimate_normals(points, radius / 2)
    t0 = time.perf_counter()
    fa, oa = fpfh(points, normals, radius), open3d_fpfh(points, normals, radius)
    result = dict(open3d=o3d.__version__, diameter=size, fpfh=check_fpfh(points, normals, radius),
                  fgr=[check_fgr(points, normals, fa, oa, radius, s, n * size) for s in range(3)
                       for n in (0.0, 0.0025, 0.005)])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
