"""Distribution quality at 10**7 samples per case (issue 6), fixed seeds so
never flaky: Kolmogorov-Smirnov, Anderson-Darling and chi-square (1000
equiprobable bins) against scipy.stats, mean/variance/skewness/kurtosis
within 5 standard errors, tail and bound frequencies against the binomial
law, finiteness and the documented largest values.

Every case is drawn at float32 and float64 working precision from 2 seeds x
2 streams (a seed >= 2**32 and a str stream among them). Each sample is
generated once, sorted once, and reduced to a few figures that all the
checks read (``figures``); the four samples of a case are computed on two
threads (numpy's sort and scipy's special functions release the GIL).

The probability integral transform uses scipy.special.log_ndtr directly
(scipy.stats.truncnorm.logcdf takes ~10 s per 10**7 points); it is checked
against scipy.stats.truncnorm's logcdf/logsf in ``test_log_cdf_matches_scipy``.

``python tests/test_quality.py`` prints the README's table of figures.
"""
from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi

stats = pytest.importorskip("scipy.stats", reason=missing("scipy", TEST))
special = pytest.importorskip("scipy.special", reason=missing("scipy", TEST))

N = 10**7
P_MIN = 1e-4          # p-value floor of KS, AD, chi-square and the binomial counts
Z_MAX = 5.0           # moments within 5 standard errors
BINS = 1000
INVCDF_EPS = 8        # working-precision error of the inverse CDF, units of eps*max(1,|z|)
INF = math.inf
SEEDS = (20240601, 2**32 + 20240601)          # key (lo, 0) and a key with both words set
STREAMS = ("int", "str")                       # per case: 2**40 + index, "quality/<case>"
DTYPES = ("float32", "float64")
DOCUMENTED_NORMAL_MAX = {"float32": 5.768, "float64": 8.572}   # README, "The stream"

# name -> (truncation bounds or None, tail events (label, side, threshold))
# side "<": count x < t; ">": count x > t; probabilities from the scipy law.
CASES = {
    "uniform": (None, [("<", 2.0**-10), ("<", 2.0**-17), (">", 1 - 2.0**-10), (">", 1 - 2.0**-17)]),
    "normal": (None, [("<", -3.0), ("<", -4.0), ("<", -5.0),
                      (">", 3.0), (">", 4.0), (">", 5.0)]),
    "truncnorm(-2,2)": ((-2.0, 2.0), [("<", -1.9), ("<", -1.99), (">", 1.9), (">", 1.99)]),
    "truncnorm(0,inf)": ((0.0, INF), [("<", 1e-3), (">", 3.0), (">", 4.0), (">", 5.0)]),
    "truncnorm(-0.1,0.1)": ((-0.1, 0.1), [("<", -0.099), ("<", -0.0999),
                                          (">", 0.099), (">", 0.0999)]),
    "truncnorm(3,8)": ((3.0, 8.0), [("<", 3.001), (">", 4.0), (">", 5.0), (">", 6.0)]),
    "truncnorm(-inf,-4)": ((-INF, -4.0), [("<", -5.0), ("<", -6.0), ("<", -6.5),
                                          (">", -4.001)]),
}
MOMENTS = ("mean", "variance", "skewness", "kurtosis")


# -- the laws -------------------------------------------------------------------
def law(case):
    """The frozen scipy distribution of a case."""
    bounds = CASES[case][0]
    if case == "uniform":
        return stats.uniform()
    if bounds is None:
        return stats.norm()
    return stats.truncnorm(*bounds)


