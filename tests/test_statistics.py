"""Distributions, with fixed seeds (never flaky): Kolmogorov-Smirnov against
scipy at 10**6 samples, tail frequencies, finiteness, bounds and the
documented largest normal value."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_philox as ref  # noqa: E402

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
    "truncnorm(-2,2)": ("truncated_normal", dict(a=-2.0, b=2.0), stats.truncnorm(-2, 2)),
    "truncnorm(0,inf)": ("truncated_normal", dict(a=0.0, b=INF), stats.truncnorm(0, INF)),
    "truncnorm(-0.1,0.1)": ("truncated_normal", dict(a=-0.1, b=0.1),
                            stats.truncnorm(-0.1, 0.1)),
    "truncnorm(3,8)": ("truncated_normal", dict(a=3.0, b=8.0), stats.truncnorm(3, 8)),
    "truncnorm(-inf,-4)": ("truncated_normal", dict(a=-INF, b=-4.0),
                           stats.truncnorm(-INF, -4)),
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


@pytest.mark.parametrize("dtype, bound", [(np.float32, 5.768), (np.float64, 8.572)],
                         ids=["float32", "float64"])
def test_normal_largest_value(dtype, bound):
    """|z| never exceeds the documented bound on 10**6 samples."""
    z = sample("standard_normal", dtype)
    assert np.abs(z).max() <= bound


def test_float32_normal_at_smallest_radius_word():
    """Block 360477 of (0, "max-radius") has w[2] >> 8 == 0: Box-Muller takes
    u = 2**-24 (never 0), so the pair has radius sqrt(-2 log 2**-24) = 5.7678,
    finite and within the documented 5.768."""
    block = 360477
    words = wi.Generator(0, "max-radius").advance(block).random_raw(4)
    assert words[2] >> 8 == 0
    z = wi.Generator(0, "max-radius").advance(block).standard_normal(4, dtype=np.float32)
    radius = math.hypot(float(z[2]), float(z[3]))
    assert np.isfinite(z).all() and np.abs(z).max() <= 5.768
    assert radius == pytest.approx(math.sqrt(-2 * math.log(2.0**-24)), rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_normal_is_box_muller_of_its_words(dtype):
    """Each pair is (r cos 2 pi t, r sin 2 pi t), r = sqrt(-2 log u), of the
    documented words (README): the library's own log/sincos agree with
    libm's float64 within a few ulps of the output precision."""
    n, per = 200_000, (4 if dtype == np.float32 else 2)
    key, stream = ref.key_of(5), ref.stream_of("box-muller")
    if per == 4:
        w = ref.raw_words(key, stream, ref.elements(n)).astype(np.uint64)
        bits, shift = 24, 8
    else:
        w = ref.raw_u64(key, stream, ref.elements(n))
        bits, shift = 53, 11
    u = ((w[0::2] >> np.uint64(shift)) + np.uint64(1)).astype(np.float64) * 2.0**-bits
    t = (w[1::2] >> np.uint64(shift)).astype(np.float64) * 2.0**-bits
    r = np.sqrt(-2.0 * np.log(u))
    want = np.empty(n)
    want[0::2], want[1::2] = r * np.cos(2 * np.pi * t), r * np.sin(2 * np.pi * t)
    got = wi.Generator(5, "box-muller").standard_normal(n, dtype=dtype).astype(np.float64)
    # errors of both sides grow with the radius (the angle's rounding is scaled by r)
    tol = 16 * np.finfo(dtype).eps * np.maximum(1.0, np.repeat(r, 2))
    assert (np.abs(got - want) <= tol).all(), np.max(np.abs(got - want) / tol)


TAILS = {
    # case -> (event on the samples, its probability)
    "standard_normal": (lambda x: np.abs(x) > 3.5, 2 * stats.norm.sf(3.5)),
    "truncnorm(0,inf)": (lambda x: x > 3.0, 2 * stats.norm.sf(3.0)),
    "truncnorm(3,8)": (lambda x: x > 4.0, stats.norm.sf(4.0) / stats.norm.sf(3.0)),
    "truncnorm(-inf,-4)": (lambda x: x < -5.0, stats.norm.cdf(-5.0) / stats.norm.cdf(-4.0)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", TAILS)
def test_tail_frequency(case, dtype):
    """Tail counts follow the binomial law (KS is blind to tails)."""
    event, p = TAILS[case]
    count = int(event(sample(case, dtype, seed=SEED + 2)).sum())
    assert stats.binomtest(count, N, p).pvalue > P_MIN, f"{count} vs {N * p:.1f}"


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
