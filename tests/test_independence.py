"""Independence (issue 6), fixed seeds so never flaky: no correlation between
neighbouring elements, blocks, streams s and s+1, neighbouring seeds, the two
outputs of a Box-Muller pair, or uniform and normal streams; every bit of
``random_raw`` balanced, in total and per word of the block, and a few bit
pairs balanced.

Bounds are 5 standard errors: |r| < 5 / sqrt(n) for a correlation of n
independent pairs, |count - n/2| < 5 sqrt(n)/2 for a bit count, and p > P5
(the two-sided 5-sigma tail, 5.7e-7) for chi-square tests. With about 400
checks the chance of a false alarm is below 1e-3, and the seeds are fixed.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi

stats = pytest.importorskip("scipy.stats", reason=missing("scipy", TEST))

N = 4 * 10**6           # elements per correlation (a multiple of 4: whole blocks)
N_BITS = 10**7          # words for the bit balance
N_SPEARMAN = 10**6
SIGMAS = 5.0
P5 = math.erfc(SIGMAS / math.sqrt(2))     # 5.7e-7
SEED = 20240601
DTYPES = ("float32", "float64")
DISTS = ("random", "standard_normal")
LAGS = (1, 2, 3, 4, 5, 8)   # float32: 4 and 8 are the next blocks; float64: 2, 4 and 8


def draw(dist, dtype, seed=SEED, stream="independence", n=N):
    return getattr(wi.Generator(seed, stream), dist)(n, dtype=dtype)


def pearson(x, y):
    """Pearson's r in float64 (two passes)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    x = x - x.mean()
    y = y - y.mean()
    return float(np.dot(x, y) / math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y))))


def assert_uncorrelated(x, y, what):
    r, bound = pearson(x, y), SIGMAS / math.sqrt(len(x))
    assert abs(r) < bound, f"{what}: r = {r:.3e}, bound {bound:.3e} (n = {len(x)})"


# -- within a call ---------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def sample(dist, dtype):
    x = draw(dist, dtype)
    x.flags.writeable = False
    return x


