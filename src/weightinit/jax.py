"""``jax.nn.initializers`` on the weightinit stream: JAX's names, arguments,
defaults and fan rules; values from weightinit's C core.

Each factory returns ``init(key, shape, dtype=None, out_sharding=None)``, as
its JAX namesake does, so it drops into Flax or any code written for
``jax.nn.initializers``::

    import flax.linen as nn, weightinit.jax as wi_jax
    nn.Dense(128, kernel_init=wi_jax.glorot_uniform())

This module is a thin front end: every initializer maps to a function of the
catalogue (:mod:`weightinit.initializers`) which checks the arguments and
fills the array. Importing :mod:`weightinit` does not import jax; importing
this module does.

The key decides the values
--------------------------
``key`` is a single JAX PRNG key: a typed key (``jax.random.key(0)``, of an
impl whose data is 2 or 4 uint32 words: threefry2x32, rbg, unsafe_rbg) or a
raw key (``jax.random.PRNGKey(0)``, uint32[2], or uint32[4] for the rbg
impls). With ``w`` the key's data words (``jax.random.key_data(key)``):

* ``seed = w[0] | w[1] << 32`` (so the Philox key is the threefry key's two
  words), and
* ``stream = 0`` for 2 words, ``w[2] | w[3] << 32`` for 4 words,

and ``init(key, shape, dtype)`` equals the catalogue function with that
``seed`` and ``stream``, bit for bit (:func:`seed_from_key`). The same key
gives the same values; ``jax.random.key(n)`` and ``jax.random.PRNGKey(n)``
hold the same words and give the same values; keys from
``jax.random.split`` or ``fold_in`` have other words, hence other values.

Under ``jax.jit``
-----------------
The values are made on the host, by the C core, not by XLA. Called with a
concrete key the array is filled at once and handed to JAX without a copy
(CPU backend). Called while tracing (``jax.jit``, ``jax.vmap``,
``jax.eval_shape``, ``jax.jit(model.init)`` in Flax) with a traced key, the
fill runs through ``jax.pure_callback`` when the compiled function runs,
with the same values as an eager call with that key; the arguments are
checked at trace time, so bad input raises there, as in JAX. A ``vmap``
over keys fills once per key. A concrete key inside a jitted function
(closed over, not an argument) fills at trace time and the array becomes a
constant of the compiled function. ``zeros``, ``ones`` and ``constant``
ignore the key, as JAX's do (under tracing XLA fills them).

Differences from jax.nn.initializers
------------------------------------
* Other values (another generator), the same distributions; 16-bit results
  are the float32 samples rounded (JAX samples in 16-bit arithmetic).
* Real dtypes only: a complex dtype raises TypeError.
* Bad parameters raise instead of giving degenerate arrays: ``scale``,
  ``stddev`` <= 0, ``lower >= upper``, axes out of range or shared.
* A shape with a zero dimension gives an empty array (JAX's variance
  scaling divides by zero there); 16-bit ``orthogonal`` works (JAX has no
  16-bit QR on the CPU).
* ``distribution="untruncated_normal"`` is accepted as JAX's ``"normal"``
  (JAX's "normal" is untruncated, Keras's is truncated).
* ``out_sharding`` is None or a ``jax.sharding.Sharding``; a bare
  ``PartitionSpec`` is refused. Each shard is generated on its own.
* ``orthogonal`` runs its QR in float64 on the host.
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError('weightinit.jax needs jax: pip install jax (or pip install -e '
                      '".[test,interop]" in a checkout)') from err

from . import initializers as _wi
from ._checks import normalize_shape
from ._fans import _axes, check_jax_rank
from .generator import Generator
from ._types import DTypeLike

__all__ = ["Initializer", "seed_from_key", "variance_scaling", "glorot_uniform",
           "glorot_normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal",
           "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal", "uniform",
           "normal", "truncated_normal", "orthogonal", "delta_orthogonal", "constant",
           "zeros", "ones"]

#: JAX's protocol of ``init(key, shape, dtype=None, out_sharding=None)``.
Initializer = jax.nn.initializers.Initializer

Axes = int | Sequence[int]
#: ``draw(shape, *, seed, stream, dtype, out=None, region=None) -> np.ndarray``:
#: a catalogue function with its own parameters bound.
Draw = Callable[..., np.ndarray]


class Preset(Protocol):
    """The signature of the variance-scaling presets (``he_normal`` ...)."""

    __name__: str

    def __call__(self, in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                 dtype: DTypeLike = None) -> Initializer: ...

#: JAX's distribution names, as the catalogue's (JAX's "normal" is untruncated).
_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal",
                  "uniform": "uniform", "untruncated_normal": "untruncated_normal"}

#: XLA's CPU client adopts a host buffer aligned to 64 bytes instead of copying it.
_ALIGN = 64
_NOTHING = (slice(0, 0),)      # an empty region: checks the arguments, fills nothing

_KEY_HELP = ("key must be a JAX PRNG key: jax.random.key(seed) (impl threefry2x32, rbg or "
             "unsafe_rbg) or a raw uint32[2] key from jax.random.PRNGKey(seed)")


# -- keys ----------------------------------------------------------------------

def _key_words(key):
    """The key's uint32 data words, 2 or 4 of them (a tracer under jit)."""
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise TypeError(f"key must be a single PRNG key; got a key array of shape "
                            f"{key.shape} (use jax.vmap to map over keys)")
        words = jax.random.key_data(key)
    elif isinstance(key, (jax.Array, np.ndarray)):
        words = key
    else:
        raise TypeError(f"{_KEY_HELP}; got {type(key).__name__}")
    if words.dtype != np.uint32 or words.shape not in ((2,), (4,)):
        raise TypeError(f"{_KEY_HELP}; got key data of dtype {words.dtype} and shape "
                        f"{words.shape} (2 or 4 uint32 words are supported)")
    return words


