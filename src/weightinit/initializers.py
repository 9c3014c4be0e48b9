"""The Keras/JAX initializer catalogue: functions and classes.

Every function takes the weight ``shape`` first, then keywords: its own
parameters with Keras's names and defaults, and ``seed``, ``stream``,
``dtype``, ``out``, ``region``, ``threads``. Every random initializer samples
through the C core, so its values are a pure function of
``(seed, stream, element index)`` (docs/contract.md 2): ``region=`` returns exactly
``full[region]`` (fans always come from the global ``shape``) and float16 or
bfloat16 results equal the float32 result cast to that dtype, bit for bit.

One core, :func:`variance_scaling`, serves the Glorot, He and LeCun presets.
Each function has a class of the same name in CamelCase (``he_normal`` and
:class:`HeNormal`) that Keras accepts as ``kernel_initializer``, with a
``get_config``/``from_config`` round-trip; :func:`get` resolves a name, a
config or an instance, as ``keras.initializers.get``.
"""
from __future__ import annotations

import importlib
import inspect
import math
import numbers
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import _array_init, _constraints, _core, _fans, _fill, _keras_axes, _plan
from ._checks import scalar_of
from ._checks import (FLOAT_DTYPE_NAMES, check_memory, check_out, exact_value,
                      new_array, normalize_region, normalize_shape, resolve_dtype)
from ._fans import MODES, compute_fans, fan_denominator
from ._stream import key_from_seed, stream_id
from ._catalogue import CATALOGUE, CLASS_NAMES, DISTRIBUTIONS, ENTRIES, FUNCTION_NAMES
from ._threads import resolve_threads
from ._types import (Array, AxesLike, DTypeLike, FanLike, PresetFunction, RegionLike,
                     SeedLike, ShapeLike, StreamLike, ThreadsLike)

if TYPE_CHECKING:
    from typing_extensions import Self

# The names come from the catalogue (docs/contract.md 4), declared once.
__all__ = [*FUNCTION_NAMES, *CLASS_NAMES, "get"]

#: Keras's and JAX's correction: the standard deviation of a standard normal
#: truncated to [-2, 2], so that a truncated sample has the requested std.
TRUNCATION_CORRECTION = 0.87962566103423978


_F16 = ("float16", "bfloat16")


def _quoted(values) -> str:
    return ", ".join(repr(v) for v in values)


# -- validation (everything runs before any write) ---------------------------

def _declared(function: str, name: str, value):
    """``value`` of ``function``'s parameter ``name``, checked against the
    constraint the catalogue declares for it (docs/contract.md 4)."""
    constraint = next(p.constraint for p in ENTRIES[function].params if p.name == name)
    return _constraints.check(value, name, constraint)


def _check_mode(mode) -> str:
    return _declared("variance_scaling", "mode", mode)


def _check_distribution(distribution) -> str:
    """The distribution's canonical name; "normal" means truncated, as Keras."""
    name = distribution.lower() if isinstance(distribution, str) else distribution
    if name not in DISTRIBUTIONS:   # then neither is distribution: the declared message
        _declared("variance_scaling", "distribution", distribution)
    return "truncated_normal" if name == "normal" else name


def _resolve_out_dtype(dtype, out) -> np.dtype:
    """``dtype``; None means ``out``'s dtype if it is a supported one, else float32."""
    if dtype is None and isinstance(out, np.ndarray) and out.dtype.name in FLOAT_DTYPE_NAMES:
        return out.dtype
    return resolve_dtype(dtype)


def _check_seed_stream(seed, stream):
    """``(key, stream number)``; raises for a bad seed or stream."""
    return key_from_seed(seed), stream_id(stream)


def _plan_of(dist, shape, params, seed, stream, dtype, out,
             bounds="minval and maxval") -> _plan.Plan:
    """The plan of the catalogue's samplers: seed, stream and dtype checked
    (in that order), then the dtype-dependent checks of :func:`_plan.make`."""
    key, sid = _check_seed_stream(seed, stream)
    return _plan.make(dist, shape, _resolve_out_dtype(dtype, out), key, sid, params,
                      bounds=bounds)


def _variance_scaling_sampler(shape, scale, mode, distribution, in_axis, out_axis,
                              batch_axis, fan_in, fan_out):
    """``(core distribution, params)`` of variance scaling for a global shape.

    The arithmetic is Keras's, operation for operation, so bounds and
    standard deviations are the same floats.
    """
    scale = _declared("variance_scaling", "scale", scale)
    mode = _check_mode(mode)
    distribution = _check_distribution(distribution)
    fi, fo = compute_fans(shape, in_axis, out_axis, batch_axis, fan_in=fan_in, fan_out=fan_out)
    given = scale
    scale /= fan_denominator(mode, fi, fo)
    if distribution == "truncated_normal":
        spread = math.sqrt(scale) / TRUNCATION_CORRECTION
        params = (_fill.TRUNCNORM, (0.0, spread, -2.0, 2.0))
    elif distribution == "untruncated_normal":
        spread = math.sqrt(scale)
        params = (_fill.NORMAL, (0.0, spread, 0.0, 0.0))
    else:
        spread = math.sqrt(3.0 * scale)
        params = (_fill.UNIFORM, (-spread, spread, 0.0, 0.0))
    if spread == 0.0:   # scale > 0, but scale / fan underflowed
        raise ValueError(f"scale is too small: with {mode} = {fan_denominator(mode, fi, fo)} "
                         f"the {'limit' if distribution == 'uniform' else 'standard deviation'}"
                         f" of scale={given!r} underflows to 0")
    return params


# -- documentation shared by the functions -----------------------------------

_COMMON_PARAMETERS = """\
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence, keyword-only
        The Philox key; None draws one from OS entropy (a new one per call).
    stream : int in [0, 2**64) or str, default 0, keyword-only
        Independent stream; name it after the parameter
        (``stream="encoder.0.q_proj"``) so each layer of a model has its own
        values from one seed. A str is hashed with SHA-256 (docs/contract.md 2).
    dtype : {"float32", "float64", "float16", "bfloat16"}, optional, keyword-only
        Default float32, or the dtype of ``out``. 16-bit results are the
        float32 samples rounded to nearest even.
    out : numpy.ndarray, optional, keyword-only
        C-contiguous, writeable, aligned, native-order array of the region's
        shape and of ``dtype`` (``np.memmap`` included), written and returned.
    region : slice or tuple of slices, optional, keyword-only
        The part of the global ``shape`` to generate (step 1). The result is
        ``full[region]`` bit for bit; fans come from ``shape``.
    threads : int, optional, keyword-only
        Threads for the fill; None uses :func:`weightinit.get_num_threads`.
        Results do not depend on it."""

