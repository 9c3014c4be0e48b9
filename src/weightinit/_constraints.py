"""The parameter constraints the catalogue declares, each checked and worded here once.

A constraint is a name (``"finite"``, ``"positive"``, ``"real"``,
``"bool"``, ``"window"``) or a tuple of allowed values (choices); :func:`check` validates
a value against it and raises a TypeError/ValueError naming the argument,
so an error message is written once for every initializer that declares
the constraint (as NumPy's ``check_constraint``).

>>> check(0.5, "stddev", "positive")
0.5
>>> check("fan_in", "mode", ("fan_in", "fan_out"))
'fan_in'
>>> check(0.0, "stddev", "positive")
Traceback (most recent call last):
...
ValueError: stddev must be > 0; got 0.0
"""
from __future__ import annotations

import numbers

import numpy as np

from ._checks import finite_float, scalar_of

__all__ = ["check", "describe", "CONSTRAINTS"]

#: what each named constraint means, for ``weightinit list`` and the docs
CONSTRAINTS = {
    "finite": "a finite float",
    "positive": "a finite float > 0",
    "real": "a real number (inf and NaN allowed)",
    "bool": "True or False",
    "window": "None, a scipy.signal window name or a 1-D list of finite floats",
}


def _quoted(values) -> str:
    return ", ".join(repr(v) for v in values)


def check(value, name: str, constraint):
    """``value`` validated against ``constraint``; errors name ``name``."""
    if isinstance(constraint, tuple):
        if not isinstance(value, (str, type(None))) or value not in constraint:
            raise ValueError(f"{name} must be one of {_quoted(constraint)}; got {value!r}")
        return value
    if constraint == "finite":
        return finite_float(value, name)
    if constraint == "positive":
        value = finite_float(value, name)
        if value <= 0.0:
            raise ValueError(f"{name} must be > 0; got {value}")
        return value
    if constraint == "real":
        value = scalar_of(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
        try:
            float(value)
        except OverflowError:
            raise ValueError(f"{name} is an int beyond the float range") from None
        return value
    if constraint == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; got {type(value).__name__}")
        return bool(value)
    if constraint == "window":
        from ._stft import check_window
        return check_window(value, name)
    raise AssertionError(f"undeclared constraint {constraint!r}")   # a catalogue typo


def describe(constraint) -> str:
    """A short text of ``constraint``, for listings."""
    if isinstance(constraint, tuple):
        return "one of " + _quoted(constraint)
    return CONSTRAINTS[constraint]