def _seed_stream(words) -> tuple[int, int]:
    w = [int(x) for x in np.asarray(words)]
    return w[0] | w[1] << 32, (w[2] | w[3] << 32) if len(w) == 4 else 0


def seed_from_key(key: Any) -> tuple[int, int]:
    """The weightinit ``(seed, stream)`` of a JAX PRNG key.

    ``seed = w[0] | w[1] << 32`` and ``stream = 0`` for a key of two uint32
    data words ``w`` (threefry2x32, the default), ``stream = w[2] | w[3] <<
    32`` for four (rbg, unsafe_rbg). Every initializer of this module gives,
    for ``key``, the values of the catalogue function with this seed and
    stream.

    Parameters
    ----------
    key : jax.Array
        A typed key (``jax.random.key``) or a raw uint32[2] or uint32[4]
        key (``jax.random.PRNGKey``), concrete (not traced).

    Returns
    -------
    (seed, stream) : tuple of int

    Raises
    ------
    TypeError
        For anything else, a batch of keys, or a traced key.

    Examples
    --------
    >>> import jax, numpy as np, weightinit as wi, weightinit.jax as wi_jax
    >>> wi_jax.seed_from_key(jax.random.key(42))        # data words [0, 42]
    (180388626432, 0)
    >>> wi_jax.seed_from_key(jax.random.PRNGKey(42)) == wi_jax.seed_from_key(jax.random.key(42))
    True
    >>> key = jax.random.key(7)
    >>> seed, stream = wi_jax.seed_from_key(key)
    >>> w = wi_jax.he_normal()(key, (64, 32))
    >>> bool((np.asarray(w) == wi.he_normal((64, 32), seed=seed, stream=stream)).all())
    True
    """
    words = _key_words(key)
    if isinstance(words, jax.core.Tracer):
        raise TypeError("seed_from_key needs a concrete key; got a traced one (inside jit "
                        "the initializers take the key's words through jax.pure_callback)")
    return _seed_stream(words)


