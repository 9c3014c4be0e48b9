"""Initializers made from arrays: ``get(array)`` (the array itself, shape
checked at call) and ``Constant(value=array)`` (broadcast to the shape), as
Keras's ``initializers.get`` and ``Constant``."""
from __future__ import annotations

import numpy as np

from ._checks import normalize_shape, resolve_dtype, scalar_of


def is_array(value) -> bool:
    """An n-d array of NumPy, JAX, torch...: has a shape, a dtype and ``__array__``."""
    return (hasattr(value, "__array__") and hasattr(value, "shape")
            and hasattr(value, "dtype") and not callable(value))


def _numeric(value, name) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array; got dtype {array.dtype}")
    return array


def constant_value(value, real):
    """A number (checked by ``real``) or, for an array of ndim >= 1, its nested
    list (plain values, so the config is JSON)."""
    value = scalar_of(value)
    if is_array(value) or isinstance(value, (list, tuple)):
        array = _numeric(value, "value")
        if array.ndim:
            return array.tolist()
        value = array.item()
    return real(value, "value")


def broadcast(value, shape, dtype, name, out=None, region=None) -> np.ndarray:
    """``value`` broadcast to ``shape`` in ``dtype``, or a ValueError."""
    shape = normalize_shape(shape)
    if out is not None or region is not None:
        raise ValueError(f"out and region are not supported for an array {name}")
    array = np.asarray(value)
    try:
        result = np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {array.shape} cannot be broadcast to the "
                         f"shape {shape}") from None
    return result.astype(resolve_dtype(dtype))


class FromArray:
    """The initializer of ``get(array)``: returns a copy of the array, in the
    dtype asked for; a ValueError for another shape.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> init = wi.get(np.arange(6.0).reshape(2, 3))
    >>> init((2, 3), dtype="float64")[1]
    array([3., 4., 5.])
    >>> init((3, 2))
    Traceback (most recent call last):
    ...
    ValueError: Expected `shape` to be (2, 3), the shape of the array; the initializer was called with shape (3, 2)
    """

    def __init__(self, array):
        self.array = _numeric(array, "identifier").copy()

    def __call__(self, shape, dtype=None, **_):
        shape = normalize_shape(shape)
        if self.array.shape != shape:
            raise ValueError(f"Expected `shape` to be {self.array.shape}, the shape of the "
                             f"array; the initializer was called with shape {shape}")
        return self.array.astype(resolve_dtype(dtype))

    def __repr__(self):
        return f"FromArray(shape={self.array.shape}, dtype={self.array.dtype})"
