"Tests for paper_kit.kit.stats: naive references (loops, brute-force sums), calibration by simulation, error cases."
import dataclasses, inspect, json, math, warnings
import numpy as np
import pytest
from paper_kit.kit.stats import (
    ALPHA, FEW_CLUSTERS, VERDICTS, FewClustersWarning, across_seeds, binomial,
    claim_status, clustered_se, consensus, critical, equivalence, equivalent, equivalent_ratio, estimate, fisher,
    groups_across_seeds, mcnemar, noninferior, paired, sanity_gate, satterthwaite, two_groups, undecided_reasons)

no_few_warning = pytest.mark.filterwarnings("ignore::paper_kit.kit.stats.FewClustersWarning")


# ---------- naive references (pure Python, from the definitions) ----------
def naive_clustered_se(d, clusters):
    "CR1 SE of mean(d): residuals summed per cluster by a loop, SE² = G/(G−1)·Σ_g(Σ_i r_i)²/N²."
    n = len(d); mean = sum(d) / n
    sums = {}
    for di, g in zip(d, clusters): sums[g] = sums.get(g, 0.0) + (di - mean)
    G = len(sums)
    return math.sqrt(G / (G - 1) * sum(s * s for s in sums.values()) / n ** 2)

def naive_var(x):
    "Sample variance (ddof=1) by loops."
    m = sum(x) / len(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)

def naive_se(d):
    "Ordinary SE of the mean, sqrt(var/N)."
    return math.sqrt(naive_var(d) / len(d))

def naive_welch(a, b):
    "Textbook Welch: SE² = s_a²/n_a + s_b²/n_b, df = SE⁴ / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1))."
    va, vb = naive_var(a) / len(a), naive_var(b) / len(b)
    return math.sqrt(va + vb), (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))

def naive_satterthwaite(vu, du, vs, ds):
    return (vu + vs) ** 2 / (vu ** 2 / du + vs ** 2 / ds)

def binom_pmf(j, n, p): return math.comb(n, j) * p ** j * (1 - p) ** (n - j)

def naive_binom_p(x, n, p, alternative):
    "Exact binomial p-value by summing the pmf: tails, or (two-sided) every outcome no more likely than x."
    if alternative == "greater": return sum(binom_pmf(j, n, p) for j in range(x, n + 1))
    if alternative == "less": return sum(binom_pmf(j, n, p) for j in range(0, x + 1))
    px = binom_pmf(x, n, p)
    return min(1.0, sum(binom_pmf(j, n, p) for j in range(n + 1) if binom_pmf(j, n, p) <= px * (1 + 1e-7)))

def bisect(f, lo, hi, it=80):
    "Root of the increasing function f on [lo, hi] by bisection."
    for _ in range(it):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2

def naive_clopper_pearson(x, n, level=0.95):
    "Exact interval: the p at which each tail of the observed count has probability (1 − level)/2."
    a = (1 - level) / 2
    low = 0.0 if x == 0 else bisect(lambda p: naive_binom_p(x, n, p, "greater") - a, 0, 1)
    high = 1.0 if x == n else bisect(lambda p: a - naive_binom_p(x, n, p, "less"), 0, 1)
    return low, high

def naive_fisher_p(a, an, b, bn):
    "Two-sided Fisher p: every 2x2 table with the same margins no more likely than the observed one."
    col, n = a + b, an + bn
    prob = lambda x: math.comb(an, x) * math.comb(bn, col - x) / math.comb(n, col)
    return min(1.0, sum(prob(x) for x in range(max(0, col - bn), min(an, col) + 1) if prob(x) <= prob(a) * (1 + 1e-7)))

def mc_limit(rate, sims):
    "Nominal `rate` plus two Monte-Carlo standard errors of a rate estimated from `sims` simulations."
    return rate + 2 * math.sqrt(rate * (1 - rate) / sims)

def old_k2_rule(results, s=None):
    """The rule this module replaced: the pooled improvement beyond 2 pooled SE (SE² = se_units² + se_seeds²), and
    every seed's own improvement beyond 2 of its own SE in the same direction (unanimity).
    `s`: across_seeds(results), when already computed."""
    s = s or across_seeds(results)
    def side(est, se): return "better" if est - 2 * se > 0 else "worse" if est + 2 * se < 0 else "undecided"
    pooled = side(s.improvement, math.hypot(s.se_units, s.se_seeds))
    seeds = {side(r.improvement, r.se) for r in results}
    return pooled if seeds == {pooled} else "undecided"


# ---------- critical values ----------
@pytest.mark.parametrize("df, want", [(1, 12.706205), (2, 4.302653), (4, 2.776445), (5, 2.570582), (11, 2.200985),
                                      (29, 2.045230), (120, 1.979930), (math.inf, 1.959964)])
def test_critical_matches_t_tables(df, want):
    assert critical(df) == pytest.approx(want, abs=2e-6)

def naive_t_quantile(df, q=0.975, steps=4000):
    "Student-t quantile from its density, integrated by Simpson's rule and inverted by bisection."
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    pdf = lambda x: c * (1 + x * x / df) ** (-(df + 1) / 2)
    def cdf(x):
        h = x / steps
        return 0.5 + h / 3 * sum((1 if i in (0, steps) else 4 if i % 2 else 2) * pdf(i * h) for i in range(steps + 1))
    return bisect(lambda x: cdf(x) - q, 0, 50, it=50)

@pytest.mark.parametrize("df", [1.3, 2.5, 7.25])
def test_critical_at_fractional_df(df):
    "Satterthwaite df are fractional: t quantile against the integrated density."
    assert critical(df) == pytest.approx(naive_t_quantile(df), abs=1e-6)

def test_critical_level_and_errors():
    assert ALPHA == 0.05
    assert critical(math.inf, alpha=0.10) == pytest.approx(1.644854, abs=2e-6)
    assert critical(10) > critical(30) > critical(1000) > critical(math.inf)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="critical: degrees of freedom must be > 0"): critical(bad)


# ---------- the k parameter is gone; exact tests have no alpha ----------
@pytest.mark.parametrize("fn, gone", [(paired, "k"), (across_seeds, "k"), (two_groups, "k"), (equivalent, "k"),
                                      (equivalence, "k"), (equivalent_ratio, "k"), (noninferior, "k"),
                                      (binomial, "alpha"), (mcnemar, "alpha"), (fisher, "alpha")])
def test_removed_parameters(fn, gone):
    assert gone not in inspect.signature(fn).parameters