@pytest.mark.parametrize("lag", LAGS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
def test_lag_correlation_within_a_call(dist, dtype, lag):
    """Elements i and i + lag of one call: neighbours in a block, and the same
    word of the next blocks (lag 4 and 8 at float32, 2, 4 and 8 at float64)."""
    x = sample(dist, dtype)
    assert_uncorrelated(x[:-lag], x[lag:], f"{dist} {dtype} lag {lag}")


@pytest.mark.parametrize("lag", (1, 2, 4))
@pytest.mark.parametrize("dtype", DTYPES)
def test_lag_correlation_of_squares(dtype, lag):
    """Normal z_i^2 and z_{i+lag}^2 (a shared radius would show up here):
    lag 1 holds the Box-Muller pairs."""
    z = sample("standard_normal", dtype).astype(np.float64)
    z *= z
    assert_uncorrelated(z[:-lag], z[lag:], f"{dtype} z^2 lag {lag}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_box_muller_pair_uncorrelated(dtype):
    """The two outputs of one Box-Muller pair, (4b, 4b+1) and (4b+2, 4b+3) at
    float32 or (2b, 2b+1) at float64: uncorrelated, and so are their squares."""
    z = sample("standard_normal", dtype).astype(np.float64)
    z0, z1 = z[0::2], z[1::2]
    assert_uncorrelated(z0, z1, f"{dtype} pair")
    assert_uncorrelated(z0 * z0, z1 * z1, f"{dtype} pair, squares")
    assert_uncorrelated(np.abs(z0), np.abs(z1), f"{dtype} pair, |z|")


@pytest.mark.parametrize("dtype", DTYPES)
def test_box_muller_pair_quadrants(dtype):
    """The pair's angle is uniform: (sign z0, sign z1) falls in each quadrant
    with probability 1/4, and each octant (|z0| < |z1| or not) with 1/8."""
    z = sample("standard_normal", dtype)
    z0, z1 = z[0::2], z[1::2]
    cell = (z0 > 0).astype(np.int64) * 4 + (z1 > 0) * 2 + (np.abs(z0) < np.abs(z1))
    counts = np.bincount(cell, minlength=8)
    p = stats.chisquare(counts).pvalue
    assert p > P5, f"{dtype}: octant counts {counts.tolist()}, p = {p:.2e}"


# -- across streams and seeds ---------------------------------------------------------
STREAM_PAIRS = [(0, 1), (2**32 - 1, 2**32), (2**63 + 12345, 2**63 + 12346)]
SEED_PAIRS = [(0, 1), (2**32, 2**32 + 1), (1, 2**32 + 1), (2**32 - 1, 2**32)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("s", STREAM_PAIRS, ids=lambda p: f"{p[0]:#x}")
def test_streams_s_and_s_plus_1_uncorrelated(s, dist, dtype):
    """Streams s and s+1 of one seed, element by element (the pair across
    2**32 carries into the counter's high stream word)."""
    x = draw(dist, dtype, stream=s[0])
    y = draw(dist, dtype, stream=s[1])
    assert_uncorrelated(x, y, f"{dist} {dtype} streams {s}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("seeds", SEED_PAIRS, ids=lambda p: f"{p[0]:#x}-{p[1]:#x}")
def test_neighbouring_seeds_uncorrelated(seeds, dist, dtype):
    """Seeds 0 and 1, 2**32 and 2**32+1 (keys differing in one word), and
    pairs differing in the other key word, on stream 0."""
    x = draw(dist, dtype, seed=seeds[0], stream=0)
    y = draw(dist, dtype, seed=seeds[1], stream=0)
    assert_uncorrelated(x, y, f"{dist} {dtype} seeds {seeds}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_spearman_uniform_vs_normal(dtype):
    """Rank correlation of uniforms and normals from streams s and s+1, and
    from two successive calls of one Generator (later blocks of one stream)."""
    n = N_SPEARMAN
    u = draw("random", dtype, stream=7, n=n)
    z = draw("standard_normal", dtype, stream=8, n=n)
    g = wi.Generator(SEED, 9)
    u2, z2 = g.random(n, dtype=dtype), g.standard_normal(n, dtype=dtype)
    bound = SIGMAS / math.sqrt(n)
    for what, (a, b) in {"streams 7/8": (u, z), "successive calls": (u2, z2)}.items():
        rho = stats.spearmanr(a, b).statistic
        assert abs(rho) < bound, f"{dtype} {what}: Spearman {rho:.3e}, bound {bound:.3e}"


# -- bits of random_raw ----------------------------------------------------------------
RAW_KEYS = [(0, 0), (2**32 + 1, "layer.0.weight")]


@functools.lru_cache(maxsize=None)
def raw(seed, stream):
    w = wi.Generator(seed, stream).random_raw(N_BITS)
    w.flags.writeable = False
    return w


@functools.lru_cache(maxsize=None)
def ones_per_lane(seed, stream):
    """counts[bit, j]: ones at each bit position of word j of the blocks."""
    w = raw(seed, stream).reshape(-1, 4)
    return np.stack([((w >> np.uint32(b)) & np.uint32(1)).sum(axis=0, dtype=np.int64)
                     for b in range(32)])


@pytest.mark.parametrize("key", RAW_KEYS, ids=lambda k: f"{k[0]:#x}-{k[1]}")
@pytest.mark.parametrize("bit", range(32))
def test_bit_balance(bit, key):
    """Each bit position is 1 in half the words, over all 10**7 words and over
    each of the 4 words of the block separately (one lane of a SIMD kernel)."""
    counts = ones_per_lane(*key)[bit]
    total, n = int(counts.sum()), N_BITS
    assert abs(total - n / 2) < SIGMAS * math.sqrt(n) / 2, f"bit {bit}: {total} ones in {n}"
    per = n // 4
    for j, c in enumerate(counts.tolist()):
        assert abs(c - per / 2) < SIGMAS * math.sqrt(per) / 2, (
            f"bit {bit} of word {j}: {c} ones in {per}")


# (word offset, bit, word offset, bit): pairs inside a word (across the 8-bit
# boundary the floats drop, across bytes, ends) and across words and blocks.
BIT_PAIRS = [(0, 0, 0, 1), (0, 0, 0, 31), (0, 7, 0, 8), (0, 8, 0, 9), (0, 15, 0, 16),
             (0, 23, 0, 24), (0, 30, 0, 31), (0, 31, 1, 31), (0, 0, 1, 0), (0, 8, 4, 8),
             (0, 0, 3, 0), (0, 31, 2, 31)]


@pytest.mark.parametrize("key", RAW_KEYS, ids=lambda k: f"{k[0]:#x}-{k[1]}")
@pytest.mark.parametrize("pair", BIT_PAIRS, ids=lambda p: "w{}b{}-w{}b{}".format(*p))
def test_bit_pair_balance(pair, key):
    """(bit i of word k, bit j of word k + offset) takes each of its 4 values
    with probability 1/4 (offsets 1-4 reach the next word and block)."""
    o1, b1, o2, b2 = pair
    w = raw(*key)
    m = w.size - max(o1, o2)
    x = (w[o1:o1 + m] >> np.uint32(b1)) & np.uint32(1)
    y = (w[o2:o2 + m] >> np.uint32(b2)) & np.uint32(1)
    counts = np.bincount((x * 2 + y).astype(np.int64), minlength=4)
    p = stats.chisquare(counts).pvalue
    assert p > P5, f"bit pair {pair}: counts {counts.tolist()}, p = {p:.2e}"
