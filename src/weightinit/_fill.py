"""The one path from Python to the C fill: resolve, validate, allocate, call.

Callers (Generator, initializers) validate their own distribution parameters
with names users know; this module validates shape, region, out, threads and
the instruction set, all before anything is allocated or written.
"""
from __future__ import annotations

import math

import numpy as np

from . import _core
from ._checks import check_out, new_array, normalize_region, normalize_shape, out_code
from ._env import getenv
from ._threads import resolve_threads

__all__ = ["fill", "selected_isa", "isa_available", "ISA_NAMES"]

ISA_NAMES = _core.ISA_NAMES
_ISA_ENV = "WEIGHTINIT_ISA"

RAW, UNIFORM, NORMAL, TRUNCNORM = (_core.DIST_RAW, _core.DIST_UNIFORM,
                                   _core.DIST_NORMAL, _core.DIST_TRUNCNORM)
#: truncation bounds more than this many sd out on one side are refused; the
#: C side declares the same value as WI_TRUNC_FARTHEST_BOUND (csrc/wi_params.c)
TRUNCATION_LIMIT_SD = 37.0


def isa_available(name: str) -> bool:
    """Whether this build and CPU can run the ``name`` kernels.

    Examples
    --------
    >>> isa_available("scalar")
    True
    """
    if name not in ISA_NAMES:
        raise ValueError(f"isa must be one of {', '.join(ISA_NAMES)}; got {name!r}")
    code = ISA_NAMES.index(name)
    return _core.isa_compiled(code) and code <= _core.best_isa()


_BEST_ISA = _core.best_isa()


def selected_isa() -> int:
    """The ISA code fills use: ``WEIGHTINIT_ISA`` if set, else the best."""
    forced = getenv(_ISA_ENV)
    if not forced:
        return _BEST_ISA
    forced = forced.strip().lower()
    if forced not in ISA_NAMES:
        raise ValueError(f"{_ISA_ENV} must be one of {', '.join(ISA_NAMES)}; got {forced!r}")
    if not isa_available(forced):
        raise ValueError(f"{_ISA_ENV}={forced} is not supported by this CPU or build")
    return ISA_NAMES.index(forced)


def fill(dist: int, shape, dtype: np.dtype, key, stream: int, *, params=(0.0, 0.0, 0.0, 0.0),
         region=None, out=None, threads=None, base_block: int = 0,
         bounds="low and high"):
    """Generate ``dist`` samples for ``region`` of ``shape`` into ``out`` or a new array.

    ``key`` is the (key0, key1) pair, ``stream`` the 64-bit stream number,
    ``base_block`` a block offset: element g of the global shape lives in block
    ``base_block + g // per`` (per = 4, or 2 for float64), word ``g % per``.
    ``bounds`` names the uniform's bounds in the caller's words for errors.
    """
    shape = normalize_shape(shape)   # a no-op fast path for normalized tuples
    start, region_shape = normalize_region(region, shape)
    if out is not None:
        check_out(out, region_shape, dtype)
    nthreads = resolve_threads(threads, math.prod(region_shape))
    isa = selected_isa()
    p0, p1, p2, p3 = params          # the core takes them as C doubles
    halved = False
    if dist == UNIFORM and (out.dtype if out is not None else dtype) != _FLOAT64:
        if not (abs(p0) <= _F32_MAX and abs(p1) <= _F32_MAX) and not _f32_finite(p0, p1):
            raise ValueError(f"{bounds} must round to finite float32 values (at most "
                             f"{_F32_MAX!r} in size) for a float32, float16 or bfloat16 "
                             f"result; got [{p0!r}, {p1!r}]")
        if p1 - p0 <= _F32_EPS * max(abs(p0), abs(p1)) + _F32_TINY and _f32_equal(p0, p1):
            raise ValueError(f"{bounds} must be distinct in float32 for a float32, float16 or "
                             f"bfloat16 result (the samples are float32); got [{p0!r}, {p1!r}], "
                             "which round to the same float32 value")
        halved = _f32_range_overflows(p0, p1)
        if halved:
            p0, p1 = p0 * 0.5, p1 * 0.5
    if out is None:
        out = new_array(region_shape, dtype, "result shape")
    _core.fill(out, dist, out_code(out.dtype), key[0], key[1], stream, base_block,
               shape, start, p0, p1, p2, p3, nthreads, isa)
    if halved:
        with np.errstate(over="ignore"):   # inf where the 16-bit type overflows, as the core
            np.multiply(out, 2, out=out)
    return out


_FLOAT64 = np.dtype(np.float64)
_F32_MAX = float(np.finfo(np.float32).max)


_F32_EPS = 2.0 ** -23            # float32's relative spacing: closer bounds may be equal
_F32_TINY = 2.0 ** -126          # below it (subnormals) the spacing is absolute


def _f32_equal(low: float, high: float) -> bool:
    """Whether ``low`` and ``high`` round to the same float32 (an empty range
    for the core's float32 arithmetic: it gave values below ``low``)."""
    with np.errstate(over="ignore"):
        return bool(np.float32(low) >= np.float32(high))


def _f32_finite(*values: float) -> bool:
    """Whether each value rounds to a finite float32, as the core's ``(float)x``
    does (3.4028235e38, which prints as float32's max, rounds to it)."""
    with np.errstate(over="ignore"):
        return all(np.isfinite(np.float32(v)) for v in values)


def _f32_range_overflows(low: float, high: float) -> bool:
    """Whether ``high - low`` overflows float32 (the core's ``(float)(high -
    low)``). Such a uniform is filled on ``[low/2, high/2)`` and doubled:
    scaling by 2 is exact, so every value is what an overflow-free float32
    ``low + u * (high - low)`` would give, and other ranges are untouched."""
    span = high - low
    if abs(span) <= _F32_MAX:
        return False
    with np.errstate(over="ignore"):
        return bool(np.isinf(np.float32(span)))
