"""The ``weightinit`` command.

Subcommands::

    weightinit init SPEC -o model.safetensors --seed 0   # a whole model
    weightinit tensor he_normal --shape 50000 4096 --dtype bfloat16 -o emb.safetensors
    weightinit bench                                      # speed table vs NumPy/PyTorch/Keras
    weightinit bench --torch                              # fast_init vs torch, transformers
    weightinit demo                                       # one 2**28 tensor vs NumPy

``SPEC`` is a JSON file ``{"seed": 0, "tensors": {name: {"shape": [...],
"init": "he_normal" or {"name": ..., **parameters}, "dtype": "bfloat16"}}}``
or the name of a shipped example (``gpt_1.3b``, ``mlp_small``). With no
arguments the command runs the main job: the shipped 1.3 B-parameter GPT
spec into ``gpt_1.3b.safetensors``, printing time, throughput and peak memory.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

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


SPECS_DIR = Path(__file__).with_name("specs")


def _spec_path(spec: str) -> Path:
    path = Path(spec)
    if path.exists():
        return path
    shipped = SPECS_DIR / f"{spec}.json"
    if shipped.exists():
        return shipped
    names = ", ".join(sorted(p.stem for p in SPECS_DIR.glob("*.json")))
    raise ValueError(f"spec {spec!r} is neither a file nor a shipped spec ({names})")


def _peak_rss_mib() -> float:
    """This process's peak RSS. Linux's VmHWM is the process's own; ru_maxrss
    also counts the parent's RSS at fork, so it is only the fallback."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024.0
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def init_model(spec: str, output: str, seed=None, force=False, quiet=False, threads=None) -> int:
    """``weightinit init``: a spec file into a safetensors file, with a report."""
    from .safetensors import SpecError, load_spec_file, save_safetensors
    try:
        file_seed, tensors = load_spec_file(_spec_path(spec))
        seed = seed if seed is not None else file_seed
        t0 = time.perf_counter()
        info = save_safetensors(output, tensors, seed=seed, progress=not quiet, force=force,
                                threads=threads)
        elapsed = time.perf_counter() - t0
    except (SpecError, FileExistsError, TypeError, ValueError) as err:
        print(f"weightinit: error: {err}", file=sys.stderr)
        return 2
    n = _count_parameters(tensors)
    if not quiet:
        print(f"wrote {info['path']}: {info['tensors']} tensors, {n:,} parameters, "
              f"{info['bytes'] / 2**30:.2f} GiB, seed {info['seed']}")
        print(f"time {elapsed:.2f} s, {n / elapsed / 1e9:.2f} G parameters/s, "
              f"{info['bytes'] / elapsed / 1e9:.2f} GB/s, peak RSS {_peak_rss_mib():.0f} MiB")
    return 0


def _count_parameters(tensors) -> int:
    return sum(math.prod(t["shape"]) for t in tensors.values())


