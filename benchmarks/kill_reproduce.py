"""Kill `paper-kit reproduce` at random moments and check that nothing is lost or left looking complete.

    python benchmarks/kill_reproduce.py [--paper visual_sound] [--profile smoke] [--kills 20] [--seed 0]
                                        [--experiments-only] [--workspace DIR] [--src DIR] [--out FILE]

Method
1. Reference: one uninterrupted `paper-kit reproduce <paper> --profile <profile> --no-progress` in an empty
   workspace (`<workspace>/reference`, PAPER_KIT_ROOT set to it, notebooks from `--src`); its wall time is T_ref.
2. Kills: in a second workspace (`<workspace>/killed`) the same command is started again and again, each time in
   its own process group, until `--kills` runs have been killed. Each attempt's moment is drawn uniformly within
   the work it still has left (`random.Random(seed)`): (0, T_left), where T_left is the reference's start-up time
   plus the reference's wall time of every notebook (or fan-out unit) whose state the killed workspace lacks.
   At that moment the whole group gets SIGKILL. The notebook kernel runs in a session of its own (jupyter_client
   starts it with start_new_session), so the kernel and its children are found as well (descendants seen just
   before the kill, and every process whose PAPER_KIT_ROOT is that workspace) and killed; they are counted as
   `strays`. Each attempt resumes the work the previous ones left. An attempt that finishes before its moment
   (the machine ran faster than the reference) is recorded as `completed` and does not count as a kill; the
   workspace is then emptied (unless `--no-reset`) so that later kills land mid-run. At most 3 x `--kills`
   attempts are made.
3. After every kill the workspace is checked. Nothing may look complete while it is not:
   - every JSON under `figures/<paper>/<profile>/` parses; a sidecar names a file that exists beside it and reads
     (CSV with pandas, PNG with PIL, WAV with soundfile; evidence row count and audio rate as recorded); a claim
     has an id and a status;
   - every state file (`build/<paper>/<profile>/state/`, `build/<paper>/methods/state/`), which is what tells
     reproduce a notebook is done, parses and every output it records exists with the recorded hash
     (`paper_kit.kit.registry.hash_path`); manifests, executed notebooks and report.json parse.
   Any failure is a corrupt artifact (there must be none). Leftover `*.tmp` files and papermill's
   `.<nb>.running.ipynb` do not look complete: they are counted and listed, as are result files without sidecar.
   Rivals: in the first `--rivals` attempts, as soon as the attempt holds its locks (its pid is in the result
   set's lock file), a second `paper-kit reproduce` and a `paper-kit audit` (which shares the profile's data
   folder) are started in the same workspace. Each must refuse within a minute, non-zero, naming the holder's
   process; the attempt goes on to its moment undisturbed, and the workspace check after the kill covers both.
4. Final: the same command once more, to completion, in the killed workspace; the workspace is checked again,
   `paper-kit status` must call every notebook up to date, and every CSV under `figures/<paper>/<profile>/` must
   be byte-identical to the reference (claims: same status and evidence). Differing tables are listed with the
   columns that differ; differences only in timing columns (`--timing-columns`) are reported but tolerated.

The JSON summary goes to `--out`; the exit status is 1 when a corrupt artifact was seen, the final run failed or
left something stale, or results differ beyond timing columns.
"""
from __future__ import annotations
import argparse, json, os, random, re, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path
import psutil
from paper_kit.kit.registry import hash_path

REPO = Path(__file__).resolve().parents[1]
PAPER_KIT = Path(sys.executable).parent/"paper-kit"
ARTIFACT_KINDS = ("table", "figure", "audio", "evidence")


