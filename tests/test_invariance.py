"""Values depend on (seed, stream, element index) only: bit-identical across
thread counts, instruction sets, regions (shards), 16-bit narrowing, ``out=``
and the thread-count settings."""
import os

import numpy as np
import pytest

import weightinit as wi
from weightinit import _fill

import ml_dtypes  # noqa: E402 - a dependency of weightinit
BF16 = np.dtype(ml_dtypes.bfloat16)

DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64),
          "float16": np.dtype(np.float16), "bfloat16": BF16}

# name -> (method, parameters)
DISTS = {
    "random": ("random", {}),
    "uniform": ("uniform", dict(low=-0.3, high=0.7)),
    "standard_normal": ("standard_normal", {}),
    "normal": ("normal", dict(loc=0.5, scale=2.0)),
    "truncnorm": ("truncated_normal", dict(loc=0.1, scale=0.5)),
    "truncnorm(3,8)": ("truncated_normal", dict(a=3.0, b=8.0)),
    "truncnorm(-inf,-4)": ("truncated_normal", dict(a=-np.inf, b=-4.0)),
}
BIG = (547, 601)   # 328,747 elements: enough for 8 threads of the C core


def draw(dist, dtype, size, seed=2024, stream="inv", **kw):
    """One call of a fresh Generator."""
    method, params = DISTS[dist]
    return getattr(wi.Generator(seed, stream), method)(size=size, dtype=dtype, **params, **kw)


def bits(x):
    """The raw bits of a float array, for exact comparison (NaN and -0.0 included)."""
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


