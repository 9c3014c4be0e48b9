"""A ``weightinit.torch`` fill as a safetensors spec: the catalogue initializer
and the explicit parameters that give the same bits.

A fill such as ``kaiming_uniform_(w, a=sqrt(5))`` is a distribution whose
parameters torch computes from the shape. Its spec is the catalogue's
initializer on torch's fans (``{"init": "he_uniform", "fans": "torch"}``,
or ``variance_scaling`` with torch's scale and mode) when that gives the
same parameters to the last bit, and otherwise states the parameters as
torch computes them (``{"name": "random_uniform", "minval": -b, "maxval":
b}``, with the helpers the fills use), so
:func:`weightinit.save_safetensors` writes the same values as the fill on a
stream named after the tensor. Fills that are not one initializer over the
whole tensor (``orthogonal_``, ``sparse_``, ``dirac_``, ``eye_``, an
Embedding's zeroed padding row, your own callables) raise ``ValueError``
naming the tensor.
"""
from __future__ import annotations

import functools
import inspect
import math

from ._builtin_rules import embedding_normal_
from ._elementwise import (constant_, kaiming_normal_, kaiming_uniform_, normal_, ones_,
                           trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_)
from .._fans import calculate_gain, torch_fans
from ..initializers import _variance_scaling_sampler
from ._fills import _kaiming_std, _xavier_std
from ._generator import _number

# torch dtype names (without "torch.") that a spec holds
SPEC_DTYPES = ("float32", "float64", "float16", "bfloat16")
_EXTRAS = ("tensor", "seed", "stream", "threads", "generator")


def _constant(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == 0 and math.copysign(1.0, value) > 0:
            return {"name": "zeros"}         # the same bits as constant(0), said plainly
        if value == 1:
            return {"name": "ones"}
    return {"name": "constant", "value": value}


def _uniform(low, high):
    """torch's uniform_: ``low == high`` fills ``low`` (weightinit's ``_uniform``)."""
    if low == high:
        return _constant(low)
    return {"name": "random_uniform", "minval": low, "maxval": high}


def _normal(mean, std):
    """torch's normal_: ``std == 0`` fills the mean (weightinit's ``_normal``)."""
    if std == 0.0:
        return _constant(mean)
    return {"name": "random_normal", "mean": mean, "stddev": std}


def _trunc_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0):
    # truncated_normal is the one interval [mean - 2 std, mean + 2 std]
    if std > 0 and (a - mean) / std == -2.0 and (b - mean) / std == 2.0:
        return {"name": "truncated_normal", "mean": mean, "stddev": std}
    return None


# variance_scaling's (scale, mode, distribution) that the catalogue names
_PRESETS = {(1.0, "fan_avg", "uniform"): "glorot_uniform", (2.0, "fan_in", "uniform"): "he_uniform",
            (1.0, "fan_in", "uniform"): "lecun_uniform"}


def _scaled(shape, scale, mode, distribution, expected):
    """``variance_scaling`` on torch's fans, if it gives the distribution
    parameters ``expected`` (torch's, computed otherwise) to the last bit;
    else the explicit distribution. Keras's arithmetic and torch's round
    differently for some shapes: only the bits decide."""
    low, spread = expected
    explicit = _uniform(low, spread) if distribution == "uniform" else _normal(low, spread)
    if explicit["name"] == "constant":
        return explicit
    fan_in, fan_out = torch_fans(shape)
    # gain**2 as computed (relu: 2.0000000000000004), or the number it rounds (2.0)
    for candidate in dict.fromkeys((float(f"{scale:.12g}"), scale)):
        try:
            _, params = _variance_scaling_sampler(shape, candidate, mode, distribution, -2, -1,
                                                  (), fan_in, fan_out)
        except (TypeError, ValueError):
            continue
        if (params[0], params[1]) == (low, spread):
            preset = _PRESETS.get((candidate, mode, distribution))
            return ({"name": preset} if preset else
                    {"name": "variance_scaling", "scale": candidate, "mode": mode,
                     "distribution": distribution}), {"fans": "torch"}
    return explicit


def _xavier(shape, gain, distribution):
    std = _xavier_std(shape, gain)
    if std is None:
        return {"name": "zeros"}
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return _scaled(shape, float(gain) ** 2, "fan_avg", distribution, (-bound, bound))
    return _scaled(shape, float(gain) ** 2, "fan_avg", distribution, (0.0, std))


def _kaiming(shape, a, mode, nonlinearity, distribution):
    if 0 in shape:
        return {"name": "zeros"}           # torch leaves it alone: nothing to write
    std = _kaiming_std(shape, a, mode, nonlinearity)
    scale = float(calculate_gain(nonlinearity, a)) ** 2
    mode = mode.lower()
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return _scaled(shape, scale, mode, distribution, (-bound, bound))
    return _scaled(shape, scale, mode, distribution, (0.0, std))