def _log_diff(log_hi, log_lo, out):
    """out = log(exp(log_hi) - exp(log_lo)) for log_hi >= log_lo, without
    cancellation; in place (10**7-element temporaries cost page faults)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.subtract(log_lo, log_hi, out=out)
        np.expm1(out, out=out)
        np.negative(out, out=out)
        np.log(out, out=out)
        np.add(out, log_hi, out=out)
    return out


def log_cdf_sf(case, x):
    """(log F(x), log(1 - F(x))) of the case's law, accurate in both tails.

    Truncated normals are evaluated on the side holding less mass (mirrored
    if needed) from log Phi, so (3, 8) and (-inf, -4) keep full precision."""
    bounds = CASES[case][0]
    if case == "uniform":
        with np.errstate(divide="ignore"):
            return np.log(x), np.log1p(-x)
    if bounds is None:
        return special.log_ndtr(x), special.log_ndtr(np.negative(x))
    a, b = bounds
    flip = a + b > 0
    lx = np.negative(x) if flip else x.copy()
    if flip:
        a, b = -b, -a
    special.log_ndtr(lx, out=lx)
    la, lb = float(special.log_ndtr(a)), float(special.log_ndtr(b))
    log_mass = float(_log_diff(np.float64(lb), np.float64(la), np.empty(())))
    lower = _log_diff(lx, la, np.empty_like(lx))
    lower -= log_mass
    upper = _log_diff(np.float64(lb), lx, lx)
    upper -= log_mass
    return (upper, lower) if flip else (lower, upper)


def edge_cells(case, dtype):
    """For each bounded side, (grid value g, width): output values at g (or
    beyond it) stand for true values within ``width`` of the bound, which
    holds probability ~ pdf(bound) * width. The width is the output cell (the
    float32 rounding of 3 + 1e-7 is 3.0 exactly) plus, for the inverse CDF,
    its working-precision error, which the clamp to [a, b] moves onto the
    bound: up to INVCDF_EPS units of eps * max(1, |z|) (AS 241 is accurate to
    ~1e-7 (PPND7) / ~1e-16 (PPND16) relative; measured at most ~6 eps with
    float32 or float64 arithmetic)."""
    t = np.dtype(dtype).type
    bounds = (0.0, 1.0) if case == "uniform" else CASES[case][0]

    def slack(bound):
        return INVCDF_EPS * float(np.finfo(dtype).eps) * max(1.0, abs(bound))

    if bounds is None:
        return None, None
    a, b = bounds
    lower = upper = None
    if math.isfinite(a):
        g = float(t(a))
        if case == "uniform":    # floor of a grid: value 0 stands for [0, 2**-24) or [0, 2**-53)
            width = 2.0**-24 if dtype == "float32" else 2.0**-53
        else:                    # round to nearest: the cell above g reaches its midpoint
            width = (g - a) + float(np.nextafter(t(g), t(INF)) - t(g)) / 2 + slack(a)
        lower = (g, width)
    if math.isfinite(b) and case != "uniform":
        g = float(t(b))
        width = (b - g) + float(t(g) - np.nextafter(t(g), t(-INF))) / 2 + slack(b)
        upper = (g, width)
    return lower, upper


def ad_pvalue(a2):
    """P(A^2 > a2) of the asymptotic Anderson-Darling law for a fully specified
    distribution (Marsaglia & Marsaglia 2004, J. Stat. Softw. 9(2), ``adinf``)."""
    z = a2
    if z <= 0:
        return 1.0
    if z < 2.0:
        poly = np.polyval([0.00168691, -0.011672, 0.0347962, -0.0649821, 0.247105, 2.00012], z)
        cdf = math.exp(-1.2337141 / z) / math.sqrt(z) * poly
    else:
        cdf = math.exp(-math.exp(np.polyval([-0.0003146, 0.008056, -0.082433, 0.43424, -2.30695,
                                             1.0776], z)))
    return 1.0 - cdf


def moments_and_errors(dist, support):
    """Exact mean, variance, skewness and excess kurtosis of ``dist`` and the
    standard errors of their sample estimates at N: the variance of each
    estimator's influence function (delta method; central moments to 8),
    integrated over ``support`` (cut at 40 sd)."""
    mean, var, skew, kurt = (float(v) for v in dist.stats(moments="mvsk"))
    mu2, mu3, mu4 = var, skew * var**1.5, (kurt + 3.0) * var**2

    def influence(d, k):
        # d = x - mean: the influence of one sample on the k-th estimate
        i2 = d**2 - mu2
        if k == 0:
            return d
        if k == 1:
            return i2
        if k == 2:
            return (d**3 - mu3 - 3 * mu2 * d) / mu2**1.5 - 1.5 * mu3 * i2 / mu2**2.5
        return (d**4 - mu4 - 4 * mu3 * d) / mu2**2 - 2 * mu4 * i2 / mu2**3

    lo = max(support[0], mean - 40 * math.sqrt(var))
    hi = min(support[1], mean + 40 * math.sqrt(var))
    variances = [dist.expect(lambda x, k=k: influence(x - mean, k) ** 2, lb=lo, ub=hi,
                             epsabs=0, epsrel=1e-11, limit=200) for k in range(4)]
    return (mean, var, skew, kurt), tuple(math.sqrt(v / N) for v in variances)


def kolmogorov_smirnov_sorted(f):
    """(D, p) of the one-sample KS test from the sorted CDF values ``f``:
    the statistic and p-value of scipy.stats.kstest (two-sided, its default
    exact method, scipy.stats.kstwo), without kstest's second sort."""
    n = f.size
    t = np.arange(n, dtype=np.float64)
    t /= n
    np.subtract(f, t, out=t)                  # F_i - (i-1)/n
    d = max(float(t.max()), 1.0 / n - float(t.min()))
    return d, float(stats.kstwo.sf(d, n))


