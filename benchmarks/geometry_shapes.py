"""Benchmark paper_kit.geometry.shapes: time to generate one shape (parts, union, labels, keypoints) and its
1024-point FPS cloud (4096 dense samples), per category. Bar: <= 250 ms per shape on 2 CPU cores.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/geometry_shapes.py [--seeds 10] [--categories phone bird ...]
Writes benchmarks/results/geometry_shapes.json after a run over every category; a run over some categories only
prints its table unless --out names a file.
"""
import argparse, json, os, platform, time
from pathlib import Path

import numpy as np

from paper_kit.geometry.shapes import CATEGORIES, make_shape, point_cloud

BAR_S = 0.25


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10, help="instances timed per category")
    ap.add_argument("--categories", nargs="+", default=list(CATEGORIES), choices=CATEGORIES, metavar="CATEGORY",
                    help="categories to time (default: all)")
    ap.add_argument("--out", default=None, help="results JSON (default: benchmarks/results/geometry_shapes.json "
                                                "when every category is timed)")
    args = ap.parse_args()
    if args.out is None and set(args.categories) == set(CATEGORIES):
        args.out = str(Path(__file__).parent / "results" / "geometry_shapes.json")
    make_shape("chair", 0); point_cloud(make_shape("car", 0), 1024)  # warm-up (imports, caches)
    rows = []
    print(f"{'category':11s} {'shape ms':>9s} {'cloud ms':>9s} {'total ms':>9s} {'max ms':>8s} {'faces':>6s}  bar")
    for cat in args.categories:
        t_shape, t_cloud, faces = [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            s = make_shape(cat, seed)
            t1 = time.perf_counter()
            point_cloud(s, 1024, oversample=4, seed=seed)
            t2 = time.perf_counter()
            t_shape.append(t1 - t0); t_cloud.append(t2 - t1); faces.append(len(s.mesh.faces))
        tot = np.add(t_shape, t_cloud)
        row = dict(category=cat, seeds=args.seeds, shape_ms_median=1e3 * float(np.median(t_shape)),
                   cloud_ms_median=1e3 * float(np.median(t_cloud)), total_ms_median=1e3 * float(np.median(tot)),
                   total_ms_max=1e3 * float(np.max(tot)), faces_median=int(np.median(faces)),
                   within_bar=bool(np.max(tot) <= BAR_S))
        rows.append(row)
        print(f"{cat:11s} {row['shape_ms_median']:9.1f} {row['cloud_ms_median']:9.1f} {row['total_ms_median']:9.1f} "
              f"{row['total_ms_max']:8.1f} {row['faces_median']:6d}  {'ok' if row['within_bar'] else 'OVER'}")
    result = dict(benchmark="geometry_shapes", bar_ms=1e3 * BAR_S,
                  what="make_shape (parts, manifold union, face labels, keypoints) + point_cloud(n=1024, oversample=4)",
                  machine=dict(platform=platform.platform(), processor=platform.processor(), cpu_count=os.cpu_count(),
                               omp_num_threads=os.environ.get("OMP_NUM_THREADS"), python=platform.python_version(),
                               numpy=np.__version__),
                  rows=rows, all_within_bar=all(r["within_bar"] for r in rows))
    if args.out is None:
        print("some categories only: results not written (pass --out to keep them)")
        return
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}; all within bar: {result['all_within_bar']}")


if __name__ == "__main__":
    main()
