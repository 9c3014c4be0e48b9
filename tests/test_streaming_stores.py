"""Fills written with streaming (non-temporal) stores give the scalar path's bits.

Fills of at least ``WEIGHTINIT_NT_MIN_BYTES`` bytes (read when the library
loads; 32 MiB by default) use kernels with non-temporal stores where there
are some (AVX-512 float32) after a plain prologue up to a 64-byte boundary,
when the output's blocks start 16-byte aligned. A child
process with the threshold at 1 byte streams every fill; its outputs at odd
element offsets (so 2- and 4-byte items start off any 16-byte boundary),
region rows and both thread counts must equal the scalar kernel's with plain
stores in this process. One fill above the default threshold is checked too.
"""
import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import weightinit as wi

ISAS = [isa for isa in ("scalar", "avx2", "avx512") if wi.isa_available(isa)]
DTYPES = ("float32", "float64", "float16", "bfloat16")
OFFSETS = (0, 1, 3, 7)

CHILD = r"""
import sys
import numpy as np, ml_dtypes
import weightinit as wi
from test_streaming_stores import draws
isa, dtype, path = sys.argv[1:]
np.savez(path, *draws(dtype))
"""


def draws(dtype):
    """Uniform, normal and truncated normal fills at odd offsets of a buffer,
    a region with partial rows, 1 and 2 threads."""
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    g = wi.Generator(7, "nt")
    out = []
    n = 2**18 + 5                      # two threads' worth, ends mid-block
    for threads in (1, 2):
        for k, offset in enumerate(OFFSETS):
            for start in (0, offset % 4):
                # start = offset % 4: the partial first block ends on a 16-byte
                # boundary, so the streaming kernels run; start 0: they cannot.
                buf = np.zeros(n + 16, dt)
                kw = dict(dtype=dt, out=buf[offset:offset + n], threads=threads,
                          region=(slice(start, start + n),))
                size = n + start
                if k % 3 == 0:
                    g.uniform(-0.5, 2.0, size, **kw)
                elif k % 3 == 1:
                    g.normal(0.25, 3.0, size, **kw)
                else:
                    g.truncated_normal(0.0, 1.0, -2.0, 2.0, size, **kw)
                out.append(buf)        # the untouched edges are compared too
        out.append(g.normal(0.0, 1.0, (701, 333), region=(slice(1, 700), slice(3, 332)),
                            dtype=dt, threads=threads))
    return out


def bits(a):
    return np.ascontiguousarray(a).view(np.dtype(f"u{a.dtype.itemsize}"))


def scalar_reference(dtype, monkeypatch):
    monkeypatch.setenv("WEIGHTINIT_ISA", "scalar")
    return draws(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("isa", ISAS)
def test_streamed_fills_equal_scalar(isa, dtype, tmp_path, monkeypatch):
    path = tmp_path / "out.npz"
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, WEIGHTINIT_ISA=isa, WEIGHTINIT_NT_MIN_BYTES="1",
               PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", CHILD, isa, dtype, str(path)], env=env, check=True)
    with np.load(path) as got:
        got = [got[f"arr_{i}"] for i in range(len(got.files))]
    expected = scalar_reference(dtype, monkeypatch)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_array_equal(bits(g), bits(e), err_msg=f"{isa} {dtype} draw {i}")


@pytest.mark.parametrize("threads", (1, 2))
def test_fill_above_default_threshold_equals_scalar(threads, monkeypatch):
    """64 MiB + 12 bytes of float32 at an offset of 8 bytes: streamed by default
    (the Python layer passes the core 2**23 elements per thread, 32 MiB)."""
    n = 2**24 + 3
    buf = np.zeros(n + 4, np.float32)
    wi.Generator(3, "big").uniform(-1.0, 1.0, n + 2, dtype="float32", out=buf[2:2 + n],
                                   region=(slice(2, n + 2),), threads=threads)
    monkeypatch.setenv("WEIGHTINIT_ISA", "scalar")
    ref = np.zeros(n + 4, np.float32)
    wi.Generator(3, "big").uniform(-1.0, 1.0, n + 2, dtype="float32", out=ref[2:2 + n],
                                   region=(slice(2, n + 2),), threads=1)
    np.testing.assert_array_equal(bits(buf), bits(ref))