_FAN_PARAMETERS = """\
    in_axis, out_axis : int or sequence of int, default -2 and -1, keyword-only
        Axes of the input and output units (JAX's names); the receptive
        field is the product of the other axes, so a Keras conv kernel
        ``(h, w, in, out)`` works as it is. With the default axes, rank 0
        has fans (1, 1) and rank 1 fans (n, n), as Keras; axes given
        explicitly are used at every rank (``in_axis=[], out_axis=[0]``
        on ``(n,)`` gives fans (1, n), as JAX).
    batch_axis : int or sequence of int, default (), keyword-only
        Axes counted in neither fan.
    fan_in, fan_out : number, optional, keyword-only
        Override the computed fans."""

_RETURNS = """\
    Returns
    -------
    numpy.ndarray
        The samples, of the region's shape (``out`` if given)."""

_RAISES = """\
    Raises
    ------
    TypeError, ValueError
        For a bad shape, region, dtype, seed, stream, out, thread count or
        parameter, each named in the message; nothing is written then."""

_REFERENCES = """\
    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers:
       Surpassing human-level performance on ImageNet classification",
       ICCV 2015.
    .. [3] Y. LeCun, L. Bottou, G. Orr and K.-R. Mueller, "Efficient
       BackProp", in Neural Networks: Tricks of the Trade, 1998.
    .. [4] J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel
       random numbers: as easy as 1, 2, 3", SC11, 2011."""


def _doc(text: str, **fields) -> str:
    """``text`` with ``{KEY}`` replaced by the shared sections and ``fields``."""
    fields = dict(COMMON=_COMMON_PARAMETERS, FANS=_FAN_PARAMETERS, RETURNS=_RETURNS,
                  RAISES=_RAISES, REFERENCES=_REFERENCES, **fields)
    for key, value in fields.items():
        text = text.replace("{" + key + "}", str(value))
    return text


# -- variance scaling and its presets -----------------------------------------

def variance_scaling(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", *, seed: SeedLike = None,
                     stream: StreamLike = 0, dtype: DTypeLike = None,
                     out: Array | None = None, region: RegionLike = None,
                     threads: ThreadsLike = None, in_axis: AxesLike = -2,
                     out_axis: AxesLike = -1, batch_axis: AxesLike = (),
                     fan_in: FanLike = None, fan_out: FanLike = None) -> Array:
    return _variance_scaling_plan(shape, scale, mode, distribution, seed, stream, dtype, out,
                                  in_axis, out_axis, batch_axis, fan_in,
                                  fan_out).fill(region, out, threads)


def _variance_scaling_plan(shape, scale=1.0, mode="fan_in", distribution="truncated_normal",
                           seed=None, stream=0, dtype=None, out=None, in_axis=-2, out_axis=-1,
                           batch_axis=(), fan_in=None, fan_out=None) -> _plan.Plan:
    shape = normalize_shape(shape)
    dist, params = _variance_scaling_sampler(shape, scale, mode, distribution, in_axis,
                                             out_axis, batch_axis, fan_in, fan_out)
    return _plan_of(dist, shape, params, seed, stream, dtype, out,
                    bounds="the uniform limits +-sqrt(3 * scale / n)")


variance_scaling.__doc__ = _doc("""\
    Samples whose variance is ``scale / n``, as ``keras.initializers.VarianceScaling``.

    Parameters
    ----------
    shape : int or tuple of int
        Global shape of the weight, Keras layout ``(..., in, out)``.
    scale : float, default 1.0
        Positive scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}, default "fan_in"
        Which ``n``: fan-in, fan-out, their mean or (JAX's) their geometric
        mean, and at least 1, as Keras.
    distribution : {"truncated_normal", "untruncated_normal", "normal", "uniform"}
        Default "truncated_normal"; "normal" means truncated, as in Keras.
{COMMON}
{FANS}

{RETURNS}

{RAISES}

    Notes
    -----
    With ``n = max(1, fan)`` for the mode:

    * truncated_normal: normal with ``stddev = sqrt(scale / n) /
      0.87962566103423978``, truncated to ``[-2 stddev, 2 stddev]``, so the
      samples have standard deviation ``sqrt(scale / n)`` (Keras, JAX);
    * untruncated_normal: normal with ``stddev = sqrt(scale / n)``;
    * uniform: uniform on ``[-limit, limit)`` with ``limit = sqrt(3 scale / n)``.

    The truncated normal uses one 32-bit word (float64: one 64-bit value)
    per element through the inverse CDF: no rejection, so any element can
    be computed on its own (docs/contract.md 2).

{REFERENCES}

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.variance_scaling((256, 128), scale=2.0, mode="fan_in",
    ...                         distribution="uniform", seed=0)
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(abs(w).max() < (3 * 2.0 / 256) ** 0.5)
    True
    >>> part = wi.variance_scaling((256, 128), seed=0, region=(slice(8, 16),))
    >>> bool((part == wi.variance_scaling((256, 128), seed=0)[8:16]).all())
    True
    """)


_PRESET_DOC = """\
    {title}, as ``keras.initializers.{cls}``.

    ``variance_scaling(shape, scale={scale}, mode="{mode}",
    distribution="{dist}")``: {formula}.

    Parameters
    ----------
    shape : int or tuple of int
        Global shape of the weight, Keras layout ``(..., in, out)``.
{COMMON}
{FANS}

{RETURNS}

{RAISES}

    Notes
    -----
    {notes}

    ``{alias}`` is the same function under {other}'s name.

{REFERENCES}

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.{name}((512, 256), seed=0, stream="dense.kernel")
    >>> w.shape, w.dtype
    ((512, 256), dtype('float32'))
    >>> {check}
    True
    >>> wi.{alias} is wi.{name}
    True
    """

_TRUNC_NOTE = ("Normal with the given ``stddev`` divided by 0.87962566103423978, "
               "truncated at two of its\n    standard deviations, so that the samples "
               "have standard deviation ``sqrt(scale / n)``.")
_UNIF_NOTE = ("Uniform on ``[-limit, limit)`` with ``limit = sqrt(3 scale / n)``, "
              "variance ``scale / n``.")


def _preset(name: str, scale: float, mode: str, distribution: str, cls: str, title: str,
            formula: str, alias: str, other: str, check: str, paper: int) -> PresetFunction:
    def fn(shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
           dtype: DTypeLike = None, out: Array | None = None, region: RegionLike = None,
           threads: ThreadsLike = None, in_axis: AxesLike = -2, out_axis: AxesLike = -1,
           batch_axis: AxesLike = (), fan_in: FanLike = None,
           fan_out: FanLike = None) -> Array:
        return _variance_scaling_plan(shape, scale, mode, distribution, seed, stream, dtype,
                                      out, in_axis, out_axis, batch_axis, fan_in,
                                      fan_out).fill(region, out, threads)
    def plan_of(shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
                dtype: DTypeLike = None, in_axis: AxesLike = -2, out_axis: AxesLike = -1,
                batch_axis: AxesLike = (), fan_in: FanLike = None,
                fan_out: FanLike = None) -> _plan.Plan:
        return _variance_scaling_plan(shape, scale, mode, distribution, seed, stream, dtype,
                                      None, in_axis, out_axis, batch_axis, fan_in, fan_out)
    fn._plan = plan_of  # type: ignore[attr-defined]
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    notes = (_UNIF_NOTE if distribution == "uniform" else _TRUNC_NOTE) + f" See [{paper}]."
    fn.__doc__ = _doc(_PRESET_DOC, title=title, cls=cls, scale=scale, mode=mode,
                      dist=distribution, formula=formula, notes=notes, alias=alias,
                      other=other, name=name, check=check)
    return cast(PresetFunction, fn)