def test_old_keywords_are_rejected():
    with pytest.raises(TypeError): paired([1., 2, 3], [2., 3, 4], k=2)
    with pytest.raises(TypeError): binomial(17, 40, 0.25, alpha=0.05)
    with pytest.raises(TypeError): mcnemar([1, 0], [0, 1], alpha=0.05)
    with pytest.raises(TypeError): equivalent_ratio([1., 2], [1., 2])       # rel_band is required


# ---------- satterthwaite ----------
def test_satterthwaite():
    assert satterthwaite([(2.0, 7)]) == pytest.approx(7)
    assert satterthwaite([(1.0, 10), (1.0, 10)]) == pytest.approx(20)       # (1+1)² / (1/10 + 1/10)
    assert satterthwaite([(3.0, 4), (1.0, 9)]) == pytest.approx(16 / (9 / 4 + 1 / 9))
    assert satterthwaite([(0.0, 39), (0.5, 2)]) == pytest.approx(2)         # a zero part adds no df
    assert satterthwaite([(0.0, 39), (0.0, 2)]) == 2                        # nothing measured: the smaller df
    rng = np.random.default_rng(0)
    for _ in range(200):                                                    # always within [min df, sum of df]
        (v1, v2), (d1, d2) = rng.exponential(size=2) ** 3, rng.integers(1, 60, size=2)
        assert min(d1, d2) - 1e-9 <= satterthwaite([(v1, d1), (v2, d2)]) <= d1 + d2 + 1e-9


