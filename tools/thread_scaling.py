"""2 threads over 1 for float32 fills into ``out=``, the two alternated in
one process so that both see the same moments of a shared machine.

Usage: ``python tools/thread_scaling.py [elements] [pairs]`` (default 2**26
elements, 15 pairs). Prints, per distribution, the best time of each thread
count, their ratio, and the median of the per-pair ratios. Run
``tools/two_cpu_control.c`` before and after: the figures mean something
only while a second CPU is there.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import weightinit as wi


def main(argv: list[str]) -> None:
    n = int(float(argv[0])) if argv else 1 << 26
    pairs = int(argv[1]) if len(argv) > 1 else 15
    out = np.empty(n, np.float32)
    fills = {"uniform": wi.random_uniform, "normal": wi.random_normal,
             "truncnorm": wi.truncated_normal}
    for name, fill in fills.items():
        def timed(threads: int) -> float:
            start = time.perf_counter()
            fill(out.shape, seed=0, out=out, threads=threads)
            return time.perf_counter() - start
        timed(1), timed(2)   # warm: pages touched, the pool started
        times = [(timed(1), timed(2)) for _ in range(pairs)]
        one, two = min(t for t, _ in times), min(t for _, t in times)
        ratio = statistics.median(a / b for a, b in times)
        print(f"{name:10s} n={n} 1 thread {one * 1e3:.2f} ms, 2 threads {two * 1e3:.2f} ms: "
              f"best {one / two:.2f}x, median {ratio:.2f}x ({pairs} pairs)")


if __name__ == "__main__":
    main(sys.argv[1:])