glorot_uniform = _preset(
    "glorot_uniform", 1.0, "fan_avg", "uniform", "GlorotUniform",
    "Glorot (Xavier) uniform samples",
    "uniform on ``[-limit, limit)`` with ``limit = sqrt(6 / (fan_in + fan_out))``",
    "xavier_uniform", "PyTorch", "bool(abs(w).max() < (6 / (512 + 256)) ** 0.5)", 1)
glorot_normal = _preset(
    "glorot_normal", 1.0, "fan_avg", "truncated_normal", "GlorotNormal",
    "Glorot (Xavier) truncated normal samples",
    "standard deviation ``sqrt(2 / (fan_in + fan_out))`` after truncation at 2 stddev",
    "xavier_normal", "PyTorch",
    "bool(abs(w).max() <= 2 * (2 / (512 + 256)) ** 0.5 / 0.87962566103423978)", 1)
he_uniform = _preset(
    "he_uniform", 2.0, "fan_in", "uniform", "HeUniform", "He (Kaiming) uniform samples",
    "uniform on ``[-limit, limit)`` with ``limit = sqrt(6 / fan_in)``",
    "kaiming_uniform", "PyTorch", "bool(abs(w).max() < (6 / 512) ** 0.5)", 2)
he_normal = _preset(
    "he_normal", 2.0, "fan_in", "truncated_normal", "HeNormal",
    "He (Kaiming) truncated normal samples",
    "standard deviation ``sqrt(2 / fan_in)`` after truncation at 2 stddev",
    "kaiming_normal", "PyTorch",
    "bool(abs(w).max() <= 2 * (2 / 512) ** 0.5 / 0.87962566103423978)", 2)
lecun_uniform = _preset(
    "lecun_uniform", 1.0, "fan_in", "uniform", "LecunUniform", "LeCun uniform samples",
    "uniform on ``[-limit, limit)`` with ``limit = sqrt(3 / fan_in)``",
    "lecun_uniform", "Keras", "bool(abs(w).max() < (3 / 512) ** 0.5)", 3)
lecun_normal = _preset(
    "lecun_normal", 1.0, "fan_in", "truncated_normal", "LecunNormal",
    "LeCun truncated normal samples",
    "standard deviation ``sqrt(1 / fan_in)`` after truncation at 2 stddev",
    "lecun_normal", "Keras",
    "bool(abs(w).max() <= 2 * (1 / 512) ** 0.5 / 0.87962566103423978)", 3)
for _fn in (lecun_uniform, lecun_normal):   # no alias: drop that sentence
    _fn.__doc__ = _fn.__doc__.replace(
        f"    ``{_fn.__name__}`` is the same function under Keras's name.\n\n", "").replace(
        f"    >>> wi.{_fn.__name__} is wi.{_fn.__name__}\n    True\n", "")

#: PyTorch's names for the Glorot and He presets: the same objects.
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


# -- plain distributions ------------------------------------------------------

def _uniform_params(minval, maxval):
    low = _declared("random_uniform", "minval", minval)
    high = _declared("random_uniform", "maxval", maxval)
    if not low < high:
        raise ValueError(f"minval must be less than maxval; got minval={low}, maxval={high}")
    if not math.isfinite(high - low):
        raise ValueError("maxval - minval must be finite")
    return (low, high, 0.0, 0.0)


def random_uniform(shape: ShapeLike, minval: float = -0.05, maxval: float = 0.05, *,
                   seed: SeedLike = None, stream: StreamLike = 0, dtype: DTypeLike = None,
                   out: Array | None = None, region: RegionLike = None,
                   threads: ThreadsLike = None) -> Array:
    return _random_uniform_plan(shape, minval, maxval, seed, stream, dtype,
                                out).fill(region, out, threads)


def _random_uniform_plan(shape, minval=-0.05, maxval=0.05, seed=None, stream=0, dtype=None,
                         out=None) -> _plan.Plan:
    return _plan_of(_fill.UNIFORM, normalize_shape(shape), _uniform_params(minval, maxval),
                    seed, stream, dtype, out)


random_uniform.__doc__ = _doc("""\
    Uniform samples on ``[minval, maxval)``, as ``keras.initializers.RandomUniform``.

    Parameters
    ----------
    shape : int or tuple of int
        Global shape.
    minval, maxval : float, default -0.05 and 0.05
        Bounds, ``minval < maxval``.
{COMMON}

{RETURNS}

{RAISES}

    Notes
    -----
    ``minval + u * (maxval - minval)`` with ``u`` the element's uniform on
    [0, 1) (24 bits at float32 working precision, 53 at float64), kept
    below ``maxval``.

{REFERENCES}

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random_uniform((1000,), minval=0.0, maxval=2.0, seed=1)
    >>> bool((w >= 0).all() and (w < 2).all())
    True
    """)


def random_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 0.05, *,
                  seed: SeedLike = None, stream: StreamLike = 0, dtype: DTypeLike = None,
                  out: Array | None = None, region: RegionLike = None,
                  threads: ThreadsLike = None) -> Array:
    return _random_normal_plan(shape, mean, stddev, seed, stream, dtype,
                               out).fill(region, out, threads)


def _random_normal_plan(shape, mean=0.0, stddev=0.05, seed=None, stream=0, dtype=None,
                        out=None) -> _plan.Plan:
    params = (_declared("random_normal", "mean", mean),
              _declared("random_normal", "stddev", stddev), 0.0, 0.0)
    return _plan_of(_fill.NORMAL, normalize_shape(shape), params, seed, stream, dtype, out)


random_normal.__doc__ = _doc("""\
    Normal samples, as ``keras.initializers.RandomNormal``.

    Parameters
    ----------
    shape : int or tuple of int
        Global shape.
    mean : float, default 0.0
    stddev : float, default 0.05
        Positive standard deviation.
{COMMON}

{RETURNS}

{RAISES}

    Notes
    -----
    ``mean + stddev * z`` with ``z`` from Box-Muller on the element's own
    words (no rejection).

{REFERENCES}

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random_normal((100_000,), mean=1.0, stddev=0.5, seed=3)
    >>> round(float(w.mean()), 1), round(float(w.std()), 2)
    (1.0, 0.5)
    """)


