"""Fans, gains and layouts: how a weight shape turns into a scale.

Two conventions live here, each exactly as its library computes it:

* Keras/JAX (:func:`compute_fans`): the kernel is ``(..., in, out)``; fans
  use ``in_axis=-2``, ``out_axis=-1`` and ``batch_axis=()`` (JAX's names)
  and a receptive field that is the product of the other axes. With those
  default axes a shape of rank 0 has fans (1, 1) and one of rank 1,
  ``(n,)``, has fans (n, n), as in Keras; where JAX refuses that case
  instead (the JAX front end), :func:`check_jax_rank` raises JAX's error.
  Axes given explicitly are used as given at every rank.
* PyTorch (:func:`torch_fans`): the weight is ``(out, in, *kernel)``, as
  ``torch.nn.init._calculate_fan_in_and_fan_out``.

:func:`calculate_gain` is ``torch.nn.init.calculate_gain``, value for value.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import real_float

__all__ = ["compute_fans", "check_jax_rank", "torch_fans", "fan_denominator",
           "calculate_gain", "MODES", "NONLINEARITIES"]

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = _LINEAR_FNS + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _quoted(values) -> str:
    return ", ".join(repr(v) for v in values)


def _axes(value, ndim: int, name: str) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ints) as non-negative axes of ``ndim``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a sequence of ints; got bool")
    items = (value,) if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints; "
                        f"got {type(value).__name__}") from None
    axes = []
    for axis in items:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"{name} must contain ints; got {axis!r}")
        axis = int(axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"{name} must be in [-{ndim}, {ndim}) for a shape of rank "
                             f"{ndim}; got {axis}")
        axes.append(axis % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name} must not repeat an axis; got {value!r}")
    return tuple(axes)


def _is_int(value, number: int) -> bool:
    return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
            and value == number)


def _default_axes(in_axis, out_axis, batch_axis) -> bool:
    """Whether the axes are the defaults ``-2, -1, ()``: only these take
    Keras's fans at rank 0 and 1; explicit axes are honoured there."""
    if type(in_axis) is int and type(out_axis) is int and type(batch_axis) is tuple:
        return in_axis == -2 and out_axis == -1 and not batch_axis   # the common call, quickly
    if not (_is_int(in_axis, -2) and _is_int(out_axis, -1)):
        return False
    if isinstance(batch_axis, (numbers.Integral, str)):
        return False
    try:
        return len(batch_axis) == 0
    except TypeError:
        return False


def check_jax_rank(shape, in_axis) -> None:
    """Raise ValueError where JAX's ``_compute_fans`` does: a shape of rank 0
    or 1 with the default ``in_axis`` (the int -2), which Keras gives fans
    (1, 1) or (n, n) instead.

    Examples
    --------
    >>> check_jax_rank((5,), in_axis=[])         # explicit axes: fine
    >>> check_jax_rank((5,), in_axis=-2)
    Traceback (most recent call last):
    ...
    ValueError: Can't compute input and output sizes of a 1-dimensional weights tensor with default in_axis. Must be at least 2D or specify in_axis explicitly.
    """
    if len(shape) <= 1 and _is_int(in_axis, -2):
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional"
                         " weights tensor with default in_axis. Must be at least 2D or specify"
                         " in_axis explicitly.")


def _fan_override(value, name):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be None or a non-negative number; "
                        f"got {type(value).__name__}")
    if not (math.isfinite(real_float(value, name)) and value >= 0):
        raise ValueError(f"{name} must be None or a finite number >= 0; got {value}")
    return value


def compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=(), *,
                 fan_in=None, fan_out=None):
    """Fan-in and fan-out of a weight ``shape`` in the Keras/JAX convention.

    Parameters
    ----------
    shape : tuple of int
        The global shape of the weight.
    in_axis, out_axis : int or sequence of int, default -2 and -1
        Axes of input and output units (JAX's ``in_axis``, ``out_axis``).
    batch_axis : int or sequence of int, default ()
        Axes left out of both fans (JAX's ``batch_axis``).
    fan_in, fan_out : number, optional
        Overrides of the computed values.

    Returns
    -------
    (fan_in, fan_out) : tuple of int (or of the overriding numbers)
        For rank >= 2: ``prod(shape[in_axis]) * rf`` and
        ``prod(shape[out_axis]) * rf`` with ``rf`` the product of all the
        other non-batch axes (the receptive field), at every rank. With
        the default axes, rank 0 gives (1, 1) and rank 1 gives (n, n), as
        Keras (JAX raises there instead: :func:`check_jax_rank`).

    Raises
    ------
    TypeError, ValueError
        For an axis that is not an int, out of range, repeated, or shared by
        two of ``in_axis``, ``out_axis`` and ``batch_axis``.

    Examples
    --------
    >>> compute_fans((512, 256))
    (512, 256)
    >>> compute_fans((3, 3, 64, 128))        # Keras conv2d kernel (h, w, in, out)
    (576, 1152)
    >>> compute_fans((10,)), compute_fans(())
    ((10, 10), (1, 1))
    >>> compute_fans((10,), in_axis=[], out_axis=[0])   # explicit axes, as JAX
    (1, 10)
    >>> compute_fans((8, 3, 16), in_axis=1, out_axis=2, batch_axis=0)
    (3, 16)
    """
    shape = tuple(map(int, shape))
    ndim = len(shape)
    fan_in = _fan_override(fan_in, "fan_in")
    fan_out = _fan_override(fan_out, "fan_out")
    if _default_axes(in_axis, out_axis, batch_axis):
        # The common case without the general axis walk (per-call cost).
        if ndim <= 1:
            fi = fo = shape[0] if ndim else 1
        else:
            receptive = math.prod(shape[:-2])
            fi, fo = shape[-2] * receptive, shape[-1] * receptive
    else:
        ins = _axes(in_axis, ndim, "in_axis")
        outs = _axes(out_axis, ndim, "out_axis")
        batch = _axes(batch_axis, ndim, "batch_axis")
        if set(ins) & set(outs) or set(ins) & set(batch) or set(outs) & set(batch):
            raise ValueError("in_axis, out_axis and batch_axis must not share an axis; "
                             f"got in_axis={in_axis!r}, out_axis={out_axis!r}, "
                             f"batch_axis={batch_axis!r}")
        used = set(ins) | set(outs) | set(batch)
        receptive = math.prod(d for axis, d in enumerate(shape) if axis not in used)
        fi = math.prod(shape[a] for a in ins) * receptive
        fo = math.prod(shape[a] for a in outs) * receptive
    return (fi if fan_in is None else fan_in), (fo if fan_out is None else fan_out)


def fan_denominator(mode, fan_in, fan_out) -> float:
    """The ``n`` of ``scale / n`` for ``mode``, at least 1 as in Keras.

    ``fan_in``, ``fan_out``, ``(fan_in + fan_out) / 2`` or
    ``sqrt(fan_in * fan_out)`` (JAX's ``fan_geo_avg``), then ``max(1, n)``.

    Examples
    --------
    >>> fan_denominator("fan_avg", 512, 256)
    384.0
    >>> fan_denominator("fan_in", 0, 7)
    1.0
    """
    if mode == "fan_in":
        n = fan_in
    elif mode == "fan_out":
        n = fan_out
    elif mode == "fan_avg":
        n = (fan_in + fan_out) / 2.0
    elif mode == "fan_geo_avg":
        n = math.sqrt(fan_in * fan_out)
    else:
        raise ValueError(f"mode must be one of {_quoted(MODES)}; got {mode!r}")
    return max(1.0, float(n))


def torch_fans(shape) -> tuple[int, int]:
    """Fan-in and fan-out in PyTorch's convention, ``(out, in, *kernel)``.

    ``fan_in = shape[1] * prod(shape[2:])``,
    ``fan_out = shape[0] * prod(shape[2:])``, exactly as
    ``torch.nn.init._calculate_fan_in_and_fan_out``.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions, as PyTorch.

    Examples
    --------
    >>> torch_fans((256, 512))                 # nn.Linear(512, 256).weight
    (512, 256)
    >>> torch_fans((128, 64, 3, 3))            # nn.Conv2d(64, 128, 3).weight
    (576, 1152)
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer "
                         f"than 2 dimensions; got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ============================  ==================================
    nonlinearity                  gain
    ============================  ==================================
    linear, conv{1,2,3}d,         1
    conv_transpose{1,2,3}d,
    sigmoid
    tanh                          5/3
    relu                          sqrt(2)
    leaky_relu                    sqrt(2 / (1 + negative_slope**2))
    selu                          3/4
    ============================  ==================================

    Parameters
    ----------
    nonlinearity : str
        One of the names above.
    param : int or float, optional
        The negative slope of ``leaky_relu`` (default 0.01).

    Raises
    ------
    ValueError
        For another name, or a ``param`` that is not an int or float.

    Examples
    --------
    >>> calculate_gain("relu") == 2 ** 0.5
    True
    >>> calculate_gain("leaky_relu", 0.2) == (2 / (1 + 0.2 ** 2)) ** 0.5
    True
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"nonlinearity must be one of {_quoted(NONLINEARITIES)}; "
                     f"got {nonlinearity!r}")
