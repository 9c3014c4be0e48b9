"""Property tests (hypothesis): region identity, bounds, Generator blocks, and a fuzz.

* Region identity (docs/contract.md 3): for random shapes, regions, dtypes, thread
  counts and initializers, ``f(shape, region=r)`` equals ``f(shape)[r]`` bit
  for bit.
* Bounds and finiteness: uniform initializers stay inside their limit and
  truncated ones inside +-2 stddev (Keras), in the output dtype's rounding; no
  NaN or inf anywhere.
* Generator blocks (docs/contract.md 4): each call starts at the next unused block,
  so two calls of n1 and n2 values equal one call of n1 + n2 exactly when n1
  fills whole blocks.
* A fuzz of argument values (valid and invalid mixed) over the functions,
  classes, Generator methods and ``weightinit.torch`` fills: each call returns
  an array of the right shape and dtype or raises TypeError / ValueError
  (leaving ``out`` untouched); a call with an argument docs/contract.md 5 calls bad
  must not be accepted. A short fuzz also runs in a subprocess, so that a
  crash of the interpreter is a failed test rather than a dead test run.

Every test is deterministic: ``derandomize=True`` and no example database.
"""
from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import weightinit as wi
import weightinit.torch as wit

import ml_dtypes  # noqa: E402 - a dependency of weightinit

DTYPES = ("float32", "float64", "float16", "bfloat16")
MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")
TRUNCATION_CORRECTION = 0.87962566103423978          # Keras / JAX
U64 = 2**64


def deterministic(max_examples, shrink=True):
    """Fixed examples (derandomized, no database), no deadline. ``shrink=False``
    reports a failure as found: a fuzz failure is readable from its labelled
    draws, and shrinking one costs far more than the test's time budget."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def np_dtype(name) -> np.dtype:
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def raw(a) -> np.ndarray:
    """The bytes of ``a`` in C order (0-d and strided arrays included)."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def assert_same_bits(got, expected):
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(raw(got), raw(expected))


seeds = st.integers(0, U64 - 1)
streams = st.one_of(st.integers(0, U64 - 1), st.text(max_size=12))


def shapes(max_dim=9, max_rank=4, min_dim=0, min_rank=0):
    return st.lists(st.integers(min_dim, max_dim), min_size=min_rank, max_size=max_rank).map(tuple)


@st.composite
def regions(draw, shape):
    """A valid region of ``shape``: None, a slice, or a tuple of step-1 slices
    (negative, missing and out-of-range bounds included, as Python slicing)."""
    if draw(st.integers(0, 9)) == 0:
        return None
    reach = max(shape, default=0) + 3
    bound = st.one_of(st.none(), st.integers(-reach, reach))
    n = draw(st.integers(0, len(shape)))
    slices = tuple(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1])))
                   for _ in range(n))
    if n == 1 and draw(st.booleans()):
        return slices[0]
    return slices


def index(region):
    """``region`` as an index expression for ``full[...]``."""
    if region is None:
        return ()
    return region if isinstance(region, tuple) else (region,)


@st.composite
def initializers(draw):
    """(name, keyword parameters) of a random initializer of the catalogue."""
    name = draw(st.sampled_from(["he_normal", "glorot_uniform", "random_normal",
                                 "truncated_normal", "variance_scaling"]))
    kw = {}
    if name == "variance_scaling":
        kw = {"scale": draw(st.floats(1e-4, 1e4)), "mode": draw(st.sampled_from(MODES)),
              "distribution": draw(st.sampled_from(DISTRIBUTIONS))}
    elif name in ("random_normal", "truncated_normal"):
        kw = {"mean": draw(st.floats(-10, 10)), "stddev": draw(st.floats(1e-3, 10))}
    return name, kw


# -- region identity ------------------------------------------------------------------

@deterministic(200)
@given(init=initializers(), data=st.data(), shape=shapes(), dtype=st.sampled_from(DTYPES),
       threads=st.sampled_from([1, 2, 3]), seed=seeds, stream=streams)
def test_region_equals_the_same_part_of_the_whole(init, data, shape, dtype, threads, seed, stream):
    name, kw = init
    region = data.draw(regions(shape), label="region")
    fn = getattr(wi, name)
    full = fn(shape, seed=seed, stream=stream, dtype=dtype, threads=1, **kw)
    part = fn(shape, seed=seed, stream=stream, dtype=dtype, region=region, threads=threads, **kw)
    assert isinstance(part, np.ndarray)
    assert_same_bits(part, np.asarray(full[index(region)]))


@deterministic(12)
@given(init=initializers(), data=st.data(), shape=shapes(max_dim=700, max_rank=2, min_dim=300, min_rank=2),
       dtype=st.sampled_from(DTYPES), threads=st.sampled_from([2, 3, 8]), seed=seeds)
