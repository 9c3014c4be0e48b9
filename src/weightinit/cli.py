"""The ``weightinit`` command.

Subcommands::

    weightinit init SPEC -o model.safetensors --seed 0   # a whole model
    weightinit init SPEC -o DIR --max-shard-size 5GB     # Hugging Face's (sharded) layout
    weightinit init --from-hf config.json -o DIR         # a transformers model's files
    weightinit tensor he_normal --shape 50000 4096 --dtype bfloat16 -o emb.safetensors
    weightinit list                                       # initializers and shipped specs
    weightinit bench                                      # speed table vs NumPy/PyTorch/Keras
    weightinit bench --torch                              # fast_init vs torch, transformers
    weightinit demo                                       # one 2**28 tensor vs NumPy

``SPEC`` is a JSON file ``{"seed": 0, "tensors": {name: {"shape": [...],
"init": "he_normal" or {"name": ..., **parameters}, "dtype": "bfloat16"}}}``
or the name of a shipped example (``gpt_1.3b``, ``mlp_small``). With no
arguments the command runs the main job: the shipped 1.3 B-parameter GPT
spec into ``gpt_1.3b.safetensors``, printing time, throughput and peak memory
(an existing file is kept unless ``--force``).

Errors print ``weightinit: error: ...`` naming the file or field, never a
traceback: exit code 2 for a bad argument or spec (nothing is written), 1
for an I/O failure (nothing is left behind), 130 for Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

from ._checks import did_you_mean
from ._threads import get_num_threads
from .generator import Generator
from .initializers import TRUNCATION_CORRECTION

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
    std = math.sqrt(2.0 / fan_in) / TRUNCATION_CORRECTION
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
MAIN_SPEC, MAIN_OUTPUT = "gpt_1.3b", "gpt_1.3b.safetensors"


def _shipped_specs() -> list[str]:
    return sorted(p.stem for p in SPECS_DIR.glob("*.json"))


def _spec_path(spec: str) -> Path:
    path = Path(spec)
    if path.is_file():
        return path
    shipped = SPECS_DIR / f"{spec}.json"
    if shipped.is_file():
        return shipped
    names = _shipped_specs()
    raise ValueError(f"spec {spec!r} is neither a file nor a shipped spec"
                     f"{did_you_mean(spec, names)}; shipped: {', '.join(names)}")


def _check_suffix(output: str, allowed: tuple[str, ...], what: str) -> Path:
    path = Path(output)
    if path.suffix not in allowed:
        raise ValueError(f"{what} must end in {' or '.join(allowed)} (the format is chosen by "
                         f"the suffix); got {output!r}")
    return path


def _peak_rss_mib() -> float:
    """This process's peak RSS. Linux's VmHWM is the process's own; ru_maxrss
    also counts the parent's RSS at fork, so it is only the fallback."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024.0
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def init_model(spec: str, output: str, seed=None, force=False, quiet=False, threads=None,
               fmt: str = "np", max_shard_size=None) -> int:
    """``weightinit init``: a spec file into a safetensors file (``-o
    NAME.safetensors``) or into a folder in Hugging Face's layout (``-o
    DIR``, shards above ``max_shard_size``), with a report. Errors raise
    (``main`` prints them)."""
    from .safetensors import load_spec_file
    file_seed, tensors = load_spec_file(_spec_path(spec))
    seed = seed if seed is not None else file_seed
    return _write_model(tensors, output, seed, force, quiet, threads, fmt, max_shard_size)


def _write_model(tensors, output, seed, force, quiet, threads, fmt, max_shard_size,
                 extra_files=None, folder_only=False) -> int:
    from .safetensors import HF_MAX_SHARD_SIZE, save_safetensors, save_safetensors_sharded
    t0 = time.perf_counter()
    if output.endswith(".safetensors") and not folder_only:
        if max_shard_size is not None:
            raise ValueError("--max-shard-size needs -o DIR (Hugging Face's layout); got a "
                             f".safetensors file {output!r}")
        info = save_safetensors(Path(output), tensors, seed=seed, progress=not quiet, force=force,
                                format=fmt, threads=threads)
    else:
        if output.endswith(".safetensors"):
            raise ValueError(f"-o/--output must be a folder for --from-hf; got {output!r}")
        folder = Path(output)
        if not folder.is_dir() and re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]{0,9}", folder.suffix):
            # m.npy is a mistyped file name more likely than a folder to create
            raise ValueError("-o/--output must end in .safetensors (one file) or name a folder "
                             f"(Hugging Face's layout; an existing one, or without a file "
                             f"suffix); got {output!r}")
        created = not folder.exists()
        if created and folder.parent.is_dir():   # a missing parent: the writer names it
            folder.mkdir()
        try:
            info = save_safetensors_sharded(
                folder, tensors, seed=seed, progress=not quiet, force=force, format=fmt,
                threads=threads, extra_files=extra_files,
                max_shard_size=HF_MAX_SHARD_SIZE if max_shard_size is None else max_shard_size)
        except BaseException:
            if created and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()   # nothing of ours left, not even the folder
            raise
        info["path"] = info["directory"] + f" ({len(info['files'])} weight file(s))"
    elapsed = time.perf_counter() - t0
    if not quiet:
        n = info["parameters"]
        print(f"wrote {info['path']}: {info['tensors']} tensors, {n:,} parameters, "
              f"{info['bytes'] / 2**30:.2f} GiB, seed {info['seed']}")
        print(f"time {elapsed:.2f} s, {n / elapsed / 1e9:.2f} G parameters/s, "
              f"{info['bytes'] / elapsed / 1e9:.2f} GB/s, peak RSS {_peak_rss_mib():.0f} MiB")
    return 0


