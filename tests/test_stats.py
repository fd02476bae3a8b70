"Tests for paper_kit.kit.stats: naive references (loops, brute-force sums), calibration by simulation, error cases."
import json, math
import numpy as np
import pytest
from paper_kit.kit.stats import (VERDICTS, clustered_se, paired, across_seeds, binomial, fisher, mcnemar,
    equivalent, equivalent_ratio, sanity_gate, claim_status, Paired)


# ---------- naive references (pure Python, from the definitions) ----------
def naive_clustered_se(d, clusters):
    "CR1 SE of mean(d): residuals summed per cluster by a loop, SE² = G/(G−1)·Σ_g(Σ_i r_i)²/N²."
    n = len(d); mean = sum(d) / n
    sums = {}
    for di, g in zip(d, clusters): sums[g] = sums.get(g, 0.0) + (di - mean)
    G = len(sums)
    return math.sqrt(G / (G - 1) * sum(s * s for s in sums.values()) / n ** 2)

def naive_se(d):
    "Ordinary SE of the mean, std(ddof=1)/sqrt(N), by loops."
    n = len(d); mean = sum(d) / n
    return math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1) / n)

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


# ---------- clustered SE and paired ----------
def test_clustered_se_vs_loops():
    rng = np.random.default_rng(0)
    for n, G in ((12, 3), (40, 7), (100, 100)):
        d, labels = rng.normal(size=n), rng.integers(0, G, size=n)
        if len(set(labels.tolist())) < 2: continue
        ref = naive_clustered_se(d.tolist(), labels.tolist())
        assert paired(d, np.zeros(n), clusters=labels).se == pytest.approx(ref, rel=1e-12)
    d = rng.normal(size=25)
    assert paired(d, np.zeros(25)).se == pytest.approx(naive_se(d.tolist()), rel=1e-12)
    # one unit per cluster is exactly the ordinary SE; string labels work
    assert clustered_se(d, [f"clip{i}" for i in range(25)])[0] == pytest.approx(naive_se(d.tolist()), rel=1e-12)

def test_clustering_matters_copies():
    "9 copies of 10 clips give the SE of the 10 clips, not a 3x smaller one."
    rng = np.random.default_rng(1)
    ours, base = rng.normal(size=10), rng.normal(size=10)
    one = paired(ours, base)
    nine = paired(np.repeat(ours, 9), np.repeat(base, 9), clusters=np.repeat(np.arange(10), 9))
    assert nine.se == pytest.approx(one.se, rel=1e-12) and nine.diff == pytest.approx(one.diff)
    assert (nine.n, nine.n_clusters) == (90, 10)
    wrong = paired(np.repeat(ours, 9), np.repeat(base, 9))        # copies taken as independent
    assert wrong.se < one.se / 3

def test_paired_fields_and_direction():
    ours, base = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 3.5, 3.5, 5.0])
    r = paired(ours, base)
    assert (r.mean_ours, r.mean_base, r.diff, r.n, r.n_clusters) == (2.5, 3.5, -1.0, 4, 4)
    assert r.improvement == 1.0 and r.verdict == "better"           # lower is better: ours is lower
    hi = paired(ours, base, lower_is_better=False)
    assert hi.improvement == -1.0 and hi.verdict == "worse"
    assert paired(ours, ours).verdict == "undecided"                # identical: no difference, se 0
    assert paired(ours, base, k=100).verdict == "undecided"

@pytest.mark.parametrize("call, msg", [
    (lambda: paired([1, 2, 3], [1, 2]), "same units"),
    (lambda: paired(np.ones((3, 2)), np.ones((3, 2))), r"shape \(N,\)"),
    (lambda: paired([1, 2, np.nan], [1, 2, 3]), "nan at unit 2"),
    (lambda: paired([1, 2, 3], [1, np.inf, 3]), "base is inf"),
    (lambda: paired([1.0], [2.0]), "at least 2 units"),
    (lambda: paired([1, 2, 3], [3, 2, 1], clusters=["a", "a", "a"]), "at least 2 clusters"),
    (lambda: paired([1, 2, 3], [3, 2, 1], clusters=[0, 1]), "clusters must have shape"),
    (lambda: paired([1, 2, 3], [3, 2, 1], k=0), "k must be"),
])
def test_paired_errors(call, msg):
    with pytest.raises(ValueError, match=msg): call()


