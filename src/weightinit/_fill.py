"""What every fill shares: the core's distribution codes, the instruction
set a fill uses, and float32's limits for a uniform's bounds.

The fill itself is :meth:`weightinit._plan.Plan.fill`.
"""
from __future__ import annotations

import numpy as np

from . import _core
from ._env import getenv

__all__ = ["selected_isa", "isa_available", "ISA_NAMES"]

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