def test_region_identity_on_threaded_fills(init, data, shape, dtype, threads, seed):
    """Shapes large enough that the fill really is split across threads."""
    name, kw = init
    region = data.draw(regions(shape), label="region")
    fn = getattr(wi, name)
    full = fn(shape, seed=seed, stream="big", dtype=dtype, threads=1, **kw)
    part = fn(shape, seed=seed, stream="big", dtype=dtype, region=region, threads=threads, **kw)
    assert_same_bits(part, np.asarray(full[index(region)]))
    assert_same_bits(fn(shape, seed=seed, stream="big", dtype=dtype, threads=threads, **kw), full)


# -- bounds and finiteness ----------------------------------------------------------------

def keras_fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def fan_n(mode, shape):
    fi, fo = keras_fans(shape)
    n = {"fan_in": fi, "fan_out": fo, "fan_avg": (fi + fo) / 2.0,
         "fan_geo_avg": math.sqrt(fi * fo)}[mode]
    return max(1.0, float(n))


PRESETS = {  # name: (scale, mode, distribution), as Keras
    "glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"), "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"), "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
# Largest |z| of Box-Muller as documented (README, generator.py): 5.768 / 8.572.
MAX_Z = {"float32": math.sqrt(-2 * math.log(2.0**-24)), "float64": math.sqrt(-2 * math.log(2.0**-53))}


def interval(name, shape, kw):
    """(kind, low, high) the samples must lie in; kind uniform is [low, high)."""
    if name in PRESETS or name == "variance_scaling":
        scale, mode, dist = PRESETS.get(name) or (kw["scale"], kw["mode"], kw["distribution"])
        scale = scale / fan_n(mode, shape)
        if dist == "uniform":
            limit = math.sqrt(3.0 * scale)
            return "uniform", -limit, limit
        if dist == "untruncated_normal":
            return "normal", 0.0, math.sqrt(scale)
        bound = 2.0 * (math.sqrt(scale) / TRUNCATION_CORRECTION)
        return "closed", -bound, bound
    if name == "random_uniform":
        return "uniform", kw["minval"], kw["maxval"]
    if name == "truncated_normal":
        return "closed", kw["mean"] - 2.0 * kw["stddev"], kw["mean"] + 2.0 * kw["stddev"]
    return "normal", kw["mean"], kw["stddev"]                # random_normal


def rounded(value, dtype):
    """``value`` as a sample of ``dtype`` would be rounded: through float32
    for the 32-bit working precision, then to nearest even in 16 bits."""
    if dtype == "float64":
        return float(value)
    return float(np.asarray(np.float32(value)).astype(np_dtype(dtype)).astype(np.float64))


def check_bounds(x, name, shape, kw, dtype):
    values = np.asarray(x).astype(np.float64).reshape(-1)
    assert np.isfinite(values).all(), f"non-finite values: {values[~np.isfinite(values)][:5]}"
    if values.size == 0:
        return
    kind, lo, hi = interval(name, shape, kw)
    if kind == "normal":
        work = "float64" if dtype == "float64" else "float32"
        eps = float(np.finfo(np_dtype(dtype)).eps) if dtype != "bfloat16" else 2.0**-7
        reach = MAX_Z[work] * hi * (1 + 4 * eps) + 4 * eps * abs(lo)
        assert np.abs(values - lo).max() <= reach, (np.abs(values - lo).max(), reach)
        return
    lo_r, hi_r = rounded(lo, dtype), rounded(hi, dtype)
    assert values.min() >= lo_r, f"{values.min()!r} below {lo!r} (rounded {lo_r!r})"
    assert values.max() <= hi_r, f"{values.max()!r} above {hi!r} (rounded {hi_r!r})"
    if kind == "uniform" and dtype in ("float32", "float64"):
        assert values.max() < hi_r, f"{values.max()!r} reaches maxval {hi!r}"


@st.composite
def bounded_initializers(draw):
    name = draw(st.sampled_from(sorted(PRESETS) + ["variance_scaling", "random_uniform",
                                                    "truncated_normal", "random_normal"]))
    kw = {}
    if name == "variance_scaling":
        kw = {"scale": draw(st.floats(1e-4, 1e4)), "mode": draw(st.sampled_from(MODES)),
              "distribution": draw(st.sampled_from(DISTRIBUTIONS))}
    elif name == "random_uniform":
        a = draw(st.floats(-1e3, 1e3))
        # distinct in float32: closer bounds are refused for 32/16-bit results
        b = draw(st.floats(-1e3, 1e3).filter(lambda v: np.float32(v) != np.float32(a)))
        kw = {"minval": min(a, b), "maxval": max(a, b)}
    elif name in ("truncated_normal", "random_normal"):
        kw = {"mean": draw(st.floats(-100, 100)), "stddev": draw(st.floats(1e-4, 100))}
    return name, kw