def truncated_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 0.05, *,
                     seed: SeedLike = None, stream: StreamLike = 0, dtype: DTypeLike = None,
                     out: Array | None = None, region: RegionLike = None,
                     threads: ThreadsLike = None) -> Array:
    return _truncated_normal_plan(shape, mean, stddev, seed, stream, dtype,
                                  out).fill(region, out, threads)


def _truncated_normal_plan(shape, mean=0.0, stddev=0.05, seed=None, stream=0, dtype=None,
                           out=None) -> _plan.Plan:
    params = (_declared("truncated_normal", "mean", mean),
              _declared("truncated_normal", "stddev", stddev), -2.0, 2.0)
    return _plan_of(_fill.TRUNCNORM, normalize_shape(shape), params, seed, stream, dtype, out)


truncated_normal.__doc__ = _doc("""\
    Normal samples truncated at two standard deviations, as
    ``keras.initializers.TruncatedNormal``.

    Parameters
    ----------
    shape : int or tuple of int
        Global shape.
    mean : float, default 0.0
    stddev : float, default 0.05
        Positive standard deviation of the normal *before* truncation (as
        Keras); the samples' standard deviation is about ``0.88 stddev``.
{COMMON}

{RETURNS}

{RAISES}

    Notes
    -----
    Samples lie in ``[mean - 2 stddev, mean + 2 stddev]``. One word per
    element through the inverse normal CDF restricted to the interval: no
    redraws, so any element can be computed on its own.

{REFERENCES}

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.truncated_normal((10_000,), stddev=0.02, seed=0)
    >>> bool(abs(w).max() <= 0.04)
    True
    """)


# -- orthogonal ---------------------------------------------------------------

def _region_slices(region, shape):
    start, size = normalize_region(region, shape)
    return start, size, tuple(slice(s, s + n) for s, n in zip(start, size))


def orthonormal_q(a: np.ndarray) -> np.ndarray:
    """Q of the QR of a tall float64 matrix, its columns' signs fixed by
    ``sign(diag(R))`` (a zero counts as +1), as Keras, JAX and PyTorch do;
    shared by :func:`orthogonal` and ``weightinit.torch.orthogonal_``.

    >>> a = np.array([[-2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    >>> q = orthonormal_q(a)
    >>> bool(np.allclose(q.T @ q, np.eye(2)) and np.all(np.diagonal(q.T @ a) >= 0))
    True
    """
    q, r = np.linalg.qr(a)
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    return q


def orthogonal(shape: ShapeLike, gain: float = 1.0, *, seed: SeedLike = None,
               stream: StreamLike = 0, dtype: DTypeLike = None, out: Array | None = None,
               region: RegionLike = None, threads: ThreadsLike = None) -> Array:
    shape = normalize_shape(shape)
    if len(shape) < 2:
        raise ValueError("shape must have at least 2 dimensions for orthogonal; "
                         f"got {shape} of rank {len(shape)}")
    gain = _declared("orthogonal", "gain", gain)
    key, sid = _check_seed_stream(seed, stream)
    dtype = _resolve_out_dtype(dtype, out)
    _, size, slices = _region_slices(region, shape)
    if out is not None:
        check_out(out, size, dtype)
    nthreads = resolve_threads(threads)
    rows, cols = math.prod(shape[:-1]), shape[-1]
    # The whole matrix is built whatever the region: its normals, their
    # float64 copy, Q and the scaled result (R is min(rows, cols) square).
    # Checked for an empty region too, so that validating a spec refuses it.
    work_bytes = rows * cols * (4 if dtype.name != "float64" else 8) + 3 * rows * cols * 8
    check_memory(work_bytes, f"orthogonal of shape {shape} (its QR workspace)")
    if math.prod(size) == 0:            # nothing asked for: skip the QR
        return new_array(size, dtype) if out is None else out
    if rows * cols == 0:
        full = np.zeros(shape, np.float64)
    else:
        flat = (max(rows, cols), min(rows, cols))
        work = np.float64 if dtype.name == "float64" else np.float32
        a = _plan.make(_fill.NORMAL, flat, np.dtype(work), key, sid,
                       (0.0, 1.0, 0.0, 0.0)).fill(threads=nthreads)
        q = orthonormal_q(a.astype(np.float64, copy=False))
        if rows < cols:
            q = q.T
        full = (gain * q).reshape(shape)
    part = full[slices]
    if dtype.name in _F16:
        part = part.astype(np.float32)       # 16-bit == float32 result rounded
    if out is None:
        return part.astype(dtype)
    out[...] = part
    return out


orthogonal.__doc__ = _doc("""\
    An orthogonal matrix (times ``gain``), as ``keras.initializers.Orthogonal``.

    Parameters
    ----------
    shape : tuple of int
        Global shape, rank >= 2; flattened to
        ``(prod(shape[:-1]), shape[-1])`` as Keras.
    gain : float, default 1.0
        Multiplicative factor.
{COMMON}

{RETURNS}

{RAISES}

    Notes
    -----
    A standard normal matrix of shape ``(max(r, c), min(r, c))`` from the
    stream (float32 working precision, float64 for float64 output), its QR
    decomposition in float64, ``q *= sign(diag(R))`` so that ``q`` is Haar
    distributed (a zero diagonal entry counts as +1), transposed when
    ``r < c``, times ``gain``. The result has orthonormal columns (rows
    when ``r < c``).

    ``region=`` computes the whole matrix and returns ``full[region]``. The
    Gaussian matrix is bit-exact for every CPU; the QR is LAPACK's, so the
    last bits of the result may depend on the BLAS library.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to
       the nonlinear dynamics of learning in deep linear neural networks",
       ICLR 2014.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical
       compact groups", Notices of the AMS, 2007.
    .. [3] J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel
       random numbers: as easy as 1, 2, 3", SC11, 2011.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> q = wi.orthogonal((64, 32), seed=0, dtype="float64")
    >>> bool(np.allclose(q.T @ q, np.eye(32)))
    True
    >>> bool((wi.orthogonal((64, 32), seed=0, region=(slice(0, 8),))
    ...       == wi.orthogonal((64, 32), seed=0)[:8]).all())
    True
    """)


# -- constants ----------------------------------------------------------------

def _constant_dtype(dtype, out) -> np.dtype:
    """Floats as the random initializers, plus integer and bool dtypes."""
    if dtype is None and isinstance(out, np.ndarray):
        if out.dtype.name in FLOAT_DTYPE_NAMES or out.dtype.kind in "biu":
            return out.dtype          # check_out then names out for any other fault
        dtype = out.dtype
    try:
        return resolve_dtype(dtype)
    except TypeError:
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            resolved = None
        if resolved is not None and resolved.kind in "biu":
            return resolved
        raise


def _scalar(value, dtype: np.dtype):
    """``value`` in ``dtype``; 16-bit floats through float32, as the samples."""
    if dtype.name in _F16:
        return np.asarray(np.float32(value)).astype(dtype)[()]
    return np.asarray(value).astype(dtype)[()]


