"""One initializer into a ``.npy`` file (``weightinit tensor -o x.npy``).

Written as the safetensors files are (``_files.write_safely``): the NumPy
header, then the tensor window by window with ``pwrite`` into a private
temporary, published complete. No memory map, so a full disk is an
``OSError`` (a mapped write would die with SIGBUS) and nothing is left.
"""
from __future__ import annotations

import io
import math
import os

import numpy as np

from ._files import pwrite_all, write_safely
from ._stream import key_from_seed, stream_id
from ._threads import resolve_threads

__all__ = ["save_npy"]


def _npy_header(dtype: np.dtype, shape: tuple) -> bytes:
    """The .npy header NumPy writes for a C-ordered array (padded to 64 bytes)."""
    fields = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": tuple(shape)}
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, fields)
    except ValueError:   # a header over 64 KiB needs format 2.0
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, fields)
    return buf.getvalue()


def save_npy(path, init: str, shape, *, dtype="float32", seed=None, stream=0, params=None,
             force=False, threads=None, progress=False):
    """Write ``weightinit.<init>(shape, seed=, stream=, dtype=, **params)`` to
    ``path``; returns the seed used (drawn from OS entropy if None).

    Raises ValueError/TypeError for a bad argument (before anything is
    created), FileExistsError, and OSError for I/O failures (nothing left).
    """
    from .safetensors import SpecError, _progress, _window_writer, _write_tensor, validate_specs
    params = dict(params or {})
    name = "tensor"   # only for validation: the values use ``stream``
    try:
        tensor = validate_specs({name: {"shape": list(shape), "init": {"name": init, **params},
                                        "dtype": dtype}})[name]
    except SpecError as err:   # name the CLI's arguments, not a spec's fields
        raise ValueError(str(err).replace(f"tensors[{name!r}].", "")) from None
    if tensor["dtype"].name == "bfloat16":
        raise ValueError("dtype bfloat16 cannot be stored in .npy; use -o NAME.safetensors")
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    # resolved once, before creating anything; the stream name is hashed here only
    key, sid = key_from_seed(seed), stream_id(stream)
    resolve_threads(threads)
    header = _npy_header(tensor["dtype"].numpy, tensor["shape"])
    data_bytes = math.prod(tensor["shape"]) * tensor["dtype"].itemsize
    bar = _progress(data_bytes, progress)

    def write(fd):
        pwrite_all(fd, header, 0)
        with _window_writer(fd) as writer:
            _write_tensor(writer, len(header), tensor, key, sid, threads, bar)

    try:
        write_safely(path, len(header) + data_bytes, write, force=force)
    finally:
        if bar is not None:
            bar.close()
    return seed