def anderson_darling_sorted(log_f, log_s):
    """One-sample A^2 from sorted log F and log(1 - F):
    A^2 = -n - (1/n) sum (2i-1) (log F_i + log S_{n+1-i})
        = -n - (1/n) [sum (2i-1) (log F_i - log S_i) + 2n sum log S_i]."""
    n = log_f.size
    w = np.arange(1, 2 * n, 2, dtype=np.float64)
    total = float(np.dot(w, log_f - log_s)) + 2.0 * n * float(np.sum(log_s))
    return -n - total / n


@functools.lru_cache(maxsize=None)
def exact_moments(case):
    if case == "uniform":
        return moments_and_errors(law(case), (0.0, 1.0))
    return moments_and_errors(law(case), CASES[case][0] or (-INF, INF))


# -- one sample, all its figures ----------------------------------------------------
@dataclass
class Figures:
    n: int
    nonfinite: int
    min: float
    max: float
    ks_d: float
    ks_p: float
    ad: float
    ad_p: float
    chi2: float
    chi2_p: float
    moments: tuple          # sample mean, variance, skewness, excess kurtosis
    moment_z: tuple         # (sample - exact) / standard error
    tails: list             # (side, threshold, count, probability)
    edges: list             # (side, grid value, count at or beyond it, probability)


def stream_of(case, kind):
    return 2**40 + list(CASES).index(case) if kind == "int" else f"quality/{case}"


def draw(case, dtype, seed, stream_kind, n=N, threads=None):
    g = wi.Generator(seed, stream_of(case, stream_kind))
    bounds = CASES[case][0]
    if case == "uniform":
        return g.random(n, dtype=dtype, threads=threads)
    if bounds is None:
        return g.standard_normal(n, dtype=dtype, threads=threads)
    return g.truncated_normal(0.0, 1.0, *bounds, size=n, dtype=dtype, threads=threads)