# -- dtypes, numbers, buffers ----------------------------------------------------

def _dtype(dtype) -> np.dtype:
    """``dtype`` as JAX would make it: None is JAX's default float (float32, or
    float64 with ``jax_enable_x64``), 64-bit types narrow without x64 (with
    JAX's warning); complex is refused. The catalogue checks the rest."""
    if dtype is None:
        return np.dtype(jax.dtypes.canonicalize_dtype(float))
    try:
        requested = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy or JAX dtype (float32, float64, float16, "
                        f"bfloat16); got {dtype!r}") from None
    if requested.kind == "c":
        raise TypeError(f"dtype must be real: weightinit.jax makes float32, float64, float16 "
                        f"and bfloat16 arrays; got {requested.name} (use "
                        "jax.nn.initializers for complex weights)")
    canonical = np.dtype(jax.dtypes.canonicalize_dtype(requested))
    if canonical != requested:
        warnings.warn(f"Explicitly requested dtype {requested.name} is not available, and "
                      f"will be truncated to dtype {canonical.name}. To enable more dtypes, "
                      "set the jax_enable_x64 configuration option or the JAX_ENABLE_X64 "
                      "shell environment variable.", UserWarning, stacklevel=3)
    return canonical


def _number(value):
    """JAX takes 0-d arrays for numbers (``uniform(jnp.array(1.0))``): their
    value; the catalogue checks it."""
    if isinstance(value, (jax.Array, np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def _aligned_empty(shape, dtype: np.dtype) -> np.ndarray:
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    start = -raw.ctypes.data % _ALIGN
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _host_fill(draw: Draw, shape, dtype, words) -> np.ndarray:
    seed, stream = _seed_stream(words)
    return draw(shape, seed=seed, stream=stream, dtype=dtype, out=_aligned_empty(shape, dtype))


# -- the one call path -------------------------------------------------------------

def _initializer(draw: Draw, default_dtype: DTypeLike, name: str, doc: str,
                 uses_key: bool = True) -> Initializer:
    """JAX's ``init(key, shape, dtype, out_sharding)`` around ``draw``."""

    def init(key: Any, shape: Any, dtype: DTypeLike = default_dtype,
             out_sharding: jax.sharding.Sharding | None = None) -> jax.Array:
        shape = normalize_shape(shape)
        dtype = _dtype(dtype)
        if out_sharding is not None and not isinstance(out_sharding, jax.sharding.Sharding):
            raise TypeError("out_sharding must be None or a jax.sharding.Sharding (for a "
                            "PartitionSpec use jax.sharding.NamedSharding(mesh, spec)); got "
                            f"{type(out_sharding).__name__}")
        if uses_key:
            words = _key_words(key)
            traced = isinstance(words, jax.core.Tracer)
        else:
            words, traced = np.zeros(2, np.uint32), isinstance(key, jax.core.Tracer)
        if traced:
            # check now, at trace time; fill when the compiled function runs
            draw(shape, seed=0, stream=0, dtype=dtype, region=_NOTHING if shape else None)
            if uses_key:
                result = jax.pure_callback(functools.partial(_host_fill, draw, shape, dtype),
                                           jax.ShapeDtypeStruct(shape, dtype), words,
                                           vmap_method="sequential")
            else:   # a constant: XLA fills it, with the catalogue's value in dtype
                result = jnp.full(shape, draw((), seed=0, stream=0, dtype=dtype), dtype)
            return result if out_sharding is None else jax.device_put(result, out_sharding)
        if out_sharding is None:
            return jax.device_put(_host_fill(draw, shape, dtype, words))
        seed, stream = _seed_stream(words)
        return jax.make_array_from_callback(
            shape, out_sharding, lambda region: draw(shape, seed=seed, stream=stream,
                                                     dtype=dtype, region=region), dtype=dtype)

    init.__name__ = init.__qualname__ = name
    init.__module__ = __name__
    init.__doc__ = doc
    return init


_INIT_DOC = """\
    ``{name}``: ``init(key, shape, dtype={dtype}, out_sharding=None) -> jax.Array``.

    ``key`` gives the seed and stream (:func:`weightinit.jax.seed_from_key`);
    the values are those of {equals}."""

_RETURNS = """\
    Returns
    -------
    init : callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
        ``key``: a JAX PRNG key, which gives the seed and stream
        (:func:`seed_from_key`); ``shape``: a tuple of ints; ``dtype``:
        float32, float64 (with ``jax_enable_x64``), float16 or bfloat16,
        None for JAX's default float; ``out_sharding``: None or a
        ``jax.sharding.Sharding``, each shard generated on its own."""

_RAISES = """\
    Raises
    ------
    TypeError, ValueError
        From ``init``, for a bad key, shape, dtype or parameter, each named
        in the message (at trace time under ``jax.jit``)."""


def _doc(text: str, **fields) -> str:
    """``text`` with ``{RETURNS}``, ``{RAISES}`` and ``{field}`` filled in."""
    fields = dict(RETURNS=_RETURNS, RAISES=_RAISES, **fields)
    for key, value in fields.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _documented(fn):
    fn.__doc__ = _doc(fn.__doc__)
    return fn


# -- variance scaling --------------------------------------------------------------

@_documented
def variance_scaling(scale: float, mode: Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"],
                     distribution: Literal["truncated_normal", "normal", "uniform",
                                           "untruncated_normal"],
                     in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                     dtype: DTypeLike = None) -> Initializer:
    """Samples of variance ``scale / n``, as ``jax.nn.initializers.variance_scaling``.

    Parameters
    ----------
    scale : float
        Positive scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
        ``n`` is the fan-in, the fan-out, their mean or their geometric mean.
    distribution : {"truncated_normal", "normal", "uniform", "untruncated_normal"}
        JAX's meanings: "truncated_normal" is a normal truncated at two of
        its standard deviations and rescaled (by 1/0.87962566103423978) to
        have standard deviation ``sqrt(scale / n)``; "normal" is the
        *untruncated* normal with that standard deviation (in Keras
        "normal" means truncated); "uniform" is uniform on ``[-limit,
        limit)``, ``limit = sqrt(3 scale / n)``. "untruncated_normal"
        (Keras's name) is JAX's "normal".
    in_axis, out_axis : int or sequence of int, default -2 and -1
        Axes of the input and output units; the receptive field is the
        product of the axes in none of ``in_axis``, ``out_axis``,
        ``batch_axis``.
    batch_axis : int or sequence of int, default ()
        Axes counted in neither fan.
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}
    ValueError
        At once, for an unknown ``distribution``.

    Notes
    -----
    Fans are JAX's ``_compute_fans``: ``fan_in = prod(shape[in_axis]) *
    rf``, ``fan_out = prod(shape[out_axis]) * rf``. A shape of rank 0 or 1
    with the default ``in_axis`` raises ValueError, as in JAX (the Keras
    front end :func:`weightinit.variance_scaling` gives fans (1, 1) and
    (n, n) there); explicit axes work at every rank.

    ``init(key, shape, dtype)`` equals ``weightinit.variance_scaling(shape,
    scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
    batch_axis=batch_axis, seed=seed, stream=stream, dtype=dtype)`` with
    ``seed, stream = seed_from_key(key)`` and JAX's "normal" as
    "untruncated_normal".

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> init = wi_jax.variance_scaling(2.0, "fan_in", "uniform")
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(np.abs(w).max() < (3 * 2.0 / 256) ** 0.5)
    True
    >>> bool((init(jax.random.key(0), (256, 128)) == w).all())     # same key, same values
    True
    >>> bias = wi_jax.variance_scaling(1.0, "fan_in", "normal", in_axis=[], out_axis=[0])
    >>> bias(jax.random.key(1), (1000,)).shape
    (1000,)
    """
    try:
        catalogue_distribution = _DISTRIBUTIONS[distribution]
    except (KeyError, TypeError):
        raise ValueError("distribution must be one of 'truncated_normal', 'normal', "
                         f"'uniform', 'untruncated_normal'; got {distribution!r}") from None
    scale = _number(scale)

    def draw(shape, **kwargs):
        check_jax_rank(shape, in_axis)
        return _wi.variance_scaling(shape, scale, mode, catalogue_distribution,
                                    in_axis=in_axis, out_axis=out_axis,
                                    batch_axis=batch_axis, **kwargs)

    equals = (f"``weightinit.variance_scaling(shape, {scale!r}, {mode!r}, "
              f"{catalogue_distribution!r}, in_axis=..., out_axis=..., batch_axis=..., "
              "seed=seed, stream=stream)``")
    return _initializer(draw, dtype, "variance_scaling",
                        _INIT_DOC.format(name="variance_scaling", dtype=dtype, equals=equals))


_PRESET_DOC = """\
    {title} initializer, as ``jax.nn.initializers.{name}``.

    ``variance_scaling({scale}, "{mode}", "{distribution}", in_axis, out_axis,
    batch_axis, dtype)``: {formula}.

    Parameters
    ----------
    in_axis, out_axis : int or sequence of int, default -2 and -1
        Axes of the input and output units.
    batch_axis : int or sequence of int, default ()
        Axes counted in neither fan.
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}

    Notes
    -----
    ``init(key, shape, dtype)`` equals ``weightinit.{name}(shape,
    seed=seed, stream=stream, dtype=dtype, in_axis=..., out_axis=...,
    batch_axis=...)`` with ``seed, stream = seed_from_key(key)``, for shapes
    of rank >= 2 (rank 0 and 1 need explicit axes here, as in JAX).{alias}

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> w = wi_jax.{name}()(jax.random.key(0), (512, 256))
    >>> w.shape, w.dtype
    ((512, 256), dtype('float32'))
    >>> {check}
    True
    """


def _preset(name: str, scale: float, mode: Any, distribution: Any, title: str, formula: str,
            check: str, alias: str | None = None) -> Preset:
    def factory(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                dtype: DTypeLike = None) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, batch_axis=batch_axis, dtype=dtype)
    factory.__name__ = factory.__qualname__ = name
    factory.__module__ = __name__
    factory.__doc__ = _doc(
        _PRESET_DOC, title=title, name=name, scale=scale, mode=mode,
        distribution=distribution, formula=formula, check=check,
        alias=f"\n\n    ``{alias}`` is the same function." if alias else "")
    return factory


_TRUNC_MAX = "bool(np.abs(w).max() <= 2 * {var} ** 0.5 / 0.87962566103423978)"
glorot_uniform = _preset(
    "glorot_uniform", 1.0, "fan_avg", "uniform", "A Glorot (Xavier) uniform",
    "uniform on ``[-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``",
    "bool(np.abs(w).max() < (6 / (512 + 256)) ** 0.5)", "xavier_uniform")
glorot_normal = _preset(
    "glorot_normal", 1.0, "fan_avg", "truncated_normal", "A Glorot (Xavier) normal",
    "truncated normal of standard deviation ``sqrt(2 / (fan_in + fan_out))``",
    _TRUNC_MAX.format(var="(2 / (512 + 256))"), "xavier_normal")
he_uniform = _preset(
    "he_uniform", 2.0, "fan_in", "uniform", "A He (Kaiming) uniform",
    "uniform on ``[-limit, limit)``, ``limit = sqrt(6 / fan_in)``",
    "bool(np.abs(w).max() < (6 / 512) ** 0.5)", "kaiming_uniform")
he_normal = _preset(
    "he_normal", 2.0, "fan_in", "truncated_normal", "A He (Kaiming) normal",
    "truncated normal of standard deviation ``sqrt(2 / fan_in)``",
    _TRUNC_MAX.format(var="(2 / 512)"), "kaiming_normal")
lecun_uniform = _preset(
    "lecun_uniform", 1.0, "fan_in", "uniform", "A LeCun uniform",
    "uniform on ``[-limit, limit)``, ``limit = sqrt(3 / fan_in)``",
    "bool(np.abs(w).max() < (3 / 512) ** 0.5)")
lecun_normal = _preset(
    "lecun_normal", 1.0, "fan_in", "truncated_normal", "A LeCun normal",
    "truncated normal of standard deviation ``sqrt(1 / fan_in)``",
    _TRUNC_MAX.format(var="(1 / 512)"))
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


# -- plain distributions ---------------------------------------------------------

@_documented
def uniform(scale: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """Uniform samples on ``[0, scale)``, as ``jax.nn.initializers.uniform``.

    Parameters
    ----------
    scale : float, default 0.01
        The upper bound, > 0 (checked as ``maxval`` of the catalogue's
        ``random_uniform``).
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> w = wi_jax.uniform(10.0)(jax.random.key(42), (1000,))
    >>> bool((w >= 0).all() and (w < 10).all())
    True
    """
    draw = functools.partial(_wi.random_uniform, minval=0.0, maxval=_number(scale))
    return _initializer(draw, dtype, "uniform", _INIT_DOC.format(
        name="uniform", dtype=dtype,
        equals=f"``weightinit.random_uniform(shape, 0.0, {scale!r}, seed=seed, stream=stream)``"))


@_documented
def normal(stddev: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """Normal samples of mean 0, as ``jax.nn.initializers.normal``.

    Parameters
    ----------
    stddev : float, default 0.01
        The standard deviation, > 0.
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}

    Examples
    --------
    >>> import jax, weightinit.jax as wi_jax
    >>> w = wi_jax.normal(5.0)(jax.random.key(42), (100_000,))
    >>> round(float(w.std()), 1)
    5.0
    """
    draw = functools.partial(_wi.random_normal, mean=0.0, stddev=_number(stddev))
    return _initializer(draw, dtype, "normal", _INIT_DOC.format(
        name="normal", dtype=dtype,
        equals=f"``weightinit.random_normal(shape, 0.0, {stddev!r}, seed=seed, stream=stream)``"))


@_documented
def truncated_normal(stddev: float = 1e-2, dtype: DTypeLike = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """Truncated normal samples, as ``jax.nn.initializers.truncated_normal``.

    Parameters
    ----------
    stddev : float, default 0.01
        The standard deviation of the normal *before* truncation, > 0 (no
        correction is applied, as in JAX).
    dtype : dtype, optional
        The default dtype of ``init``.
    lower, upper : float, default -2.0 and 2.0
        The bounds in standard deviations: samples lie between
        ``lower * stddev`` and ``upper * stddev``.

{RETURNS}

{RAISES}
        The checks are the Generator's, whose ``scale`` is ``stddev`` and
        whose ``a`` and ``b`` are ``lower`` and ``upper``.

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> w = wi_jax.truncated_normal(5.0, lower=-1.0, upper=3.0)(jax.random.key(0), (1000,))
    >>> bool((w >= -5.0).all() and (w <= 15.0).all())
    True
    """
    stddev, lower, upper = _number(stddev), _number(lower), _number(upper)

    def draw(shape, *, seed, stream, dtype, out=None, region=None):
        return Generator(seed, stream).truncated_normal(0.0, stddev, lower, upper, size=shape,
                                                        dtype=dtype, out=out, region=region)

    return _initializer(draw, dtype, "truncated_normal", _INIT_DOC.format(
        name="truncated_normal", dtype=dtype,
        equals=(f"``weightinit.Generator(seed, stream).truncated_normal(0.0, {stddev!r}, "
                f"{lower!r}, {upper!r}, size=shape)``")))


# -- orthogonal ------------------------------------------------------------------

def _column(column_axis, ndim: int) -> int:
    if isinstance(column_axis, (bool, np.bool_)) or not isinstance(column_axis, numbers.Integral):
        raise TypeError(f"column_axis must be an int; got {column_axis!r}")
    return _axes(column_axis, ndim, "column_axis")[0]


def _orthogonal_draw(scale, column_axis) -> Draw:
    def draw(shape, *, seed, stream, dtype, out=None, region=None):
        if len(shape) < 2:      # the catalogue's error (JAX's rule too)
            return _wi.orthogonal(shape, scale, seed=seed, stream=stream, dtype=dtype)
        column = _column(column_axis, len(shape))
        if column == len(shape) - 1:
            return _wi.orthogonal(shape, scale, seed=seed, stream=stream, dtype=dtype,
                                  out=out, region=region)
        # JAX: the matrix (prod(other axes), shape[column]), the columns moved into place
        moved = shape[:column] + shape[column + 1:] + (shape[column],)
        _, size, slices = _wi._region_slices(region, shape)
        if math.prod(size) == 0:    # checks only (as the catalogue does, no QR)
            _wi.orthogonal(moved, scale, seed=seed, stream=stream, dtype=dtype,
                           region=_NOTHING)
            return np.empty(size, dtype) if out is None else out
        full = np.moveaxis(_wi.orthogonal(moved, scale, seed=seed, stream=stream,
                                          dtype=dtype), -1, column)
        if out is None:
            return np.ascontiguousarray(full[slices])
        out[...] = full[slices]
        return out
    return draw


@_documented
def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = None) -> Initializer:
    """Uniformly distributed (Haar) orthogonal matrices, as
    ``jax.nn.initializers.orthogonal``.

    Parameters
    ----------
    scale : float, default 1.0
        Multiplies the matrix.
    column_axis : int, default -1
        The axis whose entries are the columns that are orthonormal: the
        array is the matrix ``(prod(other axes), shape[column_axis])``
        with that axis moved into place.
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}

    Notes
    -----
    With ``column_axis`` last, the values are ``weightinit.orthogonal(shape,
    scale, seed=seed, stream=stream)``: QR of a standard normal matrix from
    the stream, signs fixed by ``diag(R)``; with ``r < c`` the rows are
    orthonormal instead. A shape with a zero dimension gives an empty array.

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> q = wi_jax.orthogonal()(jax.random.key(0), (64, 32))
    >>> bool(np.allclose(q.T @ q, np.eye(32), atol=1e-5))
    True
    >>> q = wi_jax.orthogonal(column_axis=0)(jax.random.key(0), (8, 4, 5))
    >>> m = np.moveaxis(np.asarray(q), 0, -1).reshape(20, 8)
    >>> bool(np.allclose(m.T @ m, np.eye(8), atol=1e-5))
    True
    """
    scale = _number(scale)
    return _initializer(_orthogonal_draw(scale, column_axis), dtype, "orthogonal",
                        _INIT_DOC.format(name="orthogonal", dtype=dtype, equals=(
                            f"``weightinit.orthogonal(shape, {scale!r}, seed=seed, "
                            f"stream=stream)`` with column_axis={column_axis!r} moved")))


@_documented
def delta_orthogonal(scale: float = 1.0, column_axis: int = -1,
                     dtype: DTypeLike = None) -> Initializer:
    """Delta-orthogonal convolution kernels, as ``jax.nn.initializers.delta_orthogonal``.

    Parameters
    ----------
    scale : float, default 1.0
        Multiplies the orthogonal matrix.
    column_axis : int, default -1
        As :func:`orthogonal`, for the ``(in, out)`` matrix.
    dtype : dtype, optional
        The default dtype of ``init``.

{RETURNS}

{RAISES}
    ValueError
        From ``init``, as JAX: for a shape not of rank 3, 4 or 5, or with
        ``shape[-1] < shape[-2]`` (fan-in above fan-out).

    Notes
    -----
    Zeros, except at the spatial center ``((k - 1) // 2, ...)`` of the
    kernel ``(*spatial, in, out)``, which holds ``orthogonal(scale,
    column_axis)`` of shape ``(in, out)`` for the same key (Xiao et al.,
    "Dynamical isometry and a mean field theory of CNNs", ICML 2018).

    Examples
    --------
    >>> import jax, numpy as np, weightinit.jax as wi_jax
    >>> key = jax.random.key(0)
    >>> w = np.asarray(wi_jax.delta_orthogonal()(key, (3, 3, 16, 32)))
    >>> bool((w[1, 1] == np.asarray(wi_jax.orthogonal()(key, (16, 32)))).all())
    True
    >>> float(np.abs(w).sum() - np.abs(w[1, 1]).sum())
    0.0
    """
    center_draw = _orthogonal_draw(_number(scale), column_axis)

    def draw(shape, *, seed, stream, dtype, out=None, region=None):
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape; "
                             f"got {shape}")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`; got shape "
                             f"{shape} (fan_in {shape[-2]} > fan_out {shape[-1]})")
        _, size, slices = _wi._region_slices(region, shape)
        matrix = center_draw(shape[-2:], seed=seed, stream=stream, dtype=dtype,
                             region=None if math.prod(size) else _NOTHING)
        full = _wi.zeros(shape, dtype=dtype, out=out if region is None else None)
        if math.prod(size):
            full[tuple((k - 1) // 2 for k in shape[:-2])] = matrix
        if region is None:
            return full
        if out is None:
            return np.ascontiguousarray(full[slices])
        out[...] = full[slices]
        return out

    return _initializer(draw, dtype, "delta_orthogonal", _INIT_DOC.format(
        name="delta_orthogonal", dtype=dtype,
        equals="zeros with ``orthogonal(scale, column_axis)(key, shape[-2:])`` at the center"))


# -- constants ---------------------------------------------------------------------

@_documented
def constant(value: Any, dtype: DTypeLike = None) -> Initializer:
    """Arrays full of ``value``, as ``jax.nn.initializers.constant``.

    Parameters
    ----------
    value : real number or 0-d array
        The value, cast to the dtype (16-bit floats through float32).
    dtype : dtype, optional
        The default dtype of ``init``; integer and bool dtypes work too.

{RETURNS}

{RAISES}

    Examples
    --------
    >>> import jax, weightinit.jax as wi_jax
    >>> wi_jax.constant(-7)(jax.random.key(42), (2, 3))
    Array([[-7., -7., -7.],
           [-7., -7., -7.]], dtype=float32)
    """
    draw = functools.partial(_wi.constant, value=_number(value))
    return _initializer(draw, dtype, "constant", _INIT_DOC.format(
        name="constant", dtype=dtype, equals=f"``weightinit.constant(shape, {value!r})``"),
        uses_key=False)


zeros = _initializer(_wi.zeros, None, "zeros", """\
    Zeros, as ``jax.nn.initializers.zeros``: ``zeros(key, shape, dtype=None)``.

    The key is ignored. The values are ``weightinit.zeros(shape, dtype=dtype)``;
    ``dtype`` None is JAX's default float; integer and bool dtypes work too.

    Examples
    --------
    >>> import jax, weightinit.jax as wi_jax
    >>> wi_jax.zeros(jax.random.key(42), (2, 3))
    Array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """, uses_key=False)

ones = _initializer(_wi.ones, None, "ones", """\
    Ones, as ``jax.nn.initializers.ones``: ``ones(key, shape, dtype=None)``.

    The key is ignored. The values are ``weightinit.ones(shape, dtype=dtype)``;
    ``dtype`` None is JAX's default float; integer and bool dtypes work too.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, weightinit.jax as wi_jax
    >>> wi_jax.ones(jax.random.key(42), (3, 2), jnp.float32)
    Array([[1., 1.],
           [1., 1.],
           [1., 1.]], dtype=float32)
    """, uses_key=False)