# ---------- calibration by simulation ----------
def test_paired_null_is_undecided():
    "Untrained-like data (ours = base + pure noise): 'undecided' in about 95 % of 500 datasets at k = 2."
    rng = np.random.default_rng(2)
    undecided = 0
    for _ in range(500):
        base = rng.normal(5, 2, size=50)
        undecided += paired(base + rng.normal(0, 1, size=50), base).verdict == "undecided"
    assert undecided / 500 >= 0.93, undecided

def test_paired_null_with_clusters():
    "Mixtures sharing their clip's effect: calibrated with clusters, far too many false alarms without."
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(30), 4)
    hits = {True: 0, False: 0}
    for _ in range(500):
        base = rng.normal(size=120)
        ours = base + rng.normal(size=30)[labels] + rng.normal(size=120)
        for use in (True, False):
            hits[use] += paired(ours, base, clusters=labels if use else None).verdict != "undecided"
    assert hits[True] / 500 <= 0.08 and hits[False] / 500 >= 0.15, hits

def test_paired_detects_4se_effect():
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
def _seed(base, gain, rng, sd=1.0, clusters=None):
    return paired(base + gain + rng.normal(0, sd, size=len(base)), base, clusters, lower_is_better=False)

def test_across_seeds_disagreement_is_undecided():
    rng = np.random.default_rng(5)
    base = rng.normal(5, 2, size=40)
    good = [_seed(base, 1.0, rng) for _ in range(3)]
    assert across_seeds(good).verdict == "better"
    flat = paired(base + rng.normal(0, 1, 40) - 1.0, base, lower_is_better=False)     # a seed that came out worse
    even = paired(base + np.tile([1.0, -1.0], 20), base, lower_is_better=False)         # mean difference 0
    assert (flat.verdict, even.verdict) == ("worse", "undecided")
    for other in (flat, even):
        s = across_seeds(good[:2] + [other])
        assert s.verdict == "undecided" and "changes with the seed" in s.reason, s

def test_across_seeds_single_and_combined_se():
    rng = np.random.default_rng(6)
    clusters = np.repeat(np.arange(10), 3)
    base = rng.normal(size=30)
    rs = [_seed(base, g, rng, clusters=clusters) for g in (0.8, 1.0, 1.3)]
    s = across_seeds(rs)
    imp = np.array([r.improvement for r in rs])
    d_mean = np.mean([r.d for r in rs], axis=0)
    assert s.improvement == pytest.approx(imp.mean())
    assert s.se_units == pytest.approx(naive_clustered_se(d_mean.tolist(), clusters.tolist()))
    assert s.se == pytest.approx(math.sqrt(s.se_units ** 2 + imp.var(ddof=1) / 3))
    one = across_seeds(rs[:1])
    assert one.verdict == rs[0].verdict and "1 seed" in one.reason and one.se == pytest.approx(rs[0].se)
    # without per-unit data (a hand-built record) the unit part is taken as fully shared: sqrt(mean se²)
    bare = [Paired(r.mean_ours, r.mean_base, r.diff, r.se, r.n, r.n_clusters, r.k, r.lower_is_better, r.verdict)
            for r in rs]
    assert across_seeds(bare).se_units == pytest.approx(math.sqrt(np.mean([r.se ** 2 for r in rs])))
    with pytest.raises(ValueError, match="must share metric, k and units"):
        across_seeds([rs[0], paired(base, base + 1, clusters, lower_is_better=True)])
    with pytest.raises(ValueError, match="other clusters"):
        across_seeds([rs[0], _seed(base, 1.0, rng)])