def compute_figures(case, dtype, seed, stream_kind):
    x = draw(case, dtype, seed, stream_kind, threads=1)
    n = x.size
    nonfinite = int(n - np.isfinite(x).sum())
    x.sort()                                   # in the output precision: NaN last
    xs = x.astype(np.float64)
    del x
    lo, hi = float(xs[0]), float(xs[-1])
    dist = law(case)

    # tail and bound counts (sorted: a binary search each)
    tails = []
    for side, t in CASES[case][1]:
        if side == "<":
            count, p = int(np.searchsorted(xs, t, "left")), float(dist.cdf(t))
        else:
            count, p = n - int(np.searchsorted(xs, t, "right")), float(dist.sf(t))
        tails.append((side, t, count, p))
    if case == "normal":
        tails += [(">|z|", k, int(np.searchsorted(xs, -k) + n - np.searchsorted(xs, k, "right")),
                   float(2 * dist.sf(k))) for k in (3.0, 4.0, 5.0)]
    lower, upper = edge_cells(case, dtype)
    a, b = (0.0, 1.0) if case == "uniform" else (CASES[case][0] or (-INF, INF))
    edges = []
    if lower is not None:
        g, width = lower
        edges.append(("<=", g, int(np.searchsorted(xs, g, "right")), float(dist.pdf(a)) * width))
    if upper is not None:
        g, width = upper
        edges.append((">=", g, n - int(np.searchsorted(xs, g, "left")), float(dist.pdf(b)) * width))

    # chi-square on equiprobable bins, edges from scipy's ppf
    cuts = dist.ppf(np.arange(1, BINS) / BINS)
    counts = np.diff(np.concatenate(([0], np.searchsorted(xs, cuts, "left"), [n])))
    chi = stats.chisquare(counts)

    # moments (two passes, float64)
    mean = float(xs.mean())
    d = xs - mean
    d2 = d * d
    m2, m3, m4 = float(d2.mean()), float(np.dot(d2, d)) / n, float(np.dot(d2, d2)) / n
    del d, d2
    sample = (mean, m2, m3 / m2**1.5, m4 / m2**2 - 3.0)
    exact, se = exact_moments(case)
    moment_z = tuple((s - e) / u for s, e, u in zip(sample, exact, se))

    # probability integral transform; values on a bound (rounded or clamped
    # onto it) have F = 0 or 1: they take half the probability of their edge cell
    log_f, log_s = log_cdf_sf(case, xs)
    del xs
    for side, g, count, p_cell in edges:
        if count and p_cell > 0:
            part = log_f[:count] if side == "<=" else log_s[n - count:]
            part[~np.isfinite(part)] = math.log(p_cell / 2)
    ks_d, ks_p = kolmogorov_smirnov_sorted(np.exp(log_f))
    a2 = anderson_darling_sorted(log_f, log_s)
    return Figures(n, nonfinite, lo, hi, ks_d, ks_p,
                   a2, ad_pvalue(a2), float(chi.statistic), float(chi.pvalue), sample, moment_z,
                   tails, edges)


@functools.lru_cache(maxsize=None)
def figures(case, dtype):
    """{(seed, stream kind): Figures} of the case, computed once, two at a time."""
    keys = [(seed, kind) for seed in SEEDS for kind in STREAMS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda k: compute_figures(case, dtype, *k), keys))
    return dict(zip(keys, results))


SAMPLES = [pytest.param(case, dtype, seed, kind, id=f"{case}-{dtype}-{seed:#x}-{kind}")
           for case in CASES for dtype in DTYPES for seed in SEEDS for kind in STREAMS]


def fig(case, dtype, seed, kind):
    return figures(case, dtype)[(seed, kind)]


