"""Load times of SweetHome3D models as Shapes (paper_kit.geometry.sh3d): cold raw, cold watertight, cached.

    OMP_NUM_THREADS=2 python benchmarks/geometry_sh3d.py [--categories car chair] [--n 0]

Caches go to a fresh temporary PAPER_KIT_ROOT, so "cold" includes unzipping the model. Prints a table per model
and a summary per category, and writes benchmarks/results/geometry_sh3d.json. --n 0 means every model of the
category.
"""
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--categories", nargs="*", default=["car", "chair"])
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "geometry_sh3d.json"))
    a = ap.parse_args()
    os.environ["PAPER_KIT_ROOT"] = tempfile.mkdtemp(prefix="sh3d_bench_")
    from paper_kit.geometry.sh3d import catalog, load_sh3d, OUR_CATEGORIES
    t = time.perf_counter(); cat = catalog(); t_cat = time.perf_counter() - t
    counts = {c: int((cat.category == c).sum()) for c in OUR_CATEGORIES}
    rows = []
    for c in a.categories:
        sel = cat[cat.category == c]
        if a.n: sel = sel.head(a.n)
        for _, r in sel.iterrows():
            rec = dict(uid=r.uid, name=r["name"], category=c, licence=r.licence)
            try:
                t = time.perf_counter(); raw = load_sh3d(r, watertight=False)
                rec["raw_cold_s"] = time.perf_counter() - t
                t = time.perf_counter(); load_sh3d(r, watertight=False); rec["raw_cached_s"] = time.perf_counter() - t
                t = time.perf_counter(); wt = load_sh3d(r); rec["wt_cold_s"] = time.perf_counter() - t
                t = time.perf_counter(); load_sh3d(r); rec["wt_cached_s"] = time.perf_counter() - t
                rec.update(raw_faces=len(raw.mesh.faces), raw_watertight=bool(raw.mesh.is_watertight),
                           parts=len(raw.part_names), wt_faces=len(wt.mesh.faces),
                           wt_watertight=bool(wt.mesh.is_watertight), wt_volume=bool(wt.mesh.is_volume),
                           stretch=raw.params.get("catalogue_stretch"))
            except Exception as e:
                rec["error"] = f"{type(e).__name__}: {e}"
            rows.append(rec)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)
    ok = [r for r in rows if "error" not in r]
    summary = {}
    for c in a.categories:
        rc = [r for r in ok if r["category"] == c]
        if not rc: continue
        med = lambda k: float(np.median([r[k] for r in rc])); mx = lambda k: float(np.max([r[k] for r in rc]))
        summary[c] = dict(models=len(rc), errors=sum(1 for r in rows if r["category"] == c and "error" in r),
                          raw_cold_median_s=med("raw_cold_s"), raw_cold_max_s=mx("raw_cold_s"),
                          wt_cold_median_s=med("wt_cold_s"), wt_cold_max_s=mx("wt_cold_s"),
                          cached_median_ms=1000 * med("wt_cached_s"), cached_max_ms=1000 * mx("wt_cached_s"),
                          raw_watertight=sum(r["raw_watertight"] for r in rc),
                          wt_watertight=sum(r["wt_watertight"] for r in rc),
                          wt_faces_median=med("wt_faces"))
    print(f"\ncatalogue: {len(cat)} models parsed in {t_cat:.2f} s; per category: {counts}")
    print(f"{'category':9} {'n':>3} {'err':>3} {'raw cold med/max s':>19} {'watertight cold med/max s':>26} "
          f"{'cached med/max ms':>18} {'closed':>7}")
    for c, s in summary.items():
        print(f"{c:9} {s['models']:3d} {s['errors']:3d} {s['raw_cold_median_s']:9.2f}/{s['raw_cold_max_s']:<9.2f} "
              f"{s['wt_cold_median_s']:12.2f}/{s['wt_cold_max_s']:<13.2f} "
              f"{s['cached_median_ms']:8.1f}/{s['cached_max_ms']:<9.1f} "
              f"{s['wt_watertight']:3d}/{s['models']}")
    out = dict(machine=dict(platform=platform.platform(), python=sys.version.split()[0], cpu_count=os.cpu_count(),
                            omp_num_threads=os.environ.get("OMP_NUM_THREADS")),
               catalogue_seconds=t_cat, counts=counts, summary=summary, models=rows)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