@deterministic(200)
@given(init=bounded_initializers(), shape=shapes(max_dim=40, max_rank=3),
       dtype=st.sampled_from(DTYPES), seed=seeds, stream=streams)
def test_samples_within_bounds_and_finite(init, shape, dtype, seed, stream):
    name, kw = init
    x = getattr(wi, name)(shape, seed=seed, stream=stream, dtype=dtype, **kw)
    assert x.shape == shape and x.dtype == np_dtype(dtype)
    check_bounds(x, name, shape, kw, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean, stddev", [(0.0, 0.05), (0.1, 0.05), (-3.3, 1.7), (1000.0, 7.0),
                                          (1e-3, 1e-5)])
def test_truncated_normal_bounds_on_many_samples(mean, stddev, dtype):
    """2**20 samples per case reach far into the tails, near the clamp."""
    kw = {"mean": mean, "stddev": stddev}
    x = wi.truncated_normal((2**20,), seed=5, stream="tails", dtype=dtype, **kw)
    check_bounds(x, "truncated_normal", (2**20,), kw, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_bounds_on_many_samples(name, dtype):
    shape = (1024, 1024)
    x = getattr(wi, name)(shape, seed=11, stream=name, dtype=dtype)
    check_bounds(x, name, shape, {}, dtype)


def _float32_steps(lo, hi):
    """Number of float32 values in [lo, hi) (both float32)."""
    def key(v):
        i = int(np.float32(v).view(np.int32))
        return i if i >= 0 else -(i & 0x7FFFFFFF)
    return key(hi) - key(lo)


F32_MAX = float(np.finfo(np.float32).max)


F32_VALUES = st.one_of(st.floats(-F32_MAX, F32_MAX, width=32),
                       st.floats(float(np.float32(1e37)), F32_MAX, width=32).flatmap(lambda v: st.sampled_from([v, -v])))


@deterministic(100)
@given(a=F32_VALUES, b=F32_VALUES, seed=seeds)
@example(a=-F32_MAX, b=F32_MAX, seed=0)
@example(a=-2e38, b=2e38, seed=1)
@example(a=-1e38, b=1e38, seed=2)                 # the range fits float32: a control
def test_random_uniform_float32_any_representable_range(a, b, seed):
    """Bounds representable in float32 either give uniform samples in
    [minval, maxval) or a ValueError naming them - never a degenerate result
    (for example every value equal to the float below maxval)."""
    if a == b:
        return
    lo, hi = min(a, b), max(a, b)
    try:
        x = wi.random_uniform((256,), lo, hi, seed=seed, dtype="float32")
    except ValueError as err:
        assert "minval" in str(err) or "maxval" in str(err), err
        return
    values = x.astype(np.float64)
    assert np.isfinite(values).all()
    assert values.min() >= lo and values.max() < hi, (values.min(), values.max(), lo, hi)
    if _float32_steps(lo, hi) >= 2**20:
        assert len(np.unique(x)) > 200, (f"random_uniform({lo!r}, {hi!r}) in float32 gave only "
                                         f"{len(np.unique(x))} distinct values: {np.unique(x)[:4]}")


# -- Generator blocks -------------------------------------------------------------------------

GEN_METHODS = ("random", "standard_normal", "normal", "uniform", "truncated_normal", "random_raw")


def gen_call(g, method, size, dtype, region=None):
    if method == "random_raw":
        return g.random_raw(size, region=region)
    args = {"normal": (0.5, 2.0), "uniform": (-3.0, 5.0), "truncated_normal": (1.0, 0.5, -1.0, 3.0)}
    return getattr(g, method)(*args.get(method, ()), size=size, dtype=dtype, region=region)


def as_array(value, method, dtype):
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(value, np.uint32 if method == "random_raw" else np_dtype(dtype)).reshape(1)


@deterministic(200)
@given(method=st.sampled_from(GEN_METHODS), dtype=st.sampled_from(DTYPES),
       n1=st.one_of(st.none(), st.integers(0, 40)), n2=st.integers(0, 40),
       first_region=st.booleans(), data=st.data(), seed=seeds, stream=streams)
def test_generator_calls_start_at_the_next_unused_block(method, dtype, n1, n2, first_region, data,
                                                         seed, stream):
    """A fresh Generator's first call starts at block 0; each later call at
    the next unused block (4 values per block, 2 at float64; random_raw: 4
    words). A call with ``region=`` consumes the blocks of its full size."""
    per = 2 if (dtype == "float64" and method != "random_raw") else 4
    k1 = 1 if n1 is None else n1
    used = -(-k1 // per) * per                        # values in the blocks call 1 consumed
    reference = as_array(gen_call(wi.Generator(seed, stream), method, used + n2, dtype), method, dtype)

    g = wi.Generator(seed, stream)
    if first_region and n1 is not None:
        lo = data.draw(st.integers(0, k1), label="lo")
        hi = data.draw(st.integers(lo, k1), label="hi")
        a = gen_call(g, method, n1, dtype, region=(slice(lo, hi),))
        assert_same_bits(a, reference[lo:hi])
        a_full = reference[:k1]
    else:
        a = as_array(gen_call(g, method, n1, dtype), method, dtype)
        assert_same_bits(a, reference[:k1])
        a_full = a
    b = as_array(gen_call(g, method, n2, dtype), method, dtype)
    assert_same_bits(b, reference[used:used + n2])

    one = as_array(gen_call(wi.Generator(seed, stream), method, k1 + n2, dtype), method, dtype)
    joined = np.concatenate([a_full, b])
    same = bool((raw(joined) == raw(one)).all())
    if k1 % per == 0 or n2 == 0:
        assert same, "two calls differ from one call although call 1 filled whole blocks"
    elif dtype in ("float32", "float64") or method == "random_raw":
        # 16-bit values of different words may coincide; 24+ bit ones do not.
        assert not same, "call 2 reused the partly used block of call 1"


def test_generator_block_semantics_by_hand():
    """The documented example: 5 float32 values use 2 blocks, so the next
    call starts at value 8 of the stream, not 5."""
    g = wi.Generator(3)
    a, b = g.random(5, dtype=np.float32), g.random(3, dtype=np.float32)
    whole = wi.Generator(3).random(11, dtype=np.float32)
    assert_same_bits(a, whole[:5])
    assert_same_bits(b, whole[8:11])
    assert not (raw(np.concatenate([a, b])) == raw(whole[:8])).all()
    c, d = wi.Generator(3).random(4, dtype=np.float32), wi.Generator(3).random(8, dtype=np.float32)
    assert_same_bits(c, d[:4])


# -- fuzz -------------------------------------------------------------------------------------

Arg = namedtuple("Arg", "value ok")     # ok=False: docs/contract.md 5 calls this value bad


def mixed(valid, invalid):
    """Valid values (from a strategy) and, one time in six, bad ones (from a
    list), labelled; most calls then hold zero or one bad argument."""
    # k == 3, not 0: hypothesis favours the ends of a range, and shrinks to 0 (valid).
    return st.integers(0, 5).flatmap(
        lambda k: st.sampled_from(invalid).map(lambda v: Arg(v, False)) if k == 3
        else valid.map(lambda v: Arg(v, True)))


NAN, INF = float("nan"), float("inf")
SEED = mixed(st.one_of(seeds, st.none(), st.just(np.random.SeedSequence(4)),
                       st.just(np.uint64(2**64 - 1))),
             [-1, 2**64, 2**70, 1.5, "0", True, b"1", [1, 2], np.float64(3.0)])
STREAM = mixed(streams, [-1, 2**64, 0.5, b"name", None, False, [0]])
THREADS = mixed(st.sampled_from([None, 1, 2, 3, -1, 2**70, np.int64(2)]),
                [0, 1.5, "2", True, np.float64(2.0), [2]])
FLOAT_DTYPE = mixed(st.sampled_from([None, "float32", "float64", "float16", "bfloat16", "bf16",
                                     np.float32, np.dtype("f8"), "f2", "float"]),
                    ["int8", np.int32, np.complex64, "float8", object, ">f4", "<U3", 1.5, "",
                     [("a", "f4")], "bfloat32", np.bool_])
MODE = mixed(st.sampled_from(MODES), ["fanin", "FAN_IN", None, 1, "", "fan_max"])
DISTRIBUTION = mixed(st.sampled_from(DISTRIBUTIONS + ("Normal", "UNIFORM")),
                     ["gaussian", None, 0, "truncated", ""])
POSITIVE = mixed(st.one_of(st.floats(1e-3, 1e3), st.sampled_from([1, 2, np.float32(0.5), 1e-300])),
                 [0, 0.0, -1.0, NAN, INF, -INF, "2", None, True, 1j, 2**1100])
REAL = mixed(st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0, -3, np.float64(2.5)])),
             [NAN, INF, -INF, "0", None, True, 1j, 2**1100])
