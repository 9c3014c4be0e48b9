"""Every instruction-set path gives the scalar kernel's bits (docs/contract.md 2, 6).

For each ISA this build and CPU can run (forced through ``WEIGHTINIT_ISA``,
which is read on every call), every distribution x dtype x thread count is
compared bit for bit with the scalar path: million-element fills (so the
inverse CDF visits its central, tail and far-tail branches in every mix
within a vector), sizes and regions that start and end inside blocks and
inside a SIMD step, and a run across the 2**32-block carry of the counter.
"""
import functools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import weightinit as wi
from weightinit import _fill

import ml_dtypes  # noqa: E402 - a dependency of weightinit

ISAS = ("scalar", "avx2", "avx512")
FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
THREADS = (1, 2)
SEEDS = ((0, 0), (2**64 - 1, "encoder.0.q_proj"), (12345, 2**64 - 1))
N = 10**6 + 3          # a partial block and a partial SIMD step at the end

# name -> (Generator method, parameters)
CASES = {
    "random": ("random", {}),
    "uniform": ("uniform", dict(low=-0.3, high=0.7)),
    "uniform(-1e38,1e38)": ("uniform", dict(low=-1e38, high=1e38)),
    "uniform(-3e38,3e38)": ("uniform", dict(low=-3e38, high=3e38)),
    "uniform(1e5,1e5+1)": ("uniform", dict(low=1e5, high=1e5 + 1)),
    "uniform(-1e-30,7.5)": ("uniform", dict(low=-1e-30, high=7.5)),
    # the SIMD kernels' step, range * 2**-24, is a normal float32 from range
    # 2**-102 (about 1.97e-31) on; below, the scalar kernel takes the call
    "uniform(0,3e-31)": ("uniform", dict(low=0.0, high=3e-31)),
    "uniform(0,1.5e-31)": ("uniform", dict(low=0.0, high=1.5e-31)),
    "standard_normal": ("standard_normal", {}),
    "normal(3.5,0.02)": ("normal", dict(loc=3.5, scale=0.02)),
    "normal(0,1e-6)": ("normal", dict(loc=0.0, scale=1e-6)),        # float16 subnormals
    "normal(-7,2e4)": ("normal", dict(loc=-7.0, scale=2e4)),        # float16 overflow
    "normal(1e39,1e39)": ("normal", dict(loc=1e39, scale=1e39)),    # float32 inf and NaN
    "truncnorm(-2,2)": ("truncated_normal", dict(a=-2.0, b=2.0)),
    "truncnorm(0,inf)": ("truncated_normal", dict(a=0.0, b=np.inf)),
    "truncnorm(-0.1,0.1)": ("truncated_normal", dict(a=-0.1, b=0.1)),
    "truncnorm(3,8)": ("truncated_normal", dict(a=3.0, b=8.0)),
    "truncnorm(-inf,-4)": ("truncated_normal", dict(a=-np.inf, b=-4.0)),
    "truncnorm(-30,-29)": ("truncated_normal", dict(a=-30.0, b=-29.0)),
    "truncnorm(-inf,inf)": ("truncated_normal", dict(a=-np.inf, b=np.inf)),
    "truncnorm(-1,30)": ("truncated_normal", dict(a=-1.0, b=30.0)),
    "truncnorm loc scale": ("truncated_normal", dict(loc=0.25, scale=0.02, a=-2.0, b=2.0)),
}
PAIRS = [(case, dtype) for case in CASES for dtype in FLOAT_DTYPES] + [("raw", "uint32")]


def bits(x):
    """Raw bits of an array, so NaN payloads and -0.0 compare exactly."""
    return np.ascontiguousarray(x).view(np.dtype(f"u{x.dtype.itemsize}"))


def draws(case, dtype, seed, stream, threads):
    """The arrays one case produces under the currently forced ISA."""
    if case == "raw":
        method, params, kw = "random_raw", {}, {}
    else:
        method, params = CASES[case]
        kw = dict(dtype=ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)

    def call(g, size, **extra):
        return getattr(g, method)(size=size, **params, **kw, threads=threads, **extra)

    g = wi.Generator(seed, stream)
    out = [call(g, N),                   # ends inside a block
           call(g, 1001),                # starts right after it
           call(g, (299, 1001), region=(slice(3, 298), slice(1, 1000)))]
    # Across the carry from counter word 0 into word 1 (block 2**32).
    g = wi.Generator(seed, stream).advance(2**32 - 37)
    out.append(call(g, 4099))
    # Preallocated output, starting mid-block.
    g = wi.Generator(seed, stream).advance(5)
    target = np.empty(70001, out[0].dtype)
    out.append(call(g, (70003,), region=(slice(2, 70003),), out=target))
    return out


