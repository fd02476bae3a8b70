"""How many replicates and test pairs would Semantic Transfer's undecided `small` claims need?

Reads a committed result set's per-pair PCK (`figures/semantic_transfer/<set>/data/per_pair.csv`), decides each
paired comparison of the claims with the kit's own rule (`kit.stats.paired` per replicate, `across_seeds` over
them), and projects its standard error to S replicates and N test pairs a set: the unit part shrinks as 40 / N
(clusters grow with the pairs), the seed part as S0 / S, the critical value is the kit's Cochran-Cox value with
the projected degrees of freedom. A comparison is expected to be decided when |estimate| >= crit * SE. This is a
projection from the measured effect and spreads, not a promise: both are themselves estimated from S0 replicates.

The wall time of a design follows the committed run's measured parts: the data, the replicates trained side by
side on the two cores, and the evaluation, which grows with replicates x pairs.

    python benchmarks/power_semantic_transfer.py [--set small] [--data-s 122 --train-s 328 --eval-s 3.7]
"""
import argparse, math
from pathlib import Path
import numpy as np, pandas as pd
from paper_kit.kit import stats

ROOT = Path(__file__).resolve().parents[1]
# claim -> (baseline method, [(set, reference)], the direction the claim needs)
CLAIMS = {
    "beats_direct_on_spair_and_pix3d": ("Direct matcher (ours, HPF-like)", [("SPair-71k", "img"), ("Pix3D", "img")],
                                        "better"),
    "worse_than_direct_on_pf_pascal": ("Direct matcher (ours, HPF-like)", [("PF-PASCAL", "img")], "worse"),
    "viewpoint_from_rgb_helps": ("Ours w/o v.p. from RGB", [("PF-PASCAL", "img"), ("SPair-71k", "img"),
                                                           ("Pix3D", "img")], "better"),
    "finetune_helps_on_spair": ("Ours w/o v.p. fine-tune", [("SPair-71k", "img"), ("SPair-71k", "bbox")], "better"),
    "finetune_hurts_on_pf_pascal": ("Ours w/o v.p. fine-tune", [("PF-PASCAL", "img")], "worse"),
}
DESIGNS = [(3, 40), (5, 40), (3, 80), (5, 80), (8, 80), (8, 160), (12, 160), (16, 320)]


def seeded(df: pd.DataFrame, base: str, st: str, ref: str) -> stats.Seeded:
    "The kit's verdict on ours − base at one set and reference, paired per pair within each replicate."
    res = []
    for _, g in df[df.set == st].groupby("seed"):
        a = g[g.method == "Ours"].set_index("pair").sort_index()
        b = g[g.method == base].set_index("pair").sort_index()
        res.append(stats.paired(a[f"pck_{ref}"].values, b[f"pck_{ref}"].values, clusters=a.cluster.values,
                                lower_is_better=False))
    return stats.across_seeds(res)


def projected(r: stats.Seeded, S: int, N: int) -> float:
    "|estimate| / (crit * SE) at S replicates and N pairs: at least 1 means decided, in expectation."
    unit = (r.se_units ** 2 * r.n / N, (r.n_clusters - 1) * N / r.n)
    seed = (r.se_seeds ** 2 * r.n_seeds / S, S - 1)
    parts = [unit, seed]
    return abs(r.improvement) / (math.sqrt(unit[0] + seed[0]) * stats.cochran_cox(parts))


def minutes(S: int, N: int, a) -> float:
    "Wall minutes of a small run with S replicates and N pairs a set, from the committed run's parts."
    return (a.data_s + a.train_s * S + a.eval_s * S * N) / 60


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="small")
    ap.add_argument("--data-s", type=float, default=122, help="data step, s")
    ap.add_argument("--train-s", type=float, default=328, help="wall s per replicate, side by side on 2 cores")
    ap.add_argument("--eval-s", type=float, default=3.7, help="evaluation wall s per replicate and pair a set")
    a = ap.parse_args()
    df = pd.read_csv(ROOT/"figures/semantic_transfer"/a.set/"data/per_pair.csv")
    S0, N0 = df.seed.nunique(), df[df.set == "SPair-71k"].pair.nunique()
    print(f"# Power of `{a.set}` ({S0} replicates, {N0} pairs a set) and what would decide each claim\n")
    head = " | ".join(f"S{S} N{N}" for S, N in DESIGNS)
    print(f"| claim | comparison | estimate | seeds | se units | se seeds | verdict | {head} |")
    print("|" + "---|" * (7 + len(DESIGNS)))
    for claim, (base, comps, want) in CLAIMS.items():
        for st, ref in comps:
            r = seeded(df, base, st, ref)
            wrong = (r.improvement > 0) != (want == "better")
            cells = " | ".join("wrong sign" if wrong else f"{projected(r, S, N):.2f}" for S, N in DESIGNS)
            print(f"| {claim} | {st} α_{ref} | {r.improvement:+.3f} | "
                  f"{' / '.join(f'{x:+.3f}' for x in r.seed_improvements)} | {r.se_units:.3f} | {r.se_seeds:.3f} | "
                  f"{r.verdict} | {cells} |")
    print("\nCells: |estimate| / (critical value x projected SE); at least 1 means decided in expectation.")
    print("Wall minutes of each design on this host's parts: "
          + ", ".join(f"S{S} N{N} {minutes(S, N, a):.0f}" for S, N in DESIGNS))


if __name__ == "__main__":
    main()