def _constant_fill(shape, value, seed, stream, dtype, out, region, threads, name):
    shape = normalize_shape(shape)
    _check_seed_stream(0 if seed is None else seed, stream)   # accepted, validated, unused
    dtype = _constant_dtype(dtype, out)
    _, size = normalize_region(region, shape)
    if out is not None:
        check_out(out, size, dtype)
    nthreads = resolve_threads(threads)
    exact_value(value, dtype, "value" if name == "constant" else name)
    with np.errstate(over="ignore", invalid="ignore"):
        item = _scalar(value, dtype)
    if out is None:
        out = new_array(size, dtype)
    if out.size:
        _core.fill_constant(out, item, nthreads)
    return out


def _real(value, name):
    """A real ``value`` as given (inf and NaN allowed, as np.full), but never an
    int the float types cannot hold: the catalogue's "real" constraint."""
    return _constraints.check(value, name, "real")


_CONSTANT_DOC = """\
    {summary}

    Parameters
    ----------
    shape : int or tuple of int
        Global shape.{extra}
    seed, stream : keyword-only
        Accepted (and validated) so that every initializer has the same
        signature; unused.
    dtype : dtype, optional, keyword-only
        float32 (default), float64, float16, bfloat16, or an integer or
        bool dtype; default the dtype of ``out`` if given.
    out : numpy.ndarray, optional, keyword-only
        Array of the region's shape and of ``dtype``, written and returned.
    region : slice or tuple of slices, optional, keyword-only
        The part of ``shape`` to produce; the result is ``full[region]``.
    threads : int, optional, keyword-only
        Threads for the fill.

{RETURNS}

{RAISES}

    Examples
    --------
{examples}"""


def zeros(shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
          dtype: DTypeLike = None, out: Array | None = None, region: RegionLike = None,
          threads: ThreadsLike = None) -> Array:
    return _constant_fill(shape, 0, seed, stream, dtype, out, region, threads, "zeros")


def ones(shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
         dtype: DTypeLike = None, out: Array | None = None, region: RegionLike = None,
         threads: ThreadsLike = None) -> Array:
    return _constant_fill(shape, 1, seed, stream, dtype, out, region, threads, "ones")


def constant(shape: ShapeLike, value: float = 0, *, seed: SeedLike = None,
             stream: StreamLike = 0, dtype: DTypeLike = None, out: Array | None = None,
             region: RegionLike = None, threads: ThreadsLike = None) -> Array:
    return _constant_fill(shape, _real(value, "value"), seed, stream, dtype, out, region,
                          threads, "constant")


zeros.__doc__ = _doc(_CONSTANT_DOC,
    summary="Zeros, as ``keras.initializers.Zeros``.", extra="", examples="""\
    >>> import weightinit as wi
    >>> wi.zeros((2, 3), dtype="float64")
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """)
ones.__doc__ = _doc(_CONSTANT_DOC,
    summary="Ones, as ``keras.initializers.Ones``.", extra="", examples="""\
    >>> import weightinit as wi
    >>> wi.ones(3)
    array([1., 1., 1.], dtype=float32)
    """)
constant.__doc__ = _doc(_CONSTANT_DOC,
    summary="A constant value, as ``keras.initializers.Constant``.", extra="""
    value : real number, default 0
        The value, cast to ``dtype`` (16-bit floats through float32).""", examples="""\
    >>> import weightinit as wi
    >>> wi.constant((2, 2), 0.5)
    array([[0.5, 0.5],
           [0.5, 0.5]], dtype=float32)
    """)


def identity(shape: ShapeLike, gain: float = 1.0, *, seed: SeedLike = None,
             stream: StreamLike = 0, dtype: DTypeLike = None, out: Array | None = None,
             region: RegionLike = None, threads: ThreadsLike = None) -> Array:
    shape = normalize_shape(shape)
    if len(shape) != 2:
        raise ValueError("shape must be 2-dimensional for identity; "
                         f"got {shape} of rank {len(shape)}")
    gain = exact_value(_real(gain, "gain"), _constant_dtype(dtype, out), "gain")
    result = _constant_fill(shape, 0, seed, stream, dtype, out, region, threads, "identity")
    (r0, c0), (nr, nc) = normalize_region(region, shape)
    diag = np.arange(max(r0, c0), min(r0 + nr, c0 + nc))
    with np.errstate(over="ignore", invalid="ignore"):
        result[diag - r0, diag - c0] = _scalar(gain, result.dtype)
    return result


identity.__doc__ = _doc(_CONSTANT_DOC,
    summary="``gain`` times the identity matrix, as ``keras.initializers.Identity``.",
    extra="""
        Must have 2 dimensions (a non-square shape gets ``gain`` on its main diagonal).
    gain : real number, default 1.0
        The diagonal value.""", examples="""\
    >>> import weightinit as wi
    >>> wi.identity((2, 3), gain=2.0)
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """)


# -- classes -------------------------------------------------------------------

class Initializer:
    """Base of the initializer classes: ``init(shape, dtype=None)``.

    Subclasses keep their constructor arguments as attributes of the same
    names; :meth:`get_config` returns them and :meth:`from_config` passes
    them back, so ``cls.from_config(init.get_config())`` gives an equal
    initializer, which (for an int seed) gives the same values.
    """

    _function: Callable[..., Array] | None = None   # the module-level function the class calls
    _params: tuple[str, ...] = ()                    # constructor arguments, in order

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None, *, out: Array | None = None,
                 region: RegionLike = None, threads: ThreadsLike = None) -> Array:
        """Values for ``shape``: ``dtype`` None gives float32 (or ``out``'s dtype).

        Keras calls ``init(shape, dtype="float32")``; ``out``, ``region``
        and ``threads`` are those of the functions.
        """
        function = type(self)._function
        assert function is not None      # every concrete class sets it
        return function(shape, dtype=dtype, out=out, region=region,
                                    threads=threads, **self._call_kwargs())

    def _call_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._params}

    def plan(self, shape: ShapeLike, dtype: DTypeLike = None) -> _plan.Plan:
        """The plan of ``self(shape, dtype)``: see :func:`plan` (elementwise
        initializers only; a ValueError for the others)."""
        function = type(self)._function
        assert function is not None
        return plan(function.__name__, shape, dtype=dtype, **self._call_kwargs())

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a dict of plain Python values."""
        return {name: getattr(self, name) for name in self._params}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """An initializer from :meth:`get_config`'s dict."""
        return cls(**_config_dict(config))

    def clone(self) -> Self:
        """An equal initializer, as Keras's ``Initializer.clone``."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


def _config_dict(config: Any) -> Mapping[str, Any]:
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict (as get_config returns); "
                        f"got {type(config).__name__}")
    return config


def _config_seed(seed):
    """A seed as kept in a config: None, or the int that gives the same key."""
    if seed is None:
        return None
    k0, k1 = key_from_seed(seed)
    return k0 | (k1 << 32)


def _config_axes(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    try:
        return [int(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v
                for v in value]
    except TypeError:
        return value


class _RandomInitializer(Initializer):
    """Keeps ``seed`` and ``stream``. An int seed gives the same values at
    every call; ``seed=None`` draws one seed at construction and uses it for
    every call, as Keras (the config keeps None, so ``from_config`` draws
    anew)."""

    def _init_seed(self, seed: SeedLike, stream: StreamLike) -> None:
        self.seed = _config_seed(seed)
        stream_id(stream)
        self.stream = stream
        self._seed = secrets.randbits(64) if self.seed is None else self.seed

    def _call_kwargs(self) -> dict[str, Any]:
        kwargs = super()._call_kwargs()
        kwargs["seed"] = self._seed
        return kwargs


def _keras_worded(check, args, words):
    """``check(*args)``, its ValueError opening with Keras's ``words``."""
    try:
        return check(*args)
    except ValueError as exc:
        raise ValueError(f"{words} {exc}") from None


