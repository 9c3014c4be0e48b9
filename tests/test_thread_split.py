"""The C core's thread split at its threshold (docs/contract.md 2): fills just
above ``2 * PARALLEL_MIN_ELEMENTS`` (the smallest that 2 threads take) give
the one-thread bits, also in a fork()ed child, and the benchmark's store
ceilings write every byte of a buffer."""
import os

import numpy as np
import pytest

import weightinit as wi
from weightinit import _core

from test_fork import wait_for_child

# The smallest fill that 2 threads take, plus a partial block and a partial chunk.
N = 2 * _core.PARALLEL_MIN_ELEMENTS + 4099


def bits(x):
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


@pytest.mark.parametrize("method,params", [
    ("random", {}), ("standard_normal", {}), ("truncated_normal", dict(a=-2.0, b=2.0))])
def test_two_threads_at_the_threshold(method, params):
    one = getattr(wi.Generator(3, "split"), method)(size=N, **params, dtype=np.float32, threads=1)
    two = getattr(wi.Generator(3, "split"), method)(size=N, **params, dtype=np.float32, threads=2)
    np.testing.assert_array_equal(bits(two), bits(one))


def test_constant_fill_at_the_threshold():
    out = np.zeros(N, np.float32)
    _core.fill_constant(out, 0.25, 2)
    assert (out == 0.25).all()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_two_thread_fill_after_fork():
    expected = wi.Generator(4, "split").standard_normal(N, dtype=np.float32, threads=1)
    wi.Generator(4, "split").standard_normal(N, dtype=np.float32, threads=2)
    pid = os.fork()
    if pid == 0:   # child: never return into pytest
        code = 2
        try:
            child = wi.Generator(4, "split").standard_normal(N, dtype=np.float32, threads=2)
            code = 0 if np.array_equal(bits(child), bits(expected)) else 1
        finally:
            os._exit(code)
    assert wait_for_child(pid) == 0


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("start,stop", [(0, 4 * N), (1, 4 * N - 3), (5, 70), (3, 3)])
def test_store_ceiling_writes_every_byte(streaming, start, stop):
    buf = np.zeros(4 * N + 64, np.uint8)
    view = buf[start:stop]
    _core.fill_store_ceiling(view, streaming, 2)
    # The pattern is 0.5f by address: one nonzero byte (0x3f) per 4, aligned.
    addr = view.ctypes.data + np.arange(view.size)
    expected = np.where(addr % 4 == 3, 0x3f, 0).astype(np.uint8)
    np.testing.assert_array_equal(view, expected)
    assert not buf[:start].any() and not buf[stop:].any()
