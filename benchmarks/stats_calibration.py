"""False-positive rates and power of paper_kit.kit.stats, by simulation at the sizes our papers use.

    OMP_NUM_THREADS=1 python benchmarks/stats_calibration.py             # 2000 data sets per setting, 2 processes
    OMP_NUM_THREADS=1 python benchmarks/stats_calibration.py --quick     # 200 per setting, a smoke run
    python benchmarks/stats_calibration.py --sims 5000 --jobs 2 --seed 0

Writes benchmarks/results/stats_calibration.json (every rate with its Monte Carlo standard error, the settings and the
machine) and benchmarks/results/stats_calibration.png. The full run took 9.0 min wall (249 s of CPU) on a shared
2-core machine (load average 7). Every false-positive rate comes from the library's own functions on simulated
per-unit numbers. Written here for comparison only: `old_rule`, the rule the library used before (every seed beyond
2 of its own SE, and the pooled improvement beyond 2·sqrt(se_units² + se_seeds²)), and `satterthwaite_t`,
across_seeds with the critical value t(Satterthwaite df) it had before Cochran–Cox. The power runs use
`across_seeds_vec`, a vectorised copy of `across_seeds`, and also pass their first CHECK data sets through the
library: the JSON counts the disagreements (0 expected). Each setting has its own random stream (from --seed and the
setting's name), so the output is the same whatever --jobs is.

Model (units shared by the seeds, as in our papers): the improvement of seed s on unit i (positive = ours better) is
    d_si = mu + a_s + c_g(i) + u_i + e_si,
a_s ~ N(0, var_a) the seed effect, c_g a cluster effect (e.g. 3 mixtures made from one solo clip), u_i a unit effect
shared by the seeds and e_si seed-by-unit noise; var_u + var_e = 1 with var_u = var_e unless said otherwise.
Seed-to-unit ratio r = var_a / V1, where V1 = var_c / G + (var_u + var_e) / N is the variance of ONE seed's mean
improvement over redraws of the test set (the squared unit SE of one seed). Effects for power are in units of
SE1 = sqrt(var_a + V1), the standard deviation of one seed's improvement over redraws of both seed and test set.
The unit numbers are normal, or standardised lognormal (sigma 1, skewness 6.2) where the setting says so.
Tests are called with lower_is_better=True (ours = 1 - d, base = 1), as for Chamfer and STFT distances.
Bars: under no effect, each verdict (the favourable one that would pass a claim, and the unfavourable one) at most 5 %;
the directional tests are built for 2.5 % each. Equivalence and non-inferiority are simulated at the edge of their
band or margin, where "comparable"/"non-inferior" is a false claim, and must stay at or below 2.5 % (bar 5 %).
"""
import argparse, json, math, os, platform, sys, time, warnings, zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np
import scipy
from scipy.special import expit
from scipy.stats import binom, t as student_t

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from paper_kit.kit import stats as st  # noqa: E402

BAR = 0.05                                  # each verdict's false-positive rate must stay at or below this
NOMINAL = st.ALPHA / 2                      # what each direction is built for
SEEDS, UNITS, RATIOS = (3, 5), (12, 24, 48, 96, 200), (0.1, 1, 5, 20)
EFFECTS = (0.5, 1, 2, 3)                    # power: mu in units of SE1
CHECK = 200                                 # power settings: data sets also run through the library
# test -> (favourable verdict: a claim would pass, unfavourable verdict)
FAVOUR = {"across_seeds": ("better", "worse"), "old_rule": ("better", "worse"),
          "satterthwaite_t": ("better", "worse"), "paired": ("better", "worse"),
          "paired_no_clusters": ("better", "worse"), "groups_across_seeds": ("larger", "smaller"),
          "two_groups": ("larger", "smaller"), "equivalence": ("comparable", "different"),
          "noninferior": ("non-inferior", "inferior"), "binomial": ("above chance", "below chance"),
          "mcnemar": ("better", "worse"), "mcnemar_consensus": ("better", "worse"), "fisher": ("better", "worse")}
# not the library's tests: the old rule, across_seeds with t(Satterthwaite df) (its previous critical value), and
# paired with the clusters left out
CONTRASTS = ("old_rule", "satterthwaite_t", "paired_no_clusters")

# ---------------------------------------------------------------- data

def lognormal(rng, shape, sigma: float = 1.0) -> np.ndarray:
    "Standardised lognormal noise: mean 0, variance 1, right-skewed."
    m, v = math.exp(sigma ** 2 / 2), (math.exp(sigma ** 2) - 1) * math.exp(sigma ** 2)
    return (np.exp(sigma * rng.standard_normal(shape)) - m) / math.sqrt(v)

