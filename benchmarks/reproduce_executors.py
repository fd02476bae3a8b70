"""Time `paper-kit reproduce` with each executor and check that they give the same tables.

    python benchmarks/reproduce_executors.py [--paper ssl_pointcloud] [--profile small] [--threads 1]
                                             [--executors sequential local] [--jobs 2] [-p NAME=VALUE ...]
                                             [--workspace DIR] [--out FILE]

Each executor runs the whole paper once, from an empty workspace of its own (data generation, method notebooks
and every experiment notebook included), with the same threads per job (`--threads`, OMP_NUM_THREADS), since the
thread count changes the order of floating-point sums and with it the last bits of trained weights. Reported per
executor: wall time, exit status, and the seconds of each job from the report. Then every CSV under
`figures/<paper>/<profile>/` of each run is compared byte for byte with the first executor's; columns of run
timings (`--timing-columns`) may differ and are listed apart. `-p NAME=VALUE` is passed on to every run (for example
`-p n_seeds=1` for one training seed); such a run's results are the set `<profile>-custom-<hash>`, which is compared.
Results go to `--out` (default `benchmarks/results/executors_<paper>_<profile>[_<params>].json`); the exit status
is 1 if a run failed, made no table, or a table differs beyond its timing columns.
"""
from __future__ import annotations
import argparse, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
PAPER_KIT = Path(sys.executable).parent/"paper-kit"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paper", default="ssl_pointcloud")
    ap.add_argument("--profile", default="small")
    ap.add_argument("--executors", nargs="+", default=["sequential", "local"])
    ap.add_argument("--jobs", type=int, default=None, help="--jobs of the local executor (default: one per core)")
    ap.add_argument("--threads", type=int, default=1, help="threads per job, the same for every executor")
    ap.add_argument("--workspace", type=Path, default=None, help="parent of the workspaces (default: a temp dir)")
    ap.add_argument("--timing-columns", default=r"seconds|samples_per_s|wall_s")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a notebook parameter for every run (repeatable), as in paper-kit reproduce")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    tag = "_" + "_".join(re.sub(r"\W+", "-", p) for p in a.param) if a.param else ""
    a.out = a.out or REPO/"benchmarks"/"results"/f"executors_{a.paper}_{a.profile}{tag}.json"
    return a


def run_once(a, executor: str, root: Path) -> dict:
    "One full reproduce in the empty workspace `root`; its wall time, status and per-job seconds."
    root.mkdir(parents=True, exist_ok=True)
    cmd = [str(PAPER_KIT), "reproduce", a.paper, "--profile", a.profile, "--no-progress", "--executor", executor,
           "--threads", str(a.threads)] + (["--jobs", str(a.jobs)] if a.jobs and executor == "local" else [])
    cmd += [x for p in a.param for x in ("-p", p)]
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(REPO), OMP_NUM_THREADS=str(a.threads))
    t0 = time.time()
    r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    secs = time.time() - t0
    (root/"reproduce.log").write_text(r.stdout + r.stderr)
    rep_p = root/"build"/a.paper/result_set(a, root)/"report.json"
    steps = json.loads(rep_p.read_text())["steps"] if rep_p.exists() else []
    return dict(executor=executor, command=" ".join(cmd[1:]), seconds=round(secs, 1), returncode=r.returncode,
                jobs={s["notebook"]: s["seconds"] for s in steps if s["status"] == "ran"},
                error=r.stderr[-2000:] if r.returncode else "")


def result_set(a, root: Path) -> str:
    "The name of the result set a run made: the profile, or `<profile>-custom-<hash>` when parameters were given."
    if not a.param: return a.profile
    found = sorted(d.name for d in (root/"figures"/a.paper).glob(f"{a.profile}-custom-*"))
    return found[0] if len(found) == 1 else a.profile + "-custom-?"


def compare(ref: Path, other: Path, timing: str) -> dict:
    "CSV tables of two result sets: identical, differing only in timing columns, or differing (with the columns)."
    out = {"identical": [], "timing_only": {}, "different": {}, "missing": []}
    for f in sorted(ref.rglob("*.csv")):
        g = other/f.relative_to(ref)
        if not g.exists(): out["missing"].append(str(f.relative_to(ref))); continue
        if f.read_bytes() == g.read_bytes(): out["identical"].append(f.name); continue
        x, y = pd.read_csv(f), pd.read_csv(g)
        cols = ([c for c in x.columns if c not in y.columns or not x[c].equals(y[c])] if x.shape == y.shape
                else ["shape"])
        bucket = "timing_only" if cols and all(re.search(timing, c) for c in cols) else "different"
        out[bucket][str(f.relative_to(ref))] = cols
    return out


def main(argv=None) -> int:
    a = parse_args(argv)
    base = a.workspace or Path(tempfile.mkdtemp(prefix="pk_executors_"))
    runs = [run_once(a, ex, base/ex) for ex in a.executors]
    name = result_set(a, base/a.executors[0])
    ref = base/a.executors[0]/"figures"/a.paper/name
    tables = {ex: compare(ref, base/ex/"figures"/a.paper/name, a.timing_columns) for ex in a.executors[1:]}
    ok = (all(r["returncode"] == 0 for r in runs) and any(ref.rglob("*.csv"))
          and all(not t["different"] and not t["missing"] for t in tables.values()))
    res = dict(paper=a.paper, profile=a.profile, params=a.param, result_set=name, threads_per_job=a.threads,
               cores=os.cpu_count(), runs=runs,
               tables_vs_first=tables, ok=ok, workspace=str(base), date=time.strftime("%Y-%m-%d %H:%M"))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1))
    for r in runs: print(f"{r['executor']:>12}: {r['seconds']:8.1f} s  (exit {r['returncode']})")
    for ex, t in tables.items():
        print(f"{ex} vs {a.executors[0]}: {len(t['identical'])} identical, timing-only {list(t['timing_only'])}, "
              f"different {t['different']}, missing {t['missing']}")
    print(f"results: {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