SHAPE_OK = st.one_of(shapes(max_dim=6, max_rank=3), st.integers(0, 8),
                     shapes(max_dim=6, max_rank=3).map(list),
                     st.just(np.array([2, 3])), st.just(np.int64(4)))
SHAPE_BAD = [-1, (-1, 3), (2.5,), "3", None, (3, "4"), (2**40, 2**40), (2**63,), 3.0, True,
             (2, True), [[3]], (1,) * 33, object(), (0, 2**70)]
REGION_BAD = [slice(0, 4, 2), slice(None, None, -1), slice(0, 2, 0), (0, 1), [slice(0, 1)],
              (slice(0.5, 2),), (slice("a", None),), (slice(None),) * 40, Ellipsis, "0:2",
              (slice(None), 3)]
OUT_BAD = ["read_only", "strided", "fortran", "misaligned", "byteswapped", "wrong_shape",
           "wrong_dtype", "int", "list"]


def ordered_pair(data, arg, bad, names, strategy, strict=True):
    """Two bounds; when both are valid they are put in order five times in
    six, and a pair left out of order is a bad argument."""
    lo, hi = arg(names[0], strategy), arg(names[1], strategy)
    if names[0] not in bad and names[1] not in bad:
        if data.draw(st.integers(0, 5), label="order") != 3:
            lo, hi = sorted((lo, hi), key=float)
        if (not float(lo) < float(hi)) if strict else float(lo) > float(hi):
            bad.append(f"{names[0]} and {names[1]} out of order")
    return lo, hi