def draw_seeded(rng, sims, S, N, mu=0.0, var_a=0.0, var_c=0.0, var_u=0.5, var_e=0.5, m=1, noise="normal"):
    "(sims, S, N) improvements d_si = mu + a_s + c_g + u_i + e_si and the cluster codes (None for m = 1)."
    sign = -1.0 if noise.startswith("-") else 1.0       # "-lognormal": the long tail on the side of "worse"
    z = rng.standard_normal if noise == "normal" else (lambda shape: sign * lognormal(rng, shape))
    codes = np.repeat(np.arange(N // m), m)
    d = mu + math.sqrt(var_a) * rng.standard_normal((sims, S, 1))
    d = d + math.sqrt(var_c) * rng.standard_normal((sims, 1, N // m))[..., codes]
    d = d + math.sqrt(var_u) * z((sims, 1, N)) + math.sqrt(var_e) * z((sims, S, N))
    return d, (None if m == 1 else codes)

def unit_var(N, var_c=0.0, var_u=0.5, var_e=0.5, m=1) -> float:
    "V1: variance of one seed's mean improvement over redraws of the test set."
    return var_c / (N // m) + (var_u + var_e) / N

# ---------------------------------------------------------------- the rule before this change, for comparison

def cr1(x: np.ndarray, codes) -> np.ndarray:
    "CR1 standard error of the mean over the last axis of `x` (..., N), clusters `codes` (N,) or None; vectorised."
    codes = np.arange(x.shape[-1]) if codes is None else codes
    G, n = int(codes.max()) + 1, x.shape[-1]
    sums = (x - x.mean(-1, keepdims=True)) @ np.eye(G)[codes]
    return np.sqrt(G / (G - 1) * (sums ** 2).sum(-1)) / n

def direction(est, se, crit) -> np.ndarray:
    "+1 (better) where est − crit·se > 0, −1 (worse) where est + crit·se < 0, else 0."
    return np.where(est - crit * se > 0, 1, np.where(est + crit * se < 0, -1, 0))

def old_rule(d: np.ndarray, codes=None, k: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    "(verdict (sims,), pooled se (sims,)) of the old across_seeds on d (sims, S, N): every seed and the pool > k SE."
    imp = d.mean(-1)                                                 # (sims, S)
    seeds = direction(imp, cr1(d, codes), k)                         # each seed's own paired verdict at k = 2
    se = np.hypot(cr1(d.mean(1), codes), imp.std(-1, ddof=1) / math.sqrt(d.shape[1]))
    pooled = direction(imp.mean(-1), se, k)
    same = (seeds == pooled[:, None]).all(-1)
    return np.where(same, pooled, 0), se

# ---------------------------------------------------------------- one setting: count the verdicts

def tally(counts: dict, test: str, verdict: str):
    counts.setdefault(test, {}); counts[test][verdict] = counts[test].get(verdict, 0) + 1

def across_seeds_vec(d: np.ndarray, codes=None, crit_rule: str = "cochran_cox") -> np.ndarray:
    """(sims,) verdicts +1/0/−1 of a vectorised copy of st.across_seeds on d (sims, S, N), for the power runs:
    per-seed t(G−1) verdicts, unit part V_u = CR1² of the seed-averaged d, seed part V_s = var/S, the critical value
    of Cochran and Cox (V-weighted mean of t(G−1) and t(S−1), as the library), the veto. crit_rule="satterthwaite"
    gives the library's previous critical value t(ν), ν = Satterthwaite's df, for comparison."""
    S, G = d.shape[1], d.shape[-1] if codes is None else int(codes.max()) + 1
    imp = d.mean(-1)
    c_units, c_seeds = st.critical(G - 1), st.critical(S - 1)
    seeds = direction(imp, cr1(d, codes), c_units)
    vu, vs = cr1(d.mean(1), codes) ** 2, imp.var(-1, ddof=1) / S
    total = vu + vs
    if crit_rule == "cochran_cox":
        crit = np.where(total > 0, (vu * c_units + vs * c_seeds) / np.where(total > 0, total, 1.0),
                        max(c_units, c_seeds))
    else:
        denom = np.where(vu > 0, vu ** 2 / (G - 1), 0.0) + np.where(vs > 0, vs ** 2 / (S - 1), 0.0)
        df = np.where(denom > 0, total ** 2 / np.where(denom > 0, denom, 1.0), min(G - 1, S - 1))
        crit = student_t.ppf(1 - st.ALPHA / 2, df)
    pooled = direction(imp.mean(-1), np.sqrt(total), crit)
    veto = (pooled != 0) & (seeds == -pooled[:, None]).any(-1)
    return np.where(veto, 0, pooled)

WORD = {1: "better", -1: "worse", 0: "undecided"}

def run_seeded(p, rng, sims) -> dict:
    """across_seeds, old_rule and satterthwaite_t (kind 'edge': equivalence or noninferior on the across_seeds
    result). Calibration settings call the library on every data set; power settings ('fast') use across_seeds_vec,
    and call the library on the first CHECK data sets only, to count disagreements between the two (expected 0)."""
    d, codes = draw_seeded(rng, sims, p["S"], p["N"], p["mu"], p["var_a"], p.get("var_c", 0.0), p.get("var_u", 0.5),
                           p.get("var_e", 0.5), p.get("m", 1), p.get("noise", "normal"))
    seeded = p["S"] > 1 and not p.get("edge")
    counts = {"across_seeds": {}, "old_rule": {}, "satterthwaite_t": {}} if seeded else {}
    base, worst = np.ones(p["N"]), 0.0
    if seeded:
        old, old_se = old_rule(d, codes)
        vec, satt = across_seeds_vec(d, codes), across_seeds_vec(d, codes, "satterthwaite")
        for k in range(sims):
            tally(counts, "old_rule", WORD[int(old[k])]); tally(counts, "satterthwaite_t", WORD[int(satt[k])])
        if p.get("fast"):
            for k in range(sims): tally(counts, "across_seeds", WORD[int(vec[k])])
    n_lib, disagree = (min(sims, CHECK) if p.get("fast") else sims), 0
    for k in range(n_lib):
        ps = [st.paired(base - d[k, s], base, clusters=codes, lower_is_better=True) for s in range(p["S"])]
        r = st.across_seeds(ps) if p["S"] > 1 else ps[0]
        if p.get("edge") == "equivalence": tally(counts, "equivalence", st.equivalence(r, band=p["band"]).verdict)
        elif p.get("edge") == "noninferior": tally(counts, "noninferior", st.noninferior(r, margin=p["band"]).verdict)
        else:
            if not p.get("fast"): tally(counts, "across_seeds" if p["S"] > 1 else "paired", r.verdict)
            disagree += r.verdict != WORD[int(vec[k])]
            worst = max(worst, abs(r.se - old_se[k]) / old_se[k])
    if not seeded: return dict(counts=counts)
    return dict(counts=counts, checked_vs_library=n_lib, disagreements=disagree, pooled_se_max_rel_diff=worst)

def run_paired(p, rng, sims) -> dict:
    "One seed, G clusters of m units with a cluster effect: paired with and without its clusters."
    d, codes = draw_seeded(rng, sims, 1, p["G"] * p["m"], var_c=p["var_c"], m=p["m"])
    counts, base = {}, np.ones(d.shape[-1])
    for k in range(sims):
        tally(counts, "paired", st.paired(base - d[k, 0], base, clusters=codes).verdict)
        tally(counts, "paired_no_clusters", st.paired(base - d[k, 0], base).verdict)
    return dict(counts=counts)

def gauss_mean_expit(z: np.ndarray, sd: float) -> np.ndarray:
    "E_a[expit(z + a)] for a ~ N(0, sd²), by Gauss–Hermite quadrature."
    x, w = np.polynomial.hermite_e.hermegauss(40)
    return (expit(z[..., None] + sd * x) * w).sum(-1) / math.sqrt(2 * math.pi)

def run_binary(p, rng, sims) -> dict:
    """0/1 correctness of ours (S seeds) and a baseline (one run) on the same N units: per seed paired then
    across_seeds (the pooled McNemar route), and the strict consensus of exact per-seed McNemar tests. Unit logit
    z_i ~ N(1, 1.5²), seed logit shift a_s ~ N(0, sd_seed²); the baseline's hit probability on unit i is E_a
    expit(z_i + a), so that ours and the baseline have exactly the same expected correctness on every unit."""
    S, N = p["S"], p["N"]
    z = rng.normal(1.0, 1.5, (sims, N))
    base = rng.random((sims, N)) < gauss_mean_expit(z, p["sd_seed"])
    ours = rng.random((sims, S, N)) < expit(z[:, None] + p["sd_seed"] * rng.standard_normal((sims, S, 1)))
    counts = {}
    for k in range(sims):
        b = base[k].astype(float)
        ps = [st.paired(ours[k, s].astype(float), b, lower_is_better=False) for s in range(S)]
        tally(counts, "across_seeds", st.across_seeds(ps).verdict)
        tally(counts, "mcnemar_consensus", st.consensus([st.mcnemar(ours[k, s], base[k]) for s in range(S)]).verdict)
    return dict(counts=counts)

def run_exact(p, rng, sims) -> dict:
    "One seed, no seed effect: exact McNemar on paired 0/1 outcomes, Fisher on two independent groups of trials."
    counts = {}
    if p["test"] == "mcnemar":
        q = expit(rng.normal(1.0, 1.5, (sims, p["N"])))
        a, b = rng.random(q.shape) < q, rng.random(q.shape) < q
        for k in range(sims): tally(counts, "mcnemar", st.mcnemar(a[k], b[k]).verdict)
    else:
        xa, xb = rng.binomial(p["na"], p["rate"], sims), rng.binomial(p["nb"], p["rate"], sims)
        for k in range(sims): tally(counts, "fisher", st.fisher(int(xa[k]), p["na"], int(xb[k]), p["nb"]).verdict)
    return dict(counts=counts)

def run_groups(p, rng, sims) -> dict:
    """Two groups of units (na, nb), S seeds: y_si = u_i + e_si (sd_b times larger in group b), a seed-by-group effect
    b_s on group a only, var_b = ratio·(1/na + sd_b²/nb). Equal means: groups_across_seeds (two_groups at S = 1)."""
    S, na, nb, sb = p["S"], p["na"], p["nb"], p["sd_b"]
    var_b = p["ratio"] * (1 / na + sb ** 2 / nb)
    draw = lambda n, sd: sd * math.sqrt(0.5) * (rng.standard_normal((sims, 1, n)) + rng.standard_normal((sims, S, n)))
    ya = draw(na, 1.0) + math.sqrt(var_b) * rng.standard_normal((sims, S, 1))
    yb = draw(nb, sb)
    counts = {}
    for k in range(sims):
        rs = [st.two_groups(ya[k, s], yb[k, s]) for s in range(S)]
        tally(counts, "groups_across_seeds" if S > 1 else "two_groups",
              (st.groups_across_seeds(rs) if S > 1 else rs[0]).verdict)
    return dict(counts=counts)

def run_binomial(p, rng, sims) -> dict:
    """Exact rates by enumeration (probability of each verdict, no Monte Carlo) when het = 0; with het > 0 the trials'
    own chance rates vary, p_i ~ Beta with mean p0 and concentration het, and the test is against mean(p_i)."""
    n, p0, alt = p["n"], p["p0"], p["alternative"]
    if not p.get("het"):
        pmf = binom.pmf(np.arange(n + 1), n, p0)
        probs = {}
        for x in range(n + 1):
            v = st.binomial(x, n, p0, alternative=alt).verdict
            probs[v] = probs.get(v, 0.0) + float(pmf[x])
        return dict(probs=probs)
    pi = rng.beta(p["het"] * p0, p["het"] * (1 - p0), (sims, n))
    hits = (rng.random((sims, n)) < pi).sum(-1)
    counts = {}
    for k in range(sims):
        tally(counts, "binomial", st.binomial(int(hits[k]), n, float(pi[k].mean()), alternative=alt).verdict)
    return dict(counts=counts)

RUNNERS = {"seeded": run_seeded, "edge": run_seeded, "paired": run_paired, "binary": run_binary, "exact": run_exact,
           "groups": run_groups, "binomial": run_binomial}

def run(args) -> dict:
    "Run one setting in its own random stream; FewClustersWarning silenced (we know the clusters are few)."
    setting, sims, seed = args
    rng = np.random.default_rng([seed, zlib.crc32(setting["id"].encode())])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.FewClustersWarning)
        out = RUNNERS[setting["kind"]](setting, rng, sims)
    return dict(setting, sims=sims, seconds=round(time.perf_counter() - t0, 2), **out)

# ---------------------------------------------------------------- the settings

def seeded(group, S, N, ratio, mu_se1=0.0, m=1, var_c=0.0, share=0.5, noise="normal", **extra) -> dict:
    "A setting of the d_si model from (S, N, ratio r, effect in SE1, clusters of m with var_c, shared unit share)."
    var_u, var_e = share, 1 - share
    v1 = unit_var(N, var_c, var_u, var_e, m)
    var_a = ratio * v1
    se1 = math.sqrt(var_a + v1)
    sid = f"{group} S={S} N={N} r={ratio}" + (f" m={m} var_c={var_c}" if m > 1 else "") + \
        (f" share={share}" if share != 0.5 else "") + (f" {noise}" if noise != "normal" else "") + \
        (f" mu={mu_se1}SE1" if mu_se1 else "")
    return dict(id=sid, group=group, kind="seeded", S=S, N=N, ratio=ratio, m=m, var_c=var_c, var_u=var_u,
                var_e=var_e, noise=noise, var_a=var_a, mu=mu_se1 * se1, mu_se1=mu_se1, se1=se1, **extra)

def settings() -> list[dict]:
    "Every setting, in the order of the report."
    out = [seeded("grid", S, N, r) for S in SEEDS for N in UNITS for r in RATIOS]
    out += [seeded("clustered", 3, 3 * G, r, m=3, var_c=1.0) for G in (5, 12, 40) for r in (1, 5)]
    out += [seeded("seed-dominated", S, 24, 100) for S in SEEDS]
    out += [seeded("skewed", 3, N, r, noise=z) for z in ("lognormal", "-lognormal") for N in (12, 24, 96)
            for r in (0.1, 1, 5)]
    out += [seeded("share", 3, 24, 1, share=s) for s in (0.0, 1.0)]
    for S in (1, 3, 5):
        for N in (24, 96):
            for r in ((0,) if S == 1 else (1, 5)):
                for mult in (2, 5):
                    for edge in ("equivalence", "noninferior"):
                        s = seeded("edge", S, N, r)
                        se = math.sqrt(s["var_a"] / S + s["var_u"] / N + s["var_e"] / (N * S))  # true SE of the pool
                        band = mult * se
                        s.update(id=f"{edge} S={S} N={N} r={r} band={mult}SE", kind="edge", edge=edge, band=band,
                                 band_se=mult, mu=-band)  # d = improvement = −diff
                        out.append(s)
    out += [dict(id=f"paired G={G} m=3", group="paired", kind="paired", G=G, m=3, var_c=1.0) for G in (5, 10, 12, 40)]
    out += [dict(id=f"groups S={S} na={na} nb={nb} r={r} sd_b={sb}", group="groups", kind="groups", S=S, na=na, nb=nb,
                 ratio=r, sd_b=sb)
            for S, na, nb, r, sb in [(1, 12, 12, 0, 1), (1, 8, 40, 0, 3), (3, 12, 12, 1, 1), (3, 12, 12, 5, 1),
                                     (3, 8, 40, 1, 3), (3, 48, 48, 1, 1), (3, 48, 48, 20, 1), (5, 24, 24, 5, 1)]]
    out += [dict(id=f"binary S={S} N={N} sd_seed={sd}", group="binary", kind="binary", S=S, N=N, sd_seed=sd)
            for S in (3, 5) for N in (24, 96, 200) for sd in (0.2, 0.8)]
    out += [dict(id=f"mcnemar N={N}", group="exact", kind="exact", test="mcnemar", N=N) for N in (24, 96)]
    out += [dict(id=f"fisher na={a} nb={b} rate=0.3", group="exact", kind="exact", test="fisher", na=a, nb=b, rate=0.3)
            for a, b in ((20, 20), (10, 40), (40, 40))]
    out += [dict(id=f"binomial n={n} p0={p0} {alt}", group="binomial", kind="binomial", n=n, p0=p0, alternative=alt)
            for alt in ("greater", "two-sided") for n in (20, 40, 100, 400) for p0 in (0.1, 0.25, 0.5)]
    out += [dict(id=f"binomial n={n} p0={p0} greater het=2", group="binomial", kind="binomial", n=n, p0=p0,
                 alternative="greater", het=2) for n, p0 in ((40, 0.25), (100, 0.1))]
    return out

def power_settings() -> list[dict]:
    return [seeded("power", S, N, r, mu_se1=e, fast=True) for S in SEEDS for N in UNITS for r in RATIOS
            for e in EFFECTS]

def evidence_settings(pattern: str = "figures/*/small/claims/*.json") -> list[dict]:
    """One setting per across_seeds result in the committed claims: the observed parts taken as the truth, i.e.
    var_a = S·se_seeds², var_c (G clusters of n/G units) = G·se_units², no seed-by-unit noise; mu = the improvement.
    Results with se_units = se_seeds = 0 (identical numbers) are left out."""
    def walk(x, path):
        if isinstance(x, dict) and "se_seeds" in x and "se_units" in x: yield path, x
        elif isinstance(x, dict):
            for k, v in x.items(): yield from walk(v, path + [str(k)])
    out = []
    for f in sorted(REPO.glob(pattern)):
        claim = json.loads(f.read_text())
        for path, e in walk(claim.get("evidence", {}), []):
            S, n, G = e["n_seeds"], e["n"], e.get("n_clusters", e["n"])
            scale = math.hypot(e["se_units"], e["se_seeds"])
            if S < 2 or not scale or n % G: continue
            out.append(dict(id=f"evidence {f.parts[-4]}/{claim['id']}/{'/'.join(path)}", group="evidence",
                            kind="seeded", fast=True, S=S, N=n, m=n // G, var_a=S * (e["se_seeds"] / scale) ** 2,
                            var_c=G * (e["se_units"] / scale) ** 2, var_u=0.0, var_e=0.0,
                            mu=e["improvement"] / scale, paper=f.parts[-4], claim=claim["id"], entry="/".join(path),
                            improvement=e["improvement"], se_units=e["se_units"], se_seeds=e["se_seeds"],
                            n_clusters=G, committed_verdict=e.get("verdict"),
                            pooled_new=pooled_verdict(e["improvement"], e["se_units"], e["se_seeds"], G, S)))
    return out

def pooled_verdict(imp, se_u, se_s, G, S) -> str:
    "The new rule's pooled interval on committed summary numbers (no veto: the per-seed t(G−1) verdicts are unknown)."
    crit = st.cochran_cox([(se_u ** 2, G - 1), (se_s ** 2, S - 1)])
    return {1: "better", -1: "worse", 0: "undecided"}[int(direction(imp, math.hypot(se_u, se_s), crit))]

# ---------------------------------------------------------------- tables

def rate(count: float, sims: int) -> tuple[float, float]:
    p = count / sims
    return round(p, 5), round(math.sqrt(p * (1 - p) / sims), 5)

def calibration_rows(res: list[dict]) -> list[dict]:
    "One row per (setting, test): favourable and unfavourable false-positive rates, MC SE, within the bar or not."
    rows = []
    for r in res:
        for test, counts in (r.get("counts") or {"binomial": r["probs"]}).items():
            fav, unfav = FAVOUR[test]
            exact = "probs" in r
            (pf, sf), (pu, su) = ((round(counts.get(v, 0.0), 5), 0.0) if exact else rate(counts.get(v, 0), r["sims"])
                                  for v in (fav, unfav))
            rows.append(dict(test=test, setting=r["id"], group=r["group"], favourable=fav, fav_rate=pf, fav_mcse=sf,
                             unfavourable=unfav, unfav_rate=pu, unfav_mcse=su, sims=None if exact else r["sims"],
                             within_bar=pf <= BAR and pu <= BAR, contrast=test in CONTRASTS,
                             above_nominal=pf - 2 * sf > NOMINAL or pu - 2 * su > NOMINAL))
    return rows

def max_by_test(cal) -> dict:
    "Per test, the largest favourable and unfavourable rate over its settings, and where."
    out = {}
    for test in dict.fromkeys(r["test"] for r in cal):
        rows = [r for r in cal if r["test"] == test]
        f, u = max(rows, key=lambda r: r["fav_rate"]), max(rows, key=lambda r: r["unfav_rate"])
        out[test] = dict(settings=len(rows), max_fav_rate=f["fav_rate"], max_fav_at=f["setting"],
                         max_unfav_rate=u["unfav_rate"], max_unfav_at=u["setting"])
    return out

def power_rows(res: list[dict]) -> list[dict]:
    rows = []
    for r in res:
        row = {k: r[k] for k in ("id", "S", "N", "ratio", "mu_se1", "mu", "se1") if k in r}
        for k in ("paper", "claim", "entry", "improvement", "se_units", "se_seeds", "n_clusters", "committed_verdict",
                  "pooled_new"):
            if k in r: row[k] = r[k]
        for test in ("across_seeds", "old_rule", "satterthwaite_t"):
            c = r["counts"][test]
            row[f"{test}_better"], row[f"{test}_better_mcse"] = rate(c.get("better", 0), r["sims"])
            row[f"{test}_worse"] = rate(c.get("worse", 0), r["sims"])[0]
        rows.append(row)
    return rows

def print_tables(cal, pw, ev):
    print(f"\n{'test':20s} {'setting':42s} {'favourable':>16s} {'unfavourable':>16s}")
    for r in cal:
        flag = "" if r["within_bar"] else "  <-- OVER 5 %"
        flag += "  (above 2.5 % by > 2 MC SE)" if r["above_nominal"] and r["within_bar"] else ""
        print(f"{r['test']:20s} {r['setting']:42s} {100 * r['fav_rate']:7.2f}±{100 * r['fav_mcse']:4.2f} % "
              f"{100 * r['unfav_rate']:7.2f}±{100 * r['unfav_mcse']:4.2f} %{flag}")
    print("\npower, P(better) in %, new across_seeds / old rule / t(Satterthwaite df), at a true improvement of")
    print(f"{'':45s}" + "".join(f"{e:>13g} SE1" for e in EFFECTS))
    for S in SEEDS:
        for N in UNITS:
            for ratio in RATIOS:
                rs = [r for r in pw if (r["S"], r["N"], r["ratio"]) == (S, N, ratio)]
                print(f"  S={S} N={N:3d} r={ratio:<4g} {'':26s}" + "".join(
                    f" {100 * r['across_seeds_better']:6.1f}/{100 * r['old_rule_better']:4.1f}/"
                    f"{100 * r['satterthwaite_t_better']:4.1f}" for r in rs))
    print("\npower at the committed evidence (observed effect taken as true), P(verdict in the observed direction) %:")
    for r in ev:
        sign = "better" if r["mu"] > 0 else "worse"
        print(f"  {r['paper'][:8]:8s} {r['claim'][:34]:34s} {r['entry'][:36]:36s} eff/se={r['mu']:6.2f} "
              f"new {100 * r['across_seeds_' + sign]:5.1f} old {100 * r['old_rule_' + sign]:5.1f}  "
              f"committed {r['committed_verdict']}, new pooled {r['pooled_new']}")

# ---------------------------------------------------------------- plot

COLOURS = dict(zip(RATIOS, ("tab:blue", "tab:orange", "tab:green", "tab:red")))

def units_axis(a, ylabel: str, title: str, ylim):
    "Units N as evenly spaced categories, and the 2.5 % and 5 % lines when the axis is a false-positive rate."
    a.set_xticks(range(len(UNITS)), [str(n) for n in UNITS])
    a.set(xlabel="test units N", ylabel=ylabel, title=title, ylim=ylim)

def plot_null(a, cal, test: str, title: str):
    "False 'better' rate against N, one line per (S, ratio), ±2 MC SE."
    for S, ls in zip(SEEDS, ("-", "--")):
        for ratio in RATIOS:
            rs = [next(r for r in cal if r["test"] == test and r["setting"] == f"grid S={S} N={n} r={ratio}")
                  for n in UNITS]
            a.errorbar(np.arange(len(UNITS)) + (0.05 if S == 5 else -0.05), [100 * r["fav_rate"] for r in rs],
                       [200 * r["fav_mcse"] for r in rs], ls=ls, marker="o", ms=4, color=COLOURS[ratio], capsize=2,
                       label=f"S={S}, r={ratio}")
    a.axhline(100 * NOMINAL, color="grey", lw=1); a.axhline(100 * BAR, color="k", lw=1, ls=":")
    units_axis(a, 'false "better" %  (±2 MC SE)', title, (0, 10)); a.legend(fontsize=7, ncol=2, loc="upper left")

def plot_power_curve(a, cal, pw, S=3, N=24):
    "P('better') against the true effect (0 = the null setting) at one (S, N), new and old rule."
    for ratio in RATIOS:
        for test, ls in (("across_seeds", "-"), ("old_rule", ":")):
            null = next(c["fav_rate"] for c in cal
                        if c["test"] == test and c["setting"] == f"grid S={S} N={N} r={ratio}")
            rs = [r for r in pw if (r["S"], r["N"], r["ratio"]) == (S, N, ratio)]
            a.plot([0, *EFFECTS], [100 * null] + [100 * r[f"{test}_better"] for r in rs], ls=ls, marker="o", ms=4,
                   color=COLOURS[ratio], label=f"{'new' if test == 'across_seeds' else 'old'}, r={ratio}")
    a.set(xlabel="true improvement / SE1 (SE1: SD of one seed's improvement)", ylabel='P("better") %',
          title=f"power, S={S} seeds, N={N} units (dotted: old rule)", ylim=(0, 100))
    a.legend(fontsize=7, ncol=2)

def plot_power_units(a, pw, effect=2):
    "P('better') against N at one effect, every (S, ratio); dotted: the old rule."
    for S, mk in zip(SEEDS, ("o", "s")):
        for ratio in RATIOS:
            rs = [next(r for r in pw if (r["S"], r["N"], r["ratio"], r["mu_se1"]) == (S, n, ratio, effect))
                  for n in UNITS]
            x = np.arange(len(UNITS))
            a.plot(x, [100 * r["across_seeds_better"] for r in rs], marker=mk, ms=4, color=COLOURS[ratio],
                   ls="-" if S == 3 else "--", label=f"new S={S} r={ratio}")
            a.plot(x, [100 * r["old_rule_better"] for r in rs], marker=mk, ms=4, ls=":", color=COLOURS[ratio],
                   mfc="none")
    units_axis(a, 'P("better") %', f"power at a true improvement of {effect} SE1 (dotted: old rule)", (0, 100))
    a.legend(fontsize=7, ncol=2)

def families(cal) -> list[tuple[str, list]]:
    "The calibration rows outside the main grid, grouped for the strip plot."
    pick = lambda f: [r for r in cal if f(r)]
    return [("across_seeds, seed-dominated r=100", pick(lambda r: r["group"] == "seed-dominated"
                                                        and r["test"] == "across_seeds")),
            ("old rule, seed-dominated r=100", pick(lambda r: r["group"] == "seed-dominated"
                                                    and r["test"] == "old_rule")),
            ("t(Satterthwaite df) instead (previous), grid", pick(lambda r: r["group"] == "grid"
                                                                  and r["test"] == "satterthwaite_t")),
            ("across_seeds, clustered (3 per clip)", pick(lambda r: r["group"] == "clustered"
                                                          and r["test"] == "across_seeds")),
            ("across_seeds, lognormal units", pick(lambda r: r["group"] == "skewed" and r["test"] == "across_seeds")),
            ("across_seeds, shared unit share 0 / 1", pick(lambda r: r["group"] == "share"
                                                           and r["test"] == "across_seeds")),
            ("across_seeds on 0/1 (McNemar route)", pick(lambda r: r["group"] == "binary"
                                                         and r["test"] == "across_seeds")),
            ("consensus of exact McNemar", pick(lambda r: r["test"] == "mcnemar_consensus")),
            ("paired, clustered SE, t(G-1)", pick(lambda r: r["test"] == "paired")),
            ("paired, clusters left out (misuse)", pick(lambda r: r["test"] == "paired_no_clusters")),
            ("groups_across_seeds / two_groups", pick(lambda r: r["group"] == "groups")),
            ("equivalence at the band edge", pick(lambda r: r["test"] == "equivalence")),
            ("noninferior at the margin", pick(lambda r: r["test"] == "noninferior")),
            ("mcnemar / fisher, one seed", pick(lambda r: r["test"] in ("mcnemar", "fisher"))),
            ("binomial 'greater' (exact)", pick(lambda r: r["test"] == "binomial" and "greater" in r["setting"]
                                                and "het" not in r["setting"])),
            ("binomial 'two-sided' (exact)", pick(lambda r: "two-sided" in r["setting"])),
            ("binomial, varying trial rates", pick(lambda r: "het" in r["setting"]))]

def plot_strip(a, cal):
    "Every other setting's favourable and unfavourable false-verdict rate, one row per family of settings."
    rng = np.random.default_rng(0)
    for y, (_, rows) in enumerate(families(cal)):
        for key, c, dy in (("fav_rate", "tab:red", -0.15), ("unfav_rate", "tab:blue", 0.15)):
            a.scatter([100 * r[key] for r in rows], y + dy + rng.uniform(-0.08, 0.08, len(rows)), s=10, color=c,
                      alpha=0.7, label=None if y else ("favourable (claim passes)" if key == "fav_rate"
                                                       else "unfavourable"))
    names = [name for name, _ in families(cal)]
    a.set_yticks(range(len(names)), names, fontsize=8); a.invert_yaxis()
    a.axvline(100 * NOMINAL, color="grey", lw=1); a.axvline(100 * BAR, color="k", lw=1, ls=":")
    a.set(xlabel="false verdict %  (one dot per setting)", title="other tests: no effect, or at the band edge")
    a.legend(fontsize=7, loc="lower right")

def plot_evidence(a, ev):
    "Power at the committed effects: P(verdict in the observed direction) against |effect| / pooled SE."
    x = np.array([abs(r["mu"]) for r in ev])
    sign = ["better" if r["mu"] > 0 else "worse" for r in ev]
    a.scatter(x, [100 * r[f"across_seeds_{s}"] for r, s in zip(ev, sign)], s=14, label="new across_seeds")
    a.scatter(x, [100 * r[f"old_rule_{s}"] for r, s in zip(ev, sign)], s=14, marker="x", label="old rule")
    a.set(xscale="symlog", xlabel="|observed improvement| / sqrt(se_units² + se_seeds²)", ylim=(-2, 102),
          ylabel="P(verdict in the observed direction) %",
          title=f"power at {len(ev)} committed effects (as if true)")
    a.legend(fontsize=8)

def plot(cal, pw, ev, path: Path):
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(2, 3, figsize=(19, 11))
    plot_null(ax[0, 0], cal, "across_seeds", "new across_seeds, no effect: false \"better\"")
    plot_null(ax[0, 1], cal, "old_rule", "old rule (every seed and pool > 2 SE), no effect")
    plot_power_curve(ax[0, 2], cal, pw)
    plot_power_units(ax[1, 0], pw)
    plot_strip(ax[1, 1], cal)
    if ev: plot_evidence(ax[1, 2], ev)
    fig.suptitle(f"paper_kit.kit.stats by simulation: grey line {100 * NOMINAL:g} % (built for), dotted "
                 f"{100 * BAR:g} % (bar); r = var(seed effect) / (one seed's unit SE)²", fontsize=11)
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)

# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sims", type=int, default=2000, help="simulated data sets per setting")
    ap.add_argument("--quick", action="store_true", help="200 per setting")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-evidence", action="store_true", help="skip the power at the committed claims' effects")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/stats_calibration.json"))
    a = ap.parse_args()
    sims, t0 = (200 if a.quick else a.sims), time.time()
    cal_s, pw_s, ev_s = settings(), power_settings(), ([] if a.no_evidence else evidence_settings())
    todo = cal_s + pw_s + ev_s
    print(f"{len(todo)} settings x {sims} simulations, {a.jobs} processes", flush=True)
    with ProcessPoolExecutor(a.jobs) as ex:
        res = list(ex.map(run, [(s, sims, a.seed) for s in todo], chunksize=1))
    res_cal, res_pw, res_ev = res[:len(cal_s)], res[len(cal_s):len(cal_s) + len(pw_s)], res[len(cal_s) + len(pw_s):]
    cal, pw, ev = calibration_rows(res_cal), power_rows(res_pw), power_rows(res_ev)
    print_tables(cal, pw, ev)
    over = [f"{r['test']}: {r['setting']}" for r in cal if not r["within_bar"] and not r["contrast"]]
    over_contrasts = [f"{r['test']}: {r['setting']}" for r in cal if not r["within_bar"] and r["contrast"]]
    out = Path(a.out); out.parent.mkdir(exist_ok=True)
    png = out.with_suffix(".png")
    plot(cal, pw, ev, png)
    wall = round(time.time() - t0, 1)
    cpu = sum(getattr(os.times(), k) for k in ("user", "system", "children_user", "children_system"))
    info = dict(python=platform.python_version(), numpy=np.__version__, scipy=scipy.__version__,
                platform=platform.platform(), cpu_count=os.cpu_count(), jobs=a.jobs,
                omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                load_average_1_5_15min=[round(x, 2) for x in os.getloadavg()])
    doc = dict(
        date=time.strftime("%Y-%m-%d %H:%M:%S"), machine=info,
        command=" ".join(["python", *sys.argv]), cpu_s=round(cpu, 1),
        sims=sims, seed=a.seed, wall_s=wall, alpha=st.ALPHA, nominal_per_direction=NOMINAL, bar=BAR,
        conventions=dict(
            model="d_si = mu + a_s + c_g(i) + u_i + e_si (improvement, positive = ours better; units shared by seeds)",
            unit_noise="var_u + var_e = 1; var_u = var_e = 0.5 unless share = var_u is given; clusters: var_c = 1",
            ratio="r = var_a / V1, V1 = var_c/G + (var_u + var_e)/N = variance of one seed's mean improvement over "
                  "test-set redraws (its squared unit SE)",
            effect="mu in units of SE1 = sqrt(var_a + V1), the SD of one seed's improvement over seed and test set",
            edge="equivalence: true ours - base difference = +band; noninferior: true improvement = -margin; "
                 "band = margin = band_se x the true SE of the pooled mean",
            binary="unit logit z ~ N(1, 1.5²), seed logit shift ~ N(0, sd_seed²); baseline hit prob = E_a expit(z+a)",
            groups="y = u + e per unit (group b sd_b times larger), seed effect on group a only, var = r·(1/na + "
                   "sd_b²/nb)",
            evidence="per committed across_seeds result: var_a = S·se_seeds², cluster var = G·se_units², no "
                     "seed-by-unit noise, mu = improvement (all divided by sqrt(se_units² + se_seeds²))",
            binomial="het=0: exact probabilities by enumeration (mcse 0); het>0: trial rates ~ Beta(mean p0, "
                     "concentration het), tested against their mean"),
        settings_over_bar=over, contrasts_over_bar=over_contrasts, max_by_test=max_by_test(cal), calibration=cal,
        power=pw, evidence_power=ev,
        checks=dict(
            note="across_seeds_vec (power runs) against the library's across_seeds on the same data sets, and the "
                 "old rule's pooled SE (script) against the library's Seeded.se (same formula)",
            data_sets_checked=sum(r.get("checked_vs_library", 0) for r in res),
            verdict_disagreements=sum(r.get("disagreements", 0) for r in res),
            pooled_se_max_rel_diff=max(r.get("pooled_se_max_rel_diff", 0.0) for r in res)),
        seconds_per_setting={r["id"]: r["seconds"] for r in res})
    out.write_text(json.dumps(doc, indent=1))
    print(f"\nlibrary tests over the {100 * BAR:g} % bar: {len(over)}" + (": " + "; ".join(over) if over else ""))
    print(f"contrasts (old rule, t(Satterthwaite), clusters left out) over it: {len(over_contrasts)}")
    if doc["checks"]["verdict_disagreements"]:
        print(f"WARNING: across_seeds_vec disagrees with the library on {doc['checks']['verdict_disagreements']} of "
              f"{doc['checks']['data_sets_checked']} data sets: the power numbers are not the library's")
    print(f"written {out} and {png} in {wall} s ({cpu:.0f} s of CPU)")

if __name__ == "__main__":
    main()
