"""pytest-benchmark suite: every distribution x dtype x size x threads, with
NumPy / PyTorch / Keras baselines in the same benchmark group.

Run: ``python -m pytest benchmarks --benchmark-group-by=group``. Sizes
default to 10**3, 10**6 and 2**28; set WEIGHTINIT_BENCH_SIZES=1e3,1e6 for a
quick pass. Nothing here asserts a timing: the targets are read off the
table (and off ``weightinit bench``, which measures the same calls).
"""
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


BASELINES = ["numpy random(out=)", "numpy uniform().astype", "numpy standard_normal(out=)",
             "torch uniform_", "torch kaiming_uniform_", "torch normal_", "torch trunc_normal_",
             "keras HeNormal (numpy)", "keras GlorotUniform (numpy)"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", bench.CASES)
@pytest.mark.parametrize("baseline", BASELINES)
def test_baseline(benchmark, baseline, case, dtype, size):
    benchmark.group = f"{case}-{dtype}-{size}"
    options = {}
    for group in (bench._numpy_baselines, bench._torch_baselines, bench._keras_baselines):
        options.update(group(case, size, _dtype(dtype)))
    if baseline not in options:
        pytest.skip(f"{baseline} does not apply to {case} {dtype} or is not installed")
    timed, fresh = options[baseline]
    benchmark(timed or fresh)
