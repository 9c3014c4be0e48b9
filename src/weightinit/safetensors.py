"""Whole models straight into a ``.safetensors`` file (docs/contract.md section 7).

Each tensor is generated through ``region=`` window by window into one of
two reusable buffers, and each window is written at its offset with
``pwrite`` by a writer thread while the next window is filled
(``_files.WindowWriter``), so RAM use is two windows whatever the model, and
the fills and the disk overlap; the large windows go past the page cache
(``O_DIRECT``, ``_direct_io``: 1.4-1.9x faster end to end, the CPU the
page-cache copy took left to the fills), and the file is fsynced once, at
the end. (A memory map of the file costs a page fault, a zero-fill and an
msync per 4 KiB page: 3x slower end to end.)
The file is written as a private temporary in the same folder and published
complete (``_files.write_safely``): an error, a full disk, Ctrl-C or a kill
never leave a half-written file under the final name, and an existing file
is replaced only with ``force``. Tensor ``name`` uses stream ``name``, so a
tensor's values do not depend on which other tensors the spec holds.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._catalogue import ENTRIES
from . import _core
from ._checks import did_you_mean, normalize_shape
from ._dtypes import KINDS, OutKind, kind_of
from ._files import WindowWriter, pwrite_all, write_all_safely, write_safely
from ._progress import progress as _progress
from ._stream import STREAM_VERSION, key_from_seed, stream_id
from ._threads import resolve_threads
from ._types import SeedLike, Specs, ThreadsLike

__all__ = ["save_safetensors", "save_safetensors_sharded", "validate_specs", "load_spec_file",
           "parse_shard_size", "SAFETENSORS_DTYPES"]

SAFETENSORS_DTYPES = {k.name: k.safetensors for k in KINDS.values()}
# Bytes generated per window: bounds RAM (two buffers of this size), amortizes
# the fill and write calls. 16 MiB rather than 64: 100 MiB less peak RSS and
# less CPU (a 2.63 GB bf16 file, 3 alternating runs each under load 6-7 on 2
# vCPUs: 3.6-4.8 s CPU, 6.5-14.1 s wall against 4.8-7.5 s, 12.3-14.2 s).
_WINDOW_BYTES = 16 << 20
# The safetensors reader refuses a longer header (MAX_HEADER_SIZE in its source).
_MAX_HEADER_BYTES = 100_000_000
# Tensor names the format gives another meaning.
_RESERVED_NAMES = ("__metadata__",)
_SPEC_FIELDS = ("shape", "init", "dtype", "fans", "padding_idx")


class SpecError(ValueError):
    """A spec is malformed; the message names the tensor and the field."""


def _initializer(name, where):
    from . import initializers
    public = [n for n in getattr(initializers, "__all__", ()) if n[:1].islower() and n != "get"]
    if not isinstance(name, str) or name not in public:
        raise SpecError(f"{where}.init must name a weightinit initializer; got {name!r}"
                        f"{did_you_mean(name, public)}; one of {', '.join(sorted(public))}")
    return getattr(initializers, name)


def _json_value(value):
    """numpy scalars as Python numbers, for the metadata."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _normalize_spec(name, spec) -> dict:
    where = f"tensors[{name!r}]"
    if not isinstance(name, str) or not name:
        raise SpecError(f"tensor names must be non-empty strings; got {name!r}")
    if name in _RESERVED_NAMES:
        raise SpecError(f"{where}: the name {name!r} is reserved by the safetensors format "
                        "(it holds the file's metadata); rename the tensor")
    if not isinstance(spec, Mapping):
        raise SpecError(f"{where} must be an object with shape, init and dtype")
    unknown = [k for k in spec if k not in _SPEC_FIELDS]
    if unknown:
        raise SpecError(f"{where} has unknown fields {sorted(map(str, unknown))}"
                        f"{did_you_mean(unknown[0], _SPEC_FIELDS)}; allowed: {', '.join(_SPEC_FIELDS)}")
    if "shape" not in spec:
        raise SpecError(f"{where}.shape is missing")
    if not isinstance(spec["shape"], (list, tuple)):
        raise SpecError(f"{where}.shape must be a list of ints ([n] for a vector, [] for a "
                        f"scalar); got {spec['shape']!r}")
    try:
        shape = normalize_shape(spec["shape"], name=f"{where}.shape")
    except (TypeError, ValueError) as err:
        raise SpecError(str(err)) from None
    init = spec.get("init")
    if isinstance(init, str):
        init_name, params = init, {}
    elif isinstance(init, Mapping) and isinstance(init.get("name"), str):
        params = {k: v for k, v in init.items() if k != "name"}
        init_name = init["name"]
    else:
        raise SpecError(f"{where}.init must be a name or {{\"name\": ..., parameters}}; got {init!r}")
    for reserved in ("seed", "stream", "dtype", "out", "region", "threads", "shape"):
        if reserved in params:
            raise SpecError(f"{where}.init may not set {reserved!r}")
    try:   # the parameters are recorded in the metadata: strict JSON only
        json.dumps(params, allow_nan=False, default=_json_value)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}.init: parameters must be JSON values with finite numbers "
                        f"(they are recorded in the file's metadata); got {params!r} ({err})") from None
    try:   # a name resolves without ml_dtypes: a file needs only its bytes and name
        dtype = kind_of(spec.get("dtype", "float32"), name=f"{where}.dtype")
    except TypeError as err:
        raise SpecError(str(err)) from None
    fn = _initializer(init_name, where)
    fans = spec.get("fans", "keras")
    if fans not in ("keras", "torch"):
        raise SpecError(f"{where}.fans must be 'keras' or 'torch'; got {fans!r}")
    if fans == "torch" and ENTRIES[init_name].fans == "in_out_axes":   # the catalogue's
        # PyTorch's (out, in, *kernel) convention, as torch.nn.init computes it.
        from ._fans import torch_fans
        fan_in, fan_out = torch_fans(shape)
        params = {"fan_in": fan_in, "fan_out": fan_out, **params}
    return {"shape": shape, "fn": fn, "init": init_name, "params": params, "dtype": dtype,
            "plan": _checked_plan(where, shape, fn, init_name, params, dtype),
            "padding_idx": _padding_idx(spec.get("padding_idx"), shape, where)}