def test_across_seeds_se_calibrated_with_shared_units():
    """Seeds evaluated on the same units share the unit-sampling error: the combined SE matches the real spread of
    the combined improvement, while mean(se²)/S + var_between/S (units taken as independent per seed) is too small."""
    rng = np.random.default_rng(7)
    S, N, sims = 3, 30, 400
    imps, se2, naive2, alarms, naive_alarms = [], [], [], 0, 0
    for _ in range(sims):
        base, u = rng.normal(size=N), rng.normal(size=N)                  # u: unit effect shared by the seeds
        rs = [paired(base + u + rng.normal(0, 0.3, N), base, lower_is_better=False) for _ in range(S)]
        s = across_seeds(rs)
        naive = math.sqrt(np.mean([r.se ** 2 for r in rs]) / S + np.var(s.seed_improvements, ddof=1) / S)
        imps.append(s.improvement); se2.append(s.se ** 2); naive2.append(naive ** 2)
        alarms += abs(s.improvement) > 2 * s.se; naive_alarms += abs(s.improvement) > 2 * naive
    real_sd = np.std(imps)
    assert 0.85 < math.sqrt(np.mean(se2)) / real_sd < 1.25
    assert math.sqrt(np.mean(naive2)) / real_sd < 0.75
    assert alarms / sims <= 0.09 and naive_alarms / sims >= 0.15, (alarms, naive_alarms)


# ---------- binomial, Fisher, McNemar ----------
@pytest.mark.parametrize("x, n, p0", [(17, 40, 0.25), (3, 40, 0.25), (10, 40, 0.25), (9, 12, 0.5), (0, 7, 0.1)])
def test_binomial_vs_brute_force(x, n, p0):
    for alt in ("greater", "less", "two-sided"):
        b = binomial(x, n, p0, alternative=alt)
        assert b.p_value == pytest.approx(naive_binom_p(x, n, p0, alt), rel=1e-9, abs=1e-15)
    low, high = naive_clopper_pearson(x, n)
    assert b.ci_low == pytest.approx(low, abs=1e-9) and b.ci_high == pytest.approx(high, abs=1e-9)
    assert b.rate == x / n and b.ci == (b.ci_low, b.ci_high)

def test_binomial_verdicts():
    assert binomial(17, 40, 0.25).verdict == "above chance"
    assert binomial(12, 40, 0.25).verdict == "undecided"
    assert binomial(3, 40, 0.25).verdict == "below chance"          # wrong side of chance: reported, not hidden
    assert binomial(3, 40, 0.25, alternative="less").verdict == "below chance"
    assert binomial(17, 40, 0.25, alternative="less").verdict == "above chance"
    assert binomial(17, 40, 0.25, alternative="two-sided").verdict == "above chance"
    assert binomial(16, 40, 0.25, alpha=1e-3).verdict == "undecided"
    for bad, msg in (((5, 4, 0.5), "≤"), ((-1, 4, 0.5), "non-negative"), ((2, 4, 0.0), "p0"), ((2, 4, 1.5), "p0")):
        with pytest.raises(ValueError, match=msg): binomial(*bad)
    with pytest.raises(ValueError, match="alternative"): binomial(2, 4, 0.5, alternative="more")

def test_binomial_null_rarely_above_chance():
    "Random peaks (rate = p0): 'above chance' in at most ~5 % of 500 datasets."
    rng = np.random.default_rng(8)
    above = sum(binomial(int(x), 60, 0.3).verdict == "above chance" for x in rng.binomial(60, 0.3, size=500))
    assert above / 500 <= 0.07, above

@pytest.mark.parametrize("a, an, b, bn", [(45, 50, 30, 50), (30, 50, 45, 50), (33, 50, 30, 50), (5, 9, 0, 11),
                                          (10, 10, 10, 10)])
def test_fisher_vs_enumeration(a, an, b, bn):
    f = fisher(a, an, b, bn)
    p = naive_fisher_p(a, an, b, bn)
    assert f.p_value == pytest.approx(p, rel=1e-9)
    want = "undecided" if p >= 0.05 else "better" if a / an > b / bn else "worse"
    assert f.verdict == want

