"""Fills of a validated target, and the parameter checks the functions share."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _core, _fill, _plan
from .._checks import finite_float
from .._fans import calculate_gain, torch_fans
from .._stream import key_from_seed, stream_id
from .._threads import resolve_threads
from ..initializers import _scalar
from ._generator import Position


def _fill_dist(target, dist, params, seed, stream, threads, bounds="a and b"):
    nthreads = resolve_threads(threads)
    if isinstance(seed, Position):   # a weightinit.Generator: its next blocks
        shape, dtype_name = target.layout.global_shape, target.array.dtype.name
        # checked before writing: past the end raises with the tensor untouched
        base = seed.start(shape, dtype_name)
        fill_local(target.array, target.layout, dist, seed.key, seed.sid, params=params,
                   threads=nthreads, base_block=base, bounds=bounds)
        seed.consume(shape, dtype_name)
        return target.done()
    key, sid = key_from_seed(seed), stream_id(stream)
    fill_local(target.array, target.layout, dist, key, sid, params=params, threads=nthreads,
               bounds=bounds)
    return target.done()


_SCRATCH_ELEMENTS = 1 << 22   # 16 MiB of float32: the most a box's staging copy holds


def fill_local(array, layout, dist, key, sid, *, params=(0.0, 0.0, 0.0, 0.0), threads=None,
               base_block=0, bounds="a and b"):
    """Fill ``array`` (the local part of a tensor of ``layout.global_shape``)
    with ``dist`` samples, each box of the layout through ``region=`` at its
    global offset, so every element equals the whole tensor's at its index.

    A box that is not contiguous in ``array`` (only FSDP2 + TP's
    ``_StridedShard`` on a dimension > 0 makes one) is generated into a
    scratch of at most about ``_SCRATCH_ELEMENTS`` and copied in.
    """
    # one plan for every box: the parameters are checked once, the key and
    # stream were resolved by the caller
    plan = _plan.make(dist, layout.global_shape, array.dtype, key, sid, params,
                      base_block=base_block, bounds=bounds)
    for global_region, local_region in layout.boxes():
        out = array[local_region]
        if out.size == 0:
            continue
        if out.flags.c_contiguous:
            plan.fill(global_region, out, threads)
            continue
        rows = max(1, _SCRATCH_ELEMENTS // max(1, out[0].size))
        top = global_region[0].start
        for r in range(0, out.shape[0], rows):
            n = min(rows, out.shape[0] - r)
            out[r:r + n] = plan.fill((slice(top + r, top + r + n),) + global_region[1:],
                                     threads=threads)


def _check_extras(seed, stream, threads):
    """``seed``, ``stream``, ``threads`` of a deterministic fill: validated, unused."""
    if seed is not None and not isinstance(seed, Position):
        key_from_seed(seed)
    stream_id(stream)
    resolve_threads(threads)


def _fill_value(target, value, seed, stream, threads):
    _check_extras(seed, stream, threads)
    nthreads = resolve_threads(threads)
    arr = target.array
    if arr.size:
        with np.errstate(over="ignore", invalid="ignore"):
            _core.fill_constant(arr, _scalar(value, arr.dtype), nthreads)
    return target.done()


def _uniform(target, low, high, seed, stream, threads):
    """Uniform on [low, high); low == high fills the constant, as torch."""
    if low == high:
        return _fill_value(target, low, seed, stream, threads)
    return _fill_dist(target, _fill.UNIFORM, (low, high, 0.0, 0.0), seed, stream, threads)


def _normal(target, mean, std, seed, stream, threads):
    """Normal(mean, std); std == 0 fills the mean, as torch."""
    if std == 0.0:
        return _fill_value(target, mean, seed, stream, threads)
    return _fill_dist(target, _fill.NORMAL, (mean, std, 0.0, 0.0), seed, stream, threads)


def _nonnegative(value, name):
    value = finite_float(value, name)
    if value < 0.0:
        raise ValueError(f"{name} must be >= 0; got {value}")
    return value


def _torch_mode(mode):
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be one of 'fan_in', 'fan_out'; got {mode!r}")
    return mode.lower()


def _xavier_std(shape, gain):
    """``gain * sqrt(2 / (fan_in + fan_out))`` of a ``(out, in, *kernel)``
    shape, as torch; None for an empty tensor (no fans)."""
    fan_in, fan_out = torch_fans(shape)
    if fan_in + fan_out == 0:
        return None
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def _kaiming_std(shape, a, mode, nonlinearity):
    """Kaiming's std of a ``(out, in, *kernel)`` shape, as torch."""
    mode = _torch_mode(mode)
    fan_in, fan_out = torch_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    if nonlinearity == "leaky_relu" and isinstance(a, float) and not math.isfinite(a):
        raise ValueError(f"a (the negative slope of leaky_relu) must be finite; got {a}")
    try:
        gain = calculate_gain(nonlinearity, a)
    except OverflowError:   # a**2 beyond the float range, as in torch
        raise ValueError(f"a (the negative slope of leaky_relu) is too large; got {a}") from None
    return gain / math.sqrt(fan)


def _check_scale_fits(target, scale, name):
    """Reject a ``name`` whose bound or std ``scale`` the target's dtype cannot
    hold (its samples would be inf), as torch refuses out-of-range bounds."""
    dtype = target.array.dtype.name
    limit = _LARGEST[dtype]
    if not scale <= limit:
        raise ValueError(f"{name} is too large: it gives a bound of {scale:g}, beyond the "
                         f"largest {dtype} ({limit:g})")


_LARGEST = {"float64": float(np.finfo(np.float64).max), "float32": float(np.finfo(np.float32).max),
            "float16": float(np.finfo(np.float16).max),
            "bfloat16": float.fromhex("0x1.fep127")}


def _empty_warning(target):
    if 0 in tuple(target.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False
