"""Per-call overhead: small fills, where validation and setup dominate.

docs/contract.md 5 asks a 32x32 ``he_normal`` to cost at most twice NumPy's
``default_rng(0).random(1024, dtype=float32, out=...)``, and
``Generator.random(1000, out=)`` at most NumPy's (issue 14: float32
``random`` at most NumPy's, float32 ``standard_normal`` at most 0.3x, both
into ``out``; a repeat call takes ``_core.draw_whole``). Each group holds the call
and its NumPy baseline in the same run; read the ratio of medians off the
table (the machine may be shared: compare medians, not minima)::

    python -m pytest benchmarks/test_per_call.py --benchmark-group-by=group \
        --benchmark-columns=median,iqr,rounds

Nothing here asserts a timing.
"""
import numpy as np

import weightinit as wi


def test_he_normal_32x32(benchmark):
    benchmark.group = "per-call he_normal 32x32"
    benchmark(wi.he_normal, (32, 32), seed=0)


def test_numpy_random_1024(benchmark):
    benchmark.group = "per-call he_normal 32x32"
    out = np.empty(1024, np.float32)
    benchmark(lambda: np.random.default_rng(0).random(1024, dtype=np.float32, out=out))


def test_generator_random_out(benchmark):
    benchmark.group = "per-call Generator.random(1000, out=)"
    g, out = wi.default_rng(0), np.empty(1000)
    benchmark(g.random, 1000, out=out)


def test_numpy_generator_random_out(benchmark):
    benchmark.group = "per-call Generator.random(1000, out=)"
    g, out = np.random.default_rng(0), np.empty(1000)
    benchmark(g.random, 1000, out=out)


def _float32_pair(benchmark, method, group, ours):
    benchmark.group = group
    g = wi.default_rng(0) if ours else np.random.default_rng(0)
    out = np.empty(1000, np.float32)
    benchmark(getattr(g, method), 1000, dtype=np.float32, out=out)


def test_generator_random_f32_out(benchmark):
    _float32_pair(benchmark, "random", "per-call random(1000, float32, out=)", True)


def test_numpy_generator_random_f32_out(benchmark):
    _float32_pair(benchmark, "random", "per-call random(1000, float32, out=)", False)


def test_generator_standard_normal_f32_out(benchmark):
    _float32_pair(benchmark, "standard_normal",
                  "per-call standard_normal(1000, float32, out=)", True)


def test_numpy_generator_standard_normal_f32_out(benchmark):
    _float32_pair(benchmark, "standard_normal",
                  "per-call standard_normal(1000, float32, out=)", False)
