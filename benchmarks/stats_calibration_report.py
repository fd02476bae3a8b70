"""The tables of docs/statistics.md, written from benchmarks/results/stats_calibration.json (never typed by hand).

    python benchmarks/stats_calibration_report.py > /tmp/tables.md    # then paste between the markers in the docs
    python benchmarks/stats_calibration_report.py --check             # exit 1 if docs/statistics.md is out of date
"""
import argparse, json, sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO/"benchmarks/results/stats_calibration.json"
DOC = REPO/"docs/statistics.md"
BEGIN, END = "<!-- tables: begin (benchmarks/stats_calibration_report.py) -->", "<!-- tables: end -->"
KIT_TESTS = ("across_seeds", "paired", "groups_across_seeds", "two_groups", "equivalence", "noninferior",
             "binomial", "mcnemar", "fisher", "mcnemar_consensus")
CONTRASTS = ("old_rule", "satterthwaite_t", "paired_no_clusters")


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def worst_table(rows: list, tests: tuple) -> list[str]:
    "Per test: settings, the highest false favourable and unfavourable rate, and where each was reached."
    out = ["| test | settings | max false favourable % (setting) | max false unfavourable % (setting) |",
           "|---|---|---|---|"]
    for t in tests:
        mine = [r for r in rows if r["test"] == t]
        if not mine: continue
        fav = max(mine, key=lambda r: r["fav_rate"]); unf = max(mine, key=lambda r: r["unfav_rate"])
        out.append(f"| `{t}` | {len(mine)} | {pct(fav['fav_rate'])} ({fav['setting']}) | "
                   f"{pct(unf['unfav_rate'])} ({unf['setting']}) |")
    return out


def grid_table(rows: list) -> list[str]:
    "The main grid: across_seeds against the old rule, false 'better' / false 'worse' in %."
    cell = {(r["test"], r["setting"]): r for r in rows if r.get("group") == "grid"}
    settings = sorted({s for _, s in cell}, key=lambda s: [float(x.split("=")[1]) for x in s.split()[1:]])
    out = ["| setting | `across_seeds` better / worse % | old rule better / worse % |", "|---|---|---|"]
    for s in settings:
        a, o = cell.get(("across_seeds", s)), cell.get(("old_rule", s))
        if a and o:
            out.append(f"| {s.removeprefix('grid ')} | {pct(a['fav_rate'])} / {pct(a['unfav_rate'])} | "
                       f"{pct(o['fav_rate'])} / {pct(o['unfav_rate'])} |")
    return out


def power_table(rows: list, n: int = 24) -> list[str]:
    "P('better') at true improvements of 0.5–3 SE1, N units, new rule / old rule, in %."
    rows = [r for r in rows if r["N"] == n]
    mus = sorted({r["mu_se1"] for r in rows})
    out = [f"| S | r | " + " | ".join(f"{m:g} SE1" for m in mus) + " |", "|---|---|" + "---|" * len(mus)]
    for S in sorted({r["S"] for r in rows}):
        for ratio in sorted({r["ratio"] for r in rows}):
            cells = {r["mu_se1"]: r for r in rows if r["S"] == S and r["ratio"] == ratio}
            out.append(f"| {S} | {ratio:g} | " + " | ".join(
                f"{100 * cells[m]['across_seeds_better']:.0f} / {100 * cells[m]['old_rule_better']:.0f}"
                for m in mus) + " |")
    return out


def evidence_lines(rows: list) -> list[str]:
    "The committed comparisons whose verdict the pooled interval changes."
    changed = [r for r in rows if r["committed_verdict"] != r["pooled_new"]]
    out = [f"Of the {len(rows)} `across_seeds` comparisons committed at `small`, the pooled interval (without the "
           f"veto, which needs per-seed numbers the old files lack) changes {len(changed)}:", ""]
    out += [f"- `{r['paper']}/{r['claim']}`, {r['entry']}: {r['committed_verdict']} → {r['pooled_new']}"
            for r in changed]
    return out


def tables(result: dict) -> str:
    cal = result["calibration"]
    parts = [f"Run of {result['date']}: {result['sims']} simulated data sets per setting, `{result['command']}`, "
             f"{result['wall_s'] / 60:.1f} min wall. Settings over the 5 % bar among the kit's tests: "
             f"{', '.join(result['settings_over_bar']) or 'none'}.", "",
             "**Highest false-verdict rate of each of the kit's tests** (no effect; bar 5 % per direction, built "
             "for 2.5 %):", "", *worst_table(cal, KIT_TESTS), "",
             "**The same for the rules the kit does not use** (shown for contrast):", "",
             *worst_table(cal, CONTRASTS), "",
             "**Main grid** (normal units, no effect): 3 and 5 seeds, N units, r = seed-effect variance over one "
             "seed's squared unit SE:", "", *grid_table(cal), "",
             "**Power**, P(\"better\") in %, new rule / old rule, at 24 units, for a true improvement of 0.5 to 3 "
             "SE1 (the spread of one seed's improvement over seeds and test sets):", "",
             *power_table(result["power"]), "", *evidence_lines(result["evidence_power"])]
    return "\n".join(parts) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when docs/statistics.md's tables are out of date")
    args = ap.parse_args()
    text = tables(json.loads(RESULT.read_text()))
    if not args.check:
        sys.stdout.write(text); return 0
    doc = DOC.read_text()
    inside = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip() if BEGIN in doc and END in doc else None
    if inside != text.strip():
        print(f"{DOC} is out of date with {RESULT}: rerun this script and paste its output between the markers")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
