"""Whole models straight into a ``.safetensors`` file (DESIGN.md section 7).

Each tensor is generated through ``region=`` window by window into one
reusable buffer, and each window is written at its offset with ``pwrite``,
so RAM use does not grow with the model. (A memory map of the file costs a
page fault, a zero-fill and an msync per 4 KiB page: 3x slower end to end.) The
file is written under a temporary name in the same folder and renamed at
the end: an error or Ctrl-C never leaves a half-written file under the
final name. Tensor ``name`` uses stream ``name``, so a tensor's values do
not depend on which other tensors the spec holds.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from . import __version__
from ._checks import normalize_shape, resolve_dtype
from ._stream import key_from_seed

__all__ = ["save_safetensors", "validate_specs", "load_spec_file", "SAFETENSORS_DTYPES"]

SAFETENSORS_DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16"}
_FROM_SAFETENSORS = {v: k for k, v in SAFETENSORS_DTYPES.items()}
# Bytes generated per window: bounds RAM (one buffer of this size), amortizes
# the write calls.
_WINDOW_BYTES = 64 << 20


class SpecError(ValueError):
    """A spec is malformed; the message names the tensor and the field."""


def _initializer(name, where):
    from . import initializers
    public = [n for n in getattr(initializers, "__all__", ()) if n[:1].islower() and n != "get"]
    if not isinstance(name, str) or name not in public:
        raise SpecError(f"{where}.init must name a weightinit initializer "
                        f"({', '.join(sorted(public))}); got {name!r}")
    return getattr(initializers, name)


def _normalize_spec(name, spec) -> dict:
    where = f"tensors[{name!r}]"
    if not isinstance(name, str) or not name:
        raise SpecError(f"tensor names must be non-empty strings; got {name!r}")
    if not isinstance(spec, dict):
        raise SpecError(f"{where} must be an object with shape, init and dtype")
    unknown = set(spec) - {"shape", "init", "dtype"}
    if unknown:
        raise SpecError(f"{where} has unknown fields {sorted(unknown)}; allowed: shape, init, dtype")
    if "shape" not in spec:
        raise SpecError(f"{where}.shape is missing")
    try:
        shape = normalize_shape(spec["shape"], name=f"{where}.shape")
    except (TypeError, ValueError) as err:
        raise SpecError(str(err)) from None
    init = spec.get("init")
    if isinstance(init, str):
        init_name, params = init, {}
    elif isinstance(init, dict) and isinstance(init.get("name"), str):
        params = {k: v for k, v in init.items() if k != "name"}
        init_name = init["name"]
    else:
        raise SpecError(f"{where}.init must be a name or {{\"name\": ..., parameters}}; got {init!r}")
    for reserved in ("seed", "stream", "dtype", "out", "region", "threads", "shape"):
        if reserved in params:
            raise SpecError(f"{where}.init may not set {reserved!r}")
    dtype_name = spec.get("dtype", "float32")
    dtype_name = _FROM_SAFETENSORS.get(dtype_name, dtype_name)
    try:
        dtype = resolve_dtype(dtype_name, name=f"{where}.dtype")
    except TypeError as err:
        raise SpecError(str(err)) from None
    fn = _initializer(init_name, where)
    # Validate the parameters with an empty region: all checks, no work.
    probe_region = tuple(slice(0, 0) for _ in shape) if shape else None
    try:
        fn(shape, seed=0, stream=name, dtype=dtype, region=probe_region, **params)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}.init: {err}") from None
    return {"shape": shape, "fn": fn, "init": init_name, "params": params, "dtype": dtype}


def validate_specs(specs) -> dict:
    """Check every tensor spec; return them normalized. Raises SpecError
    (a ValueError) naming the tensor and field at the first problem."""
    if not isinstance(specs, dict) or not specs:
        raise SpecError("specs must be a non-empty mapping of tensor name to spec")
    return {name: _normalize_spec(name, spec) for name, spec in specs.items()}


def load_spec_file(path) -> tuple[int | None, dict]:
    """Read a JSON spec file ``{"seed": 0, "tensors": {...}}``."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as err:
        raise SpecError(f"{path}: not valid JSON ({err})") from None
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
    at most ``max_elements`` long (or one row of the innermost axis)."""
    if not shape:
        yield ()
        return
    inner = 1
    axis = len(shape) - 1
    while axis > 0 and inner * shape[axis] <= max_elements:
        inner *= shape[axis]
        axis -= 1
    # axes < axis: one index at a time; axis: chunks; axes > axis: whole.
    if inner * shape[axis] <= max_elements:
        step = shape[axis]
    else:
        step = max(1, max_elements // inner)
    for lead in np.ndindex(*shape[:axis]):
        for start in range(0, shape[axis], step):
            yield (tuple(slice(i, i + 1) for i in lead)
                   + (slice(start, min(start + step, shape[axis])),)
                   + tuple(slice(0, n) for n in shape[axis + 1:]))


def _progress(total_bytes, enabled):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024,
                desc="weightinit", mininterval=0.5, delay=1.0)


def save_safetensors(path, specs, seed=None, *, progress=False, force=False, threads=None,
                     metadata=None):
    """Initialize a whole model into a ``.safetensors`` file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Written as a temporary file in the same folder, renamed
        when complete.
    specs : dict
        ``{name: {"shape": [...], "init": "he_normal" or {"name": ..., **params},
        "dtype": "bfloat16"}}``; dtype defaults to float32.
    seed : int or None
        The model seed; None draws one from OS entropy (recorded in the file).
    progress : bool
        Show a tqdm progress bar (if tqdm is installed) for work over a second.
    force : bool
        Overwrite an existing file.
    threads : int or None
        Threads per fill (default: all).
    metadata : dict of str to str, optional
        Extra entries for the file's ``__metadata__``.

    Returns
    -------
    dict
        ``{"path", "bytes", "tensors", "seed"}``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is false.
    ValueError
        If a spec is malformed (the message names tensor and field); nothing
        is written then.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> info = save_safetensors(os.path.join(d, "m.safetensors"),
    ...     {"w": {"shape": [4, 3], "init": "glorot_uniform", "dtype": "float32"}}, seed=0)
    >>> info["tensors"], info["bytes"] > 48
    (1, True)
    """
    path = Path(path)
    tensors = validate_specs(specs)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    key_from_seed(seed)   # validates the seed before anything is written
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to overwrite")
    order, header, data_bytes = _layout(tensors)
    recorded = {name: {"shape": list(tensors[name]["shape"]), "dtype": tensors[name]["dtype"].name,
                       "init": {"name": tensors[name]["init"], **tensors[name]["params"]}}
                for name in order}
    meta = {"format": "np", "weightinit.version": __version__, "weightinit.seed": str(seed),
            "weightinit.specs": json.dumps(recorded, sort_keys=True)}
    meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
    header_doc = {"__metadata__": meta, **header}
    header_bytes = json.dumps(header_doc, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    data_start = 8 + len(header_bytes)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    bar = _progress(data_bytes, progress)
    try:
        with open(tmp, "wb+") as f:
            f.write(len(header_bytes).to_bytes(8, "little"))
            f.write(header_bytes)
            f.truncate(data_start + data_bytes)
            f.flush()                       # the header before any pwrite
            scratch = _Scratch()
            for name in order:
                _write_tensor(f, data_start + header[name]["data_offsets"][0], name,
                              tensors[name], seed, threads, bar, scratch)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    return {"path": str(path), "bytes": data_start + data_bytes, "tensors": len(order), "seed": seed}


def _write_tensor(f, file_offset, name, t, seed, threads, bar, scratch):
    """Generate tensor ``name`` window by window and write it at ``file_offset``
    through ``scratch``, the buffer kept across tensors (its pages are
    faulted in once per file, not once per window)."""
    shape, dtype, fn, params = t["shape"], t["dtype"], t["fn"], t["params"]
    item = dtype.itemsize
    size = math.prod(shape)
    if size == 0:
        return
    # Orthogonal needs the whole matrix anyway: one window (RAM = the tensor).
    max_elements = size if t["init"] in ("orthogonal",) else max(1, _WINDOW_BYTES // item)
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    for region in _windows(shape, max_elements):
        first = sum(s.start * st for s, st in zip(region, strides))
        region_shape = tuple(s.stop - s.start for s in region)
        window = scratch.take(math.prod(region_shape) * item)
        fn(shape, seed=seed, stream=name, dtype=dtype,
           out=window.view(dtype).reshape(region_shape),
           region=region if region else None, threads=threads, **params)
        _pwrite_all(f.fileno(), window, file_offset + first * item)
        if bar is not None:
            bar.update(window.nbytes)


class _Scratch:
    """The window buffer: one of up to ``_WINDOW_BYTES``, grown when needed;
    a larger one (an orthogonal tensor's) is not kept."""

    def __init__(self):
        self._buf = np.empty(0, np.uint8)

    def take(self, nbytes: int) -> np.ndarray:
        if nbytes > _WINDOW_BYTES:
            return np.empty(nbytes, np.uint8)
        if self._buf.nbytes < nbytes:
            self._buf = np.empty(nbytes, np.uint8)
        return self._buf[:nbytes]


def _pwrite_all(fd, data: np.ndarray, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (pwrite may write less than asked;
    where the OS has no pwrite, seek and write)."""
    view = memoryview(data).cast("B")
    while view.nbytes:
        if _HAVE_PWRITE:
            written = os.pwrite(fd, view, offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, offset, os.SEEK_SET)
            written = os.write(fd, view)
        if written <= 0:
            raise OSError(f"could not write at offset {offset} of the output file")
        view, offset = view[written:], offset + written


_HAVE_PWRITE = hasattr(os, "pwrite")