class VarianceScaling(_RandomInitializer):
    """Variance-scaling initializer; see :func:`variance_scaling`.

    Parameters
    ----------
    scale, mode, distribution
        As :func:`variance_scaling` (Keras's names and defaults).
    seed : None, int or numpy.random.SeedSequence
        A SeedSequence is kept as the int seed with the same key.
    stream : int or str, default 0
    in_axis, out_axis, batch_axis, fan_in, fan_out : keyword-only
        As :func:`variance_scaling`.

    Examples
    --------
    >>> import weightinit as wi
    >>> init = wi.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=7)
    >>> w = init((64, 32), dtype="float32")
    >>> bool((w == init((64, 32))).all())          # an int seed: same values each call
    True
    >>> again = wi.VarianceScaling.from_config(init.get_config())
    >>> bool((again((64, 32)) == w).all())
    True
    """

    _function = staticmethod(variance_scaling)
    _params = ("scale", "mode", "distribution", "seed", "stream",
               "in_axis", "out_axis", "batch_axis", "fan_in", "fan_out")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: SeedLike = None,
                 stream: StreamLike = 0, *, in_axis: AxesLike = -2, out_axis: AxesLike = -1,
                 batch_axis: AxesLike = (), fan_in: FanLike = None, fan_out: FanLike = None,
                 input_axes: AxesLike | None = None,
                 output_axes: AxesLike | None = None) -> None:
        self.input_axes, self.output_axes = _keras_axes.check(input_axes, output_axes)
        # Keras's opening words, then ours: code matching Keras's messages still matches
        self.scale = _keras_worded(_declared, ("variance_scaling", "scale", scale),
                                   "Argument `scale` must be positive float.")
        self.mode = _keras_worded(_check_mode, (mode,), "Invalid `mode` argument:")
        self.distribution = _keras_worded(_check_distribution, (distribution,),
                                          "Invalid `distribution` argument:")
        self._init_seed(seed, stream)
        for value, name in ((in_axis, "in_axis"), (out_axis, "out_axis"),
                            (batch_axis, "batch_axis")):
            _fans._axes(value, _core.MAX_NDIM, name)        # types, early
        _fans._fan_override(fan_in, "fan_in")
        _fans._fan_override(fan_out, "fan_out")
        self.in_axis = _config_axes(in_axis)
        self.out_axis = _config_axes(out_axis)
        self.batch_axis = _config_axes(batch_axis)
        self.fan_in = fan_in
        self.fan_out = fan_out

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None, *, out: Array | None = None,
                 region: RegionLike = None, threads: ThreadsLike = None) -> Array:
        kwargs = _keras_axes.fans_kwargs(self, self._call_kwargs(), shape)
        return variance_scaling(shape, dtype=dtype, out=out, region=region, threads=threads,
                                **kwargs)

    def plan(self, shape: ShapeLike, dtype: DTypeLike = None) -> _plan.Plan:
        kwargs = _keras_axes.fans_kwargs(self, self._call_kwargs(), shape)
        return _variance_scaling_plan(shape, seed=kwargs.pop("seed"), stream=kwargs.pop("stream"),
                                      dtype=dtype, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return _keras_axes.with_axes(self, super().get_config())


class _Preset(VarianceScaling):
    """A fixed (scale, mode, distribution); its config holds only the rest."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")
    _params = ("seed", "stream", "in_axis", "out_axis", "batch_axis", "fan_in", "fan_out")

    def __init__(self, seed: SeedLike = None, stream: StreamLike = 0, *,
                 in_axis: AxesLike = -2, out_axis: AxesLike = -1, batch_axis: AxesLike = (),
                 fan_in: FanLike = None, fan_out: FanLike = None,
                 input_axes: AxesLike | None = None,
                 output_axes: AxesLike | None = None) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, stream, in_axis=in_axis,
                         out_axis=out_axis, batch_axis=batch_axis, fan_in=fan_in,
                         fan_out=fan_out, input_axes=input_axes, output_axes=output_axes)

    def _call_kwargs(self) -> dict[str, Any]:
        kwargs = {name: getattr(self, name) for name in VarianceScaling._params}
        kwargs["seed"] = self._seed
        return kwargs


def _preset_class(name: str, function: PresetFunction,
                  preset: tuple[float, str, str]) -> type[_Preset]:
    doc = f"""{function.__doc__.splitlines()[0].split(", as")[0].strip()}: the class of
    :func:`{function.__name__}`, as ``keras.initializers.{name}``.

    ``{name}(seed=None, stream=0, *, in_axis=-2, out_axis=-1, batch_axis=(),
    fan_in=None, fan_out=None, input_axes=None, output_axes=None)`` is ``VarianceScaling(scale={preset[0]},
    mode="{preset[1]}", distribution="{preset[2]}", ...)``; its config holds
    exactly its own arguments.

    Examples
    --------
    >>> import weightinit as wi
    >>> init = wi.{name}(seed=0, stream="dense")
    >>> init.get_config()["seed"], init((4, 3)).shape
    (0, (4, 3))
    >>> bool((wi.{name}.from_config(init.get_config())((4, 3)) == init((4, 3))).all())
    True
    """
    return type(name, (_Preset,), {"__doc__": doc, "_preset": preset, "__module__": __name__})


GlorotUniform = _preset_class("GlorotUniform", glorot_uniform, (1.0, "fan_avg", "uniform"))
GlorotNormal = _preset_class("GlorotNormal", glorot_normal,
                             (1.0, "fan_avg", "truncated_normal"))
HeUniform = _preset_class("HeUniform", he_uniform, (2.0, "fan_in", "uniform"))
HeNormal = _preset_class("HeNormal", he_normal, (2.0, "fan_in", "truncated_normal"))
LecunUniform = _preset_class("LecunUniform", lecun_uniform, (1.0, "fan_in", "uniform"))
LecunNormal = _preset_class("LecunNormal", lecun_normal, (1.0, "fan_in", "truncated_normal"))


class RandomUniform(_RandomInitializer):
    """Uniform on ``[minval, maxval)``; see :func:`random_uniform`.

    Examples
    --------
    >>> import weightinit as wi
    >>> init = wi.RandomUniform(minval=-1.0, maxval=1.0, seed=0)
    >>> init.get_config()
    {'minval': -1.0, 'maxval': 1.0, 'seed': 0, 'stream': 0}
    """

    _function = staticmethod(random_uniform)
    _params = ("minval", "maxval", "seed", "stream")

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: SeedLike = None,
                 stream: StreamLike = 0) -> None:
        _uniform_params(minval, maxval)
        self.minval, self.maxval = scalar_of(minval), scalar_of(maxval)
        self._init_seed(seed, stream)


class RandomNormal(_RandomInitializer):
    """Normal samples; see :func:`random_normal`.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.RandomNormal(stddev=0.02, seed=1)((3, 3)).dtype
    dtype('float32')
    """

    _function = staticmethod(random_normal)
    _params = ("mean", "stddev", "seed", "stream")

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: SeedLike = None,
                 stream: StreamLike = 0) -> None:
        _declared(self._function.__name__, "mean", mean)
        _declared(self._function.__name__, "stddev", stddev)
        self.mean, self.stddev = scalar_of(mean), scalar_of(stddev)
        self._init_seed(seed, stream)


class TruncatedNormal(_RandomInitializer):
    """Normal samples truncated at 2 stddev; see :func:`truncated_normal`.

    Examples
    --------
    >>> import weightinit as wi
    >>> bool(abs(wi.TruncatedNormal(stddev=0.02, seed=1)((100, 100))).max() <= 0.04)
    True
    """

    _function = staticmethod(truncated_normal)
    _params = ("mean", "stddev", "seed", "stream")

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: SeedLike = None,
                 stream: StreamLike = 0) -> None:
        _declared(self._function.__name__, "mean", mean)
        _declared(self._function.__name__, "stddev", stddev)
        self.mean, self.stddev = scalar_of(mean), scalar_of(stddev)
        self._init_seed(seed, stream)


class Orthogonal(_RandomInitializer):
    """Orthogonal matrices; see :func:`orthogonal`.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> q = wi.Orthogonal(gain=2.0, seed=0)((16, 16), dtype="float64")
    >>> bool(np.allclose(q @ q.T, 4 * np.eye(16)))
    True
    """

    _function = staticmethod(orthogonal)
    _params = ("gain", "seed", "stream")

    def __init__(self, gain: float = 1.0, seed: SeedLike = None,
                 stream: StreamLike = 0) -> None:
        _declared("orthogonal", "gain", gain)
        self.gain = scalar_of(gain)
        self._init_seed(seed, stream)


class Zeros(Initializer):
    """Zeros; see :func:`zeros`.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.Zeros()((2,), dtype="float64")
    array([0., 0.])
    """

    _function = staticmethod(zeros)


class Ones(Initializer):
    """Ones; see :func:`ones`.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    _function = staticmethod(ones)


class Constant(Initializer):
    """A constant; see :func:`constant`.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.Constant(3.0)((2,))
    array([3., 3.], dtype=float32)
    """

    _function = staticmethod(constant)
    _params = ("value",)

    def __init__(self, value: float | Sequence[Any] | Array = 0) -> None:
        self.value = _array_init.constant_value(value, _real)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None, *, out: Array | None = None,
                 region: RegionLike = None, threads: ThreadsLike = None) -> Array:
        if isinstance(self.value, list):      # an array, broadcast as Keras's Constant
            return _array_init.broadcast(self.value, shape, dtype, "value", out, region)
        return super().__call__(shape, dtype, out=out, region=region, threads=threads)


