"""The ``weightinit`` command.

``weightinit`` (or ``python -m weightinit``) with no arguments runs the
demo: a 2**28-element float32 tensor with He-normal scale, timed beside
NumPy's ``standard_normal`` of the same size.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from ._threads import get_num_threads
from .generator import Generator

__all__ = ["main"]


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]   # median


def demo(rows: int = 16384, cols: int = 16384, repeats: int = 3) -> None:
    """Time a He-normal (Keras: truncated, fan_in) float32 fill against NumPy."""
    shape = (rows, cols)
    n = rows * cols
    fan_in = rows   # Keras layout (in, out): fan_in is the second-last axis
    std = math.sqrt(2.0 / fan_in) / 0.87962566103423978
    out = np.empty(shape, np.float32)
    ours = _best_of(lambda: Generator(0, "demo").truncated_normal(
        0.0, std, -2.0, 2.0, size=shape, dtype=np.float32, out=out), repeats)
    rng = np.random.default_rng(0)
    theirs = _best_of(lambda: rng.standard_normal(shape, dtype=np.float32, out=out), repeats)
    print(f"he_normal float32 {rows}x{cols} ({n:,} samples), median of {repeats}, "
          f"{get_num_threads()} threads")
    print(f"  weightinit truncated normal : {ours:8.3f} s  {n / ours / 1e9:6.2f} G samples/s")
    print(f"  numpy standard_normal       : {theirs:8.3f} s  {n / theirs / 1e9:6.2f} G samples/s")
    print(f"  speed-up                    : {theirs / ours:8.1f}x")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weightinit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="time a 2**28-element he_normal fill beside NumPy (default)")
    d.add_argument("--rows", type=int, default=16384)
    d.add_argument("--cols", type=int, default=16384)
    d.add_argument("--repeats", type=int, default=3)
    b = sub.add_parser("bench", help="compare fills with NumPy / PyTorch / Keras in one run")
    b.add_argument("--sizes", type=lambda s: [int(float(v)) for v in s.split(",")],
                   default=[10**3, 10**6, 2**24], help="comma-separated, e.g. 1e3,1e6,268435456")
    b.add_argument("--threads", type=lambda s: [int(v) for v in s.split(",")], default=None,
                   help="comma-separated thread counts (default: 1 and all)")
    b.add_argument("--cases", default="uniform,normal,truncnorm")
    b.add_argument("--dtypes", default="float32,bfloat16")
    b.add_argument("--no-baselines", action="store_true")
    b.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command in (None, "demo"):
        demo(getattr(args, "rows", 16384), getattr(args, "cols", 16384),
             getattr(args, "repeats", 3))
    elif args.command == "bench":
        from . import bench
        rows = bench.run(sizes=args.sizes, threads=args.threads, cases=args.cases.split(","),
                         dtypes=args.dtypes.split(","), baselines=not args.no_baselines)
        print(bench.to_json(rows) if args.json else bench.header() + "\n" + bench.main_table(rows))
    return 0