def region_shape(shape, region):
    """The shape ``region`` selects of ``shape``, by Python's slicing rules."""
    return tuple(len(range(n)[s]) for n, s in zip(shape, index(region) + (slice(None),) * len(shape)))


def strict_shape(value):
    """``value`` as a valid shape tuple, or None (docs/contract.md 5's reading)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        dims = (value,)
    elif isinstance(value, (tuple, list, np.ndarray)):
        dims = tuple(value)
    else:
        return None
    out = []
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            return None
        out.append(int(d))
    if any(not 0 <= d < 2**63 for d in out) or len(out) > 32 or math.prod(out) >= 2**63:
        return None
    return tuple(out)


@st.composite
def shape_region(draw, allow_huge=True):
    """(shape Arg, region Arg): mostly independent, sometimes a huge global
    shape with a small region (a shard of a tensor too big for memory)."""
    if allow_huge and draw(st.integers(0, 12)) == 6:
        shape = draw(st.sampled_from([(2**31, 2**31), (2**20, 2**20, 2**20), (0, 2**63),
                                      (2**70, 0), (3, 0, 2**64 + 5)]))
        region = tuple(slice(s, s + draw(st.integers(0, 3)))
                       for s in (draw(st.integers(0, 2**20)) for _ in shape))
        # A dimension of 2**63 or more is an overflowing size even with no elements.
        return Arg(shape, strict_shape(shape) is not None), Arg(region, True)
    shape = draw(mixed(SHAPE_OK, SHAPE_BAD))
    valid = strict_shape(shape.value) if shape.ok else None
    if valid is not None and draw(st.integers(0, 2)) > 0:
        region = Arg(draw(regions(valid)), True)
    else:
        region = draw(st.one_of(st.just(Arg(None, True)), st.sampled_from(REGION_BAD).map(
            lambda r: Arg(r, False))))
    return shape, region


SENT = 7.25


def make_out(kind, shape, dtype):
    """(out, snapshot of its underlying bytes). ``kind`` "ok" fits the call."""
    shape = shape if shape is not None else (2, 3)
    dtype = np_dtype(dtype) if isinstance(dtype, str) else np.dtype(dtype)
    if kind in ("ok", "read_only", "wrong_shape", "byteswapped", "wrong_dtype", "int", "fortran"):
        dt = {"byteswapped": dtype.newbyteorder(), "int": np.dtype(np.int32),
              "wrong_dtype": np.dtype(np.float64 if dtype != np.float64 else np.float32)}
        shp = shape + (2,) if kind == "wrong_shape" else shape
        a = np.full(shp, SENT, dt.get(kind, dtype))
        if kind == "fortran":
            a = np.asfortranarray(np.full(shape, SENT, dtype))
            if a.flags.c_contiguous:        # 1-D or trivial: not a bad out after all
                kind = "ok"
        if kind == "read_only":
            a.flags.writeable = False
        if kind == "byteswapped" and a.dtype.isnative:   # one-byte items have no byte order
            kind = "ok"
        return a, (lambda: a.tobytes(order="A")), kind
    if kind == "strided":
        base = np.full(shape + (2,), SENT, dtype)
        view = base[..., 0]
        if view.flags.c_contiguous:         # no elements: strides do not matter
            return base, (lambda: base.tobytes()), "wrong_shape"
        return view, (lambda: base.tobytes()), kind
    if kind == "misaligned":
        n = math.prod(shape)
        buf = np.zeros(n * dtype.itemsize + 1, np.uint8)
        view = buf[1:].view(dtype).reshape(shape)
        view[...] = SENT
        if view.flags.aligned:              # no elements: nothing misaligned
            return view, (lambda: buf.tobytes()), "ok"
        return view, (lambda: buf.tobytes()), kind
    a = [SENT] * 3                          # "list"
    return a, (lambda: repr(a).encode()), kind


def _resolve(dtype_arg, default):
    if dtype_arg is None:
        return np_dtype(default)
    if isinstance(dtype_arg, str) and dtype_arg.lower() in ("bfloat16", "bf16"):
        return np_dtype("bfloat16")
    return np.dtype(dtype_arg)


KERAS_TARGETS = ("he_normal", "glorot_uniform", "lecun_uniform", "variance_scaling",
                 "random_uniform", "random_normal", "truncated_normal", "orthogonal", "identity",
                 "constant", "zeros", "ones", "VarianceScaling", "HeNormal", "RandomUniform")
GEN_TARGETS = ("Generator.random", "Generator.standard_normal", "Generator.normal",
               "Generator.uniform", "Generator.truncated_normal", "Generator.random_raw")
TORCH_TARGETS = ("torch.normal_", "torch.uniform_", "torch.trunc_normal_", "torch.kaiming_uniform_",
                 "torch.xavier_normal_", "torch.sparse_", "torch.constant_", "torch.orthogonal_")
TARGETS = KERAS_TARGETS + GEN_TARGETS + TORCH_TARGETS


def fuzz_one(data):
    """Draw one call with a mixture of valid and bad arguments and judge it."""
    target = data.draw(st.sampled_from(TARGETS), label="target")
    bad = []                                           # names of arguments drawn bad

    def arg(name, strategy):
        a = data.draw(strategy, label=name)
        if not a.ok:
            bad.append(name)
        return a.value

    if target in TORCH_TARGETS:
        return _fuzz_torch(data, target, arg, bad)

    shape_a, region_a = data.draw(shape_region(allow_huge=target != "orthogonal"), label="shape")
    shape, region = shape_a.value, region_a.value
    for name, a in (("shape", shape_a), ("region", region_a)):
        if not a.ok:
            bad.append(name)
    valid_shape = strict_shape(shape) if shape_a.ok else None
    if target == "orthogonal" and valid_shape is not None and math.prod(valid_shape) > 10**4:
        valid_shape = None
    want = region_shape(valid_shape, region) if (valid_shape is not None and region_a.ok) else None

    seed, stream, threads = arg("seed", SEED), arg("stream", STREAM), arg("threads", THREADS)
    is_gen = target in GEN_TARGETS
    if target in ("constant", "zeros", "ones", "identity"):
        dtype = arg("dtype", mixed(st.sampled_from([None, "float32", "float64", "bfloat16", "int32",
                                                    np.int8, np.bool_, "uint16"]),
                                   [np.complex64, object, "float8", ">f4", "<U3", 1.5]))
    elif target != "Generator.random_raw":
        dtype = arg("dtype", FLOAT_DTYPE)
    else:
        dtype = None
    default = "float64" if is_gen else "float32"
    out_kind = data.draw(st.integers(0, 5).flatmap(
        lambda k: st.sampled_from(OUT_BAD) if k == 3 else st.sampled_from(["none", "ok"])),
        label="out")
    out = snapshot = None
    if out_kind != "none":
        try:
            out_dtype = (np.dtype(np.uint32) if target == "Generator.random_raw"
                         else _resolve(dtype, default) if "dtype" not in bad else np.dtype(default))
        except TypeError:
            out_dtype = np.dtype(default)
        if dtype is None and not is_gen and out_kind == "ok":
            out_dtype = np_dtype(data.draw(st.sampled_from(DTYPES), label="out dtype"))
        out, snapshot, out_kind = make_out(out_kind, want, out_dtype)
        constants = ("constant", "zeros", "ones", "identity")
        if is_gen and shape is None and out_kind == "wrong_shape":
            pass                                       # size=None takes out's shape
        elif not is_gen and dtype is None and (out_kind == "wrong_dtype" or (
                out_kind == "int" and target in constants)):
            pass                                       # dtype None takes out's dtype
        elif out_kind != "ok":
            bad.append(f"out ({out_kind})")

    if target in ("identity",) and valid_shape is not None and len(valid_shape) != 2:
        bad.append("shape (rank)")
    if target == "orthogonal" and valid_shape is not None and len(valid_shape) < 2:
        bad.append("shape (rank)")

    common = {"seed": seed, "stream": stream, "dtype": dtype, "out": out, "region": region,
              "threads": threads}
    if target == "variance_scaling":
        call = lambda: wi.variance_scaling(shape, arg("scale", POSITIVE), arg("mode", MODE),  # noqa: E731
                                           arg("distribution", DISTRIBUTION), **common)
    elif target == "random_uniform":
        lo, hi = ordered_pair(data, arg, bad, ("minval", "maxval"), REAL)
        call = lambda: wi.random_uniform(shape, lo, hi, **common)  # noqa: E731
    elif target in ("random_normal", "truncated_normal"):
        mean, sd = arg("mean", REAL), arg("stddev", POSITIVE)
        call = lambda: getattr(wi, target)(shape, mean, sd, **common)  # noqa: E731
    elif target == "orthogonal":
        gain = arg("gain", REAL)
        call = lambda: wi.orthogonal(shape, gain, **common)  # noqa: E731
    elif target == "identity":
        gain = arg("gain", mixed(st.floats(-10, 10), ["1", None, 1j, 2**1100]))
        call = lambda: wi.identity(shape, gain, **common)  # noqa: E731
    elif target == "constant":
        value = arg("value", mixed(st.one_of(st.floats(-1e3, 1e3), st.integers(-100, 100)),
                                   ["1", None, 1j, [1.0], 2**1100]))
        call = lambda: wi.constant(shape, value, **common)  # noqa: E731
    elif target in ("zeros", "ones", "he_normal", "glorot_uniform", "lecun_uniform"):
        call = lambda: getattr(wi, target)(shape, **common)  # noqa: E731
    elif target in ("VarianceScaling", "HeNormal", "RandomUniform"):
        def call():
            if target == "VarianceScaling":
                init = wi.VarianceScaling(arg("scale", POSITIVE), arg("mode", MODE),
                                          arg("distribution", DISTRIBUTION), seed, stream)
            elif target == "HeNormal":
                init = wi.HeNormal(seed, stream)
            else:
                lo, hi = ordered_pair(data, arg, bad, ("minval", "maxval"), REAL)
                init = wi.RandomUniform(lo, hi, seed, stream)
            return init(shape, dtype, out=out, region=region, threads=threads)
        if seed is None:          # a class draws a seed once: fine, but keep the fuzz pure
            seed = 0
    else:                                              # Generator methods
        method = target.split(".")[1]
        gkw = {"out": out, "region": region, "threads": threads}
        if method != "random_raw":
            gkw["dtype"] = dtype if dtype is not None else np.float64
        if shape is None:
            bad[:] = [b for b in bad if b != "shape"]   # size=None is NumPy's scalar call
            want = None if region is not None else (out.shape if isinstance(out, np.ndarray) else ())
        params = ()
        if method == "normal":
            params = (arg("loc", REAL), arg("scale", POSITIVE))
        elif method == "uniform":
            params = ordered_pair(data, arg, bad, ("low", "high"), REAL)
        elif method == "truncated_normal":
            a_, b_ = ordered_pair(data, arg, bad, ("a", "b"),
                                  mixed(st.floats(-40, 40), [NAN, "1", None]))
            params = (arg("loc", REAL), arg("scale", POSITIVE), a_, b_)
        call = lambda: getattr(wi.Generator(seed, stream), method)(*params, shape, **gkw)  # noqa: E731

    before = snapshot() if snapshot else None
    outcome = _judge(call)
    if outcome is not None:                           # rejected, as allowed
        if snapshot is not None:
            assert snapshot() == before, f"{target}: rejected call wrote into out ({out_kind})"
        return
    result = _last_result.pop()
    assert not bad, f"{target} accepted bad argument(s) {bad}"
    if is_gen and shape is None and out is None:
        assert isinstance(result, (float, int)), type(result)
        return
    assert isinstance(result, np.ndarray), type(result)
    if out is not None:
        assert result is out, f"{target} returned a new array instead of out"
    if want is not None:
        assert result.shape == want, (target, result.shape, want)
    if out is None:
        expected = (np.dtype(np.uint32) if target == "Generator.random_raw"
                    else _resolve(dtype, default))
        assert result.dtype == expected, (target, result.dtype, expected)


_last_result: list = []
_ALLOWED = (TypeError, ValueError)
_FORBIDDEN = (OverflowError, MemoryError, RuntimeError, SystemError, AttributeError, IndexError,
              KeyError, ZeroDivisionError, AssertionError)


def _judge(call):
    """None if the call returned (its result in _last_result), else the
    allowed exception; any other exception fails the test."""
    try:
        _last_result.append(call())
    except _ALLOWED as err:
        if type(err) is Exception or isinstance(err, _FORBIDDEN):
            raise AssertionError(f"raised {type(err).__name__}: {err}") from err
        return err
    except BaseException as err:  # noqa: B036
        if isinstance(err, KeyboardInterrupt):
            raise
        raise AssertionError(f"raised {type(err).__name__} (not TypeError/ValueError): "
                             f"{err}") from err
    return None


def _fuzz_torch(data, target, arg, bad):
    """weightinit.torch fills of NumPy arrays (valid ones are non-empty, so
    that PyTorch's zero-element early return does not apply)."""
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), label="shape")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    kind = data.draw(st.integers(0, 5).flatmap(
        lambda k: st.sampled_from(OUT_BAD) if k == 3 else st.just("ok")), label="tensor")
    if kind == "wrong_shape":
        kind = "ok"                                     # any shape is a tensor's own shape
    tensor, snapshot, kind = make_out(kind, shape, dtype)
    if kind not in ("ok", "wrong_dtype", "wrong_shape"):  # any float dtype or shape is valid
        bad.append(f"tensor ({kind})")
    extras = {"seed": arg("seed", SEED), "stream": arg("stream", STREAM),
              "threads": arg("threads", THREADS)}
    if extras["seed"] is None:
        extras["seed"] = 0
    name = target.split(".")[1]
    fn = getattr(wit, name)
    if name == "normal_":
        params = (arg("mean", REAL), arg("std", mixed(st.floats(0, 10), [-1.0, NAN, INF, "1"])))
    elif name == "uniform_":
        params = ordered_pair(data, arg, bad, ("a", "b"), REAL, strict=False)
    elif name == "trunc_normal_":
        params = (arg("mean", REAL), arg("std", POSITIVE),
                  arg("a", mixed(st.floats(-50, 0), [NAN, "0", None])),
                  arg("b", mixed(st.floats(0.001, 50), [NAN, "0", None])))
    elif name == "kaiming_uniform_":
        params = (arg("a", mixed(st.one_of(st.floats(0, 10), st.none()), ["1", NAN, 1e200])),
                  arg("mode", mixed(st.sampled_from(["fan_in", "fan_out", "FAN_IN"]),
                                    ["fan_avg", "fanin", None, 1])),
                  arg("nonlinearity", mixed(st.sampled_from(["relu", "leaky_relu", "tanh", "linear",
                                                             "selu", "sigmoid"]),
                                            ["relu6", "gelu", None, 3])))
        if params[2] != "leaky_relu" and "a" in bad:
            bad.remove("a")                              # a is only read for leaky_relu
    elif name == "xavier_normal_":
        params = (arg("gain", mixed(st.floats(0, 10), [-1.0, NAN, INF, "1", None])),)
    elif name == "sparse_":
        params = (arg("sparsity", mixed(st.floats(0, 1), [-0.1, 1.5, NAN, "0.5", None])),
                  arg("std", mixed(st.floats(0, 1), [-1.0, NAN, INF])))
    elif name == "constant_":
        params = (arg("val", mixed(st.floats(-1e3, 1e3), ["1", None, 1j, 2**1100])),)
    else:                                                # orthogonal_
        params = (arg("gain", REAL),)
    before = snapshot()
    outcome = _judge(lambda: fn(tensor, *params, **extras))
    if outcome is not None:
        assert snapshot() == before, f"{target}: rejected call wrote into the tensor ({kind})"
        return
    result = _last_result.pop()
    assert not bad, f"{target} accepted bad argument(s) {bad}"
    assert result is tensor


@deterministic(300, shrink=False)
@given(data=st.data())
def test_fuzz_arguments_in_process(data):
    fuzz_one(data)


_SUBPROCESS_FUZZ = textwrap.dedent("""
    import importlib.util, sys
    sys.path.insert(0, {tests!r})
    spec = importlib.util.spec_from_file_location("fuzz_props", {path!r})
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from hypothesis import given, strategies as st

    @mod.deterministic(120, shrink=False)
    @given(data=st.data())
    def fuzz_in_child(data):
        mod.fuzz_one(data)

    fuzz_in_child()
    print("FUZZ DONE")
""")


def test_fuzz_arguments_in_a_subprocess():
    """The same fuzz (other examples: another function, another derandomized
    seed) in a fresh interpreter: a crash shows as a failure here."""
    here = Path(__file__).resolve()
    code = _SUBPROCESS_FUZZ.format(tests=str(here.parent), path=str(here))
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode >= 0, (f"the interpreter was killed by signal {-proc.returncode}\n"
                                  f"{proc.stderr[-4000:]}")
    assert proc.returncode == 0 and "FUZZ DONE" in proc.stdout, proc.stderr[-4000:]