# ---------------------------------------------------------------- command line
def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paper", default="visual_sound")
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--kills", type=int, default=20, help="number of killed runs (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random kill moments")
    ap.add_argument("--workspace", type=Path, default=None, help="parent of the two workspaces (default: a temp dir)")
    ap.add_argument("--src", type=Path, default=REPO, help="checkout holding nbs/papers (PAPER_KIT_SRC)")
    ap.add_argument("--experiments-only", action="store_true", help="passed on to paper-kit reproduce")
    ap.add_argument("--rivals", type=int, default=5,
                    help="the first attempts, during which a second reproduce and an audit are started (default 5)")
    ap.add_argument("--no-reset", action="store_true", help="do not empty the workspace after a completed attempt")
    ap.add_argument("--timing-columns", default=r"samples_per_s|wall_s",
                    help="regex of CSV columns allowed to differ from the reference (run timings)")
    ap.add_argument("--keep", action="store_true", help="keep a temp workspace even when everything passed")
    ap.add_argument("--out", type=Path, default=None,
                    help="JSON results (default benchmarks/results/kill_<paper>_<profile>.json)")
    a = ap.parse_args(argv)
    a.out = a.out or REPO/"benchmarks"/"results"/f"kill_{a.paper}_{a.profile}.json"
    a.src = a.src.resolve()
    return a


def paper_kit_args(a, cmd: str) -> list[str]:
    "A `paper-kit <cmd>` command line for the paper and profile of the benchmark."
    exe = str(PAPER_KIT) if PAPER_KIT.exists() else (shutil.which("paper-kit") or "paper-kit")
    extra = (["--no-progress"] if cmd == "reproduce" else []) + (["--experiments-only"] if a.experiments_only else [])
    return [exe, cmd, a.paper, "--profile", a.profile, *extra]


# ---------------------------------------------------------------- processes
def environment(ws: Path, src: Path) -> dict:
    env = dict(os.environ, PAPER_KIT_ROOT=str(ws), PAPER_KIT_SRC=str(src), PYTHONUNBUFFERED="1")
    env.pop("PAPER_KIT_RESULTS", None)
    return env


def start(cmd: list[str], ws: Path, src: Path, console: Path) -> subprocess.Popen:
    "Start `cmd` in workspace `ws`, in a new session (its own process group), output to `console`."
    console.parent.mkdir(parents=True, exist_ok=True)
    with open(console, "w") as log:
        return subprocess.Popen(cmd, cwd=ws, env=environment(ws, src), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def run_to_end(cmd: list[str], ws: Path, src: Path, console: Path) -> dict:
    "Run `cmd` without interruption; its exit status and wall time."
    t0 = time.time()
    rc = start(cmd, ws, src, console).wait()
    return dict(rc=rc, wall_s=round(time.time() - t0, 2), console=str(console))


def workspace_processes(ws: Path) -> list[psutil.Process]:
    "Every process (but this one) whose PAPER_KIT_ROOT is `ws`: a command and kernels started for that workspace."
    found = []
    for p in psutil.process_iter():
        try:
            if p.pid != os.getpid() and p.environ().get("PAPER_KIT_ROOT") == str(ws): found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess): continue
    return found


def alive(p: psutil.Process) -> bool:
    try: return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess: return False


def kill_group(proc: subprocess.Popen, pgid: int, ws: Path) -> int:
    "SIGKILL the process group of `proc`, then the processes outside it (the kernel's session); how many of those."
    try: seen = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess: seen = []
    try: os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError: pass
    proc.wait()
    strays = {p.pid: p for p in seen if alive(p)}
    strays.update({p.pid: p for p in workspace_processes(ws)})
    for p in strays.values():
        try: p.kill()
        except psutil.NoSuchProcess: pass
    survivors = [p for p in psutil.wait_procs(list(strays.values()), timeout=15)[1] if alive(p)]
    if survivors: raise RuntimeError(f"processes {[p.pid for p in survivors]} of {ws} survived SIGKILL")
    return len(strays)


# ---------------------------------------------------------------- workspace checks
def read_csv(path: Path, rec: dict) -> str | None:
    import pandas as pd
    df = pd.read_csv(path)
    if rec.get("kind") == "evidence" and "rows" in rec and len(df) != rec["rows"]:
        return f"{len(df)} rows, sidecar says {rec['rows']}"
    return None


def read_png(path: Path, rec: dict) -> str | None:
    from PIL import Image
    with Image.open(path) as im: im.load()
    return None


def read_wav(path: Path, rec: dict) -> str | None:
    import soundfile as sf
    _, sr = sf.read(path)
    return f"sample rate {sr}, sidecar says {rec['sample_rate']}" if sr != rec.get("sample_rate", sr) else None


READERS = {".csv": read_csv, ".png": read_png, ".wav": read_wav}


def check_sidecar(side: Path, ws: Path) -> str | None:
    "Why the JSON `side` under a results folder is corrupt, or None."
    try: rec = json.loads(side.read_text())
    except (OSError, ValueError) as e: return f"does not parse ({e})"
    kind = rec.get("kind") if isinstance(rec, dict) else None
    if kind == "claim": return None if rec.get("id") and rec.get("status") else "claim without id or status"
    if side.parent.name == "claims": return f"JSON in claims/ of kind {kind!r}"
    if kind not in ARTIFACT_KINDS: return None  # some other JSON: parsing is all we can ask
    target = ws/rec.get("path", "")
    if target.parent != side.parent or target.name + ".json" != side.name:
        return f"names {rec.get('path')!r}, not the file beside it"
    if not target.is_file(): return f"names {rec['path']}, which is missing"
    reader = READERS.get(target.suffix)
    try: return reader(target, rec) if reader else None
    except Exception as e: return f"{target.name} does not read ({type(e).__name__}: {e})"


def check_results(ws: Path, rd: Path) -> tuple[list[str], list[str], int]:
    "Corrupt sidecars/claims of a results folder, its result files without sidecar, and how many JSON were checked."
    visible = [p for p in sorted(rd.rglob("*")) if not p.name.startswith(".")]  # hidden: temp files
    jsons = [p for p in visible if p.suffix == ".json"]
    corrupt = [f"{p.relative_to(ws)}: {why}" for p in jsons if (why := check_sidecar(p, ws))]
    files = [p for p in visible if p.suffix in READERS]
    orphans = [str(p.relative_to(ws)) for p in files if not p.with_name(p.name + ".json").exists()]
    return corrupt, orphans, len(jsons)


def check_state(sp: Path, ws: Path) -> list[str]:
    "Problems of one state file: it must parse and every output it records must exist with the recorded hash."
    try: st = json.loads(sp.read_text())
    except (OSError, ValueError) as e: return [f"{sp.relative_to(ws)}: does not parse ({e})"]
    out = []
    for rel, rec in st.get("outputs", {}).items():
        p = ws/rel
        if not p.exists(): out.append(f"{sp.relative_to(ws)}: output {rel} is missing")
        elif hash_path(p) != rec.get("sha256"): out.append(f"{sp.relative_to(ws)}: output {rel} has another hash")
    return out


def parses(path: Path) -> bool:
    try: json.loads(path.read_text()); return True
    except (OSError, ValueError): return False


def check_workspace(ws: Path, paper: str, profile: str) -> dict:
    "Everything in `ws` that looks complete but is not (`corrupt`), and the leftovers that do not look complete."
    build = ws/"build"/paper
    corrupt, orphans, n_json = check_results(ws, ws/"figures"/paper/profile)
    states = sorted(state_files(ws, paper, profile).values())
    for sp in states: corrupt += check_state(sp, ws)
    others = [*(build/profile/"runs").glob("*.json"), *build.glob("*/executed/[!.]*.ipynb"),
              build/profile/"report.json"]
    corrupt += [f"{p.relative_to(ws)}: does not parse" for p in others if p.exists() and not parses(p)]
    rel = lambda ps: sorted(str(p.relative_to(ws)) for p in ps)
    return dict(corrupt=corrupt, tmp=rel(ws.rglob("*.tmp")), running=rel(ws.rglob(".*.running.ipynb")),
                orphans=orphans, n_json=n_json, n_states=len(states))


def in_progress(ws: Path, paper: str, profile: str, since: float, killed_at: float) -> dict:
    "The notebook whose log was written last (None when no log was touched since the attempt started)."
    build = ws/"build"/paper
    logs = [*(build/profile/"logs").glob("*.log"), *(build/"methods"/"logs").glob("*.log")]
    newest = max(logs, key=lambda p: p.stat().st_mtime, default=None)
    if newest is None or newest.stat().st_mtime < since: return dict(notebook=None, phase="before any notebook ran")
    state = newest.parent.parent/"state"/f"{newest.stem}.json"
    done = state.exists() and state.stat().st_mtime >= since
    return dict(notebook=newest.stem, phase="after it finished" if done else "while it ran",
                log_idle_s=round(killed_at - newest.stat().st_mtime, 2))


# ---------------------------------------------------------------- rivals
def holds_lock(ws: Path, a, pid: int) -> bool:
    "Whether process `pid` holds the lock of the result set (its lock file names it)."
    f = ws/"build"/a.paper/"locks"/f"results-{a.profile}.lock"
    try: return f"process {pid} " in f.read_text()
    except OSError: return False


def rivals(a, i: int, proc: subprocess.Popen, deadline: float, ws: Path, consoles: Path) -> list[dict]:
    """Once `proc` holds its locks (before `deadline`), start a second reproduce and an audit in `ws`; each must
    refuse, non-zero, naming `proc`'s process. [] when `proc` ended or the deadline came first."""
    while not holds_lock(ws, a, proc.pid):
        if proc.poll() is not None or time.time() > deadline: return []
        time.sleep(0.1)
    out = []
    for cmd in ("reproduce", "audit"):
        log, t0 = consoles/f"rival_{i:02d}_{cmd}.log", time.time()
        rival = start(paper_kit_args(a, cmd), ws, a.src, log)
        try: rc = rival.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill_group(rival, os.getpgid(rival.pid), ws); rc = None
        text = log.read_text()
        out.append(dict(command=cmd, rc=rc, wall_s=round(time.time() - t0, 2),
                        refused=rc not in (0, None) and f"in use by process {proc.pid} " in text,
                        message=next((l for l in text.splitlines() if "in use by" in l), text[-300:])))
    return out


# ---------------------------------------------------------------- kills
def attempt(a, i: int, delay: float, ws: Path, consoles: Path) -> dict:
    """Start reproduce in `ws` (with rivals beside it in the first `a.rivals` attempts), SIGKILL it after `delay` s
    (unless it ends first) and check what it left."""
    t0 = time.time()
    proc = start(paper_kit_args(a, "reproduce"), ws, a.src, consoles/f"kill_{i:02d}.log")
    pgid = os.getpgid(proc.pid)
    try:
        rival = rivals(a, i, proc, t0 + delay, ws, consoles) if i <= a.rivals else []
        rc = proc.wait(timeout=max(0.0, t0 + delay - time.time()))
        rec = dict(outcome="completed", rc=rc, wall_s=round(time.time() - t0, 2), rivals=rival)
    except subprocess.TimeoutExpired:
        killed_at = time.time()
        rec = dict(outcome="killed", strays=kill_group(proc, pgid, ws), rivals=rival,
                   in_progress=in_progress(ws, a.paper, a.profile, t0, killed_at))
    except BaseException:  # interrupted or failed here: leave nothing running behind
        kill_group(proc, pgid, ws)
        raise
    return dict(index=i, kill_at_s=round(delay, 2), **rec, check=check_workspace(ws, a.paper, a.profile))


def reset(ws: Path):
    shutil.rmtree(ws); ws.mkdir()


def state_files(ws: Path, paper: str, profile: str) -> dict[str, Path]:
    "The state files of `ws` (what tells reproduce a notebook or fan-out unit is done), by results folder/name."
    build = ws/"build"/paper
    return {f"{d.parent.name}/{f.stem}": f for d in (build/profile/"state", build/"methods"/"state")
            for f in d.glob("*.json")}


def notebook_seconds(ws: Path, paper: str, profile: str) -> dict[str, float]:
    "Seconds of every notebook (and fan-out unit) a finished run in `ws` recorded in its state files."
    out = {}
    for k, f in state_files(ws, paper, profile).items():
        try: out[k] = float(json.loads(f.read_text())["seconds"])
        except (OSError, ValueError, KeyError, TypeError): continue
    return out


def seconds_left(ref_seconds: dict[str, float], startup: float, ws: Path, paper: str, profile: str) -> float:
    "The reference's time for what `ws` has not finished: start-up plus every notebook without a state file."
    done = state_files(ws, paper, profile)
    return startup + sum(t for k, t in ref_seconds.items() if k not in done)


def kill_series(a, reference: dict, rng: random.Random, ws: Path, consoles: Path) -> list[dict]:
    "Attempts until `a.kills` of them were killed, each killed at a moment within the work it has left."
    ref_seconds = notebook_seconds(Path(reference["workspace"]), a.paper, a.profile)
    startup = max(1.0, reference["wall_s"] - sum(ref_seconds.values()))
    out = []
    while sum(r["outcome"] == "killed" for r in out) < a.kills and len(out) < 3 * a.kills:
        emptied = bool(out) and out[-1]["outcome"] == "completed" and not a.no_reset
        if emptied: reset(ws)
        left = seconds_left(ref_seconds, startup, ws, a.paper, a.profile)
        delay = rng.uniform(0, left)
        out.append(dict(attempt(a, len(out) + 1, delay, ws, consoles), emptied_before=emptied,
                        seconds_left_s=round(left, 2)))
        print(" ", attempt_line(out[-1]), flush=True)
    return out


# ---------------------------------------------------------------- final comparison
def csv_columns_differing(p: Path, q: Path) -> list[str]:
    "The columns in which two CSV files differ (all of them when they cannot be compared cell by cell)."
    import pandas as pd
    try: x, y = pd.read_csv(p), pd.read_csv(q)
    except Exception: return ["<unreadable>"]
    if list(x.columns) != list(y.columns) or len(x) != len(y): return ["<shape or header>"]
    return [c for c in x.columns if not x[c].astype(str).equals(y[c].astype(str))]


def compare_tables(ref: Path, fin: Path, timing: str) -> dict:
    "Byte comparison of every CSV under two results folders."
    names = lambda d: {str(p.relative_to(d)) for p in d.rglob("*.csv") if not p.name.startswith(".")} if d.exists() \
        else set()
    r, f = names(ref), names(fin)
    differ = {n: csv_columns_differing(ref/n, fin/n) for n in sorted(r & f)
              if (ref/n).read_bytes() != (fin/n).read_bytes()}
    beyond = sorted(n for n, cols in differ.items() if not all(re.search(timing, c) for c in cols))
    missing, extra = sorted(r - f), sorted(f - r)
    return dict(identical=not differ and not missing and not extra, n_tables=len(r), differ=sorted(differ),
                differing_columns=differ, differ_beyond_timing=beyond, missing_in_final=missing, extra_in_final=extra)


def claims(rd: Path) -> dict:
    out = {}
    for p in sorted((rd/"claims").glob("[!.]*.json")):
        c = json.loads(p.read_text())
        out[c["id"]] = json.dumps(dict(status=c["status"], evidence=c["evidence"]), sort_keys=True)
    return out


def compare_claims(ref: Path, fin: Path) -> dict:
    r, f = claims(ref), claims(fin)
    differ = sorted(k for k in r.keys() | f.keys() if r.get(k) != f.get(k))
    return dict(identical=not differ, n_claims=len(r), differ=differ)


def stale_notebooks(a, ws: Path, consoles: Path) -> list[str]:
    "Lines of `paper-kit status` that are not 'up to date' (after the final run there must be none)."
    cp = subprocess.run(paper_kit_args(a, "status"), cwd=ws, env=environment(ws, a.src),
                        capture_output=True, text=True)
    (consoles/"status.log").write_text(cp.stdout + cp.stderr)
    if cp.returncode: return [f"paper-kit status failed (rc {cp.returncode})"]
    table = cp.stdout.split("\nwhat made the committed results")[0]   # the provenance lines that follow are not rows
    rows = [ln.strip() for ln in table.splitlines() if ln.startswith("  ")]
    return [r for r in rows if not r.split(None, 1)[-1].startswith("up to date")]


# ---------------------------------------------------------------- report
def attempt_line(r: dict) -> str:
    c = r["check"]
    if r["outcome"] == "completed":
        what = f"run completed first (rc {r['rc']}, {r['wall_s']} s)"
    else:
        ip = r["in_progress"]
        what = (f"killed {ip['phase']}" if ip["notebook"] is None else f"killed in {ip['notebook']} ({ip['phase']})") \
            + f", {r['strays']} stray process(es)"
    rivals = "".join(f"; rival {x['command']} {'refused' if x['refused'] else 'NOT REFUSED'} in {x['wall_s']} s"
                     for x in r.get("rivals", []))
    return (f"attempt {r['index']:>2} at {r['kill_at_s']:7.2f} s: {what}; corrupt {len(c['corrupt'])}, "
            f".tmp {len(c['tmp'])}, running {len(c['running'])}, no sidecar {len(c['orphans'])}{rivals}")


def summary_lines(s: dict) -> list[str]:
    t, cl, f = s["tables"], s["claims"], s["final"]
    lines = [f"{s['paper']} [{s['profile']}]: reference {s['reference']['wall_s']} s; {s['n_attempts']} attempts "
             f"({s['n_killed']} killed, {s['n_attempts'] - s['n_killed']} completed before their moment)",
             f"  corrupt artifacts after kills: {s['corrupt_count']}; .tmp leftovers: max {s['tmp_max']}; "
             f"stray kernel processes killed: {s['strays']}",
             f"  rivals (a second reproduce and an audit while a run held the locks): {s['n_rivals']} started, "
             f"{s['n_refused']} refused naming the holder",
             f"  final run: rc {f['rc']}, {f['wall_s']} s, corrupt {len(f['check']['corrupt'])}, "
             f"stale after it: {len(f['stale'])}, .tmp left {len(f['check']['tmp'])}",
             f"  tables: {t['n_tables'] - len(t['differ'])} of {t['n_tables']} CSV byte-identical, "
             f"{len(t['differ']) - len(t['differ_beyond_timing'])} differ only in run-timing columns, "
             f"{len(t['differ_beyond_timing'])} beyond them; "
             f"claims: {'identical' if cl['identical'] else 'DIFFER ' + ', '.join(cl['differ'])} ({cl['n_claims']})"]
    lines += [f"    {n} differs in: {', '.join(cols)}" for n, cols in t["differing_columns"].items()]
    lines += [f"    missing in final: {n}" for n in t["missing_in_final"]]
    lines += [f"    only in final: {n}" for n in t["extra_in_final"]]
    lines += [f"    corrupt: {x}" for r in s["attempts"] for x in r["check"]["corrupt"]]
    lines.append(f"  verdict: {'PASS' if s['passed'] else 'FAIL'}; results: {s['out']}")
    return lines


def verdict(s: dict) -> bool:
    f = s["final"]
    return (s["n_killed"] == s["kills"] and s["corrupt_count"] == 0 and s["n_refused"] == s["n_rivals"]
            and (s["n_rivals"] > 0 or not s["rivals"]) and f["rc"] == 0 and not f["check"]["corrupt"]
            and not f["stale"]
            and not s["tables"]["differ_beyond_timing"] and not s["tables"]["missing_in_final"]
            and not s["tables"]["extra_in_final"] and s["claims"]["identical"])


# ---------------------------------------------------------------- main
def workspaces(a) -> tuple[Path, bool]:
    "The parent folder of the two workspaces and whether this script made it (a temp dir)."
    if a.workspace is None: return Path(tempfile.mkdtemp(prefix="kill_reproduce_")).resolve(), True
    parent = a.workspace.resolve()
    for sub in ("reference", "killed"):
        if (parent/sub).exists() and any((parent/sub).iterdir()): sys.exit(f"{parent/sub} is not empty")
    return parent, False


def main(argv=None) -> int:
    a = parse_args(argv)
    parent, temp = workspaces(a)
    ref, ws, consoles = parent/"reference", parent/"killed", parent/"console"
    for d in (ref, ws, consoles): d.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    print(f"reference run of {a.paper} [{a.profile}] in {ref}", flush=True)
    reference = run_to_end(paper_kit_args(a, "reproduce"), ref, a.src, consoles/"reference.log")
    if reference["rc"]: sys.exit(f"the reference run failed (rc {reference['rc']}): see {reference['console']}")
    reference.update(check=check_workspace(ref, a.paper, a.profile), workspace=str(ref))
    print(f"{a.kills} kills, each within the work its attempt has left, in {ws}", flush=True)
    attempts = kill_series(a, reference, random.Random(a.seed), ws, consoles)
    final = run_to_end(paper_kit_args(a, "reproduce"), ws, a.src, consoles/"final.log")
    final.update(check=check_workspace(ws, a.paper, a.profile), stale=stale_notebooks(a, ws, consoles))
    rd = lambda w: w/"figures"/a.paper/a.profile
    s = dict(paper=a.paper, profile=a.profile, experiments_only=a.experiments_only, seed=a.seed, kills=a.kills,
             src=str(a.src), workspace=str(parent), command=paper_kit_args(a, "reproduce"), reference=reference,
             kill_times_s=[r["kill_at_s"] for r in attempts], attempts=attempts, n_attempts=len(attempts),
             n_killed=sum(r["outcome"] == "killed" for r in attempts),
             corrupt_count=sum(len(r["check"]["corrupt"]) for r in attempts),
             tmp_max=max((len(r["check"]["tmp"]) for r in attempts), default=0),
             strays=sum(r.get("strays", 0) for r in attempts), final=final,
             rivals=a.rivals, n_rivals=sum(len(r["rivals"]) for r in attempts),
             n_refused=sum(x["refused"] for r in attempts for x in r["rivals"]),
             tables=compare_tables(rd(ref), rd(ws), a.timing_columns), claims=compare_claims(rd(ref), rd(ws)),
             wall_s=round(time.time() - t0, 2), out=str(a.out))
    s["passed"] = verdict(s)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(s, indent=1) + "\n")
    print("\n".join(summary_lines(s)))
    if temp and s["passed"] and not a.keep: shutil.rmtree(parent)
    elif temp: print(f"  workspaces kept in {parent}")
    return 0 if s["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