class Identity(Initializer):
    """``gain`` times the identity; see :func:`identity`.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.Identity(gain=0.5)((2, 2))
    array([[0.5, 0. ],
           [0. , 0.5]], dtype=float32)
    """

    _function = staticmethod(identity)
    _params = ("gain",)

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = _real(gain, "gain")


# -- the deterministic kernels: built from their catalogue entries --------------

#: The annotation of a declared parameter, by its constraint (a tuple: one of
#: its values); the annotations are strings, as under ``from __future__ import annotations``.
_CONSTRAINT_TYPES = {"positive": "float", "finite": "float", "real": "float", "bool": "bool",
                     "window": "str | Sequence[float] | None"}


def _annotation(constraint: Any) -> str:
    if isinstance(constraint, tuple):
        types = sorted({"None" if v is None else type(v).__name__ for v in constraint},
                       key=lambda t: t == "None")
        return " | ".join(types)
    return _CONSTRAINT_TYPES.get(constraint, "Any")


def _kernel_signature(entry: Any, *, first: tuple[str, ...] = ("shape",),
                      common: bool = True) -> inspect.Signature:
    """``(shape, <declared parameters>, *, seed, stream, dtype, out, region, threads)``,
    annotated as the hand-written functions."""
    kind = inspect.Parameter
    params = [kind(n, kind.POSITIONAL_OR_KEYWORD,
                   annotation="ShapeLike" if n == "shape" else inspect.Parameter.empty)
              for n in first]
    params += [kind(p.name, kind.POSITIONAL_OR_KEYWORD, default=p.default,
                    annotation=_annotation(p.constraint)) for p in entry.params]
    if common:
        params += [kind(n, kind.KEYWORD_ONLY, default=d, annotation=t) for n, d, t in
                   (("seed", None, "SeedLike"), ("stream", 0, "StreamLike"),
                    ("dtype", None, "DTypeLike"), ("out", None, "Array | None"),
                    ("region", None, "RegionLike"), ("threads", None, "ThreadsLike"))]
    return inspect.Signature(params, return_annotation="Array" if common else "None")