def test_mcnemar_exact():
    rng = np.random.default_rng(9)
    a, b = rng.random(80) < 0.75, rng.random(80) < 0.55
    m = mcnemar(a, b)
    x, y = int((a & ~b).sum()), int((~a & b).sum())
    assert (m.a_only, m.b_only, m.n) == (x, y, 80)
    assert m.p_value == pytest.approx(naive_binom_p(x, x + y, 0.5, "two-sided"), rel=1e-9)
    assert mcnemar(a, a).verdict == "undecided" and mcnemar(a, a).p_value == 1.0
    # 5 discordant clips all for a: p = 2/32, no verdict possible yet; 6: p = 2/64
    five = np.r_[np.ones(5), np.zeros(5)].astype(bool)
    assert mcnemar(five, np.zeros(10, bool)).verdict == "undecided"
    assert mcnemar(np.ones(6, bool), np.zeros(6, bool)).verdict == "better"
    assert mcnemar(np.zeros(6, bool), np.ones(6, bool)).verdict == "worse"
    with pytest.raises(ValueError, match="same units"): mcnemar([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match="0/1"): mcnemar([1, 0.5], [1, 0])


# ---------- equivalence ----------
@pytest.mark.parametrize("diff, se, want", [
    (0.1, 0.1, "comparable"),     # [-0.1, 0.3] inside [-0.5, 0.5]
    (-0.2, 0.1, "comparable"),
    (1.0, 0.1, "different"),      # [0.8, 1.2] entirely above
    (-0.9, 0.1, "different"),     # entirely below
    (0.1, 0.3, "undecided"),      # [-0.5, 0.7]: straddles the edge
    (0.6, 0.1, "undecided"),      # [0.4, 0.8]: straddles the edge
    (0.0, 10.0, "undecided"),     # far too noisy: never "comparable" by absence of evidence
])
def test_equivalent_three_cases(diff, se, want):
    e = equivalent(diff, se, band=0.5)
    assert e.verdict == want and (e.low, e.high) == pytest.approx((diff - 2 * se, diff + 2 * se))

def test_equivalent_errors_and_ratio():
    for kw, msg in ((dict(band=0), "band must be > 0"), (dict(band=-1), "band must be > 0"),
                    (dict(band=1, k=-1), "k must")):
        with pytest.raises(ValueError, match=msg): equivalent(0.1, 0.1, **kw)
    with pytest.raises(ValueError, match="se must be"): equivalent(0.1, -0.1, band=1)
    rng = np.random.default_rng(10)
    base = rng.uniform(1, 2, size=60); clusters = np.repeat(np.arange(20), 3)
    close = equivalent_ratio(base * 1.05 + rng.normal(0, 0.02, 60), base, clusters)
    p = paired(base * 1.05, base, clusters)
    assert close.verdict == "comparable" and close.band == pytest.approx(0.25 * base.mean())
    assert close.n_clusters == 20 and close.rel_band == 0.25
    assert equivalent_ratio(base * 1.05, base, clusters).se == pytest.approx(p.se)
    assert equivalent_ratio(base * 2, base).verdict == "different"
    assert equivalent_ratio(base[:3] + [0.6, -0.6, 0.6], base[:3]).verdict == "undecided"
    with pytest.raises(ValueError, match="mean\\(base\\) is 0"): equivalent_ratio([1, -1.0], [1, -1.0])

def test_equivalent_null_noise_is_not_comparable():
    "A tiny, noisy evaluation of a method 30 % off must not come out 'comparable'."
    rng = np.random.default_rng(11)
    comparable = sum(equivalent_ratio(b * 1.3 + rng.normal(0, 1, 8), b).verdict == "comparable"
                     for b in rng.uniform(1, 2, size=(300, 8)))
    assert comparable / 300 <= 0.05, comparable


# ---------- sanity gate, claim status, evidence ----------
def test_sanity_gate():
    msg = sanity_gate("DIFFER", 54.1, ceiling=30.2, metric="Chamfer", ceiling_name="the category-mean-shape Chamfer")
    assert msg == "reference DIFFER is not sane: Chamfer 54.1 is above the category-mean-shape Chamfer 30.2"
    assert sanity_gate("DIFFER", 30.2, ceiling=30.2) is None
    assert "below the floor 0.9" in sanity_gate("judge", 0.6, floor=0.9)
    assert sanity_gate("judge", 0.95, floor=0.9, ceiling=1.0) is None
    assert "is nan" in sanity_gate("judge", float("nan"), floor=0.9)
    with pytest.raises(ValueError, match="floor or a ceiling"): sanity_gate("judge", 0.5)
    with pytest.raises(ValueError, match="above ceiling"): sanity_gate("judge", 0.5, floor=2, ceiling=1)

def test_claim_status():
    assert claim_status("better", "comparable", "above chance") == "pass"
    assert claim_status("better", "undecided") == "undecided"
    assert claim_status("undecided", "worse") == "fail" and claim_status("different") == "fail"
    assert claim_status("below chance", "better") == "fail"
    assert claim_status(binomial(17, 40, 0.25), equivalent(0, 0.1, 1)) == "pass"
    assert claim_status("worse", good="worse") == "pass" and claim_status("comparable", good=("different",)) == "fail"
    with pytest.raises(ValueError, match="unknown verdict"): claim_status("better", "beter")
    with pytest.raises(ValueError, match="no verdicts"): claim_status()

def test_evidence_is_flat_rounded_json():
    rng = np.random.default_rng(12)
    base = rng.normal(5, 1, 30)
    p = paired(base - 0.5 + rng.normal(0, 0.3, 30), base)
    records = [p, across_seeds([p, p]), binomial(17, 40, 0.25), fisher(45, 50, 30, 50), equivalent(0.1, 0.1, 0.5),
               mcnemar(rng.random(30) < 0.8, rng.random(30) < 0.5), equivalent_ratio(base * 1.01, base)]
    for r in records:
        ev = r.evidence()
        json.dumps(ev, allow_nan=False)
        assert list(ev)[-1] in ("verdict", "reason") and ev["verdict"] in VERDICTS
        assert all(isinstance(v, (int, float, str, bool)) for v in ev.values()), ev
        assert all(len(repr(v)) <= 12 for v in ev.values() if isinstance(v, float)), ev
    ev = p.evidence()
    assert "d" not in ev and "clusters" not in ev and ev["improvement"] == float(f"{p.improvement:.4g}")
    with pytest.raises(Exception): p.verdict = "better"                     # frozen


def test_consensus_keeps_only_a_verdict_every_seed_shares():
    from paper_kit.kit.stats import consensus, mcnemar
    a = np.array([1] * 15 + [0] * 5, bool); b = np.array([0] * 15 + [1] * 5, bool)
    tests = [mcnemar(a, b)] * 3
    assert consensus(tests).verdict == tests[0].verdict == "better"
    assert consensus(tests[:2] + [mcnemar(a, a)]).verdict == "undecided"
    with pytest.raises(ValueError, match="known verdict"):
        consensus([object()])


def test_two_groups_matches_a_naive_welch_difference_and_is_calibrated():
    from paper_kit.kit.stats import two_groups
    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 2, 30), rng.normal(0, 1, 50)
    g = two_groups(a, b)
    naive = (np.var(a, ddof=1) / 30 + np.var(b, ddof=1) / 50) ** 0.5
    assert g.se == pytest.approx(naive) and g.difference == pytest.approx(a.mean() - b.mean())
    alarms = np.mean([two_groups(rng.normal(0, 1, 40), rng.normal(0, 3, 40)).verdict != "undecided"
                      for _ in range(2000)])
    assert alarms < 0.07   # two-sided 2 s.e. on equal means: about 5 %
