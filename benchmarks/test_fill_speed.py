"""pytest-benchmark suite: every distribution x dtype x size x threads, with
NumPy / PyTorch / Keras baselines in the same benchmark group.

Run: ``python -m pytest benchmarks --benchmark-group-by=group``. Sizes
default to 10**3, 10**6 and 2**28; set WEIGHTINIT_BENCH_SIZES=1e3,1e6 for a
quick pass. Nothing here asserts a timing: the targets are read off the
table (and off ``weightinit bench``, which measures the same calls).
"""
import math
import os

import numpy as np
import pytest

import weightinit as wi
from weightinit import bench

SIZES = [int(float(s)) for s in os.environ.get("WEIGHTINIT_BENCH_SIZES", "1e3,1e6,268435456").split(",")]
THREADS = sorted({1, wi.get_num_threads()})
DTYPES = ["float32", "float64", "float16", "bfloat16"]


def _dtype(name):
    return wi._checks.resolve_dtype(name)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", bench.CASES)
@pytest.mark.parametrize("threads", THREADS)
def test_weightinit(benchmark, case, dtype, size, threads):
    benchmark.group = f"{case}-{dtype}-{size}"
    out = np.empty(size, _dtype(dtype))
    benchmark(bench._ours(case, size, _dtype(dtype), threads, out))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", bench.CASES)
def test_baselines(benchmark, case, dtype, size):
    benchmark.group = f"{case}-{dtype}-{size}"
    options = {}
    for group in (bench._numpy_baselines, bench._torch_baselines, bench._keras_baselines):
        options.update(group(case, size, _dtype(dtype)))
    if not options:
        pytest.skip(f"no baseline installed for {case} {dtype}")
    name, (timed, fresh) = next(iter(options.items()))
    benchmark.name = name
    benchmark(timed or fresh)
