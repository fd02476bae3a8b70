"""What budget would decide the headline claims? A power plan from the committed `small` evidence.

    python benchmarks/claims_power.py            # writes benchmarks/results/claims_power.{json,md}

Every seeded comparison a headline claim rests on records its pooled improvement and the two parts of its standard
error (`se_units` from the test units, `se_seeds` from the seeds' spread). Taking the observed improvement as the
truth, this script asks how many test units N' (and seeds S') the pooled test of `kit.stats.across_seeds` needs to
call it with 80 % power: the unit part scales as N/N' (clusters grow with the units), the seed part as S/S' (the
seed-to-seed variance is held at its observed value, which also keeps the seed-by-unit noise: conservative), the
critical value is Cochran–Cox's with G'−1 and S'−1 degrees of freedom, and the power is the normal approximation
P(|improvement| / SE' > crit'). An effect measured on under-trained models is not the trained effect: read the plan
as "how many units and seeds this effect size needs", and redo it on the pilot's numbers.
"""
import json, math, sys
from pathlib import Path
from scipy.stats import norm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from paper_kit.kit.stats import cochran_cox  # noqa: E402

HEADLINE = {"visual_sound": ["fairplay_ours_beats_every_baseline", "visual_stream_is_essential",
                             "flipping_the_frame_hurts"],
            "ssl_pointcloud": ["cycle_losses_needed", "nn_improves"],
            "unicorn": ["swap_helps_every_category"]}
SEEDS, UNITS, POWER = (3, 5, 8), (12, 24, 36, 48, 96, 160, 200, 400, 800, 1600), 0.8
FIELDS = ("improvement", "se_units", "se_seeds", "n", "n_seeds", "n_clusters")


def seeded_entries(evidence: dict, label: str = ""):
    "Every across_seeds record in a claim's (nested) evidence, as (label, record)."
    if all(k in evidence for k in FIELDS):
        yield label, evidence; return
    for k, v in evidence.items():
        if isinstance(v, dict): yield from seeded_entries(v, f"{label} / {k}" if label else str(k))


def power(imp: float, su: float, ss: float, n: int, g: int, s: int, n2: int, s2: int) -> float:
    "Power of the pooled test at N' = n2 units, S' = s2 seeds, for the observed parts."
    vu, vs = su ** 2 * n / n2, ss ** 2 * s / s2
    g2 = max(2, round(g * n2 / n))
    crit = cochran_cox([(vu, g2 - 1), (vs, s2 - 1)])
    return float(norm.cdf(abs(imp) / math.sqrt(vu + vs) - crit))


def plan(r: dict) -> dict:
    "The observed parts, today's pooled verdict, and the fewest units that reach 80 % power at 3, 5 and 8 seeds."
    imp, su, ss, n, s, g = (float(r[k]) for k in FIELDS)
    n, s, g = int(n), int(s), int(g)
    crit = cochran_cox([(su ** 2, g - 1), (ss ** 2, s - 1)]) if s > 1 else cochran_cox([(su ** 2, g - 1)])
    se = math.hypot(su, ss)
    today = "better" if imp - crit * se > 0 else "worse" if imp + crit * se < 0 else "undecided"
    need = {f"units for 80 % at {s2} seeds": next((n2 for n2 in UNITS if power(imp, su, ss, n, g, s, n2, s2) >= POWER),
                                                  f"> {UNITS[-1]}") for s2 in SEEDS}
    return dict(improvement=imp, se_units=su, se_seeds=ss, n=n, n_seeds=s, pooled_verdict_now=today,
                direction="ours better" if imp > 0 else "ours worse", **need)


def main():
    rows = []
    for paper, claims in HEADLINE.items():
        for cid in claims:
            f = REPO/f"figures/{paper}/small/claims/{cid}.json"
            if not f.exists(): continue
            ev = json.loads(f.read_text())["evidence"]
            rows += [dict(paper=paper, claim=cid, comparison=lab, **plan(r)) for lab, r in seeded_entries(ev)]
    out = REPO/"benchmarks/results/claims_power.json"
    out.write_text(json.dumps(dict(source="figures/*/small/claims (committed)", power=POWER, rows=rows), indent=1))
    cols = ["paper", "claim", "comparison", "n", "n_seeds", "direction", "pooled_verdict_now",
            *[f"units for 80 % at {s} seeds" for s in SEEDS]]
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    (REPO/"benchmarks/results/claims_power.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
