"""Best-of-N seconds of float32 fills with ``out=`` (uniform, normal, truncated
normal; 1 and 2 threads) at the sizes given, as JSON: one run of
tools/nt_stores_fills.sh, which alternates processes with streaming stores off
(``WEIGHTINIT_NT_MIN_BYTES=0``) and at a threshold.

Usage: python tools/nt_stores_fills.py 268435456[,1048576...]
"""
import json
import sys
import time

import numpy as np

from weightinit.generator import Generator


def main(sizes: list[int]) -> dict[str, float]:
    g = Generator(0, "bench")
    res = {}
    for n in sizes:
        out = np.zeros(n, np.float32)
        for case in ("uniform", "normal", "truncnorm"):
            for thr in (1, 2):
                if case == "uniform":
                    f = lambda: g.uniform(-0.02, 0.02, n, dtype="float32", out=out, threads=thr)  # noqa: E731
                elif case == "normal":
                    f = lambda: g.normal(0.0, 0.02, n, dtype="float32", out=out, threads=thr)  # noqa: E731
                else:
                    f = lambda: g.truncated_normal(0.0, 0.02, -2.0, 2.0, n, dtype="float32",  # noqa: E731
                                                   out=out, threads=thr)
                f()
                times = []
                for _ in range(max(7, min(200, 2**26 // n))):
                    t = time.perf_counter()
                    f()
                    times.append(time.perf_counter() - t)
                res[f"{case}/{n}/{thr}"] = min(times)
    return res


if __name__ == "__main__":
    print(json.dumps(main([int(s) for s in sys.argv[1].split(",")])))