def _parse_param(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--param takes NAME=VALUE; got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value   # a bare string such as fan_avg


def write_tensor(init: str, shape, output: str, dtype: str, seed, stream, params, force, quiet,
                 threads) -> int:
    """``weightinit tensor``: one initializer into .npy (memory-mapped) or .safetensors."""
    from . import initializers
    from ._checks import resolve_dtype
    from .safetensors import SpecError, save_safetensors
    out_path = Path(output)
    try:
        if out_path.suffix == ".safetensors":
            name = stream if isinstance(stream, str) else out_path.stem
            info = save_safetensors(out_path, {name: {"shape": shape, "init": {"name": init, **params},
                                                      "dtype": dtype}},
                                    seed=seed, progress=not quiet, force=force, threads=threads)
            seed = info["seed"]
        elif out_path.suffix == ".npy":
            np_dtype = resolve_dtype(dtype)
            if np_dtype.name == "bfloat16":
                raise ValueError("dtype bfloat16 cannot be stored in .npy; use -o NAME.safetensors")
            if init not in getattr(initializers, "__all__", ()):
                raise ValueError(f"init must name a weightinit initializer; got {init!r}")
            fn = getattr(initializers, init)
            if seed is None:
                seed = int.from_bytes(os.urandom(8), "little")
            fn(tuple(shape), seed=seed, stream=stream, dtype=np_dtype,
               region=tuple(slice(0, 0) for _ in shape) or None, **params)   # validate first
            if out_path.exists() and not force:
                raise FileExistsError(f"{out_path} exists; pass --force to overwrite")
            tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp.npy")
            try:
                arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np_dtype, shape=tuple(shape))
                fn(tuple(shape), seed=seed, stream=stream, dtype=np_dtype, out=arr, threads=threads,
                   **params)
                arr.flush()
                del arr
                os.replace(tmp, out_path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        else:
            raise ValueError(f"output must end in .npy or .safetensors; got {output!r}")
    except (SpecError, FileExistsError, TypeError, ValueError) as err:
        print(f"weightinit: error: {err}", file=sys.stderr)
        return 2
    if not quiet:
        print(f"wrote {out_path} ({init}, shape {list(shape)}, {dtype}, seed {seed}, stream {stream!r})")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weightinit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    i = sub.add_parser("init", help="initialize a model spec into a .safetensors file")
    i.add_argument("spec", help="JSON spec file, or a shipped spec name (gpt_1.3b, mlp_small)")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--seed", type=int, default=None, help="overrides the spec's seed")
    i.add_argument("--threads", type=int, default=None)
    i.add_argument("--force", action="store_true", help="overwrite an existing output")
    i.add_argument("--quiet", action="store_true")
    t = sub.add_parser("tensor", help="one initializer into .npy or .safetensors")
    t.add_argument("init", help="initializer name, e.g. he_normal")
    t.add_argument("--shape", type=int, nargs="+", required=True)
    t.add_argument("--dtype", default="float32")
    t.add_argument("-o", "--output", required=True)
    t.add_argument("--seed", type=int, default=None)
    t.add_argument("--stream", default=0, help="stream number or name")
    t.add_argument("--param", type=_parse_param, action="append", default=[],
                   help="initializer parameter NAME=VALUE (JSON value), repeatable")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--force", action="store_true")
    t.add_argument("--quiet", action="store_true")
    d = sub.add_parser("demo", help="time a 2**28-element he_normal fill beside NumPy")
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
    b.add_argument("--torch", action="store_true",
                   help="instead: transformers' from_config of a 0.94 B Llama under "
                        "weightinit.torch.fast_init vs plain torch (2 threads, fresh processes)")
    b.add_argument("--torch-repeats", type=int, default=3)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("weightinit: interrupted; no output file was left behind", file=sys.stderr)
        return 130


def _run(args) -> int:
    if args.command is None:
        return init_model("gpt_1.3b", "gpt_1.3b.safetensors", force=True)
    if args.command == "init":
        return init_model(args.spec, args.output, args.seed, args.force, args.quiet, args.threads)
    if args.command == "tensor":
        stream = int(args.stream) if str(args.stream).isdigit() else args.stream
        return write_tensor(args.init, args.shape, args.output, args.dtype, args.seed, stream,
                            dict(args.param), args.force, args.quiet, args.threads)
    if args.command == "demo":
        demo(getattr(args, "rows", 16384), getattr(args, "cols", 16384),
             getattr(args, "repeats", 3))
    elif args.command == "bench":
        from . import bench
        if args.torch:
            print(bench.torch_table(threads=(args.threads or [2])[0], repeats=args.torch_repeats))
            return 0
        rows = bench.run(sizes=args.sizes, threads=args.threads, cases=args.cases.split(","),
                         dtypes=args.dtypes.split(","), baselines=not args.no_baselines)
        print(bench.to_json(rows) if args.json else bench.header() + "\n" + bench.main_table(rows))
    return 0