# -- the checks ----------------------------------------------------------------------
@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_finite_and_within_documented_range(case, dtype, seed, kind):
    """No NaN or inf, and the extremes the README's method allows: uniform in
    [0, 1 - 2**-24] / [0, 1 - 2**-53]; normal |z| at most 5.768 / 8.572;
    truncated normal in [a, b] (in the output precision) and, at float32,
    within the inverse CDF of u in [2**-24, 1 - 2**-24] (u = ((w >> 9) + 0.5)
    * 2**-23), up to its working-precision error."""
    f = fig(case, dtype, seed, kind)
    assert f.nonfinite == 0, f"{f.nonfinite} NaN/inf values"
    t = np.dtype(dtype).type
    if case == "uniform":
        top = 1 - (2.0**-24 if dtype == "float32" else 2.0**-53)
        assert 0.0 <= f.min and f.max <= top, (f.min, f.max)
    elif CASES[case][0] is None:
        largest = max(-f.min, f.max)
        assert largest <= DOCUMENTED_NORMAL_MAX[dtype], f"max |z| = {largest!r}"
    else:
        a, b = CASES[case][0]
        assert f.min >= float(t(a)) and f.max <= float(t(b)), (f.min, f.max)
        if dtype == "float32":
            dist, eps = law(case), float(np.finfo(np.float32).eps)
            lo, hi = float(dist.ppf(2.0**-24)), float(dist.isf(2.0**-24))
            assert f.min >= lo - INVCDF_EPS * eps * max(1.0, abs(lo)), (f.min, lo)
            assert f.max <= hi + INVCDF_EPS * eps * max(1.0, abs(hi)), (f.max, hi)


@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_kolmogorov_smirnov(case, dtype, seed, kind):
    f = fig(case, dtype, seed, kind)
    assert f.ks_p > P_MIN, f"D = {f.ks_d:.3e}, p = {f.ks_p:.2e}"


@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_anderson_darling(case, dtype, seed, kind):
    """A^2 of the fully specified law; p from its asymptotic distribution
    (p = 1e-4 at A^2 = 8.09; 6.0 is p = 0.001), sensitive in the tails where KS is not."""
    f = fig(case, dtype, seed, kind)
    assert f.ad_p > P_MIN, f"A^2 = {f.ad:.3f}, p = {f.ad_p:.2e}"


@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_chi_square_equiprobable_bins(case, dtype, seed, kind):
    f = fig(case, dtype, seed, kind)
    assert f.chi2_p > P_MIN, f"chi2 = {f.chi2:.1f} on {BINS - 1} dof, p = {f.chi2_p:.2e}"


@pytest.mark.parametrize("moment", range(4), ids=MOMENTS)
@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_moment_within_5_standard_errors(case, dtype, seed, kind, moment):
    f = fig(case, dtype, seed, kind)
    exact = exact_moments(case)[0][moment]
    assert abs(f.moment_z[moment]) < Z_MAX, (f"{MOMENTS[moment]}: {f.moments[moment]!r} vs "
                                             f"exact {exact!r}, z = {f.moment_z[moment]:.2f}")


@pytest.mark.parametrize("case, dtype, seed, kind", SAMPLES)
def test_tail_counts_binomial(case, dtype, seed, kind):
    """Counts beyond thresholds (beyond 3, 4, 5 sigma for the normal, each
    side and both) follow Binomial(N, p) of the scipy law."""
    f = fig(case, dtype, seed, kind)
    bad = [(side, t, count, round(N * p, 2)) for side, t, count, p in f.tails
           if stats.binomtest(count, N, p).pvalue <= P_MIN]
    assert not bad, f"(side, threshold, count, expected): {bad}"


@pytest.mark.parametrize("case, dtype, seed, kind",
                         [s for s in SAMPLES if s.values[0] != "normal"])
def test_no_mass_piled_on_bounds(case, dtype, seed, kind):
    """Values equal to a bound in the output precision (rounded or clamped
    onto it) are no more frequent than the law's probability within the
    output cell plus the inverse CDF's working-precision error of the bound
    (``edge_cells``): one-sided binomial test. Catches a clamp that piles
    up mass, which KS and AD cannot see below ~1e-5."""
    f = fig(case, dtype, seed, kind)
    bad = [(side, g, count, N * p) for side, g, count, p in f.edges
           if stats.binomtest(count, N, min(p, 1.0), alternative="greater").pvalue <= P_MIN]
    assert not bad, f"(side, bound, count, expected): {bad}"