def init_from_hf(config: str, output: str, seed=None, force=False, quiet=False, threads=None,
                 fmt: str = "pt", max_shard_size=None, dtype=None, cache: bool = True) -> int:
    """``weightinit init --from-hf config.json -o DIR``: the transformers
    model of ``config`` built on the meta device (no parameter allocated),
    its specs, and ``DIR/config.json`` with the weights in Hugging Face's
    layout, all or none. ``cache=False`` (``--no-cache``) records the
    specs again instead of reading or writing the recorded-spec cache."""
    specs, config_text = _specs_from_hf(config, dtype, cache=cache)
    return _write_model(specs, output, seed, force, quiet, threads, fmt, max_shard_size,
                        extra_files={"config.json": config_text}, folder_only=True)


def _specs_from_hf(config_path: str, dtype=None, cache: bool = True) -> tuple[dict, bytes]:
    """``(specs, config.json bytes)`` of the transformers causal-LM model
    of ``config_path``: from the recorded-spec cache (weightinit._spec_cache;
    neither torch nor transformers imported) when ``cache`` and it has the
    entry, else recorded by :func:`_record_hf` (and stored). ``dtype``
    (every tensor's, and the config's ``dtype``) is applied afterwards: the
    recording does not depend on it."""
    from . import _spec_cache
    path = Path(config_path)
    if not path.is_file():
        raise ValueError(f"--from-hf must name a config.json file; got {config_path!r}")
    if dtype is not None:
        from ._dtypes import kind_of   # a name, without ml_dtypes: files need no arrays
        dtype = kind_of(dtype, name="--dtype").name
    key = _spec_cache.cache_key(path.read_bytes()) if cache else None
    entry = _spec_cache.load(key) if key is not None else None
    if entry is None:
        specs, config_text, modules = _record_hf(config_path)
        if key is not None and _spec_cache.versions_match(modules):
            _spec_cache.store(key, specs, config_text)
    else:
        specs, config_text = entry
    if dtype is None:
        return specs, config_text
    return ({name: {**spec, "dtype": dtype} for name, spec in specs.items()},
            _with_dtype(config_text, dtype))


def _with_dtype(config_text: bytes, dtype: str) -> bytes:
    """``config.json`` text with ``"dtype"`` set, as transformers writes it
    (``to_json_string``: sorted keys, indent 2, a final newline), so that
    ``from_pretrained(dtype="auto")`` loads the weights as written."""
    config = json.loads(config_text)
    config["dtype"] = dtype
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _record_hf(config_path: str) -> tuple[dict, bytes, dict]:
    """``(specs, config.json bytes, {"torch": torch, "transformers":
    transformers})``: the model built on the meta device (nothing
    materialized), its own init code (``init_weights``, as ``from_config``
    runs it) recorded by :func:`weightinit.torch.record_init`, so the file
    equals ``with fast_init(seed): AutoModelForCausalLM.from_config(config)``
    bit for bit; tied weights are written once."""
    try:
        import torch
        import transformers
    except ImportError as err:
        raise ValueError(f"--from-hf needs torch and transformers ({err}); "
                         "pip install torch transformers") from None
    from .torch import record_init
    try:
        config = transformers.AutoConfig.from_pretrained(str(config_path))
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"--from-hf {config_path!r}: not a transformers config ({err})") from None
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    with record_init(module=model) as recording:
        model.init_weights()
    return (recording.specs, config.to_json_string(use_diff=True).encode("utf-8"),
            {"torch": torch, "transformers": transformers})