def _kernel_function(entry, sampler):
    """The function of a deterministic catalogue entry whose sampler module
    (``_<sampler>.py``) gives ``check_shape(shape)``, ``kernel(shape, dtype,
    start, size, **params)`` and ``DOC``: parameters checked against their
    declared constraints, seed and stream validated and unused, then the
    region filled (docs/contract.md 4)."""
    signature = _kernel_signature(entry)

    def fn(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        params = {p.name: _declared(entry.function, p.name, a[p.name]) for p in entry.params}
        shape = normalize_shape(a["shape"])
        sampler.check_shape(shape)
        _check_seed_stream(0 if a["seed"] is None else a["seed"], a["stream"])
        out = a["out"]
        dtype = _resolve_out_dtype(a["dtype"], out)
        start, size = normalize_region(a["region"], shape)
        if out is not None:
            check_out(out, size, dtype)
        resolve_threads(a["threads"])                     # validated; NumPy fills it
        values = sampler.kernel(shape, dtype=dtype, start=start, size=size, **params)
        result = new_array(size, dtype) if out is None else out
        result[...] = values
        return result

    fn.__name__ = fn.__qualname__ = entry.function
    fn.__module__ = __name__
    fn.__signature__ = signature
    fn.__doc__ = _doc(sampler.DOC)
    return fn


def _kernel_class(entry, function):
    """The class of a deterministic catalogue entry: its config is exactly
    the declared parameters, each checked at construction."""
    names = tuple(p.name for p in entry.params)
    signature = _kernel_signature(entry, first=("self",), common=False)

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name in names:
            setattr(self, name, _declared(entry.function, name, bound.arguments[name]))

    __init__.__signature__ = signature
    defaults = {p.name: p.default for p in entry.params}
    doc = f"""The class of :func:`{entry.function}`, as ``keras.initializers.{entry.cls}``.

    ``{entry.cls}({", ".join(f"{k}={v!r}" for k, v in defaults.items())})``; its
    config holds exactly these arguments.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.{entry.cls}().get_config()
    {defaults!r}
    """
    return type(entry.cls, (Initializer,), {
        "__doc__": doc, "__init__": __init__, "__module__": __name__,
        "_function": staticmethod(function), "_params": names})


if TYPE_CHECKING:   # made from the catalogue below; their runtime signatures are annotated
    def stft(shape: ShapeLike, side: str = "real", window: str | Sequence[float] | None = "hann",
             scaling: str | None = "density", periodic: bool = False, *,
             seed: SeedLike = None, stream: StreamLike = 0, dtype: DTypeLike = None,
             out: Array | None = None, region: RegionLike = None,
             threads: ThreadsLike = None) -> Array: ...

    class STFT(Initializer):
        def __init__(self, side: str = "real", window: str | Sequence[float] | None = "hann",
                     scaling: str | None = "density", periodic: bool = False) -> None: ...

for _entry in CATALOGUE:
    if _entry.function not in globals():      # declared, no hand-written function
        _sampler = importlib.import_module(f"{__package__}._{_entry.sampler}")
        globals()[_entry.function] = _kernel_function(_entry, _sampler)
        globals()[_entry.cls] = _kernel_class(_entry, globals()[_entry.function])


# -- plans ---------------------------------------------------------------------

# The elementwise initializers: each function's plan builder (its parameters,
# seed, stream and dtype validated once; docs/contract.md 2). The presets are
# variance scaling with their fixed arguments.
_PLAN_BUILDERS = {"variance_scaling": _variance_scaling_plan,
                  "random_uniform": _random_uniform_plan,
                  "random_normal": _random_normal_plan,
                  "truncated_normal": _truncated_normal_plan}
for _fn in (glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform,
            lecun_normal):
    _PLAN_BUILDERS[_fn.__name__] = _fn._plan
_PLAN_BUILDERS.update({e_alias: _PLAN_BUILDERS[e.function] for e in CATALOGUE
                       for e_alias in e.aliases if e.function in _PLAN_BUILDERS})


def plan(name: str, shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
         dtype: DTypeLike = None, **params: Any) -> _plan.Plan:
    """The :class:`~weightinit._plan.Plan` of ``weightinit.<name>(shape, ...)``.

    ``plan(name, shape, **kw).fill(region, out, threads)`` equals
    ``weightinit.<name>(shape, region=region, out=out, threads=threads, **kw)``
    for the elementwise initializers (variance scaling, its presets, the
    uniform, normal and truncated normal), with every argument checked once:
    fill windows, blocks or shards of one tensor from one plan.

    Raises
    ------
    ValueError
        For another name (orthogonal, identity and the constants have no plan),
        or any argument the initializer refuses.

    Examples
    --------
    >>> import weightinit as wi
    >>> from weightinit.initializers import plan
    >>> p = plan("he_normal", (64, 32), seed=0, stream="dense.kernel")
    >>> bool((p.fill(region=(slice(8, 16),)) ==
    ...       wi.he_normal((64, 32), seed=0, stream="dense.kernel")[8:16]).all())
    True
    """
    try:
        builder = _PLAN_BUILDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"name must be one of {_quoted(sorted(_PLAN_BUILDERS))} (an "
                         f"elementwise initializer); got {name!r}") from None
    return builder(shape, seed=seed, stream=stream, dtype=dtype, **params)


# -- get -----------------------------------------------------------------------

_CLASSES = tuple(globals()[e.cls] for e in CATALOGUE)
_FUNCTIONS = tuple(globals()[e.function] for e in CATALOGUE)
# Every name get() accepts: class and function names, PyTorch's function
# aliases and Keras's extra names, all from the catalogue.
_BY_NAME = {name: globals()[e.cls] for e in CATALOGUE
            for name in (e.cls, e.function, *e.aliases, *e.get_names)}


def _lookup(name):
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(f"initializer name must be one of {_quoted(sorted(_BY_NAME))}; "
                         f"got {name!r}") from None


def get(identifier: Any) -> Initializer | Callable[..., Any] | None:
    """An initializer instance from a name, a config or an initializer,
    as ``keras.initializers.get``.

    Parameters
    ----------
    identifier : None, str, dict, class, array or callable
        * a name: a class name (``"HeNormal"``), a function name
          (``"he_normal"``), Keras's aliases (``"normal"``, ``"uniform"``,
          ``"one"``, ``"zero"``) or PyTorch's (``"kaiming_normal"``,
          ``"xavier_uniform"``...), giving the class with its defaults;
        * a Keras config ``{"class_name": ..., "config": {...}}`` (other
          keys, such as ``"module"``, are ignored);
        * a spec ``{"name": "he_normal", **parameters}`` (docs/contract.md 7);
        * an array (NumPy, JAX...), giving an initializer that returns it
          (a ValueError at call for another shape), as Keras;
        * a class, which is instantiated; an instance or any other
          callable, returned as it is; None, returned as None.

    Returns
    -------
    Initializer or callable or None

    Raises
    ------
    ValueError
        For an unknown name or a dict of neither form.
    TypeError
        For another type.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.get("he_normal")
    HeNormal(seed=None, stream=0, in_axis=-2, out_axis=-1, batch_axis=[], fan_in=None, fan_out=None)
    >>> wi.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 3}})
    RandomUniform(minval=0.0, maxval=1.0, seed=3, stream=0)
    >>> wi.get({"name": "variance_scaling", "scale": 2.0, "seed": 1}).scale
    2.0
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            cls = _lookup(identifier["class_name"])
            config = identifier.get("config") or {}
            if not isinstance(config, dict):
                raise TypeError(f"config must be a dict; got {type(config).__name__}")
            return cls.from_config(config)
        if "name" in identifier:
            params = {k: v for k, v in identifier.items() if k != "name"}
            return _lookup(identifier["name"]).from_config(params)
        raise ValueError("a dict identifier must have a 'class_name' (Keras config) or a "
                         f"'name' (spec) key; got keys {sorted(identifier)}")
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if _array_init.is_array(identifier):
        return _array_init.FromArray(identifier)
    if callable(identifier):
        return identifier
    raise TypeError("identifier must be None, a str, a dict, an initializer class or a "
                    f"callable; got {type(identifier).__name__}")