def _checked_plan(where, shape, fn, init_name, params, kind: OutKind):
    """The tensor's plan on key and stream 0 (a write moves it to its own with
    :meth:`Plan.on`), writing ``kind``'s bits into its :attr:`~OutKind.bits`
    buffers, or None for an initializer without one (orthogonal, identity,
    the constants), whose parameters are checked by a call with an empty
    region: all checks, no work. Both are checked with ``kind.checks``,
    which validates as the dtype does. Errors are ``fn``'s own."""
    from .initializers import plan
    try:
        found = plan(init_name, shape, seed=0, stream=0, dtype=kind.checks, **params)
    except (TypeError, ValueError):
        pass   # a name without a plan, or a bad parameter: fn's own call says which
    else:   # a doubled plan multiplies its output after the core: on values, not bits
        return found.writing(kind.code, kind.numpy if found.doubled else kind.bits)
    probe_region = tuple(slice(0, 0) for _ in shape) if shape else None
    try:   # the error in fn's words (an unknown parameter names fn, not a builder)
        fn(shape, seed=0, stream=0, dtype=kind.checks, region=probe_region, **params)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}.init: {err}") from None
    return None   # fn has no plan: its windows call fn


def _padding_idx(value, shape, where):
    """A spec's ``padding_idx``: the row of axis 0 set to zero after the draw,
    as ``torch.nn.Embedding(padding_idx=)`` and transformers' ``_init_weights``
    leave it (negative counts from the end, as torch does); None: no row."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}.padding_idx must be an int or null; got {value!r}")
    if not shape or not -shape[0] <= value < shape[0]:
        raise SpecError(f"{where}.padding_idx must index axis 0 of shape {list(shape)} "
                        f"(-rows <= padding_idx < rows); got {value}")
    return value % shape[0]


def validate_specs(specs: Specs) -> dict[str, dict[str, Any]]:
    """Check every tensor spec; return them normalized. Raises SpecError
    (a ValueError) naming the tensor and field at the first problem."""
    if not isinstance(specs, Mapping) or not specs:
        raise SpecError("specs must be a non-empty mapping of tensor name to spec")
    return {name: _normalize_spec(name, spec) for name, spec in specs.items()}


def _unique_keys(pairs):
    """object_pairs_hook: a name given twice would silently lose the first."""
    doc = {}
    for key, value in pairs:
        if key in doc:
            raise SpecError(f"duplicate key {key!r} (each tensor name and field may appear "
                            "once)")
        doc[key] = value
    return doc


def load_spec_file(path: str | os.PathLike[str]) -> tuple[int | None, dict[str, Any]]:
    """Read a JSON spec file ``{"seed": 0, "tensors": {...}}``."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f, object_pairs_hook=_unique_keys)
    except SpecError as err:
        raise SpecError(f"{path}: {err}") from None
    except json.JSONDecodeError as err:
        raise SpecError(f"{path}: not valid JSON ({err})") from None
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a spec") from None
    if not isinstance(doc, dict) or "tensors" not in doc:
        raise SpecError(f"{path}: expected an object with a 'tensors' field")
    unknown = set(doc) - {"seed", "tensors", "description"}
    if unknown:
        raise SpecError(f"{path}: unknown fields {sorted(unknown)}; allowed: seed, tensors, description")
    return doc.get("seed"), doc["tensors"]