# ---------- clustered SE and paired ----------
def test_clustered_se_vs_loops():
    rng = np.random.default_rng(0)
    for n, G in ((12, 3), (40, 7), (100, 100)):
        d, labels = rng.normal(size=n), rng.integers(0, G, size=n)
        ref = naive_clustered_se(d.tolist(), labels.tolist())
        se, g = clustered_se(d, labels)
        assert se == pytest.approx(ref, rel=1e-12) and g == len(set(labels.tolist()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            assert paired(d, np.zeros(n), clusters=labels).se == pytest.approx(ref, rel=1e-12)
    d = rng.normal(size=25)
    assert paired(d, np.zeros(25)).se == pytest.approx(naive_se(d.tolist()), rel=1e-12)
    # one unit per cluster is exactly the ordinary SE; string labels work
    assert clustered_se(d, [f"clip{i}" for i in range(25)]) == (pytest.approx(naive_se(d.tolist()), rel=1e-12), 25)

def test_clustering_matters_copies():
    "9 copies of 12 clips give the SE and df of the 12 clips, not a 3x smaller SE with 107 df."
    rng = np.random.default_rng(1)
    ours, base = rng.normal(size=12), rng.normal(size=12)
    one = paired(ours, base)
    nine = paired(np.repeat(ours, 9), np.repeat(base, 9), clusters=np.repeat(np.arange(12), 9))
    assert nine.se == pytest.approx(one.se, rel=1e-12) and nine.diff == pytest.approx(one.diff)
    assert (nine.n, nine.n_clusters, nine.df) == (108, 12, 11) and nine.crit == pytest.approx(critical(11))
    wrong = paired(np.repeat(ours, 9), np.repeat(base, 9))        # copies taken as independent
    assert wrong.se < one.se / 3 and wrong.df == 107

def test_paired_fields_and_direction():
    ours, base = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([2.0, 3.5, 3.5, 5.0, 6.0])
    with pytest.warns(FewClustersWarning, match="paired: only 5 independent clusters"):
        r = paired(ours, base)
    assert (r.mean_ours, r.mean_base, r.diff, r.n, r.n_clusters, r.df) == (3.0, 4.0, -1.0, 5, 5, 4.0)
    assert r.crit == pytest.approx(critical(4)) and "only 5 independent clusters" in r.note
    assert r.improvement == 1.0 and r.verdict == "better"           # lower is better: ours is lower
    with pytest.warns(FewClustersWarning):
        hi = paired(ours, base, lower_is_better=False)
        assert hi.improvement == -1.0 and hi.verdict == "worse"
        assert paired(ours, ours).verdict == "undecided"            # identical: no difference, se 0

def test_paired_uses_t_with_clusters_minus_one_df():
    "t = 2.5: beyond the old 2 SE, but inside t(4) = 2.78 at 5 clusters; beyond t(39) = 2.02 at 40 clusters."
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    shift = 2.5 * naive_se(z.tolist())
    with pytest.warns(FewClustersWarning):
        five = paired(z + shift, np.zeros(5), lower_is_better=False)
    assert five.improvement / five.se == pytest.approx(2.5) and five.verdict == "undecided"
    z40 = np.tile(z, 8)
    many = paired(z40 + 2.5 * naive_se(z40.tolist()), np.zeros(40), lower_is_better=False)
    assert many.improvement / many.se == pytest.approx(2.5) and many.verdict == "better"

def test_few_clusters_warning_only_below_the_threshold():
    rng = np.random.default_rng(2)
    G = FEW_CLUSTERS
    ours, base, labels = rng.normal(size=3 * G), rng.normal(size=3 * G), np.repeat(np.arange(G), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        assert paired(ours, base, clusters=labels).note == ""
    with pytest.warns(FewClustersWarning, match=f"only {G - 1} independent clusters"):
        few = paired(ours[:-3], base[:-3], clusters=labels[:-3])
    assert few.note and few.df == G - 2


# ---------- calibration of paired by simulation ----------
def paired_null_rates(G, sims, use_clusters=True, seed=0):
    "Null datasets (ours = base + a shared clip effect + noise, 3 mixtures per clip): rates of better / any verdict."
    rng, labels = np.random.default_rng(seed), np.repeat(np.arange(G), 3)
    better = any_verdict = 0
    for _ in range(sims):
        base = rng.normal(size=3 * G)
        ours = base + rng.normal(size=G)[labels] + rng.normal(size=3 * G)
        v = paired(ours, base, clusters=labels if use_clusters else None).verdict
        better += v == "better"; any_verdict += v != "undecided"
    return better / sims, any_verdict / sims

@no_few_warning
@pytest.mark.parametrize("G", [5, 12, 40])
def test_paired_null_false_positive_rate(G):
    "A favourable verdict at most ~2.5 % (≤ 3.5 % here), any verdict at most ~5 % (≤ 6.5 %), at every G."
    better, any_verdict = paired_null_rates(G, sims=1000, seed=G)
    assert better <= 0.035 and any_verdict <= 0.065, (G, better, any_verdict)

def test_paired_without_clusters_is_not_calibrated():
    "The same null data with the mixtures taken as independent: several times too many verdicts (~15 %)."
    assert paired_null_rates(40, sims=400, use_clusters=False, seed=1)[1] >= 0.10

def test_paired_detects_a_clear_effect():
    "A true improvement of 4 SE is called 'better' in nearly every dataset, in either metric direction."
    rng = np.random.default_rng(4)
    n, sd = 50, 1.0
    shift = 4 * sd / math.sqrt(n)
    low = high = 0
    for _ in range(200):
        base = rng.normal(5, 2, size=n); noise = rng.normal(0, sd, size=n)
        low += paired(base - shift + noise, base).verdict == "better"                           # e.g. Chamfer
        high += paired(base + shift + noise, base, lower_is_better=False).verdict == "better"   # e.g. SDR
    assert low / 200 >= 0.9 and high / 200 >= 0.9, (low, high)


# ---------- across seeds ----------
def seeds_data(rng, S, G, per=3, seed_sd=0.0, unit_sd=0.0, noise_sd=1.0, gain=0.0):
    "S `paired` results (higher is better) on the same G·per units in G clusters: d_si = gain + a_s + u_i + e_si."
    labels = np.repeat(np.arange(G), per)
    base, u = rng.normal(5, 2, size=G * per), rng.normal(0, unit_sd, size=G * per)
    return [paired(base + gain + a + u + rng.normal(0, noise_sd, size=G * per), base,
                   clusters=labels if per > 1 else None, lower_is_better=False)
            for a in rng.normal(0, seed_sd, size=S)]

@pytest.mark.parametrize("S, G, seed_sd, unit_sd", [(3, 12, 2.0, 0.1), (3, 12, 0.0, 1.0), (3, 40, 0.3, 0.5),
                                                    (5, 15, 0.5, 0.5), (2, 30, 1.0, 0.2), (8, 10, 0.05, 0.3)])
def test_across_seeds_satterthwaite_df(S, G, seed_sd, unit_sd):
    """The df is the Satterthwaite formula by hand, between min(G−1, S−1) and G−1 + S−1; crit is Cochran–Cox's
    V-weighted mean of t(G−1) and t(S−1) (t at the Satterthwaite df is too lenient, see the calibration test)."""
    rng = np.random.default_rng(S * 100 + G)
    rs = seeds_data(rng, S, G, seed_sd=seed_sd, unit_sd=unit_sd)
    s = across_seeds(rs)
    labels = np.repeat(np.arange(G), 3).tolist()
    d_mean = [sum(r.d[i] for r in rs) / S for i in range(3 * G)]
    vu = naive_clustered_se(d_mean, labels) ** 2
    vs = naive_var([r.improvement for r in rs]) / S
    assert s.se_units ** 2 == pytest.approx(vu, rel=1e-9) and s.se_seeds ** 2 == pytest.approx(vs, rel=1e-9)
    assert s.df == pytest.approx(naive_satterthwaite(vu, G - 1, vs, S - 1), rel=1e-9)
    assert min(G - 1, S - 1) <= s.df <= (G - 1) + (S - 1)
    cc = (vu * critical(G - 1) + vs * critical(S - 1)) / (vu + vs)
    assert s.crit == pytest.approx(cc) and s.se == pytest.approx(math.sqrt(vu + vs))
    if seed_sd >= 1.0: assert s.df < S - 1 + 0.5          # the seeds are the noise: about S − 1 df
    if seed_sd == 0.0: assert s.df > 0.8 * (G - 1)        # the units are the noise: about G − 1 df

@no_few_warning
def test_across_seeds_components_by_hand():
    """2 seeds, 4 units in 2 clips, higher is better, base 0. Seed 0: d = 1, 2, 3, 6 (improvement 3);
    seed 1: d = 3, 2, 1, 2 (improvement 2). Seed-averaged d = 2, 2, 2, 4: mean 2.5, residuals summed per clip −1
    and +1, so se_units² = 2/1 · (1 + 1) / 4² = 1/4. se_seeds² = var(3, 2)/2 = 1/4.
    SE = √½, df = (½)² / ((¼)²/1 + (¼)²/1) = 2; crit = (¼·t(1) + ¼·t(1)) / ½ = t(1) = 12.71."""
    labels, base = ["a", "a", "b", "b"], np.zeros(4)
    rs = [paired(np.array(x, float), base, clusters=labels, lower_is_better=False)
          for x in ([1, 2, 3, 6], [3, 2, 1, 2])]
    s = across_seeds(rs)
    assert (s.improvement, s.diff, s.mean_ours, s.mean_base) == (2.5, 2.5, 2.5, 0.0)
    assert s.se_units == pytest.approx(0.5) and s.se_seeds == pytest.approx(0.5)
    assert s.se == pytest.approx(math.sqrt(0.5)) and s.df == pytest.approx(2.0)
    assert s.crit == pytest.approx(12.706205, abs=1e-5) and s.verdict == "undecided"   # 2.5 − 12.7·0.707 < 0
    assert (s.n_seeds, s.n, s.n_clusters, s.seed_improvements) == (2, 4, 2, (3.0, 2.0))
    assert "only 2 independent clusters" in s.note
    # hand-built records without per-unit data: the unit part is mean(se²), fully shared, with the seeds' df
    bare = [dataclasses.replace(r, d=None, clusters=None) for r in rs]
    sb = across_seeds(bare)
    assert sb.se_units ** 2 == pytest.approx((rs[0].se ** 2 + rs[1].se ** 2) / 2)
    assert sb.df == pytest.approx(naive_satterthwaite(sb.se_units ** 2, 1, 0.25, 1))

def test_across_seeds_single_seed_keeps_its_verdict():
    rng = np.random.default_rng(6)
    r = seeds_data(rng, 1, 30, per=1, gain=1.0)[0]
    one = across_seeds([r])
    assert one.verdict == r.verdict == "better" and one.note.startswith("1 seed") and not one.reason
    assert one.se == pytest.approx(r.se) and one.se_seeds == 0 and one.df == r.df

@pytest.mark.parametrize("seed_sd", [0.3, 3.0])
def test_across_seeds_null_calibrated_when_seed_noise_dominates(seed_sd):
    """3 seeds whose spread dominates the unit noise (V_seeds/V_units ≈ 17 and ≈ 1700; r = σ_a²/SE1² ≈ 34 and
    ≈ 3400 in benchmarks/stats_calibration.py's terms), no true effect. The old
    k = 2 rule gives a verdict far above 5 % of the time; the new one stays at 5 % (2.5 % favourable), up to
    Monte-Carlo error (2 MC standard errors over 2000 simulations)."""
    rng, sims = np.random.default_rng(7), 2000
    old = new_any = new_better = 0
    for _ in range(sims):
        rs = seeds_data(rng, 3, 30, per=1, seed_sd=seed_sd, unit_sd=0.2, noise_sd=0.2)
        s = across_seeds(rs)
        new_any += s.verdict != "undecided"; new_better += s.verdict == "better"
        old += old_k2_rule(rs, s) != "undecided"
    rates = dict(old=old / sims, new_any=new_any / sims, new_better=new_better / sims)
    assert rates["old"] > 0.08, rates
    assert rates["new_any"] <= mc_limit(ALPHA, sims) and rates["new_better"] <= mc_limit(ALPHA / 2, sims), rates

def test_across_seeds_pools_power_over_seeds():
    """5 seeds of a real gain, each with t ≈ 1.9 on its own (undecided at t(39) = 2.02): pooled, the seed-by-unit
    noise averages out and the gain is detected. Then, over 300 datasets, the pooled test detects a gain that a
    single seed sees less than half the time, which the old unanimity rule almost never calls."""
    rng = np.random.default_rng(8)
    S, N, sd = 5, 40, 1.5
    z = np.linalg.qr(np.c_[np.ones(N), rng.normal(size=(N, S))])[0][:, 1:].T * math.sqrt(N - 1)  # orthonormal noise
    gains = (1.9 + np.array([-0.08, -0.04, 0.0, 0.04, 0.08])) * sd / math.sqrt(N)
    rs = [paired(g + sd * z[s], np.zeros(N), lower_is_better=False) for s, g in enumerate(gains)]
    assert [r.verdict for r in rs] == ["undecided"] * S
    assert [r.improvement / r.se for r in rs] == pytest.approx(gains / (sd / math.sqrt(N)))
    s = across_seeds(rs)
    assert s.verdict == "better" and s.reason == "" and old_k2_rule(rs) == "undecided"
    sims, pooled, single, old = 300, 0, 0, 0
    for _ in range(sims):
        rs = seeds_data(rng, S, N, per=1, noise_sd=sd, gain=0.4)
        s = across_seeds(rs)
        pooled += s.verdict == "better"
        single += rs[0].verdict == "better"; old += old_k2_rule(rs, s) == "better"
    assert pooled / sims >= 0.6 and single / sims <= 0.5 and old / sims <= 0.05, (pooled, single, old)

@pytest.mark.parametrize("lower_is_better", [False, True])
def test_across_seeds_veto(lower_is_better):
    "Six seeds clearly better together, but seed 2 alone clearly worse: undecided, and the reason names seed 2."
    rng, zero = np.random.default_rng(9), np.zeros(200)
    sign = -1 if lower_is_better else 1
    def seed(g): return paired(zero + sign * g + rng.normal(0, 0.3, 200), zero, lower_is_better=lower_is_better)
    six = [seed(g) for g in (1, 1.1, -0.2, 0.9, 1, 1.05)]
    assert [r.verdict for r in six] == ["better", "better", "worse", "better", "better", "better"]
    pooled = across_seeds(six[:2] + six[3:])
    assert pooled.verdict == "better"
    vetoed = across_seeds(six)
    assert vetoed.improvement > vetoed.crit * vetoed.se           # the pooled interval alone says better
    assert vetoed.verdict == "undecided" and "seed(s) 2 " in vetoed.reason and "worse" in vetoed.reason
    two = across_seeds(six + [seed(-0.3)])
    assert two.verdict == "undecided" and "seed(s) 2, 6 " in two.reason
    # a seed that is merely undecided does not veto (the old unanimity rule would have said undecided)
    flat = seed(0.0)
    assert flat.verdict == "undecided"
    kept = across_seeds(six[:2] + [flat] + six[3:])
    assert kept.verdict == "better" and kept.reason == "" and old_k2_rule(six[:2] + [flat] + six[3:]) == "undecided"

@no_few_warning
def test_across_seeds_refuses_other_units():
    rng = np.random.default_rng(10)
    labels = np.repeat(np.arange(10), 3)
    base = rng.normal(size=30)
    def seed(clusters=labels, n=30, lower_is_better=False):
        return paired(base[:n] + rng.normal(size=n), base[:n], clusters, lower_is_better=lower_is_better)
    r0 = seed()
    msg = "across_seeds: seed 1 has .* but seed 0 has .*share their metric direction and their units"
    with pytest.raises(ValueError, match=msg): across_seeds([r0, seed(labels[:20], n=20)])
    with pytest.raises(ValueError, match=msg): across_seeds([r0, seed(lower_is_better=True)])
    other = np.repeat(np.arange(15), 2)
    with pytest.raises(ValueError, match="across_seeds: seed 1 has other clusters than seed 0"):
        across_seeds([r0, seed(other)])
    with pytest.raises(ValueError, match="across_seeds: seed 2 has other clusters than seed 0"):
        across_seeds([r0, seed(), seed(None)])
    with pytest.raises(ValueError, match="across_seeds: no results"): across_seeds([])
    with pytest.raises(TypeError, match="across_seeds: expected Paired"): across_seeds([two_groups(base, base + 1)])


# ---------- two groups ----------
def test_two_groups_welch_vs_textbook():
    rng = np.random.default_rng(11)
    for na, nb in ((4, 4), (30, 50), (7, 90)):
        a, b = rng.normal(1, 2, na), rng.normal(0, 1, nb)
        g = two_groups(a, b)
        se, df = naive_welch(a.tolist(), b.tolist())
        assert g.se == pytest.approx(se, rel=1e-12) and g.df == pytest.approx(df, rel=1e-12)
        assert g.crit == pytest.approx(critical(df)) and g.difference == pytest.approx(a.mean() - b.mean())
        assert min(na, nb) - 1 <= g.df <= na + nb - 2
    x, y = np.array([3., 4, 5, 6]), np.array([1., 2, 2, 3])
    assert two_groups(x, y).verdict == "larger" and two_groups(y, x).verdict == "smaller"
    assert two_groups(x, x + 0.1).verdict == "undecided"

def test_two_groups_null_calibrated():
    "Equal means, unequal variances and sizes: 'larger' at most ~2.5 %, any verdict at most ~5 %."
    rng, sims = np.random.default_rng(12), 1000
    verdicts = [two_groups(rng.normal(0, 1, 8), rng.normal(0, 3, 40)).verdict for _ in range(sims)]
    assert verdicts.count("larger") / sims <= 0.035 and (sims - verdicts.count("undecided")) / sims <= 0.065

def test_groups_across_seeds_components_by_hand():
    "2 seeds; seed-averaged groups a = 2, 2, 3.5 and b = .5, 0, 1.5 give the unit part, the seed differences 5/3, 2."
    rs = [two_groups([1., 2, 3], [0., 0, 1]), two_groups([3., 2, 4], [1., 0, 2])]
    g = groups_across_seeds(rs)
    se_u, df_u = naive_welch([2, 2, 3.5], [0.5, 0, 1.5])
    vs = (5 / 3 - 2) ** 2 / 2 / 2                                  # var(5/3, 2) / S
    assert g.difference == pytest.approx((5 / 3 + 2) / 2) and g.seed_differences == pytest.approx((5 / 3, 2))
    assert g.se_units == pytest.approx(se_u) and g.se_seeds == pytest.approx(math.sqrt(vs))
    assert g.se == pytest.approx(math.sqrt(se_u ** 2 + vs))
    assert g.df == pytest.approx(naive_satterthwaite(se_u ** 2, df_u, vs, 1))
    assert g.crit == pytest.approx((se_u ** 2 * critical(df_u) + vs * critical(1)) / (se_u ** 2 + vs))
    assert (g.mean_a, g.mean_b, g.n_seeds, g.n_a, g.n_b) == pytest.approx((2.5, 2 / 3, 2, 3, 3))

def test_groups_across_seeds_verdicts_veto_and_errors():
    rng = np.random.default_rng(13)
    ua, ub = rng.normal(1, 0.5, 30), rng.normal(0, 0.5, 25)
    def seed(shift=0.0): return two_groups(ua + shift + rng.normal(0, .3, 30), ub + rng.normal(0, .3, 25))
    three = [seed() for _ in range(3)]
    gs = groups_across_seeds(three)
    assert gs.verdict == "larger" and gs.reason == "" and gs.seed_verdicts == ("larger",) * 3
    swapped = groups_across_seeds([two_groups(r.b, r.a) for r in three])
    assert swapped.verdict == "smaller" and swapped.difference == pytest.approx(-gs.difference)
    against = seed(-1.6)
    assert against.verdict == "smaller"
    many = [seed(0.2) for _ in range(6)]
    assert groups_across_seeds(many).verdict == "larger"
    vetoed = groups_across_seeds(many[:3] + [against] + many[3:])
    assert vetoed.difference > vetoed.crit * vetoed.se
    assert vetoed.verdict == "undecided" and "seed(s) 3 " in vetoed.reason and "smaller" in vetoed.reason
    one = groups_across_seeds(three[:1])
    assert one.verdict == "larger" and one.note.startswith("1 seed") and not one.reason
    with pytest.raises(ValueError, match="groups_across_seeds: seed 1 has .*share their metric direction and their"):
        groups_across_seeds([three[0], two_groups(ua[:20], ub)])
    with pytest.raises(TypeError, match="groups_across_seeds: expected TwoGroups"):
        groups_across_seeds([paired(ua, ua + 1)])


# ---------- binomial, Fisher, McNemar ----------
@pytest.mark.parametrize("x, n, p0", [(17, 40, 0.25), (3, 40, 0.25), (10, 40, 0.25), (9, 12, 0.5), (0, 7, 0.1)])
def test_binomial_vs_brute_force(x, n, p0):
    for alt in ("greater", "less", "two-sided"):
        b = binomial(x, n, p0, alternative=alt)
        assert b.p_value == pytest.approx(naive_binom_p(x, n, p0, alt), rel=1e-9, abs=1e-15)
        assert b.alpha == ALPHA / 2   # every side at 2.5 %, "two-sided" too
    low, high = naive_clopper_pearson(x, n)
    assert b.ci_low == pytest.approx(low, abs=1e-9) and b.ci_high == pytest.approx(high, abs=1e-9)
    assert b.rate == x / n and b.ci == (b.ci_low, b.ci_high)

def test_binomial_verdicts_one_sided_at_two_and_a_half_percent():
    assert binomial(17, 40, 0.25).verdict == "above chance"        # p = 0.0116
    assert binomial(16, 40, 0.25).verdict == "undecided"           # p = 0.0262: not at 2.5 % (it was at 5 %)
    assert binomial(4, 40, 0.25).verdict == "below chance"         # wrong side of chance: reported, not hidden
    assert binomial(5, 40, 0.25).verdict == "undecided"            # P(X ≤ 5) = 0.043 > 2.5 %
    assert binomial(3, 40, 0.25, alternative="less").verdict == "below chance"
    assert binomial(17, 40, 0.25, alternative="less").verdict == "above chance"
    assert binomial(17, 40, 0.25, alternative="two-sided").verdict == "above chance"
    assert binomial(12, 40, 0.25, alternative="two-sided").verdict == "undecided"
    # two-sided p = 0.043 < 5 %, all of it on the upper side (0.043 > 2.5 %): no verdict past 2.5 % a side
    b = binomial(5, 20, 0.1, alternative="two-sided")
    assert b.p_value < ALPHA and b.verdict == "undecided", b

@pytest.mark.parametrize("n, p0", [(60, 0.3), (40, 0.25), (12, 0.5)])
def test_binomial_null_size_exact(n, p0):
    "At rate = p0, the exact probability of 'above chance' (and of 'below chance') is at most 2.5 %."
    verdicts = {x: binomial(x, n, p0).verdict for x in range(n + 1)}
    for side in ("above chance", "below chance"):
        size = sum(binom_pmf(x, n, p0) for x, v in verdicts.items() if v == side)
        assert 0 < size <= ALPHA / 2, (side, size)

@pytest.mark.parametrize("a, an, b, bn", [(45, 50, 30, 50), (30, 50, 45, 50), (33, 50, 30, 50), (5, 9, 0, 11),
                                          (10, 10, 10, 10), (0, 12, 6, 12)])
def test_fisher_vs_enumeration(a, an, b, bn):
    f = fisher(a, an, b, bn)
    p = naive_fisher_p(a, an, b, bn)
    assert f.p_value == pytest.approx(p, rel=1e-9)
    want = "undecided" if p >= 0.05 else "better" if a / an > b / bn else "worse"
    assert f.verdict == want and (f.a_rate, f.b_rate) == (a / an, b / bn)

def test_mcnemar_exact():
    rng = np.random.default_rng(15)
    a, b = rng.random(80) < 0.75, rng.random(80) < 0.55
    m = mcnemar(a, b)
    x, y = int((a & ~b).sum()), int((~a & b).sum())
    assert (m.a_only, m.b_only, m.n) == (x, y, 80)
    assert m.p_value == pytest.approx(naive_binom_p(x, x + y, 0.5, "two-sided"), rel=1e-9)
    assert mcnemar(a, a).verdict == "undecided" and mcnemar(a, a).p_value == 1.0
    # 5 discordant clips all for a: p = 2/32 ≥ 5 %, no verdict possible yet; 6: p = 2/64 < 5 %
    five = np.r_[np.ones(5), np.zeros(5)].astype(bool)
    assert mcnemar(five, np.zeros(10, bool)).verdict == "undecided"
    assert mcnemar(np.ones(6, bool), np.zeros(6, bool)).verdict == "better"
    assert mcnemar(np.zeros(6, int), np.ones(6, int)).verdict == "worse"       # 0/1 integers work too


# ---------- equivalence and non-inferiority ----------
Z = 1.959964

@pytest.mark.parametrize("diff, se, df, want", [
    (0.1, 0.1, math.inf, "comparable"),   # [-0.096, 0.296] inside [-0.5, 0.5]
    (-0.2, 0.1, math.inf, "comparable"),
    (1.0, 0.1, math.inf, "different"),    # [0.80, 1.20] entirely above
    (-0.9, 0.1, math.inf, "different"),   # entirely below
    (0.1, 0.3, math.inf, "undecided"),    # [-0.49, 0.69]: straddles the edge
    (0.4, 0.1, math.inf, "undecided"),    # [0.20, 0.60]
    (0.0, 10.0, math.inf, "undecided"),   # far too noisy: never "comparable" by absence of evidence
    (0.1, 0.1, 2, "undecided"),           # t(2) = 4.30: [-0.33, 0.53]
    (0.8, 0.1, 2, "undecided"),           # [0.37, 1.23]
])
def test_equivalent_three_verdicts(diff, se, df, want):
    e = equivalent(diff, se, band=0.5, df=df)
    assert e.verdict == want and e.crit == pytest.approx(critical(df))
    assert (e.low, e.high) == pytest.approx((diff - e.crit * se, diff + e.crit * se))
    assert (e.reason != "") == (want == "undecided")

def test_equivalence_on_paired_and_seeded_results():
    rng = np.random.default_rng(16)
    base, clusters = rng.uniform(1, 2, size=60), np.repeat(np.arange(20), 3)
    p = paired(base * 1.05 + rng.normal(0, 0.02, 60), base, clusters)
    e = equivalence(p, rel_band=0.25)
    assert e.verdict == "comparable" and e.band == pytest.approx(0.25 * base.mean()) and e.rel_band == 0.25
    assert (e.diff, e.se, e.df, e.n, e.n_seeds) == (p.diff, p.se, 19.0, 60, 1)
    assert equivalence(p, band=0.25 * base.mean()).band == pytest.approx(e.band)
    r = equivalent_ratio(base * 1.05 + rng.normal(0, 0.02, 60), base, clusters, rel_band=0.25)
    assert r.verdict == "comparable" and r.n == 60
    assert equivalent_ratio(base * 2, base, rel_band=0.25).verdict == "different"
    # a negative baseline mean: the band is relative to its magnitude
    assert equivalence(paired(-base * 1.05, -base), rel_band=0.25).band == pytest.approx(0.25 * base.mean())
    seeds = [paired(base * 1.05 + rng.normal(0, 0.05, 60), base) for _ in range(3)]
    s = across_seeds(seeds)
    es = equivalence(s, rel_band=0.25)
    assert (es.diff, es.se, es.df, es.crit, es.n_seeds) == (s.diff, s.se, s.df, s.crit, 3)
    assert es.verdict == "comparable"

def test_band_and_margin_are_required_exactly_once():
    p = paired(np.array([1.0, 2, 3, 4.5, 5, 6, 7, 8, 9, 10]), np.arange(1.0, 11))
    for fn, what in ((equivalence, "band"), (noninferior, "margin")):
        for kw in ({}, {what: 0.5, f"rel_{what}": 0.1}):
            with pytest.raises(ValueError, match=f"{fn.__name__}: give exactly one of {what} and rel_{what}"):
                fn(p, **kw)
        with pytest.raises(TypeError): fn(p, 0.5)                               # keyword only
        with pytest.raises(TypeError, match=f"{fn.__name__}: expected a Paired"): fn(0.3, **{what: 0.5})

def test_noninferior_three_verdicts_and_much_better():
    rng = np.random.default_rng(17)
    base = rng.uniform(1, 2, size=60)
    much_better = paired(base * 0.5 + rng.normal(0, 0.02, 60), base)          # lower is better: half the error
    assert noninferior(much_better, rel_margin=0.1).verdict == "non-inferior"
    assert equivalence(much_better, rel_band=0.1).verdict == "different"
    slightly_worse = paired(base * 1.03 + rng.normal(0, 0.02, 60), base)
    assert noninferior(slightly_worse, rel_margin=0.1).verdict == "non-inferior"
    n = noninferior(paired(base * 1.5, base), rel_margin=0.1)
    assert n.verdict == "inferior" and n.margin == pytest.approx(0.1 * base.mean())
    noisy = paired(base * 1.1 + rng.normal(0, 0.5, 60), base)
    u = noninferior(noisy, rel_margin=0.1)
    assert u.verdict == "undecided" and u.low < -u.margin < u.high and "includes" in u.reason
    assert (u.improvement, u.se, u.df, u.crit) == (noisy.improvement, noisy.se, noisy.df, noisy.crit)
    assert (u.low, u.high) == pytest.approx((u.improvement - u.crit * u.se, u.improvement + u.crit * u.se))
    # higher is better: the improvement is ours − base
    assert noninferior(paired(base * 1.5, base, lower_is_better=False), margin=0.01).verdict == "non-inferior"
    s = across_seeds([paired(base * 0.9 + rng.normal(0, 0.05, 60), base) for _ in range(3)])
    ns = noninferior(s, margin=0.05)
    assert ns.verdict == "non-inferior" and ns.n_seeds == 3 and ns.df == s.df

def test_null_at_the_band_edge_is_rarely_comparable():
    """A true difference exactly at ±band is 'comparable' at most ~2.5 %; a true loss of exactly margin,
    'non-inferior' at most ~2.5 %. The same design at a true difference 0 is comparable nearly always."""
    rng, sims, band, sd = np.random.default_rng(18), 400, 0.3, 0.3      # SE ≈ 0.055: the band is reachable
    comparable = noninf = at_zero = 0
    for i in range(sims):
        base = rng.normal(5, 1, 30)
        sign = 1 if i % 2 else -1
        p = paired(base + sign * band + rng.normal(0, sd, 30), base)
        comparable += equivalence(p, band=band).verdict == "comparable"
        worse_by_margin = paired(base + band + rng.normal(0, sd, 30), base)     # lower is better: a loss of band
        noninf += noninferior(worse_by_margin, margin=band).verdict == "non-inferior"
        at_zero += equivalence(paired(base + rng.normal(0, sd, 30), base), band=band).verdict == "comparable"
    assert comparable / sims <= 0.035 and noninf / sims <= 0.035, (comparable, noninf)
    assert at_zero / sims >= 0.95, at_zero


# ---------- sanity gate, consensus, claim status, estimate ----------
def test_sanity_gate():
    msg = sanity_gate("DIFFER", 54.1, ceiling=30.2, metric="Chamfer", ceiling_name="the category-mean-shape Chamfer")
    assert msg == "reference DIFFER is not sane: Chamfer 54.1 is above the category-mean-shape Chamfer 30.2"
    assert sanity_gate("DIFFER", 30.2, ceiling=30.2) is None
    assert "below the floor 0.9" in sanity_gate("judge", 0.6, floor=0.9)
    assert sanity_gate("judge", 0.95, floor=0.9, ceiling=1.0) is None
    assert "is nan" in sanity_gate("judge", float("nan"), floor=0.9)

def test_consensus_keeps_only_a_verdict_every_seed_shares():
    a = np.array([1] * 15 + [0] * 5, bool); b = np.array([0] * 15 + [1] * 5, bool)
    tests = [mcnemar(a, b)] * 3
    assert consensus(tests).verdict == tests[0].verdict == "better" and consensus(tests).reason == ""
    mixed = consensus(tests[:2] + [mcnemar(a, a)])
    assert mixed.verdict == "undecided" and "changes with the seed" in mixed.reason
    one = consensus(tests[:1])
    assert one.verdict == "better" and one.reason.startswith("1 seed")

def test_claim_status():
    assert claim_status("better", "comparable", passes=("better", "comparable")) == "pass"
    assert claim_status("better", "undecided", passes="better") == "undecided"
    assert claim_status("undecided", "worse", passes="better") == "fail"      # one contradiction fails the claim
    assert claim_status("different", passes=["comparable"]) == "fail"
    assert claim_status("below chance", "better", passes=("above chance", "better")) == "fail"
    assert claim_status("larger", passes="larger") == "pass" and claim_status("worse", passes="worse") == "pass"
    assert claim_status("non-inferior", passes=("better", "non-inferior")) == "pass"
    assert claim_status(binomial(17, 40, 0.25), equivalent(0, 0.1, 1), passes=("above chance", "comparable")) == "pass"

def test_claim_status_errors():
    with pytest.raises(TypeError, match="passes"): claim_status("better")
    for verdict, passes in (("beter", "better"), ("better", "beter")):
        with pytest.raises(ValueError, match="claim_status: unknown verdict 'beter'"):
            claim_status(verdict, passes=passes)
    with pytest.raises(ValueError, match="claim_status: 'undecided' cannot pass"):
        claim_status("undecided", passes=("better", "undecided"))
    with pytest.raises(ValueError, match="claim_status: 'undecided' cannot pass"):
        claim_status("better", passes="undecided")
    with pytest.raises(ValueError, match="claim_status: no verdicts"): claim_status(passes="better")

def test_estimate_and_undecided_reasons():
    rng = np.random.default_rng(19)
    base = rng.normal(5, 1, 30)
    p = paired(base - 0.5 + rng.normal(0, 0.3, 30), base)
    s = across_seeds([p, paired(base - 0.4 + rng.normal(0, 0.3, 30), base)])
    g = two_groups(base, base - 1)
    assert estimate(p) == pytest.approx(p.improvement) and estimate(s) == pytest.approx(s.improvement)
    assert estimate(g) == pytest.approx(1.0) and estimate(groups_across_seeds([g, g])) == pytest.approx(1.0)
    assert estimate(equivalent(0.2, 0.1, band=1)) == 0.2
    assert estimate(noninferior(p, margin=0.1)) == pytest.approx(p.improvement)
    assert estimate(binomial(17, 40, 0.25)) == pytest.approx(0.175)
    assert estimate(fisher(45, 50, 30, 50)) == pytest.approx(0.3) and estimate("better") is None
    why = undecided_reasons({"a": equivalent(0.4, 0.1, band=0.5), "b": "better", "c": "undecided", "d": p})
    parts = why.split("; ")
    assert [x.split(":")[0] for x in parts] == ["a", "c"] and "straddles the band" in parts[0]
    assert parts[1] == "c: the 95 % interval includes no difference"
    assert undecided_reasons({"x": "better"}) == ""


# ---------- evidence ----------
def all_records():
    rng = np.random.default_rng(20)
    base = rng.normal(5, 1, 30)
    p = paired(base - 0.5 + rng.normal(0, 0.3, 30), base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        few = paired(base[:8] - 0.5 + rng.normal(0, 0.3, 8), base[:8], clusters=np.repeat(np.arange(4), 2))
    g = two_groups(rng.normal(1, 1, 20), rng.normal(0, 1, 15))
    return [p, few, across_seeds([p, p]), across_seeds([p]), g, groups_across_seeds([g, g]),
            binomial(17, 40, 0.25), fisher(45, 50, 30, 50), mcnemar(rng.random(30) < 0.8, rng.random(30) < 0.5),
            equivalent(0.1, 0.1, 0.5), equivalent(0.4, 0.1, 0.5), equivalence(p, rel_band=0.2),
            noninferior(p, margin=0.1), noninferior(p, margin=0.1), dataclasses.replace(p, se=float("nan"))]

@pytest.mark.parametrize("record", all_records(), ids=lambda r: type(r).__name__)
def test_evidence_is_flat_rounded_json(record):
    ev = record.evidence()
    json.dumps(ev, allow_nan=False)
    keys = list(ev)
    assert keys[-1] == "verdict" or keys[-2:] == ["verdict", "reason"], keys
    assert ev["verdict"] in VERDICTS and ("reason" not in ev or ev["reason"])
    assert all(v is None or isinstance(v, (int, float, str, bool)) for v in ev.values()), ev
    assert all(len(repr(abs(v))) <= 10 for v in ev.values() if isinstance(v, float)), ev
    assert "d" not in ev and "clusters" not in ev and "a" not in ev and "b" not in ev

def test_evidence_details():
    p, few, seeded = all_records()[:3]
    ev = p.evidence()
    assert ev["improvement"] == float(f"{p.improvement:.4g}") and ev["df"] == 29 and "note" not in ev
    assert "only 4 independent clusters" in few.evidence()["note"] and list(few.evidence())[-1] == "verdict"
    assert seeded.evidence()["seed_verdicts"] == "better, better"
    assert all_records()[-1].evidence()["se"] is None                          # NaN becomes None
    c = consensus([binomial(17, 20, 0.5)] * 2)
    cev = c.evidence()
    json.dumps(cev, allow_nan=False)
    assert list(cev)[-2:] == ["verdict", "reason"] and cev["seed_evidence"] == [binomial(17, 20, 0.5).evidence()] * 2
    with pytest.raises(dataclasses.FrozenInstanceError): p.verdict = "better"


# ---------- bad input: the error names the function and the parameter ----------
_P = paired(np.arange(1.0, 11), np.arange(1.0, 11) + 0.5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FewClustersWarning)
    _P0 = paired(np.array([1.0, -1.0, 2.0]), np.array([1.0, -1.0, 0.0]))   # mean(base) is 0

@pytest.mark.parametrize("call, exc, msg", [
    (lambda: critical(-1), ValueError, "critical: degrees of freedom must be > 0"),
    (lambda: clustered_se(np.ones((3, 2))), ValueError, r"clustered_se: d must have shape \(N,\)"),
    (lambda: clustered_se([1., 2], clusters=[0, 0]), ValueError, "clustered_se: need at least 2 clusters"),
    (lambda: paired([1, 2, 3], [1, 2]), ValueError, "paired: ours and base must hold the same units"),
    (lambda: paired(np.ones((3, 2)), np.ones((3, 2))), ValueError, r"paired: ours must have shape \(N,\)"),
    (lambda: paired([1, 2, np.nan], [1, 2, 3]), ValueError, "paired: ours is nan at unit 2"),
    (lambda: paired([1, 2, 3], [1, np.inf, 3]), ValueError, "paired: base is inf at unit 1"),
    (lambda: paired([1.0], [2.0]), ValueError, "paired: ours needs at least 2 units"),
    (lambda: paired([1, 2, 3], [3, 2, 1], clusters=["a", "a", "a"]), ValueError, "paired: need at least 2 clusters"),
    (lambda: paired([1, 2, 3], [3, 2, 1], clusters=[0, 1]), ValueError, "paired: clusters must have shape"),
    (lambda: two_groups([1.0], [1.0, 2.0]), ValueError, "two_groups: a needs at least 2 units"),
    (lambda: two_groups([1.0, 2.0], [1.0, np.inf]), ValueError, "two_groups: b is inf at unit 1"),
    (lambda: binomial(5, 4, 0.5), ValueError, "binomial: need 0 ≤ successes ≤ n"),
    (lambda: binomial(-1, 4, 0.5), ValueError, "binomial: successes must be a non-negative integer"),
    (lambda: binomial(2.0, 4, 0.5), ValueError, "binomial: successes must be a non-negative integer"),
    (lambda: binomial(2, True, 0.5), ValueError, "binomial: n must be a non-negative integer"),
    (lambda: binomial(2, 4, 0.0), ValueError, "binomial: the chance rate p0"),
    (lambda: binomial(2, 4, 1.5), ValueError, "binomial: the chance rate p0"),
    (lambda: binomial(2, 4, 0.5, alternative="more"), ValueError, "binomial: alternative must be one of"),
    (lambda: fisher(5, 4, 1, 4), ValueError, "fisher: need 0 ≤ a_success ≤ a_n"),
    (lambda: fisher(1, 4, -1, 4), ValueError, "fisher: b_success must be a non-negative integer"),
    (lambda: mcnemar([1, 0], [1, 0, 1]), ValueError, "mcnemar: a_correct and b_correct must hold the same units"),
    (lambda: mcnemar([1, 0.5], [1, 0]), ValueError, "mcnemar: a_correct must hold booleans or 0/1"),
    (lambda: mcnemar([1, 0], []), ValueError, r"mcnemar: b_correct must have shape \(N,\)"),
    (lambda: equivalent(0.1, -0.1, band=1), ValueError, "equivalent: se must be ≥ 0"),
    (lambda: equivalent(np.nan, 0.1, band=1), ValueError, "equivalent: diff must be a finite number"),
    (lambda: equivalent(0.1, 0.1, band=0), ValueError, "equivalent: band must be > 0"),
    (lambda: equivalent(0.1, 0.1, band=-1), ValueError, "equivalent: band must be > 0"),
    (lambda: equivalent(0.1, 0.1, band=1, df=0), ValueError, "equivalent: df"),
    (lambda: equivalence(_P, band=0), ValueError, "equivalence: band must be > 0"),
    (lambda: equivalence(_P, band=np.inf), ValueError, "equivalence: band must be a finite number"),
    (lambda: equivalence(_P, rel_band=-0.1), ValueError, "equivalence: rel_band must be > 0"),
    (lambda: equivalence(_P0, rel_band=0.1), ValueError, r"equivalence: mean\(base\) is 0"),
    (lambda: equivalent_ratio([1., 2], [1., 2, 3], rel_band=0.1), ValueError, "paired: ours and base"),
    (lambda: noninferior(_P, margin=0), ValueError, "noninferior: margin must be > 0"),
    (lambda: noninferior(_P, margin=-0.1), ValueError, "noninferior: margin must be > 0"),
    (lambda: noninferior(_P, rel_margin=0), ValueError, "noninferior: rel_margin must be > 0"),
    (lambda: noninferior(_P, margin="0.1"), ValueError, "noninferior: margin must be a finite number"),
    (lambda: noninferior(_P0, rel_margin=0.1), ValueError, r"noninferior: mean\(base\) is 0"),
    (lambda: across_seeds([_P, "better"]), TypeError, "across_seeds: expected Paired results"),
    (lambda: groups_across_seeds([]), ValueError, "groups_across_seeds: no results given"),
    (lambda: consensus([]), ValueError, "consensus: no results given"),
    (lambda: consensus([object()]), ValueError, "consensus: every result needs a known verdict"),
    (lambda: sanity_gate("judge", 0.5), ValueError, "sanity_gate: give a floor or a ceiling for judge"),
    (lambda: sanity_gate("judge", 0.5, floor=2, ceiling=1), ValueError, "sanity_gate: floor 2 is above ceiling 1"),
])
def test_bad_input_names_function_and_parameter(call, exc, msg):
    with pytest.raises(exc, match=msg): call()

# ---------- the docs quote the committed calibration study ----------
def test_docs_statistics_tables_match_the_committed_calibration():
    "docs/statistics.md's tables are the report of benchmarks/results/stats_calibration.json, not typed by hand."
    import subprocess, sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "benchmarks/stats_calibration_report.py", "--check"], cwd=repo,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
