"""The ``torch.nn.init`` functions whose elements are independent samples or constants."""
from __future__ import annotations

import math

from .. import _fill
from .._checks import finite_float, real_float
from .._types import GeneratorLike, SeedLike, StreamLike, TensorT, ThreadsLike
from ..initializers import _real
from ._docs import _doc
from ._fills import (_check_scale_fits, _empty_warning, _fill_dist, _fill_value, _kaiming_std,
                     _nonnegative, _normal, _uniform, _xavier_std)
from ._generator import torch_arguments
from ._tensors import _target


@torch_arguments()
def uniform_(tensor: TensorT, a: float = 0.0, b: float = 1.0, *,
             generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
             threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    a, b = finite_float(a, "a"), finite_float(b, "b")
    if a > b:
        raise ValueError(f"a must be <= b; got a={a}, b={b}")
    if not math.isfinite(b - a):
        raise ValueError("b - a must be finite")
    _check_scale_fits(target, max(abs(a), abs(b)), "a or b")   # torch refuses such bounds too
    return _uniform(target, a, b, seed, stream, threads)


uniform_.__doc__ = _doc("""\
    Fill with uniform samples on ``[a, b)``, as ``torch.nn.init.uniform_``.

    Parameters
    ----------
{TENSOR}
    a, b : float, default 0.0 and 1.0
        Bounds, ``a <= b`` (``a == b`` fills ``a``).
{EXTRAS}

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import uniform_
    >>> w = uniform_(np.empty((3, 4), np.float32), -0.1, 0.1, seed=0)
    >>> bool((w >= -0.1).all() and (w < 0.1).all())
    True
    """)


@torch_arguments()
def normal_(tensor: TensorT, mean: float = 0.0, std: float = 1.0, *,
            generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
            threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    mean, std = finite_float(mean, "mean"), _nonnegative(std, "std")
    return _normal(target, mean, std, seed, stream, threads)


normal_.__doc__ = _doc("""\
    Fill with normal samples ``N(mean, std**2)``, as ``torch.nn.init.normal_``.

    Parameters
    ----------
{TENSOR}
    mean : float, default 0.0
    std : float, default 1.0
        ``std >= 0`` (0 fills ``mean``).
{EXTRAS}

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import normal_
    >>> w = normal_(np.empty(100_000, np.float32), 0.0, 0.02, seed=0)
    >>> round(float(w.std()), 3)
    0.02
    """)


@torch_arguments()
def trunc_normal_(tensor: TensorT, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, *,
                  generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
                  threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    mean = finite_float(mean, "mean")
    std = finite_float(std, "std")
    if std <= 0.0:
        raise ValueError(f"std must be > 0; got {std}")
    a, b = real_float(a, "a"), real_float(b, "b")
    if not a < b:
        raise ValueError(f"a must be less than b; got a={a}, b={b}")
    lo, hi = (a - mean) / std, (b - mean) / std
    limit = _fill.TRUNCATION_LIMIT_SD
    if lo > limit or hi < -limit:
        raise ValueError(f"the interval [a, b] = [{a}, {b}] lies more than {limit:g} standard "
                         f"deviations from mean={mean}, beyond the sampler's range")
    return _fill_dist(target, _fill.TRUNCNORM, (mean, std, lo, hi), seed, stream, threads)


trunc_normal_.__doc__ = _doc("""\
    Fill with a normal truncated to ``[a, b]``, as ``torch.nn.init.trunc_normal_``.

    ``a`` and ``b`` are absolute bounds (not in standard deviations) and
    ``std`` is that of the normal *before* truncation, both as PyTorch.

    Parameters
    ----------
{TENSOR}
    mean : float, default 0.0
    std : float, default 1.0
        Positive.
    a, b : float, default -2.0 and 2.0
        Absolute bounds, ``a < b``; either may be infinite.
{EXTRAS}

{RETURNS}

    Notes
    -----
    One word (float64: one 64-bit value) per element through the inverse
    normal CDF restricted to ``[a, b]``: no redraws, unlike PyTorch's
    rejection loop, and the same distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import trunc_normal_
    >>> w = trunc_normal_(np.empty(10_000, np.float32), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool((w >= -0.04).all() and (w <= 0.04).all())
    True
    """)


@torch_arguments()
def constant_(tensor: TensorT, val: float, *,
              seed: SeedLike = None, stream: StreamLike = 0,
              threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    return _fill_value(target, _real(val, "val"), seed, stream, threads)


constant_.__doc__ = _doc("""\
    Fill with ``val``, as ``torch.nn.init.constant_``.

    Parameters
    ----------
{TENSOR}
    val : float
{EXTRAS_NO_GENERATOR}
        (``seed`` and ``stream`` are accepted for a uniform signature; unused.)

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import constant_
    >>> constant_(np.empty(3, np.float32), 0.5)
    array([0.5, 0.5, 0.5], dtype=float32)
    """)


def ones_(tensor: TensorT, *,
          seed: SeedLike = None, stream: StreamLike = 0,
          threads: ThreadsLike = None) -> TensorT:
    return _fill_value(_target(tensor), 1.0, seed, stream, threads)


def zeros_(tensor: TensorT, *,
           seed: SeedLike = None, stream: StreamLike = 0,
           threads: ThreadsLike = None) -> TensorT:
    return _fill_value(_target(tensor), 0.0, seed, stream, threads)


ones_.__doc__ = _doc("""\
    Fill with ones, as ``torch.nn.init.ones_``.

    Parameters
    ----------
{TENSOR}
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import ones_
    >>> ones_(np.empty(2, np.float64))
    array([1., 1.])
    """)

zeros_.__doc__ = _doc("""\
    Fill with zeros, as ``torch.nn.init.zeros_``.

    Parameters
    ----------
{TENSOR}
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import zeros_
    >>> zeros_(np.empty(2, np.float64))
    array([0., 0.])
    """)


@torch_arguments()
def xavier_uniform_(tensor: TensorT, gain: float = 1.0, *,
                    generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
                    threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    gain = _nonnegative(gain, "gain")
    std = _xavier_std(target.shape, gain)
    if std is None:
        return _fill_value(target, 0.0, seed, stream, threads)   # empty tensor
    a = math.sqrt(3.0) * std
    _check_scale_fits(target, a, "gain")
    return _uniform(target, -a, a, seed, stream, threads)


xavier_uniform_.__doc__ = _doc("""\
    Fill with Glorot (Xavier) uniform samples, as ``torch.nn.init.xavier_uniform_``.

    Uniform on ``[-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``,
    fans of ``(out, in, *kernel)``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions.
    gain : float, default 1.0
        Non-negative scaling factor.
{EXTRAS}

{RETURNS}

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import xavier_uniform_
    >>> w = xavier_uniform_(np.empty((256, 512), np.float32), seed=0)
    >>> bool(abs(w).max() < (6 / (256 + 512)) ** 0.5)
    True

    Several layers: one generator for the loop (or a stream per layer),
    never the same ``seed`` and ``stream`` twice.

    >>> import weightinit as wi
    >>> g = wi.Generator(seed=0)
    >>> ws = [xavier_uniform_(np.empty((4, 4), np.float32), generator=g) for _ in range(2)]
    >>> bool((ws[0] != ws[1]).any())
    True
    """)


@torch_arguments()
def xavier_normal_(tensor: TensorT, gain: float = 1.0, *,
                   generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
                   threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    gain = _nonnegative(gain, "gain")
    std = _xavier_std(target.shape, gain)
    if std is None:
        return _fill_value(target, 0.0, seed, stream, threads)
    _check_scale_fits(target, 6.0 * std, "gain")
    return _normal(target, 0.0, std, seed, stream, threads)


xavier_normal_.__doc__ = _doc("""\
    Fill with Glorot (Xavier) normal samples, as ``torch.nn.init.xavier_normal_``.

    Normal with ``std = gain * sqrt(2 / (fan_in + fan_out))`` (not
    truncated), fans of ``(out, in, *kernel)``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions.
    gain : float, default 1.0
        Non-negative scaling factor.
{EXTRAS}

{RETURNS}

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import xavier_normal_
    >>> w = xavier_normal_(np.empty((500, 300), np.float32), seed=0)
    >>> round(float(w.std()) / (2 / 800) ** 0.5, 2)
    1.0
    """)


@torch_arguments()
def kaiming_uniform_(tensor: TensorT, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", *, generator: GeneratorLike = None,
                     seed: SeedLike = None, stream: StreamLike = 0,
                     threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    if _empty_warning(target):
        return tensor
    std = _kaiming_std(target.shape, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std
    return _uniform(target, -bound, bound, seed, stream, threads)


kaiming_uniform_.__doc__ = _doc("""\
    Fill with He (Kaiming) uniform samples, as ``torch.nn.init.kaiming_uniform_``.

    Uniform on ``[-bound, bound)`` with ``bound = gain * sqrt(3 / fan)``,
    ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` the fan-in or
    fan-out of ``(out, in, *kernel)``. ``nn.Linear`` and ``nn.Conv*`` use
    ``a=math.sqrt(5)``, which gives ``bound = 1 / sqrt(fan_in)``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions (a tensor with no elements is left alone,
        with a warning, as PyTorch).
    a : float, default 0
        Negative slope of the rectifier (``leaky_relu`` only).
    mode : {"fan_in", "fan_out"}, default "fan_in"
    nonlinearity : str, default "leaky_relu"
        A name :func:`calculate_gain` knows.
{EXTRAS}

{RETURNS}

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers:
       Surpassing human-level performance on ImageNet classification",
       ICCV 2015.

    Examples
    --------
    >>> import math, numpy as np
    >>> from weightinit.torch import kaiming_uniform_
    >>> w = kaiming_uniform_(np.empty((256, 512), np.float32), a=math.sqrt(5), seed=0)
    >>> bool(abs(w).max() < 1 / math.sqrt(512))
    True
    """)


@torch_arguments()
def kaiming_normal_(tensor: TensorT, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, generator: GeneratorLike = None,
                    seed: SeedLike = None, stream: StreamLike = 0,
                    threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    if _empty_warning(target):
        return tensor
    std = _kaiming_std(target.shape, a, mode, nonlinearity)
    return _normal(target, 0.0, std, seed, stream, threads)


kaiming_normal_.__doc__ = _doc("""\
    Fill with He (Kaiming) normal samples, as ``torch.nn.init.kaiming_normal_``.

    Normal with ``std = gain / sqrt(fan)`` (not truncated),
    ``gain = calculate_gain(nonlinearity, a)``, fans of ``(out, in, *kernel)``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions.
    a : float, default 0
        Negative slope of the rectifier (``leaky_relu`` only).
    mode : {"fan_in", "fan_out"}, default "fan_in"
    nonlinearity : str, default "leaky_relu"
{EXTRAS}

{RETURNS}

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers:
       Surpassing human-level performance on ImageNet classification",
       ICCV 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import kaiming_normal_
    >>> w = kaiming_normal_(np.empty((400, 500), np.float32), mode="fan_out",
    ...                     nonlinearity="relu", seed=0)
    >>> round(float(w.std()) / (2 / 400) ** 0.5, 2)
    1.0
    """)
