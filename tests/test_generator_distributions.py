"""The Generator's distribution methods map their parameters onto the kernels
(low/high, loc/scale, a/b with loc/scale, infinite bounds): fixed seeds (never
flaky), Kolmogorov-Smirnov against scipy at 10**6 samples, finiteness, bounds,
mean and standard deviation.

The kernels' own quality (10**7 samples, KS, Anderson-Darling, chi-square,
moments, tails, extremes) is tests/test_quality.py; the normal transform of the
stream's words is checked in tests/test_stream_reference.py."""
import math
import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi

stats = pytest.importorskip("scipy.stats", reason=missing("scipy", TEST))

N = 10**6
P_MIN = 1e-4
SEED = 12345
INF = math.inf

# name -> (method, parameters, frozen scipy distribution)
CASES = {
    "random": ("random", {}, stats.uniform()),
    "uniform": ("uniform", dict(low=-0.5, high=2.0), stats.uniform(-0.5, 2.5)),
    "standard_normal": ("standard_normal", {}, stats.norm()),
    "normal": ("normal", dict(loc=1.5, scale=0.25), stats.norm(1.5, 0.25)),
    "truncnorm(-inf,inf)": ("truncated_normal", dict(a=-INF, b=INF),
                            stats.truncnorm(-INF, INF)),
    "truncnorm-loc-scale": ("truncated_normal", dict(loc=0.5, scale=0.02, a=-2.0, b=2.0),
                            stats.truncnorm(-2, 2, loc=0.5, scale=0.02)),
}
DTYPES = [np.float32, np.float64]


def sample(case, dtype, n=N, seed=SEED):
    """n samples of ``case`` from a fresh Generator (stream named after the case)."""
    method, params, _ = CASES[case]
    return getattr(wi.Generator(seed, case), method)(size=n, dtype=dtype, **params)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", CASES)
def test_kolmogorov_smirnov(case, dtype):
    """The empirical CDF of 10**6 samples matches scipy's distribution."""
    x = sample(case, dtype)
    result = stats.kstest(x.astype(np.float64), CASES[case][2].cdf)
    assert result.pvalue > P_MIN, f"{case}: D={result.statistic:.2e} p={result.pvalue:.2e}"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", CASES)
def test_finite_and_within_bounds(case, dtype):
    """No NaN or inf; uniforms in [low, high), truncated normals in [a, b]
    (bounds compared in the output precision)."""
    method, params, _ = CASES[case]
    x = sample(case, dtype, n=200_000, seed=SEED + 1)
    assert np.isfinite(x).all()
    t = np.dtype(dtype).type
    if method == "random":
        assert x.min() >= 0 and x.max() < 1
    elif method == "uniform":
        assert x.min() >= t(params["low"]) and x.max() < t(params["high"])
    elif method == "truncated_normal":
        loc, scale = params.get("loc", 0.0), params.get("scale", 1.0)
        lo, hi = loc + params["a"] * scale, loc + params["b"] * scale
        tol = 4 * np.finfo(dtype).eps * max(1.0, abs(loc))   # rounding of loc + scale * z
        assert x.min() >= t(lo) - tol and x.max() <= t(hi) + tol


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", ["uniform", "normal", "truncnorm-loc-scale"])
def test_mean_and_std(case, dtype):
    """Mean and standard deviation within 5 standard errors of scipy's."""
    x = sample(case, dtype, seed=SEED + 3).astype(np.float64)
    dist = CASES[case][2]
    assert abs(x.mean() - dist.mean()) < 5 * dist.std() / math.sqrt(N)
    # the sample variance's standard error, from the fourth central moment
    mu4 = dist.expect(lambda v: (v - dist.mean()) ** 4)
    se_var = math.sqrt((mu4 - dist.var() ** 2) / N)
    assert abs(x.var() - dist.var()) < 5 * se_var