@pytest.mark.parametrize("case", [c for c in CASES if c not in ("uniform", "normal")])
def test_log_cdf_matches_scipy(case):
    """The fast log F / log S used above agree with scipy.stats.truncnorm
    from 1e-8 to 1 - 1e-8, beyond the smallest F of a 10**7 sample
    (including the far tails of the tails)."""
    dist = law(case)
    p = np.concatenate([np.logspace(-8, -1, 200), np.linspace(0.01, 0.99, 999)])
    x = np.concatenate([dist.ppf(p), dist.isf(p)])
    log_f, log_s = log_cdf_sf(case, x)
    np.testing.assert_allclose(log_f, dist.logcdf(x), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(log_s, dist.logsf(x), rtol=1e-7, atol=1e-12)


def test_standard_errors_match_sampling_theory():
    """The influence-function standard errors are the textbook ones for a
    normal law (sqrt(var/n), sqrt(2/n), sqrt(6/n), sqrt(24/n)) and for a
    uniform one (var 1/12, mu4 1/80)."""
    exact, se = moments_and_errors(stats.norm(), (-INF, INF))
    assert exact == pytest.approx((0.0, 1.0, 0.0, 0.0), abs=1e-12)
    assert se == pytest.approx([math.sqrt(k / N) for k in (1, 2, 6, 24)], rel=1e-6)
    exact, se = moments_and_errors(stats.uniform(), (0.0, 1.0))
    assert exact == pytest.approx((0.5, 1 / 12, 0.0, -1.2), abs=1e-12)
    assert se[:2] == pytest.approx([math.sqrt(1 / 12 / N), math.sqrt((1 / 80 - 1 / 144) / N)],
                                   rel=1e-6)


def test_ks_and_ad_helpers_match_scipy_and_definition():
    """The sorted-sample KS equals scipy.stats.kstest; the rearranged A^2
    equals the textbook sum."""
    x = np.sort(np.random.default_rng(1).standard_normal(20_000))
    ref = stats.kstest(x, stats.norm.cdf)
    d, p = kolmogorov_smirnov_sorted(stats.norm.cdf(x))
    assert d == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-9)
    n, i = x.size, np.arange(1, x.size + 1)
    textbook = -n - np.mean((2 * i - 1) * (stats.norm.logcdf(x) + stats.norm.logsf(x[::-1])))
    assert anderson_darling_sorted(stats.norm.logcdf(x), stats.norm.logsf(x)) == pytest.approx(
        textbook, rel=1e-9)


def test_anderson_darling_pvalue_approximation():
    """Marsaglia's adinf at the classic critical values of the fully specified
    case: 1.933 (10 %), 2.492 (5 %), 3.857 (1 %)."""
    assert ad_pvalue(1.933) == pytest.approx(0.10, abs=2e-3)
    assert ad_pvalue(2.492) == pytest.approx(0.05, abs=1e-3)
    assert ad_pvalue(3.857) == pytest.approx(0.01, abs=5e-4)


# -- the README table ---------------------------------------------------------------
def table(seed=SEEDS[0], kind="int"):
    rows = ["| case | dtype | KS p | AD A^2 | chi2 p | z mean | z var | z skew | z kurt "
            "| min, max |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for case in CASES:
        for dtype in DTYPES:
            f = compute_figures(case, dtype, seed, kind)
            if case == "normal":
                span = f"max abs {max(-f.min, f.max):.4f}"
            else:
                span = f"[{f.min:.8g}, {f.max:.8g}]"
            rows.append(f"| {case} | {dtype} | {f.ks_p:.3f} | {f.ad:.2f} | {f.chi2_p:.3f} | "
                        + " | ".join(f"{z:+.2f}" for z in f.moment_z) + f" | {span} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(f"N = {N}, seed {SEEDS[0]}, stream 2**40 + case index")
    print(table())
