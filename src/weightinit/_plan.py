"""The plan: one validated sampling of a global tensor, filled region by region.

A front end (the initializer functions and classes, ``Generator``, Dask, the
torch fills) validates its own arguments with the names its users know,
resolves seed and stream to a key and a stream number (a stream name is
hashed here, once), and builds a :class:`Plan`. A plan is immutable and
checked when it is made; :meth:`Plan.fill` then checks only what varies per
call (the region, ``out``, the thread count) and calls the C core. Windows,
Dask blocks and shards of one tensor reuse one plan with other regions: no
parameter is validated twice and no stream name is hashed twice
(docs/contract.md 2).

Examples
--------
>>> import numpy as np
>>> from weightinit import _plan
>>> plan = _plan.make(_plan.NORMAL, (4, 6), np.dtype("float32"), (0, 0), 7,
...                   (0.0, 1.0, 0.0, 0.0))
>>> whole = plan.fill()
>>> bool((plan.fill(region=(slice(1, 3),)) == whole[1:3]).all())
True
>>> plan.named_params
{'loc': 0.0, 'scale': 1.0}
>>> len(plan.token)
32
"""
from __future__ import annotations

import hashlib
import math
from typing import NamedTuple

import numpy as np

from . import _core
from ._checks import check_out, new_array, normalize_region, out_code
from ._fill import (RAW, UNIFORM, NORMAL, TRUNCNORM, selected_isa, _f32_equal, _f32_finite,
                    _f32_range_overflows, _F32_EPS, _F32_MAX, _F32_TINY)
from ._stream import STREAM_VERSION
from ._threads import resolve_threads

__all__ = ["Plan", "make", "RAW", "UNIFORM", "NORMAL", "TRUNCNORM"]

_FLOAT64 = np.dtype(np.float64)
#: the names of the core's four parameters, per distribution
_PARAM_NAMES = {RAW: (), UNIFORM: ("low", "high"), NORMAL: ("loc", "scale"),
                TRUNCNORM: ("loc", "scale", "a", "b")}


class Plan(NamedTuple):
    """A validated sampling of a tensor of global ``shape`` (build it with :func:`make`).

    ``dist`` is the core's distribution code, ``params`` its four parameters
    as validated (low, high / loc, scale / loc, scale, a, b), ``key`` the
    Philox key pair, ``stream`` the 64-bit stream number, ``dtype`` the
    result's dtype and ``base_block`` the block of the stream where element
    0 of ``shape`` lives. ``core_params``, ``doubled`` and ``code`` are
    derived by :func:`make`: a float32 uniform whose range overflows
    float32 is sampled on half the bounds and doubled (exact); ``code`` is
    the core's output type.
    """

    dist: int
    shape: tuple
    dtype: np.dtype
    key: tuple
    stream: int
    params: tuple
    base_block: int
    core_params: tuple
    doubled: bool
    code: int

    @property
    def named_params(self) -> dict:
        """The distribution's parameters by name."""
        return dict(zip(_PARAM_NAMES[self.dist], self.params))

    @property
    def token(self) -> str:
        """A hex digest of everything that decides the values (and the
        stream version), the same in every process: Dask's graph key."""
        text = repr((STREAM_VERSION, self.dist, self.shape, self.dtype.str, self.dtype.name,
                     self.key, self.stream, self.params, self.base_block))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def __dask_tokenize__(self):
        return self.token

    def on(self, key: tuple, stream: int) -> Plan:
        """This plan on Philox ``key`` and stream number ``stream``: nothing
        :func:`make` checks depends on them, so a plan validated once (a
        file's spec) is reused for the key and stream a write resolves."""
        return self._replace(key=key, stream=stream)

    def writing(self, code: int, dtype: np.dtype) -> Plan:
        """This plan writing the core's output type ``code`` into arrays of
        ``dtype`` (of the same item size): a file writer fills a uint16
        buffer with bfloat16 bits, and so never imports ml_dtypes."""
        return self._replace(dtype=dtype, code=code)

    def fill(self, region=None, out=None, threads=None, base_block=None) -> np.ndarray:
        """The samples of ``region`` (default all of ``shape``), into ``out`` or a new array.

        Only the region, ``out`` and ``threads`` are checked here, before
        anything is allocated or written; the plan was checked when made.
        ``base_block`` (default the plan's) places element 0 of ``shape``
        elsewhere in the stream: a ``Generator`` reuses one plan for calls
        of one kind, each at its next unused block.
        """
        if base_block is None:
            base_block = self.base_block
        if region is None and out is not None:   # the per-call path, in one C call
            done = _core.fill_whole(self, out, base_block, threads, resolve_threads, selected_isa)
            if done is not None:
                return done
        # one unpacking, not ten attribute reads
        dist, shape, dtype, (k0, k1), stream, _, _, (p0, p1, p2, p3), doubled, code = self
        if region is None:        # the common call, without normalize_region's loop
            start, size = (0,) * len(shape), shape
        else:
            start, size = normalize_region(region, shape)
        if out is None:
            nthreads = resolve_threads(threads, math.prod(size))
            isa = selected_isa()
            out = new_array(size, dtype, "result shape")
        else:
            check_out(out, size, dtype)
            nthreads = resolve_threads(threads, math.prod(size))
            isa = selected_isa()
        _core.fill(out, dist, code, k0, k1, stream, base_block, shape, start, p0, p1, p2, p3,
                   nthreads, isa)
        if doubled:
            with np.errstate(over="ignore"):   # inf where the 16-bit type overflows, as the core
                np.multiply(out, 2, out=out)
        return out


def make(dist: int, shape: tuple, dtype: np.dtype, key: tuple, stream: int,
         params=(0.0, 0.0, 0.0, 0.0), *, base_block: int = 0,
         bounds: str = "low and high") -> Plan:
    """A :class:`Plan`, after the checks that depend on the dtype.

    The caller passes a normalized ``shape``, a resolved ``dtype``, a key
    pair, a stream number and ``params`` it validated; a uniform's bounds
    must also be finite and distinct in float32 for a float32, float16 or
    bfloat16 result (``bounds`` names them in the caller's words).
    """
    p0, p1 = params[0], params[1]
    doubled = False
    core = params
    if dist == UNIFORM and dtype is not _FLOAT64 and dtype != _FLOAT64:
        if not (abs(p0) <= _F32_MAX and abs(p1) <= _F32_MAX) and not _f32_finite(p0, p1):
            raise ValueError(f"{bounds} must round to finite float32 values (at most "
                             f"{_F32_MAX!r} in size) for a float32, float16 or bfloat16 "
                             f"result; got [{p0!r}, {p1!r}]")
        if p1 - p0 <= _F32_EPS * max(abs(p0), abs(p1)) + _F32_TINY and _f32_equal(p0, p1):
            raise ValueError(f"{bounds} must be distinct in float32 for a float32, float16 or "
                             f"bfloat16 result (the samples are float32); got [{p0!r}, {p1!r}], "
                             "which round to the same float32 value")
        doubled = _f32_range_overflows(p0, p1)
        if doubled:
            core = (p0 * 0.5, p1 * 0.5, params[2], params[3])
    return Plan(dist, shape, dtype, key, stream, params, base_block, core, doubled,
                out_code(dtype))