def _embedding(shape, padding_idx=None):
    if padding_idx is None:
        return _normal(0.0, 1.0)
    return _normal(0.0, 1.0), {"padding_idx": int(padding_idx) % shape[0]}


# Each weightinit.torch fill: how its bound arguments become a spec's init (None: not one).
_INITS = {
    uniform_: lambda shape, a=0.0, b=1.0: _uniform(float(a), float(b)),
    normal_: lambda shape, mean=0.0, std=1.0: _normal(float(mean), float(std)),
    trunc_normal_: _trunc_normal,
    constant_: lambda shape, val: _constant(val),
    ones_: lambda shape: {"name": "ones"},
    zeros_: lambda shape: {"name": "zeros"},
    xavier_uniform_: lambda shape, gain=1.0: _xavier(shape, gain, "uniform"),
    xavier_normal_: lambda shape, gain=1.0: _xavier(shape, gain, "untruncated_normal"),
    kaiming_uniform_: lambda shape, a=0, mode="fan_in", nonlinearity="leaky_relu": _kaiming(
        shape, a, mode, nonlinearity, "uniform"),
    kaiming_normal_: lambda shape, a=0, mode="fan_in", nonlinearity="leaky_relu": _kaiming(
        shape, a, mode, nonlinearity, "untruncated_normal"),
    embedding_normal_: _embedding,
}


def _unwrap(fill, args, kwargs):
    """``(function, args, kwargs)`` with nested ``functools.partial`` flattened."""
    while isinstance(fill, functools.partial):
        args = fill.args + tuple(args)
        kwargs = {**fill.keywords, **kwargs}
        fill = fill.func
    return fill, tuple(args), dict(kwargs)


def _label(fn, args, kwargs) -> str:
    name = getattr(fn, "__qualname__", type(fn).__name__)
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def dtype_name(dtype, name: str) -> str:
    """A torch dtype as a spec's dtype; ValueError naming the tensor otherwise."""
    text = str(dtype).replace("torch.", "")
    if text not in SPEC_DTYPES:
        raise ValueError(f"{name} is {text}: a safetensors spec holds {', '.join(SPEC_DTYPES)} "
                         "tensors only")
    return text


def fill_spec(fill, args, kwargs, shape, dtype: str, name: str) -> dict:
    """The spec ``{"shape", "dtype", "init"}`` whose values equal
    ``fill(tensor, *args, seed=s, stream=name, **kwargs)`` on a tensor of
    ``shape`` and ``dtype``, for every seed ``s``.

    Raises ValueError naming ``name`` when no spec gives those values.

    Examples
    --------
    >>> import math
    >>> from weightinit.torch import kaiming_uniform_
    >>> spec = fill_spec(kaiming_uniform_, (), {"a": math.sqrt(5)}, (4, 16), "float32", "w")
    >>> spec["init"]["name"], spec["init"]["maxval"]
    ('random_uniform', 0.25)
    """
    fn, args, kwargs = _unwrap(fill, args, kwargs)
    maker = _INITS.get(fn) if callable(fn) else None
    if maker is None:
        raise ValueError(f"{name}: its fill {_label(fn, args, kwargs)} cannot be written as a "
                         "spec (only the element-wise weightinit.torch functions can: uniform_, "
                         "normal_, trunc_normal_ within 2 std, constant_, ones_, zeros_, xavier_*, "
                         "kaiming_*); give it a rule with one of them")
    try:
        bound = inspect.signature(fn).bind(None, *args, **kwargs)
    except TypeError as err:
        raise ValueError(f"{name}: {_label(fn, args, kwargs)}: {err}") from None
    bound.apply_defaults()
    params = {k: v for k, v in bound.arguments.items() if k not in _EXTRAS}
    if bound.arguments.get("generator") is not None:
        raise ValueError(f"{name}: its fill takes generator=, whose stream is not the tensor's "
                         "name; a spec cannot express it")
    params = {k: _number(v) for k, v in params.items()}
    try:
        init = maker(tuple(shape), **params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: {_label(fn, args, kwargs)}: {err}") from None
    if init is None:
        raise ValueError(f"{name}: its fill {_label(fn, args, kwargs)} is not one initializer "
                         "over the whole tensor, so it cannot be written as a spec")
    spec = {"shape": [int(n) for n in shape], "dtype": dtype}
    if isinstance(init, tuple):            # (init, other spec fields: fans, padding_idx)
        init, fields = init
        spec.update(fields)
    spec["init"] = init
    return spec
