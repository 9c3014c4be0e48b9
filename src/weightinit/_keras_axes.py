"""Keras's ``input_axes``/``output_axes`` of ``VarianceScaling``: when both
are given, fan-in is the product of the ``input_axes`` dimensions and fan-out
that of the ``output_axes`` ones (Keras's ``compute_fans``), as
``keras.layers.EinsumDense`` sets them on Keras's own initializer."""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import normalize_shape


def _axes_list(value, name):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_, str)) or isinstance(value, numbers.Number):
        raise TypeError(f"{name} must be None or a list of ints; got {type(value).__name__}")
    try:
        axes = list(value)
    except TypeError:
        raise TypeError(f"{name} must be None or a list of ints; "
                        f"got {type(value).__name__}") from None
    for axis in axes:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"{name} must hold ints; got {axis!r}")
    return [int(a) for a in axes]


def check(input_axes, output_axes):
    """``(input_axes, output_axes)`` as lists of ints (or None), or a TypeError."""
    return _axes_list(input_axes, "input_axes"), _axes_list(output_axes, "output_axes")


def _fan(shape, axes, name):
    try:
        return math.prod(shape[a] for a in axes)
    except IndexError:
        raise ValueError(f"{name} {axes} is out of range for shape {shape}") from None


def fans_kwargs(init, kwargs: dict, shape) -> dict:
    """``kwargs`` of :func:`variance_scaling` with Keras's fans for ``shape``
    when both axis lists are set (an explicit ``fan_in``/``fan_out`` wins)."""
    if init.input_axes is None or init.output_axes is None:
        return kwargs
    shape = normalize_shape(shape)
    if kwargs.get("fan_in") is None:
        kwargs["fan_in"] = _fan(shape, init.input_axes, "input_axes")
    if kwargs.get("fan_out") is None:
        kwargs["fan_out"] = _fan(shape, init.output_axes, "output_axes")
    return kwargs


def with_axes(init, config: dict) -> dict:
    """``config`` plus the axis lists that are set (a config without them is
    that of the defaults, so older configs stay equal)."""
    for name in ("input_axes", "output_axes"):
        if getattr(init, name) is not None:
            config[name] = getattr(init, name)
    return config
