"""bfloat16 narrowing by AVX512_BF16's vcvtne2ps2bf16 gives the scalar
rounding's bits (docs/contract.md 2, 6): on every float32 bit pattern (a C
program, tests/c/test_bf16_narrowing.c), in fills whose samples are
denormal, infinite, NaN or round up to infinity, and with the extension
refused (WEIGHTINIT_AVX512BF16=0), which keeps the integer rounding."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import weightinit as wi

ROOT = Path(__file__).resolve().parents[1]
N = 200_003

# name -> (method, parameters): every branch of the narrowing.
CASES = {
    "denormal, rare": ("normal", dict(loc=0.0, scale=1e-36)),      # ~1 % denormal lanes
    "denormal, mostly": ("normal", dict(loc=0.0, scale=1e-39)),
    "inf and nan": ("normal", dict(loc=1e39, scale=1e39)),
    "rounds to inf": ("uniform", dict(low=-3.4028235e38, high=3.4028235e38)),
    "ties near 1": ("uniform", dict(low=1.0, high=1.0 + 2**-6)),
    "truncnorm": ("truncated_normal", dict(a=-2.0, b=2.0)),
}


def _cpu_has_avx512bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512_bf16" in f.read()
    except OSError:
        return False


def fill(case, isa, monkeypatch, dtype=ml_dtypes.bfloat16, threads=1):
    method, params = CASES[case]
    monkeypatch.setenv("WEIGHTINIT_ISA", isa)
    out = getattr(wi.Generator(7, case), method)(size=N, **params, dtype=dtype, threads=threads)
    return out.view(np.uint16 if out.dtype.itemsize == 2 else np.uint32)


@pytest.mark.parametrize("case", CASES)
def test_avx512_bf16_matches_scalar(case, monkeypatch):
    if not wi.isa_available("avx512"):
        pytest.skip("no AVX-512 on this CPU or build")
    expected = fill(case, "scalar", monkeypatch)
    for threads in (1, 2):
        np.testing.assert_array_equal(fill(case, "avx512", monkeypatch, threads=threads), expected)
    # and it is the float32 sample rounded to nearest even
    f32 = fill(case, "scalar", monkeypatch, dtype=np.float32).view(np.float32)
    np.testing.assert_array_equal(f32.astype(ml_dtypes.bfloat16).view(np.uint16), expected)


def test_cases_reach_the_branches(monkeypatch):
    """Denormal lanes both rare and common, infinities, NaNs, round-up to inf."""
    f32 = {c: fill(c, "scalar", monkeypatch, dtype=np.float32).view(np.float32) for c in CASES}
    tiny = np.finfo(np.float32).tiny
    rare = np.mean((f32["denormal, rare"] != 0) & (np.abs(f32["denormal, rare"]) < tiny))
    assert 0.001 < rare < 0.05
    assert np.mean(np.abs(f32["denormal, mostly"]) < tiny) > 0.5
    assert np.isinf(f32["inf and nan"]).any() and np.isnan(f32["inf and nan"]).any()
    to_inf = f32["rounds to inf"].astype(ml_dtypes.bfloat16)
    assert np.isinf(to_inf).any() and np.isfinite(f32["rounds to inf"]).all()


def test_refusing_avx512bf16_keeps_the_bits():
    """WEIGHTINIT_AVX512BF16=0 (read when the library loads) selects the
    integer rounding; both give the scalar bits."""
    code = ("import sys, numpy as np, ml_dtypes, weightinit as wi\n"
            "a = wi.Generator(7, 'x').normal(0.0, 1e-36, size=100003, dtype=ml_dtypes.bfloat16)\n"
            "sys.stdout.write(a.view(np.uint16).tobytes().hex())\n")
    runs = {}
    for name, env in {"refused": {"WEIGHTINIT_AVX512BF16": "0"}, "default": {},
                      "scalar": {"WEIGHTINIT_ISA": "scalar"}}.items():
        full = {k: v for k, v in os.environ.items() if k not in ("WEIGHTINIT_ISA", "WEIGHTINIT_AVX512BF16")}
        full.update(env)
        proc = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs[name] = proc.stdout
    assert runs["refused"] == runs["scalar"] == runs["default"]


def _build_and_run(tmp_path, source: str, isa_flags: list[str], args: list[str]) -> None:
    """Compile ``source`` with the scalar rounding it checks against, run it,
    and require its "0 mismatches" line."""
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        pytest.skip("no C compiler")
    exe = tmp_path / Path(source).stem
    build = subprocess.run(
        [cc, "-O2", "-std=gnu11", "-ffp-contract=off", "-fno-math-errno", *isa_flags,
         f"-I{ROOT / 'csrc'}", "-DWI_HAVE_X86_SIMD=1", str(ROOT / source),
         str(ROOT / "csrc/wi_kernel_scalar.c"), str(ROOT / "csrc/wi_params.c"),
         "-o", str(exe), "-lm"],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 mismatches" in run.stdout


def test_every_float32_pattern(tmp_path):
    """tests/c/test_bf16_narrowing.c: all 2**32 float32 patterns, and one
    denormal in each lane among normal values."""
    if not _cpu_has_avx512bf16() or not wi.isa_available("avx512"):
        pytest.skip("this CPU lacks AVX512_BF16")
    _build_and_run(tmp_path, "tests/c/test_bf16_narrowing.c",
                   ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"], [])


def test_simd_store_sampled_float32_patterns(tmp_path):
    """tools/bf16_store_exhaustive.c on every 97th group of 32 patterns: the
    AVX2 bfloat16 store (unguarded and NaN-guarded rounding, element order)
    against the scalar rounding. Without the stride the tool checks all
    2**32 patterns (about 30 s)."""
    if not wi.isa_available("avx2"):
        pytest.skip("no AVX2 on this CPU or build")
    _build_and_run(tmp_path, "tools/bf16_store_exhaustive.c", ["-mavx2", "-mfma", "-mf16c"],
                   ["97"])