def assert_same_bits(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(bits(actual), bits(expected))


@pytest.fixture
def restore_threads():
    """Leave the process-wide thread default as it was."""
    yield
    wi.set_num_threads(None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
def test_thread_counts(dist, dtype):
    """threads = 1, 2, 3, 8 give the same bits on a large tensor."""
    one = draw(dist, DTYPES[dtype], BIG, threads=1)
    for threads in (2, 3, 8):
        assert_same_bits(draw(dist, DTYPES[dtype], BIG, threads=threads), one)


@pytest.mark.parametrize("isa", _fill.ISA_NAMES)
@pytest.mark.parametrize("dist", DISTS)
def test_instruction_sets(dist, isa, monkeypatch):
    """Every available ISA (WEIGHTINIT_ISA) gives the scalar kernel's bits."""
    if not wi.isa_available(isa):
        pytest.skip(f"{isa} not available on this CPU or build")
    size = (301, 67)
    monkeypatch.setenv("WEIGHTINIT_ISA", "scalar")
    scalar = {d: draw(dist, DTYPES[d], size, threads=2) for d in DTYPES}
    monkeypatch.setenv("WEIGHTINIT_ISA", isa)
    for d in DTYPES:
        assert_same_bits(draw(dist, DTYPES[d], size, threads=2), scalar[d])


def cuts_to_regions(cuts):
    """All grid cells of per-axis cut points, as tuples of slices."""
    grids = np.meshgrid(*[np.arange(len(c) - 1) for c in cuts], indexing="ij")
    for cell in zip(*(g.ravel() for g in grids)):
        yield tuple(slice(c[i], c[i + 1]) for c, i in zip(cuts, cell))


def assemble(dist, dtype, shape, cuts):
    """The tensor built from one fresh call per grid cell of ``cuts``."""
    full = np.empty(shape, dtype)
    covered = np.zeros(shape, bool)
    for region in cuts_to_regions(cuts):
        full[region] = draw(dist, dtype, shape, region=region, threads=2)
        covered[region] = True
    assert covered.all()
    return full


SHARDINGS = {
    "2d-rows": ((130, 70), [[0, 1, 33, 59, 64, 130], [0, 70]]),
    "2d-cols": ((130, 70), [[0, 130], [0, 3, 4, 45, 69, 70]]),
    "2d-blocks": ((130, 70), [[0, 7, 50, 117, 130], [0, 5, 6, 41, 70]]),
    "3d-rows": ((6, 37, 29), [[0, 1, 4, 6], [0, 37], [0, 29]]),
    "3d-blocks": ((6, 37, 29), [[0, 2, 3, 6], [0, 10, 11, 37], [0, 1, 13, 29]]),
    "chunk-edges": ((3, 8192 + 5), [[0, 3], [0, 4095, 4096, 4097, 8192, 8197]]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("sharding", SHARDINGS)
def test_shards_assemble_to_whole(sharding, dist, dtype):
    """Row shards, column shards and odd blocks (regions) rebuild the whole tensor."""
    shape, cuts = SHARDINGS[sharding]
    whole = draw(dist, DTYPES[dtype], shape, threads=1)
    assert_same_bits(assemble(dist, DTYPES[dtype], shape, cuts), whole)


NARROW_DISTS = dict(DISTS, **{
    "tiny-normal": ("normal", dict(loc=0.0, scale=1e-6)),            # f16 subnormals
    "huge-uniform": ("uniform", dict(low=-1e5, high=1e5)),           # f16 overflow
})


@pytest.mark.parametrize("narrow", ["float16", "bfloat16"])
@pytest.mark.parametrize("dist", NARROW_DISTS)
def test_narrowing_equals_astype(dist, narrow):
    """float16/bfloat16 results are the float32 result rounded to nearest even."""
    method, params = NARROW_DISTS[dist]
    size = 100_003

    def call(dtype):
        return getattr(wi.Generator(7, dist), method)(size=size, dtype=dtype, **params)
    with np.errstate(over="ignore"):   # huge-uniform overflows float16 on purpose
        wide = call(np.float32).astype(DTYPES[narrow])
    assert_same_bits(call(DTYPES[narrow]), wide)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", DISTS)
def test_out_equals_fresh(dist, dtype):
    """``out=`` is returned and holds the values of a fresh array."""
    dt = DTYPES[dtype]
    out = np.full((33, 65), 7, dt)
    got = draw(dist, dt, out.shape, out=out)
    assert got is out
    assert_same_bits(out, draw(dist, dt, out.shape))


def test_out_memmap(tmp_path):
    """An np.memmap is a valid ``out``."""
    mm = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="w+", shape=(40, 50))
    assert draw("truncnorm", np.float32, mm.shape, out=mm) is mm
    mm.flush()
    back = np.fromfile(tmp_path / "w.bin", dtype=np.float32).reshape(40, 50)
    assert_same_bits(back, draw("truncnorm", np.float32, (40, 50)))


def spy_thread_counts(monkeypatch):
    """Record the thread count each fill passes to the C core
    (``_core.fill``'s 14th positional argument)."""
    seen = []
    real = _fill._core.fill

    def spy(*args):
        seen.append(args[13])
        return real(*args)
    monkeypatch.setattr(_fill._core, "fill", spy)
    return seen


def test_env_var_threads(monkeypatch, restore_threads):
    """WEIGHTINIT_NUM_THREADS sets the default count; values are unchanged."""
    expected = draw("normal", np.float32, BIG, threads=1)
    monkeypatch.setenv("WEIGHTINIT_NUM_THREADS", "3")
    wi.set_num_threads(None)
    assert wi.get_num_threads() == 3
    seen = spy_thread_counts(monkeypatch)
    assert_same_bits(draw("normal", np.float32, BIG), expected)
    assert seen == [3]


def test_set_num_threads(monkeypatch, restore_threads):
    """set_num_threads overrides the env var, None restores it; values unchanged."""
    expected = draw("uniform", np.float64, BIG, threads=1)
    monkeypatch.setenv("WEIGHTINIT_NUM_THREADS", "3")
    seen = spy_thread_counts(monkeypatch)
    wi.set_num_threads(2)
    assert wi.get_num_threads() == 2
    assert_same_bits(draw("uniform", np.float64, BIG), expected)
    wi.set_num_threads(None)
    assert wi.get_num_threads() == 3
    assert_same_bits(draw("uniform", np.float64, BIG), expected)
    assert_same_bits(draw("uniform", np.float64, BIG, threads=5), expected)
    assert seen == [2, 3, 5]


def test_default_is_all_available_cpus(monkeypatch, restore_threads):
    """Without a setting, every CPU the process may run on."""
    monkeypatch.delenv("WEIGHTINIT_NUM_THREADS", raising=False)
    wi.set_num_threads(None)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert wi.get_num_threads() == cpus


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_default_follows_cpu_affinity(monkeypatch, restore_threads):
    """A process pinned to fewer CPUs after import (a worker pinning itself)
    gets that many threads by default."""
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        pytest.skip("needs at least 2 CPUs")
    monkeypatch.delenv("WEIGHTINIT_NUM_THREADS", raising=False)
    wi.set_num_threads(None)
    assert wi.get_num_threads() == len(cpus)
    try:
        os.sched_setaffinity(0, {min(cpus)})
        assert wi.get_num_threads() == 1
    finally:
        os.sched_setaffinity(0, cpus)


def test_float32_uniform_wider_than_float32_max():
    """A float32 uniform whose width overflows float32 is the halved range
    doubled, exactly (scaling by 2 is exact), with no overflow warning even
    where a 16-bit result overflows; bounds beyond float32 are refused."""
    full = wi.random_uniform((4099,), -3e38, 3e38, seed=5)
    half = wi.random_uniform((4099,), -1.5e38, 1.5e38, seed=5)
    np.testing.assert_array_equal(full, half * np.float32(2))
    assert np.unique(full).size > 4000 and np.isfinite(full).all()
    with np.errstate(all="raise"):
        f16 = wi.random_uniform((4099,), -3e38, 3e38, seed=5, dtype="float16")
        part = wi.random_uniform((4099,), -3e38, 3e38, seed=5, region=(slice(7, 4000),))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(f16, full.astype(np.float16))
    np.testing.assert_array_equal(part, full[7:4000])
    with pytest.raises(ValueError, match="finite float32"):
        wi.random_uniform((4,), -1e39, 1e39, seed=5)
    # float32's max as NumPy prints it (a double just above it) rounds to it: accepted
    edge = wi.random_uniform((4099,), -3.4028235e38, 3.4028235e38, seed=5, dtype="bfloat16")
    assert np.unique(edge).size > 1000
    assert wi.random_uniform((4,), -1e39, 1e39, seed=5, dtype="float64").dtype == np.float64