@functools.lru_cache(maxsize=None)
def reference(case, dtype, seed, stream):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WEIGHTINIT_ISA", "scalar")
        return tuple(bits(a) for a in draws(case, dtype, seed, stream, threads=1))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("case,dtype", PAIRS, ids=[f"{c}-{d}" for c, d in PAIRS])
def test_isa_matches_scalar(isa, case, dtype, monkeypatch):
    if not wi.isa_available(isa):
        pytest.skip(f"{isa} kernels are not available on this build or CPU")
    monkeypatch.setenv("WEIGHTINIT_ISA", isa)
    assert _fill.selected_isa() == _fill.ISA_NAMES.index(isa)
    for seed, stream in SEEDS:
        expected = reference(case, dtype, seed, stream)
        for threads in THREADS:
            if isa == "scalar" and threads == 1:
                continue               # that is the reference itself
            got = draws(case, dtype, seed, stream, threads)
            assert len(got) == len(expected)
            for i, (g, e) in enumerate(zip(got, expected)):
                np.testing.assert_array_equal(
                    bits(g), e, err_msg=f"{isa}, {case}, {dtype}, seed={seed}, "
                    f"stream={stream!r}, threads={threads}, draw {i}")


def test_truncnorm_cases_reach_every_branch():
    """The truncated normal cases above take every piece of the inverse CDF:
    central (|p - 1/2| <= 0.425, |z| < 1.44), tail (s <= 5) and far tail
    (s > 5: tail probability below exp(-25), |z| > 6.9), with margins."""
    seen = set()
    for case in ("truncnorm(-2,2)", "truncnorm(-inf,-4)", "truncnorm(-30,-29)"):
        _, params = CASES[case]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("WEIGHTINIT_ISA", "scalar")
            z = np.abs(wi.Generator(0).truncated_normal(size=N, dtype="float32", **params))
        if (z < 1.4).any():
            seen.add("central")
        if ((z > 1.5) & (z < 6.5)).any():
            seen.add("tail")
        if (z > 7.5).any():
            seen.add("far")
    assert seen == {"central", "tail", "far"}


@pytest.mark.parametrize("isa", ISAS)
def test_isa_available_matches_forcing(isa, monkeypatch):
    """A forced ISA that this CPU lacks is refused by name; an available one is used."""
    monkeypatch.setenv("WEIGHTINIT_ISA", isa)
    if wi.isa_available(isa):
        assert _fill.selected_isa() == _fill.ISA_NAMES.index(isa)
    else:
        with pytest.raises(ValueError, match="WEIGHTINIT_ISA"):
            _fill.selected_isa()


EMULATION_SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "avx512_emulated.sh"


def test_avx512_kernels_match_scalar_under_emulation(tmp_path):
    """Where the CPU lacks AVX-512 its kernels are still checked: built on
    SIMDe's portable AVX-512 and compared with the scalar kernel in C, every
    distribution and output type, branch-reaching parameters, block counts
    around the SIMD step, the 2**32 carry (tests/c/test_kernel_equal.c)."""
    if wi.isa_available("avx512"):
        pytest.skip("this CPU runs AVX-512 natively (test_isa_matches_scalar covers it)")
    if not wi.isa_available("avx2"):
        pytest.skip("the SIMDe stand-in runs on AVX2 and F16C, which this CPU lacks")
    if not os.path.exists("/usr/include/simde/x86/avx512.h"):
        pytest.skip("SIMDe headers are not installed (apt-get install libsimde-dev)")
    if shutil.which(os.environ.get("CC", "gcc")) is None:
        pytest.skip("no C compiler")
    proc = subprocess.run(["bash", str(EMULATION_SCRIPT), str(tmp_path)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert " 0 failed" in proc.stdout and " passed" in proc.stdout, proc.stdout