def _parse_param(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--param takes NAME=VALUE; got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name, json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        return name, value   # a bare string such as fan_avg


def _parse_stream(text: str):
    """An int written in ASCII digits, or a name. Text made only of other
    numerals (``²``, ``٣``) is refused: it looks like a number but is not one
    to int() and str.isdigit() alike."""
    if text.isascii() and text.isdigit():
        return int(text)
    if text and all(c.isnumeric() for c in text):
        raise argparse.ArgumentTypeError(
            f"must be an int in ASCII digits (0-9) or a stream name; got {text!r}")
    return text


def write_tensor(init: str, shape, output: str, dtype: str, seed, stream, params, force, quiet,
                 threads) -> int:
    """``weightinit tensor``: one initializer into .npy or .safetensors. Errors
    raise (``main`` prints them)."""
    from .safetensors import save_safetensors
    out_path = _check_suffix(output, (".npy", ".safetensors"), "-o/--output")
    if out_path.suffix == ".safetensors":
        # A safetensors tensor uses the stream of its name (docs/contract.md 7).
        if stream is not None and not isinstance(stream, str):
            raise ValueError("--stream must be a name for a .safetensors output (the tensor "
                             f"takes the stream of its name); got {stream}")
        name = stream = out_path.stem if stream is None else stream
        info = save_safetensors(out_path, {name: {"shape": shape, "init": {"name": init, **params},
                                                  "dtype": dtype}},
                                seed=seed, progress=not quiet, force=force, threads=threads)
        seed = info["seed"]
    else:
        from ._npy import save_npy
        stream = 0 if stream is None else stream
        seed = save_npy(out_path, init, shape, dtype=dtype, seed=seed, stream=stream,
                        params=params, force=force, threads=threads, progress=not quiet)
    if not quiet:
        print(f"wrote {out_path} ({init}, shape {list(shape)}, {dtype}, seed {seed}, stream {stream!r})")
    return 0


def list_catalogue() -> int:
    """``weightinit list``: the initializers with their parameters and
    defaults, and the shipped specs."""
    from ._catalogue import CATALOGUE, FAN_KEYWORDS
    from ._constraints import describe
    from .safetensors import load_spec_file
    print("initializers (weightinit.NAME(shape, *, seed, stream, dtype, out, region, threads, ...)):")
    rows = {}   # the catalogue's declarations (docs/contract.md 4), aliases beside their function
    for entry in CATALOGUE:
        own = ", ".join(f"{p.name}={p.default!r}" for p in entry.params) or "-"
        fans = ", ".join(f"{k}={v!r}" for k, v in FAN_KEYWORDS.get(entry.fans, ()))
        kind = "random" if entry.random else "deterministic"
        tail = f"  [{entry.sampler}, {kind}" + (f"; fans: {fans}]" if fans else "]")
        limits = "; ".join(f"{p.name}: {describe(p.constraint)}" for p in entry.params)
        for name in (entry.function, *entry.aliases):
            alias = f"  (= {entry.function})" if name != entry.function else ""
            rows[name] = (f"  {name:18s} {own}{alias}{tail}"
                          + (f"\n  {'':18s}   {limits}" if limits else ""))
    for name in sorted(rows):
        print(rows[name])
    print("shipped specs (weightinit init NAME -o FILE.safetensors):")
    for name in _shipped_specs():
        seed, tensors = load_spec_file(SPECS_DIR / f"{name}.json")
        with open(SPECS_DIR / f"{name}.json", encoding="utf-8") as f:
            description = json.load(f).get("description", "")
        n = sum(math.prod(t["shape"]) for t in tensors.values())
        print(f"  {name:18s} {len(tensors)} tensors, {n:,} parameters, seed {seed}: {description}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as ``weightinit: error: ...`` and exit code 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"weightinit: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = _Parser(prog="weightinit", description=__doc__.splitlines()[0],
                     epilog="With no command: the main job, the shipped gpt_1.3b spec into "
                            f"{MAIN_OUTPUT} (kept if it exists, unless --force).")
    parser.add_argument("--version", action="version", version=f"weightinit {__version__}")
    parser.add_argument("--force", action="store_true",
                        help=f"main job: overwrite an existing {MAIN_OUTPUT}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    i = sub.add_parser("init", help="initialize a model spec into a .safetensors file or a folder")
    i.add_argument("spec", nargs="?", default=None,
                   help="JSON spec file, or a shipped spec name (see weightinit list)")
    i.add_argument("--from-hf", metavar="CONFIG", default=None,
                   help="instead of SPEC: a transformers config.json; writes DIR/config.json "
                        "and the weights (needs torch and transformers)")
    i.add_argument("-o", "--output", required=True,
                   help="a .safetensors file, or a folder for Hugging Face's layout")
    i.add_argument("--max-shard-size", default=None,
                   help="with -o DIR: bytes per shard, e.g. 5GB (the default, 5 * 10**9) "
                        "or 500MB; a model that fits is one model.safetensors")
    i.add_argument("--dtype", default=None,
                   help="with --from-hf: every tensor's dtype (e.g. bfloat16)")
    i.add_argument("--no-cache", action="store_true",
                   help="with --from-hf: record the model's specs again (no torch or "
                        "transformers import is needed when the recorded-spec cache, "
                        "$WEIGHTINIT_CACHE_DIR or ~/.cache/weightinit, has the config)")
    i.add_argument("--seed", type=int, default=None, help="overrides the spec's seed")
    i.add_argument("--threads", type=int, default=None)
    i.add_argument("--force", action="store_true", help="overwrite an existing output")
    i.add_argument("--quiet", action="store_true")
    i.add_argument("--format", choices=("np", "pt"), default=None,
                   help="the file's format metadata (pt: what PyTorch and transformers write; "
                        "the default for -o DIR, np for a .safetensors file)")
    t = sub.add_parser("tensor", help="one initializer into .npy or .safetensors")
    t.add_argument("init", help="initializer name, e.g. he_normal (see weightinit list)")
    t.add_argument("--shape", type=int, nargs="+", required=True)
    t.add_argument("--dtype", default="float32")
    t.add_argument("-o", "--output", required=True, help="a .npy or .safetensors file")
    t.add_argument("--seed", type=int, default=None)
    t.add_argument("--stream", type=_parse_stream, default=None,
                   help="stream number or name (default 0 for .npy; for .safetensors the "
                        "tensor's name, the file's stem unless given)")
    t.add_argument("--param", type=_parse_param, action="append", default=[],
                   help="initializer parameter NAME=VALUE (JSON value), repeatable")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--force", action="store_true")
    t.add_argument("--quiet", action="store_true")
    sub.add_parser("list", help="the initializers with their parameters, and the shipped specs")
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


def _error(message: str, code: int) -> int:
    print(f"weightinit: error: {message}", file=sys.stderr)
    return code


def _os_message(err: OSError) -> str:
    """An OSError as one line naming the file."""
    text = err.strerror or str(err)
    names = [n for n in (err.filename, err.filename2) if n is not None]
    return f"{text}: {', '.join(repr(str(n)) for n in names)}" if names else text


def main(argv=None) -> int:
    """The ``weightinit`` command. Returns the exit code: 0, 2 for a bad
    argument or spec (nothing written), 1 for an I/O failure, 130 for Ctrl-C.
    Never a traceback."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # the reader went away (``weightinit list | head``): not an error; stdout
        # goes to /dev/null so that the interpreter's own flush at exit is quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("weightinit: interrupted; no output file was left behind", file=sys.stderr)
        return 130
    except FileExistsError as err:
        if args.command is None:   # the main job: say how to run it again
            return _error(f"{MAIN_OUTPUT} exists and is kept; to make it again, run "
                          "python -m weightinit --force (or remove the file)", 2)
        return _error(_os_message(err), 2)
    except OSError as err:
        return _error(_os_message(err), 1)
    except (TypeError, ValueError) as err:
        return _error(str(err), 2)
    except RecursionError:
        return _error("input nested too deeply", 2)
    except MemoryError:
        return _error("out of memory", 1)
    except Exception as err:  # noqa: BLE001 - the command never shows a traceback
        return _error(f"unexpected {type(err).__name__}: {err} (please report this)", 1)


def _run(args) -> int:
    if args.command is None:
        return init_model(MAIN_SPEC, MAIN_OUTPUT, force=args.force)
    if args.command == "init":
        if (args.spec is None) == (args.from_hf is None):
            raise ValueError("init takes a SPEC or --from-hf CONFIG (one of them)")
        if args.from_hf is not None:
            return init_from_hf(args.from_hf, args.output, args.seed, args.force, args.quiet,
                                args.threads, args.format or "pt", args.max_shard_size, args.dtype,
                                cache=not args.no_cache)
        if args.dtype is not None:
            raise ValueError("--dtype is for --from-hf (a spec names each tensor's dtype)")
        if args.no_cache:
            raise ValueError("--no-cache is for --from-hf (a spec is not recorded)")
        fmt = args.format or ("np" if args.output.endswith(".safetensors") else "pt")
        return init_model(args.spec, args.output, args.seed, args.force, args.quiet, args.threads,
                          fmt, args.max_shard_size)
    if args.command == "tensor":
        return write_tensor(args.init, args.shape, args.output, args.dtype, args.seed, args.stream,
                            dict(args.param), args.force, args.quiet, args.threads)
    if args.command == "list":
        return list_catalogue()
    if args.command == "demo":
        demo(args.rows, args.cols, args.repeats)
    elif args.command == "bench":
        from . import bench
        if args.torch:
            print(bench.torch_table(threads=(args.threads or [2])[0], repeats=args.torch_repeats))
            return 0
        rows = bench.run(sizes=args.sizes, threads=args.threads, cases=args.cases.split(","),
                         dtypes=args.dtypes.split(","), baselines=not args.no_baselines)
        print(bench.to_json(rows) if args.json else bench.header() + "\n" + bench.main_table(rows))
    return 0
