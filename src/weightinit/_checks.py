"""Validation of shapes, dtypes, regions and ``out`` (docs/contract.md section 5).

Everything here runs before any write, and every message names the argument
and what is allowed.
"""
from __future__ import annotations

import difflib
import functools
import math
import numbers
import operator
import os
from collections.abc import Mapping, Set

import numpy as np

from . import _core

__all__ = ["resolve_dtype", "normalize_shape", "normalize_region", "new_array",
           "check_memory", "exact_value", "check_out", "out_code", "finite_float",
           "real_float", "did_you_mean", "FLOAT_DTYPE_NAMES"]

FLOAT_DTYPE_NAMES = ("float32", "float64", "float16", "bfloat16")
_MAX_ELEMENTS = (1 << 63) - 1
_MAX_BYTES = (1 << 63) - 1     # NumPy's limit for one array (and a file offset's)


@functools.lru_cache(maxsize=None)
def _bfloat16() -> np.dtype:
    # ml_dtypes is a required dependency, imported on first use: it takes
    # most of a second to import, and most calls never need it.
    import ml_dtypes
    return np.dtype(ml_dtypes.bfloat16)


def _is_float_dtype(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is one of the four supported floating dtypes (a
    "bfloat16" from anywhere but ml_dtypes is not)."""
    name = dtype.name
    if name == "bfloat16":
        return dtype == _bfloat16()
    return name in FLOAT_DTYPE_NAMES and dtype.kind == "f"


_resolved: dict = {}   # dtype argument -> np.dtype; small calls must be cheap


def resolve_dtype(dtype, default="float32", name="dtype") -> np.dtype:
    """Return the NumPy dtype for ``dtype`` (None gives ``default``).

    Accepts NumPy dtypes and types, their names, ``"bfloat16"`` (through
    ml_dtypes) and torch dtypes of those four kinds.
    """
    if dtype is None:
        dtype = default
    try:
        return _resolved[dtype]
    except (KeyError, TypeError):  # TypeError: unhashable argument
        pass
    resolved = _resolve_dtype_uncached(dtype, name)
    try:
        _resolved[dtype] = resolved
    except TypeError:
        pass
    return resolved


def _resolve_dtype_uncached(dtype, name) -> np.dtype:
    if isinstance(dtype, str) and dtype.lower() in ("bfloat16", "bf16"):
        return _bfloat16()
    torch_name = getattr(dtype, "is_floating_point", None) is not None and str(dtype)
    if torch_name and torch_name.startswith("torch."):
        dtype = torch_name[len("torch."):]
        if dtype == "bfloat16":
            return _bfloat16()
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be one of {', '.join(FLOAT_DTYPE_NAMES)}; "
                        f"got {dtype!r}") from None
    if not _is_float_dtype(resolved):
        shown = resolved.name if isinstance(dtype, (str, type, np.dtype)) else repr(dtype)
        raise TypeError(f"{name} must be one of {', '.join(FLOAT_DTYPE_NAMES)}; got {shown}")
    if not resolved.isnative:   # the core writes native-order values
        raise TypeError(f"{name} must be in native byte order; got {resolved.str}")
    return resolved


_OUT_CODES: dict = {}


def out_code(dtype: np.dtype) -> int:
    """The C core's output-type code for a resolved dtype."""
    try:
        return _OUT_CODES[dtype]
    except KeyError:
        code = {"float32": _core.OUT_F32, "float64": _core.OUT_F64,
                "float16": _core.OUT_F16, "bfloat16": _core.OUT_BF16,
                "uint32": _core.OUT_U32}[dtype.name]
        _OUT_CODES[dtype] = code
        return code


def normalize_shape(shape, name="shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints (an int is 1-D)."""
    if type(shape) is int and 0 <= shape <= _MAX_ELEMENTS:   # fast paths: small calls
        return (shape,)
    if type(shape) is tuple and all(type(d) is int and 0 <= d <= _MAX_ELEMENTS for d in shape) \
            and len(shape) <= _core.MAX_NDIM and math.prod(shape) <= _MAX_ELEMENTS:
        return shape
    if isinstance(shape, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a sequence of ints; got bool")
    if isinstance(shape, numbers.Integral):
        dims = (shape,)
    elif isinstance(shape, _NOT_SHAPES):
        # iterable, but a dict or set has no order and bytes are not sizes
        raise TypeError(f"{name} must be an int or a sequence of ints (tuple or list); "
                        f"got {type(shape).__name__}")
    else:
        try:
            dims = tuple(shape)
        except Exception:   # noqa: BLE001 - any failure of a foreign __iter__
            raise TypeError(f"{name} must be an int or a sequence of ints; "
                            f"got {type(shape).__name__}") from None
    result = []
    for d in dims:
        if isinstance(d, (bool, np.bool_)):
            raise TypeError(f"{name} must contain ints; got bool")
        try:
            d = operator.index(d)
        except TypeError:
            raise TypeError(f"{name} must contain ints; got {type(d).__name__}") from None
        except Exception as err:   # noqa: BLE001 - a foreign __index__ that fails
            raise TypeError(f"{name} must contain ints; a {type(d).__name__} element "
                            f"raised {type(err).__name__} when converted") from None
        if d < 0:
            raise ValueError(f"{name} must not have negative dimensions; got {tuple(dims)}")
        if d > _MAX_ELEMENTS:   # NumPy indexes with int64, even when another axis is 0
            raise ValueError(f"{name} dimensions must be at most 2**63 - 1; got {d}")
        result.append(d)
    if len(result) > _core.MAX_NDIM:
        raise ValueError(f"{name} may have at most {_core.MAX_NDIM} dimensions; got {len(result)}")
    size = math.prod(result)
    if size > _MAX_ELEMENTS:
        raise ValueError(f"{name} has {size} elements, more than 2**63 - 1")
    return tuple(result)


_NOT_SHAPES = (str, bytes, bytearray, memoryview, Mapping, Set)


def normalize_region(region, shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return ``(start, region_shape)`` for ``region`` within ``shape``.

    ``region`` is None (everything), a slice, or a tuple of slices with step
    1, one per leading axis; bounds follow Python's slicing rules, so
    ``full[region]`` is exactly the part generated.
    """
    if region is None:
        return (0,) * len(shape), tuple(shape)
    if isinstance(region, slice):
        region = (region,)
    if not isinstance(region, tuple) or not all(isinstance(s, slice) for s in region):
        raise TypeError("region must be a slice or a tuple of slices; "
                        f"got {region!r}")
    if len(region) > len(shape):
        raise ValueError(f"region has {len(region)} slices but the shape "
                         f"{tuple(shape)} has only {len(shape)} axes")
    starts, sizes = [], []
    for axis, n in enumerate(shape):
        s = region[axis] if axis < len(region) else slice(None)
        for bound in (s.start, s.stop, s.step):
            if bound is not None and (not isinstance(bound, numbers.Integral)
                                      or isinstance(bound, (bool, np.bool_))):
                raise TypeError(f"region slices must have int bounds; got {s!r}")
        if s.step not in (None, 1):
            raise ValueError(f"region slices must have step 1; got {s!r} on axis {axis}")
        start, stop, _ = s.indices(n)
        starts.append(start)
        sizes.append(max(0, stop - start))
    return tuple(starts), tuple(sizes)


def check_out(out, shape, dtype: np.dtype | None, name="out") -> None:
    """Raise unless ``out`` can take a result of ``shape`` and ``dtype``.

    ``dtype`` None accepts any supported floating dtype.
    """
    if (type(out) is np.ndarray and out.dtype is dtype and out.shape == shape
            and out.flags.num & _OUT_FLAGS == _OUT_FLAGS and dtype.isnative):
        return          # the common call, quickly: every check below passes
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray; got {type(out).__name__}")
    if dtype is not None and out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}; expected {dtype.name}")
    if dtype is None and not _is_float_dtype(out.dtype):
        raise TypeError(f"{name} must have dtype {', '.join(FLOAT_DTYPE_NAMES)}; "
                        f"got {out.dtype}")
    flags = out.flags
    if not flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not flags.aligned:
        raise ValueError(f"{name} is not aligned")
    if not out.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order; got {out.dtype.str}")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}; expected {tuple(shape)}")


#: NumPy's flag bits C_CONTIGUOUS, ALIGNED and WRITEABLE (ndarray.flags.num)
_OUT_FLAGS = _core.OUT_FLAGS


def scalar_of(value):
    """A NumPy scalar or 0-d NumPy/JAX array (``np.float32(2)``,
    ``jnp.array(1.0)``) of a real, non-bool dtype as the Python number it holds; anything else as it
    is, for the caller's own check to name."""
    if isinstance(value, np.generic):      # np.float32(2): a plain number for configs
        return value.item() if value.dtype.kind in "iuf" else value
    if getattr(value, "ndim", None) != 0 or isinstance(value, numbers.Number):
        return value
    try:
        kind = np.dtype(value.dtype).kind
    except (TypeError, AttributeError):   # e.g. a torch dtype: not ours to read
        return value
    return np.asarray(value).item() if kind in "iuf" else value


def _as_float(value, name) -> float:
    if type(value) is float:          # the common case, quickly
        return value
    value = scalar_of(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:   # an int beyond the float range
        raise ValueError(f"{name} must be finite; got an int beyond the float range") from None


def real_float(value, name) -> float:
    """``value`` as a Python float (infinities allowed, NaN not), or a
    TypeError/ValueError naming it."""
    value = _as_float(value, name)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


def finite_float(value, name) -> float:
    """``value`` as a finite Python float, or a TypeError/ValueError naming it."""
    value = _as_float(value, name)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return value


# -- sizes: refuse what cannot be allocated before trying ----------------------

@functools.lru_cache(maxsize=None)
def _machine_memory() -> int | None:
    """Physical memory plus swap in bytes (no allocation can be larger), or
    None where the system does not say."""
    try:
        with open("/proc/meminfo") as f:
            kib = {line.split(":")[0]: int(line.split()[1]) for line in f}
        return (kib["MemTotal"] + kib.get("SwapTotal", 0)) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def check_memory(nbytes: int, what: str) -> None:
    """Raise a ValueError naming ``what`` if ``nbytes`` cannot be allocated:
    more than one array can hold, or more than this machine's memory."""
    if nbytes > _MAX_BYTES:
        raise ValueError(f"{what} needs {nbytes} bytes, more than one array can hold "
                         "(2**63 - 1)")
    limit = _machine_memory()
    if limit is not None and nbytes > limit:
        raise ValueError(f"{what} needs {_gib(nbytes)}, more than this machine's memory "
                         f"and swap ({_gib(limit)}); pass out= (an np.memmap, for example) "
                         "or region= to produce it in parts")


def new_array(shape: tuple, dtype: np.dtype, name: str = "shape") -> np.ndarray:
    """``np.empty(shape, dtype)`` after :func:`check_memory`, so an impossible
    size is a ValueError naming ``name``, not NumPy's unnamed error."""
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > _SURELY_AVAILABLE:
        check_memory(nbytes, f"{name} {tuple(shape)} of {dtype.name}")
    return np.empty(shape, dtype)


#: sizes every machine can allocate, which new_array does not check (the
#: check and its message cost a third of a small call)
_SURELY_AVAILABLE = 1 << 24


def exact_value(value, dtype: np.dtype, name: str):
    """``value`` unchanged, if ``dtype`` holds it exactly where it is an
    integer or bool dtype (floats round, as NumPy's do). A cast would
    otherwise wrap (300 into int8 gives 44) or make NaN an arbitrary int."""
    if dtype.kind not in "biu":
        return value
    try:
        exact = float(value).is_integer() and int(value) == value
    except (OverflowError, ValueError):   # inf, NaN
        exact = False
    if dtype.kind == "b":
        low, high = 0, 1
    else:
        info = np.iinfo(dtype)
        low, high = int(info.min), int(info.max)
    if not exact or not low <= int(value) <= high:
        allowed = "0 or 1" if dtype.kind == "b" else f"integers in [{low}, {high}]"
        raise ValueError(f"{name} must be exactly representable in {dtype.name} "
                         f"({allowed}); got {value!r}")
    return value


def did_you_mean(word, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