def _layout(tensors):
    """Header dict and total data size; widest dtypes first keeps every
    tensor aligned to its item size."""
    order = sorted(tensors, key=lambda n: (-tensors[n]["dtype"].itemsize, n))
    header, offset = {}, 0
    for name in order:
        t = tensors[name]
        nbytes = math.prod(t["shape"]) * t["dtype"].itemsize
        header[name] = {"dtype": SAFETENSORS_DTYPES[t["dtype"].name],
                        "shape": list(t["shape"]), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    return order, header, offset


def _windows(shape, max_elements):
    """Regions covering ``shape`` in C order, each contiguous in memory and
    at most ``max_elements`` long (or one row of the innermost axis).

    Planned arithmetically: window k is found from k by division, so a
    shape of 2**60 elements costs nothing until its windows are asked for.
    """
    if not shape:
        yield ()
        return
    inner = 1
    axis = len(shape) - 1
    while axis > 0 and inner * shape[axis] <= max_elements:
        inner *= shape[axis]
        axis -= 1
    # axes < axis: one index at a time; axis: chunks; axes > axis: whole.
    step = shape[axis] if inner * shape[axis] <= max_elements else max(1, max_elements // inner)
    chunks = -(-shape[axis] // step)
    lead_shape = shape[:axis]
    tail = tuple(slice(0, n) for n in shape[axis + 1:])
    for k in range(math.prod(lead_shape) * chunks):
        lead, chunk = divmod(k, chunks)
        index = []
        for n in reversed(lead_shape):
            lead, i = divmod(lead, n)
            index.append(slice(i, i + 1))
        start = chunk * step
        yield tuple(reversed(index)) + (slice(start, min(start + step, shape[axis])),) + tail


def _metadata_seed(seed) -> dict:
    """How the seed is recorded: an int as itself; a SeedSequence as its
    entropy, with the whole sequence as JSON (``SeedSequence(**json)``)."""
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        entropy = [int(e) for e in entropy] if isinstance(entropy, (list, tuple, np.ndarray)) \
            else int(entropy)
        sequence = {"entropy": entropy, "spawn_key": [int(k) for k in seed.spawn_key],
                    "pool_size": int(seed.pool_size)}
        return {"weightinit.seed": json.dumps(entropy),
                "weightinit.seed_sequence": json.dumps(sequence, sort_keys=True)}
    return {"weightinit.seed": str(int(seed))}


def _user_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping of str to str; got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata must map str to str; got {key!r}: {type(value).__name__}")
        if key == "format" or key.startswith("weightinit."):
            raise ValueError(f"metadata key {key!r} is written by weightinit; choose another")
    return dict(metadata)


def _header(tensors, seed, metadata, fmt="np") -> tuple[list, dict, bytes, int]:
    """``(order, header, header bytes, data bytes)``; refuses a header the
    safetensors reader would not read."""
    order, header, data_bytes = _layout(tensors)
    recorded = {name: {"shape": list(tensors[name]["shape"]), "dtype": tensors[name]["dtype"].name,
                       "init": {"name": tensors[name]["init"], **tensors[name]["params"]},
                       **({"padding_idx": tensors[name]["padding_idx"]}
                          if tensors[name]["padding_idx"] is not None else {})}
                for name in order}
    meta = {"format": fmt, "weightinit.version": __version__,
            "weightinit.stream": str(STREAM_VERSION), **_metadata_seed(seed),
            "weightinit.specs": json.dumps(recorded, sort_keys=True, allow_nan=False,
                                           default=_json_value)}
    meta.update(metadata)
    header_bytes = json.dumps({"__metadata__": meta, **header}, separators=(",", ":"),
                              allow_nan=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    if len(header_bytes) > _MAX_HEADER_BYTES:
        raise ValueError(f"the file's header would be {len(header_bytes):,} bytes, more than the "
                         f"{_MAX_HEADER_BYTES:,} the safetensors reader accepts (long tensor "
                         "names or very many tensors); split the model into several files")
    return order, header, header_bytes, data_bytes


def save_safetensors(path: str | os.PathLike[str], specs: Specs, seed: SeedLike = None, *,
                     progress: bool = False, force: bool = False,
                     threads: ThreadsLike = None, metadata: Mapping[str, str] | None = None,
                     format: str = "np") -> dict[str, Any]:
    """Initialize a whole model into a ``.safetensors`` file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Written as a private temporary in the same folder
        (``.NAME.weightinit-XXXXXXXX.tmp``), published when complete.
    specs : dict
        ``{name: {"shape": [...], "init": "he_normal" or {"name": ..., **params},
        "dtype": "bfloat16"}}``; dtype defaults to float32. Optional fields:
        ``"fans": "torch"`` (fans as PyTorch takes them, default ``"keras"``)
        and ``"padding_idx": k`` (row ``k`` of axis 0 zeroed after the draw,
        as ``torch.nn.Embedding`` does).
    seed : int, numpy.random.SeedSequence or None
        The model seed; None draws one from OS entropy (recorded in the file).
    progress : bool
        Show a tqdm progress bar (if tqdm is installed) for work over a second.
    force : bool
        Overwrite an existing file (also one created while this one is written).
    threads : int or None
        Threads per fill (default: all).
    metadata : dict of str to str, optional
        Extra entries for the file's ``__metadata__`` (not ``format`` or
        ``weightinit.*``, which the function writes).
    format : {"np", "pt"}
        The ``format`` metadata entry; ``"pt"`` is what PyTorch writers and
        transformers expect. A spec's ``"fans": "torch"`` computes fans as
        ``torch.nn.init`` does from ``(out, in, *kernel)`` (default ``"keras"``).

    Returns
    -------
    dict
        ``{"path", "bytes", "tensors", "parameters", "seed"}``.

    Raises
    ------
    FileExistsError
        If ``path`` exists, or appears while the file is written, and
        ``force`` is false; the other file is kept.
    ValueError
        If a spec is malformed (the message names tensor and field), or the
        header would exceed the 100 MB the safetensors reader accepts.
    OSError
        If the folder is missing or read-only, ``path`` is a folder, the
        filesystem has less free space than the file needs (checked before
        anything is created), or a write fails. Nothing is left behind.

    Notes
    -----
    ``__metadata__`` records ``weightinit.version``, ``weightinit.stream``
    (the stream version, ``weightinit._stream.STREAM_VERSION``),
    ``weightinit.seed`` (an int seed, or a SeedSequence's entropy; then
    ``weightinit.seed_sequence`` holds its entropy, spawn key and pool size as
    JSON) and ``weightinit.specs`` (every tensor's shape, dtype and
    initializer config, as JSON).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> info = save_safetensors(os.path.join(d, "m.safetensors"),
    ...     {"w": {"shape": [4, 3], "init": "glorot_uniform", "dtype": "float32"}}, seed=0)
    >>> info["tensors"], info["parameters"], info["bytes"] > 48
    (1, 12, True)
    """
    path = Path(path)
    if format not in ("np", "pt"):
        raise ValueError(f"format must be 'np' or 'pt' (what the metadata says); got {format!r}")
    tensors = validate_specs(specs)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    key_from_seed(seed), resolve_threads(threads)   # validated before anything is written
    order, header, header_bytes, data_bytes = _header(tensors, seed, _user_metadata(metadata), format)
    data_start = 8 + len(header_bytes)
    total = data_start + data_bytes

    bar = _progress(data_bytes, progress)
    try:
        write_safely(path, total, _file_writer(tensors, order, header, header_bytes, seed,
                                               threads, bar), force=force)
    finally:
        if bar is not None:
            bar.close()
    return {"path": str(path), "bytes": total, "tensors": len(order),
            "parameters": sum(math.prod(t["shape"]) for t in tensors.values()), "seed": seed}


def _file_writer(tensors, order, header, header_bytes, seed, threads, bar):
    """``write(fd)`` for :func:`_files.write_safely`: the header, then every
    tensor through one :class:`_files.WindowWriter`."""
    data_start = 8 + len(header_bytes)
    key = key_from_seed(seed)

    def write(fd):
        pwrite_all(fd, len(header_bytes).to_bytes(8, "little") + header_bytes, 0)
        with _window_writer(fd) as writer:
            for name in order:
                _write_tensor(writer, data_start + header[name]["data_offsets"][0],
                              tensors[name], key, stream_id(name), threads, bar)
    return write


def _window_writer(fd) -> WindowWriter:
    # pwrite_all looked up at each call: tests pace or fail the writes through it
    return WindowWriter(fd, window_bytes=_WINDOW_BYTES,
                        write=lambda fd, data, offset: pwrite_all(fd, data, offset), direct=True)


def _write_tensor(writer, file_offset, t, key, stream, threads, bar):
    """Generate tensor ``t`` (a normalized spec) on Philox ``key`` and stream
    number ``stream`` window by window into ``writer``'s buffers, to be
    written at ``file_offset``.

    The caller resolves the key and the stream number once (a stream name
    is a SHA-256); the spec's plan, checked when the spec was, moves to them
    once per tensor and fills every window: nothing is validated, hashed or
    derived again per window. A bfloat16 constant is filled with its bits
    (no ml_dtypes); any other initializer without a plan (orthogonal,
    identity, the other constants) is called per window with the key as its
    seed."""
    shape, kind, fn, params, plan = t["shape"], t["dtype"], t["fn"], t["params"], t["plan"]
    item = kind.itemsize
    size = math.prod(shape)
    if size == 0:
        return
    if plan is not None:
        plan = plan.on(key, stream)
    seed = key[0] | (key[1] << 32)   # key_from_seed(int) gives key back
    # what the window buffers are viewed as: the plan's (bits, for bfloat16),
    # a bfloat16 constant's bits, or the dtype itself for fn
    bits = _constant_bits(t["init"], params, kind) if plan is None else None
    if plan is not None:
        dtype = plan.dtype
    elif bits is not None:
        dtype, bits = kind.bits, kind.bits.type(bits)
        nthreads = resolve_threads(threads)
    else:
        dtype = kind.numpy
    # Orthogonal needs the whole matrix anyway: one window (RAM = the tensor).
    max_elements = size if t["init"] in ("orthogonal",) else max(1, _WINDOW_BYTES // item)
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    for region in _windows(shape, max_elements):
        first = sum(s.start * st for s, st in zip(region, strides))
        region_shape = tuple(s.stop - s.start for s in region)
        offset = file_offset + first * item
        window = writer.take(math.prod(region_shape) * item, offset)
        view = window.view(dtype).reshape(region_shape)
        if plan is not None:
            plan.fill(region if region else None, view, threads)
        elif bits is not None:
            _core.fill_constant(view, bits, nthreads)
        else:
            fn(shape, seed=seed, stream=stream, dtype=dtype, out=view,
               region=region if region else None, threads=threads, **params)
        row = t["padding_idx"]
        if row is not None and region[0].start <= row < region[0].stop:
            view[row - region[0].start] = 0
        writer.submit(window, offset)
        if bar is not None:
            bar.update(window.nbytes)


#: the value of each constant initializer, from its parameters
_CONSTANTS = {"zeros": lambda params: 0, "ones": lambda params: 1,
              "constant": lambda params: params.get("value", 0)}


def _constant_bits(init, params, kind: OutKind) -> int | None:
    """A bfloat16 constant's bits (rounded through float32, as
    ``weightinit.constant``), written without ml_dtypes; None for another
    initializer or dtype. A spec's value is finite (no NaN to spell)."""
    value = _CONSTANTS.get(init, lambda params: None)(params)
    if kind.code != _core.OUT_BF16 or value is None:
        return None
    with np.errstate(over="ignore"):   # inf beyond float32, as the initializer
        return _core.bf16_bits(float(np.float32(value)))


# -- Hugging Face's sharded layout ------------------------------------------------------

#: what huggingface_hub's split_torch_state_dict_into_shards and transformers'
#: save_pretrained name the files (one file, or shards and an index)
HF_WEIGHTS_NAME = "model.safetensors"
HF_SHARD_NAME = "model-{index:05d}-of-{count:05d}.safetensors"
HF_INDEX_NAME = "model.safetensors.index.json"
#: huggingface_hub's default max_shard_size
HF_MAX_SHARD_SIZE = "5GB"
_SIZE_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_shard_size(size: int | str, name: str = "max_shard_size") -> int:
    """Bytes in ``size``: an int, or a string as huggingface_hub's
    ``parse_size_to_int`` reads it (``"5GB"`` is 5 * 10**9; KB, MB, GB, TB
    are powers of 10), or with KiB, MiB, GiB, TiB (powers of 2).

    Examples
    --------
    >>> parse_shard_size("5GB"), parse_shard_size("1.5MB"), parse_shard_size("2GiB")
    (5000000000, 1500000, 2147483648)
    """
    if isinstance(size, bool):
        raise TypeError(f"{name} must be an int or a string such as '5GB'; got {size!r}")
    if isinstance(size, str):
        text = size.strip()
        unit = next((u for u in sorted(_SIZE_UNITS, key=len, reverse=True)
                     if text.upper().endswith(u)), None)
        if unit is None:
            raise ValueError(f"{name} must end in KB, MB, GB or TB (or KiB, MiB, GiB, TiB); "
                             f"got {size!r}")
        try:
            value = float(text[:-len(unit)].strip())
        except ValueError:
            raise ValueError(f"{name}: could not read a number in {size!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite; got {size!r}")
        size = int(value * _SIZE_UNITS[unit])
    elif isinstance(size, (int, np.integer)):
        size = int(size)
    else:
        raise TypeError(f"{name} must be an int or a string such as '5GB'; got "
                        f"{type(size).__name__}")
    if size <= 0:
        raise ValueError(f"{name} must be > 0 bytes; got {size}")
    return size


def _hf_shards(tensors, limit) -> list[list[str]]:
    """The tensor names of each shard, as huggingface_hub's
    ``split_state_dict_into_shards_factory`` groups them: in order, a new
    shard when the next tensor would tip the current one over ``limit``, and
    a tensor bigger than ``limit`` alone in its own shard."""
    shards, current, current_size = [], [], 0
    for name, t in tensors.items():
        size = math.prod(t["shape"]) * t["dtype"].itemsize
        if size > limit:
            shards.append([name])
            continue
        if current_size + size > limit:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current:
        shards.append(current)
    return shards


def _extra_files(extra, taken) -> dict:
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        raise TypeError(f"extra_files must map file names to bytes; got {type(extra).__name__}")
    for name, content in extra.items():
        if not isinstance(name, str) or not name or Path(name).name != name or name in taken:
            raise ValueError(f"extra_files: {name!r} must be a plain file name, not one of "
                             "the weight files")
        if not isinstance(content, bytes):
            raise TypeError(f"extra_files[{name!r}] must be bytes; got {type(content).__name__}")
    return dict(extra)


def save_safetensors_sharded(directory: str | os.PathLike[str], specs: Specs,
                             seed: SeedLike = None, *,
                             max_shard_size: int | str = HF_MAX_SHARD_SIZE,
                             format: str = "pt", progress: bool = False, force: bool = False,
                             threads: ThreadsLike = None,
                             metadata: Mapping[str, str] | None = None,
                             extra_files: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """Initialize a whole model into ``directory`` in Hugging Face's layout.

    The files are those ``transformers``' ``save_pretrained`` writes:
    ``model.safetensors`` when the model fits in ``max_shard_size``, else
    ``model-00001-of-0000N.safetensors`` ... and ``model.safetensors.index.json``
    (``{"metadata": {"total_parameters", "total_size"}, "weight_map":
    {name: file}}``), the tensors grouped in spec order as
    ``huggingface_hub.split_torch_state_dict_into_shards`` groups them (a
    tensor bigger than the limit has a shard of its own). Each tensor's
    values are those :func:`save_safetensors` writes (its stream is its name,
    whichever shard holds it).

    All files or none: each is written as a private temporary, all are
    completed before the first is published, the index last; on any error
    or interrupt nothing written by this call remains. The free space for
    all of them is checked first.

    Parameters
    ----------
    directory : str or os.PathLike
        An existing folder.
    specs, seed, progress, force, threads, metadata
        As :func:`save_safetensors` (one progress bar for all the shards).
    max_shard_size : int or str, default "5GB"
        Bytes of tensor data per shard: an int or ``"5GB"`` (5 * 10**9, as
        huggingface_hub), ``"500MB"``, ``"2GiB"``.
    format : {"pt", "np"}, default "pt"
        Every file's ``format`` metadata (``"pt"``: what transformers expects).
    extra_files : dict of str to bytes, optional
        Other files of the folder, written with the weights, all or none,
        and published last (``{"config.json": ...}``: a folder that has its
        config has its weights).

    Returns
    -------
    dict
        ``{"directory", "files", "index", "bytes", "tensors", "parameters",
        "seed"}``: the weight files in order, the index's path (None for one
        file), the total bytes written.

    Raises
    ------
    FileExistsError, ValueError, OSError
        As :func:`save_safetensors`; FileExistsError if any of the files exists.

    Examples
    --------
    >>> import tempfile, json, os
    >>> d = tempfile.mkdtemp()
    >>> specs = {f"h.{i}.weight": {"shape": [256, 256], "init": "he_normal"} for i in range(3)}
    >>> info = save_safetensors_sharded(d, specs, seed=0, max_shard_size="300KB")
    >>> [os.path.basename(f) for f in info["files"]]
    ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']
    >>> json.load(open(info["index"]))["metadata"]["total_size"]
    786432
    """
    folder = Path(directory)
    if format not in ("np", "pt"):
        raise ValueError(f"format must be 'np' or 'pt' (what the metadata says); got {format!r}")
    limit = parse_shard_size(max_shard_size)
    tensors = validate_specs(specs)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    key_from_seed(seed), resolve_threads(threads)   # validated before anything is written
    user = _user_metadata(metadata)
    groups = _hf_shards(tensors, limit)
    names = ([HF_WEIGHTS_NAME] if len(groups) == 1 else
             [HF_SHARD_NAME.format(index=i + 1, count=len(groups)) for i in range(len(groups))])
    total_data = sum(math.prod(t["shape"]) * t["dtype"].itemsize for t in tensors.values())
    parameters = sum(math.prod(t["shape"]) for t in tensors.values())
    bar = _progress(total_data, progress)
    files = []
    for file_name, group in zip(names, groups):
        shard = {name: tensors[name] for name in group}
        order, header, header_bytes, data_bytes = _header(shard, seed, user, format)
        files.append((folder / file_name, 8 + len(header_bytes) + data_bytes,
                      _file_writer(shard, order, header, header_bytes, seed, threads, bar)))
    index_path = None
    if len(groups) > 1:
        # as transformers' save_pretrained writes it
        index = {"metadata": {"total_parameters": parameters, "total_size": total_data},
                 "weight_map": {name: file_name for file_name, group in zip(names, groups)
                                for name in group}}
        text = (json.dumps(index, indent=2, sort_keys=True) + "\n").encode("utf-8")
        index_path = folder / HF_INDEX_NAME
        files.append((index_path, len(text), lambda fd, text=text: pwrite_all(fd, text, 0)))
    for file_name, content in _extra_files(extra_files, names + [HF_INDEX_NAME]).items():
        files.append((folder / file_name, len(content),
                      lambda fd, content=content: pwrite_all(fd, content, 0)))
    try:
        write_all_safely(files, force=force)
    finally:
        if bar is not None:
            bar.close()
    weight_files = [str(path) for path, _, _ in files[:len(groups)]]
    return {"directory": str(folder), "files": weight_files,
            "index": None if index_path is None else str(index_path),
            "bytes": sum(nbytes for _, nbytes, _ in files), "tensors": len(tensors),
            "parameters": parameters, "seed": seed}
