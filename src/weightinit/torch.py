"""``torch.nn.init`` on the weightinit stream: same names, formulas and fans.

Each function fills a CPU ``torch.Tensor`` (float32, float64, float16 or
bfloat16) in place, through a NumPy view of its memory (no copy), and
returns it, as its ``torch.nn.init`` namesake does; NumPy arrays are filled
the same way. Fans follow PyTorch's layout ``(out, in, *kernel)``. The
tensor must be contiguous: a non-contiguous one (a transposed view, a
channels-last weight) raises ``ValueError`` rather than being filled in a
different order. Meta tensors are left alone, as PyTorch does.

Each function takes the keyword-only extras ``seed`` (None: OS entropy),
``stream`` (int or str; name it after the parameter) and ``threads``, and the
values are those of the Keras-style functions: ``kaiming_uniform_(t, seed=s,
stream=n)`` equals ``weightinit.random_uniform(t.shape, -bound, bound,
seed=s, stream=n)``, so any shard can be generated on its own with
``region=``.

:func:`init_module` re-initializes a whole ``torch.nn.Module`` the way its
modules' ``reset_parameters`` do, every parameter on the stream named after
it. This module imports torch only when a torch tensor or module is given.
"""
from __future__ import annotations

import hashlib
import math
import numbers
import secrets
import warnings

import numpy as np

from . import _core, _fill
from ._checks import FLOAT_DTYPE_NAMES, finite_float, real_float
from ._fans import calculate_gain, torch_fans
from ._stream import key_from_seed, stream_id
from ._threads import resolve_threads
from .initializers import _real, _scalar

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_", "init_module"]

_TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16")


def _import_torch():
    import torch
    return torch


# -- tensor <-> NumPy view -----------------------------------------------------

class _Target:
    """A tensor or array to fill: ``array`` is a writeable NumPy view of its memory."""

    __slots__ = ("obj", "array", "is_torch", "skip")

    def __init__(self, obj, array, is_torch, skip=False):
        self.obj, self.array, self.is_torch, self.skip = obj, array, is_torch, skip

    @property
    def shape(self):
        return self.array.shape if self.array is not None else tuple(self.obj.shape)

    def done(self):
        """Tell autograd the tensor changed (as an in-place op would); return it."""
        if self.is_torch and not self.skip:
            torch = _import_torch()
            torch.autograd.graph.increment_version(self.obj)
        return self.obj


def _target(tensor, name="tensor") -> _Target:
    if isinstance(tensor, np.ndarray):
        if tensor.dtype.name not in FLOAT_DTYPE_NAMES:
            raise TypeError(f"{name} must have dtype {', '.join(FLOAT_DTYPE_NAMES)}; "
                            f"got {tensor.dtype}")
        if not tensor.flags.writeable:
            raise ValueError(f"{name} is read-only")
        if not tensor.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous; got strides {tensor.strides}")
        if not tensor.flags.aligned or not tensor.dtype.isnative:
            raise ValueError(f"{name} must be aligned and in native byte order")
        return _Target(tensor, tensor, False)
    try:
        torch = _import_torch()
    except ImportError:
        torch = None
    if torch is None or not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a numpy.ndarray; "
                        f"got {type(tensor).__name__}")
    if tensor.is_nested:   # before anything asks a nested tensor for its sizes
        raise TypeError(f"{name} must be a dense (strided) tensor; got a nested tensor")
    if tensor.layout != torch.strided:
        raise TypeError(f"{name} must be a dense (strided) tensor; got layout {tensor.layout}")
    dtype_name = str(tensor.dtype).replace("torch.", "")
    if dtype_name not in _TORCH_DTYPES:
        raise TypeError(f"{name} must have dtype torch.float32, torch.float64, "
                        f"torch.float16 or torch.bfloat16; got {tensor.dtype}")
    if tensor.device.type == "meta":
        return _Target(tensor, None, True, skip=True)
    if tensor.is_inference() and not torch.is_inference_mode_enabled():
        # torch refuses in-place updates here; a NumPy view would bypass that
        raise RuntimeError(f"{name} is an inference tensor: in-place updates to it are "
                           "allowed only inside torch.inference_mode(), as in torch")
    if tensor.device.type != "cpu":
        raise ValueError(f"{name} must be on the CPU; got device {tensor.device}")
    if not tensor.is_contiguous():
        raise ValueError(f"{name} must be contiguous; got shape {tuple(tensor.shape)} with "
                         f"strides {tuple(tensor.stride())} (fill a contiguous tensor, or "
                         "tensor.contiguous(), then copy back)")
    _refuse_unviewable(tensor, name)
    t = tensor.detach()
    try:
        if dtype_name == "bfloat16":
            import ml_dtypes
            array = t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        else:
            array = t.numpy()
    except RuntimeError as err:   # a subclass without real memory (FakeTensor, functorch)
        raise TypeError(f"{name} of type {type(tensor).__name__} has no CPU memory to fill "
                        f"({str(err).splitlines()[0]})") from None
    return _Target(tensor, array, True)


def _refuse_unviewable(tensor, name) -> None:
    """Refuse tensors whose NumPy view would not be the values torch shows:
    a negative-bit view (reads negate the memory) and a tensor whose storage
    was freed with ``untyped_storage().resize_(0)`` (FSDP does this; the
    view would be a throwaway buffer)."""
    if tensor.is_neg():
        raise ValueError(f"{name} has its negative bit set (a lazy negation view): fill "
                         "the tensor it views, or tensor.resolve_neg() and copy back")
    needed = (tensor.storage_offset() + tensor.numel()) * tensor.element_size()
    held = tensor.untyped_storage().nbytes()
    if tensor.numel() and held < needed:
        raise ValueError(f"{name}'s storage holds {held} bytes but the tensor needs {needed}: "
                         "its memory was freed (untyped_storage().resize_(0), as FSDP "
                         "does) or never allocated")


# -- fills -----------------------------------------------------------------------

def _fill_dist(target, dist, params, seed, stream, threads, bounds="a and b"):
    key, sid = key_from_seed(seed), stream_id(stream)
    nthreads = resolve_threads(threads)
    if target.skip:
        return target.obj
    arr = target.array
    _fill.fill(dist, arr.shape, arr.dtype, key, sid, params=params, out=arr, threads=nthreads,
               bounds=bounds)
    return target.done()


def _check_extras(seed, stream, threads):
    """``seed``, ``stream``, ``threads`` of a deterministic fill: validated, unused."""
    if seed is not None:
        key_from_seed(seed)
    stream_id(stream)
    resolve_threads(threads)


def _fill_value(target, value, seed, stream, threads):
    _check_extras(seed, stream, threads)
    nthreads = resolve_threads(threads)
    if target.skip:
        return target.obj
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


_EXTRAS = """\
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence, keyword-only
        The Philox key; None draws one from OS entropy.
    stream : int or str, default 0, keyword-only
        The stream; name it after the parameter (``"encoder.0.weight"``).
    threads : int, optional, keyword-only
        Threads for the fill; the values do not depend on it."""

_TENSOR = """\
    tensor : torch.Tensor or numpy.ndarray
        Contiguous, on the CPU, float32, float64, float16 or bfloat16;
        filled in place."""

_RETURNS = """\
    Returns
    -------
    tensor
        The same object, filled."""


def _doc(text):
    return text.replace("{TENSOR}", _TENSOR).replace("{EXTRAS}", _EXTRAS).replace(
        "{RETURNS}", _RETURNS)


def uniform_(tensor, a=0.0, b=1.0, *, seed=None, stream=0, threads=None):
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


def normal_(tensor, mean=0.0, std=1.0, *, seed=None, stream=0, threads=None):
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


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, seed=None, stream=0,
                  threads=None):
    target = _target(tensor)
    mean = finite_float(mean, "mean")
    std = finite_float(std, "std")
    if std <= 0.0:
        raise ValueError(f"std must be > 0; got {std}")
    a, b = real_float(a, "a"), real_float(b, "b")
    if not a < b:
        raise ValueError(f"a must be less than b; got a={a}, b={b}")
    lo, hi = (a - mean) / std, (b - mean) / std
    if lo > 37.0 or hi < -37.0:
        raise ValueError(f"the interval [a, b] = [{a}, {b}] lies more than 37 standard "
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


def constant_(tensor, val, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    return _fill_value(target, _real(val, "val"), seed, stream, threads)


constant_.__doc__ = _doc("""\
    Fill with ``val``, as ``torch.nn.init.constant_``.

    Parameters
    ----------
{TENSOR}
    val : float
{EXTRAS}
        (``seed`` and ``stream`` are accepted for a uniform signature; unused.)

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import constant_
    >>> constant_(np.empty(3, np.float32), 0.5)
    array([0.5, 0.5, 0.5], dtype=float32)
    """)


def ones_(tensor, *, seed=None, stream=0, threads=None):
    return _fill_value(_target(tensor), 1.0, seed, stream, threads)


def zeros_(tensor, *, seed=None, stream=0, threads=None):
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


def eye_(tensor, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    _check_extras(seed, stream, threads)
    if len(target.shape) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported; "
                         f"got shape {tuple(target.shape)}")
    if target.skip:
        return target.obj
    arr = target.array
    arr[...] = 0
    n = min(arr.shape)
    arr[np.arange(n), np.arange(n)] = 1
    return target.done()


eye_.__doc__ = _doc("""\
    Fill a 2-D tensor with the identity matrix, as ``torch.nn.init.eye_``.

    Parameters
    ----------
{TENSOR}
        It must have 2 dimensions.
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import eye_
    >>> eye_(np.empty((2, 3), np.float32))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """)


def dirac_(tensor, groups=1, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    _check_extras(seed, stream, threads)
    shape = tuple(target.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported; "
                         f"got shape {shape}")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    if shape[0] % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups; got {shape[0]} and groups={groups}")
    if target.skip:
        return target.obj
    arr = target.array
    arr[...] = 0
    per_group = shape[0] // groups
    n = min(per_group, shape[1])
    centre = tuple(s // 2 for s in shape[2:])
    d = np.arange(n)
    for g in range(int(groups)):
        arr[(g * per_group + d, d) + centre] = 1
    return target.done()


dirac_.__doc__ = _doc("""\
    Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, as
    ``torch.nn.init.dirac_``: the convolution then preserves the identity
    of as many input channels as possible (per group).

    Parameters
    ----------
{TENSOR}
        Shape ``(out, in, *kernel)`` with 1 to 3 kernel dimensions.
    groups : int, default 1
        Number of groups; ``out`` must be divisible by it.
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import dirac_
    >>> w = dirac_(np.empty((2, 2, 3), np.float32))
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """)


def _fans_of(target):
    return torch_fans(target.shape)


def xavier_uniform_(tensor, gain=1.0, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    gain = _nonnegative(gain, "gain")
    fan_in, fan_out = _fans_of(target)
    if fan_in + fan_out == 0:
        return _fill_value(target, 0.0, seed, stream, threads)   # empty tensor
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
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
    """)


def xavier_normal_(tensor, gain=1.0, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    gain = _nonnegative(gain, "gain")
    fan_in, fan_out = _fans_of(target)
    if fan_in + fan_out == 0:
        return _fill_value(target, 0.0, seed, stream, threads)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
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


def _kaiming_std(target, a, mode, nonlinearity):
    mode = _torch_mode(mode)
    fan_in, fan_out = _fans_of(target)
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
    if target.array is None:   # a meta tensor: nothing is written
        return
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


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, seed=None,
                     stream=0, threads=None):
    target = _target(tensor)
    if _empty_warning(target):
        return tensor
    std = _kaiming_std(target, a, mode, nonlinearity)
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


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, seed=None,
                    stream=0, threads=None):
    target = _target(tensor)
    if _empty_warning(target):
        return tensor
    std = _kaiming_std(target, a, mode, nonlinearity)
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


def orthogonal_(tensor, gain=1, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    shape = tuple(target.shape)
    if len(shape) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported; "
                         f"got shape {shape}")
    gain = finite_float(gain, "gain")
    key, sid = key_from_seed(seed), stream_id(stream)
    nthreads = resolve_threads(threads)
    if target.skip or math.prod(shape) == 0:
        return tensor
    arr = target.array
    rows = shape[0]
    cols = arr.size // rows
    work = np.dtype(np.float64 if arr.dtype.name == "float64" else np.float32)
    flat = _fill.fill(_fill.NORMAL, (rows, cols), work, key, sid,
                      params=(0.0, 1.0, 0.0, 0.0), threads=nthreads).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    q = (gain * q).reshape(shape)
    if arr.dtype.name in ("float16", "bfloat16"):
        q = q.astype(np.float32)
    arr[...] = q
    return target.done()


orthogonal_.__doc__ = _doc("""\
    Fill with a (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``.

    The tensor is seen as ``(shape[0], numel // shape[0])``; a standard
    normal matrix of that shape (from the stream) is transposed if it has
    fewer rows than columns, factored ``Q R`` (float64 LAPACK), ``Q`` is
    multiplied by ``sign(diag(R))`` (a zero counts as +1) and transposed
    back, then scaled by ``gain``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions.
    gain : float, default 1
{EXTRAS}

{RETURNS}

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to
       the nonlinear dynamics of learning in deep linear neural networks",
       ICLR 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import orthogonal_
    >>> w = orthogonal_(np.empty((3, 5), np.float64), seed=0)
    >>> bool(np.allclose(w @ w.T, np.eye(3)))
    True
    """)


def sparse_(tensor, sparsity, std=0.01, *, seed=None, stream=0, threads=None):
    target = _target(tensor)
    shape = tuple(target.shape)
    if len(shape) != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported; got shape {shape}")
    sparsity = finite_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1]; got {sparsity}")
    std = _nonnegative(std, "std")
    key, sid = key_from_seed(seed), stream_id(stream)
    nthreads = resolve_threads(threads)
    if target.skip:
        return tensor
    arr = target.array
    rows, cols = shape
    num_zeros = math.ceil(sparsity * rows)
    if std == 0.0:
        arr[...] = 0
    else:
        _fill.fill(_fill.NORMAL, shape, arr.dtype, key, sid, params=(0.0, std, 0.0, 0.0),
                   out=arr, threads=nthreads)
    if num_zeros and arr.size:
        per_block = 2 if arr.dtype.name == "float64" else 4
        after = -(-arr.size // per_block)             # the blocks after the samples' blocks
        words = _fill.fill(_fill.RAW, shape, np.dtype(np.uint32), key, sid, base_block=after,
                           threads=nthreads)
        zero_rows = np.argsort(words, axis=0, kind="stable")[:num_zeros]
        arr[zero_rows, np.arange(cols)] = 0
    return target.done()


sparse_.__doc__ = _doc("""\
    Fill a 2-D tensor as a sparse matrix, as ``torch.nn.init.sparse_``.

    Normal samples with standard deviation ``std``, then in every column
    ``ceil(sparsity * rows)`` entries, at random rows, set to zero.

    Parameters
    ----------
{TENSOR}
        It must have 2 dimensions.
    sparsity : float
        Fraction of each column set to zero, in [0, 1].
    std : float, default 0.01
{EXTRAS}

{RETURNS}

    Notes
    -----
    The zero rows of a column are those of its ``ceil(sparsity * rows)``
    smallest random words (a random permutation, as ``torch.randperm``),
    taken from the same stream just after the blocks of the normal samples,
    so the result is a pure function of (seed, stream).

    References
    ----------
    .. [1] J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import sparse_
    >>> w = sparse_(np.empty((10, 4), np.float32), sparsity=0.3, seed=0)
    >>> (w == 0).sum(axis=0)
    array([3, 3, 3, 3])
    """)


# -- whole modules ---------------------------------------------------------------

def _module_handlers(torch):
    """Known modules: (class, the name of its reset method, handler)."""
    nn = torch.nn
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd
    from torch.nn.modules.rnn import RNNBase, RNNCellBase

    def linear_like(mod, fill):
        fill("weight", kaiming_uniform_, a=math.sqrt(5))
        if mod.bias is not None:
            fan_in, _ = torch_fans(mod.weight.shape)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            fill("bias", uniform_, -bound, bound)

    def bilinear(mod, fill):
        bound = 1 / math.sqrt(mod.weight.size(1))
        fill("weight", uniform_, -bound, bound)
        if mod.bias is not None:
            fill("bias", uniform_, -bound, bound)

    def embedding(mod, fill):
        fill("weight", normal_)
        if mod.padding_idx is not None:
            with torch.no_grad():
                mod.weight[mod.padding_idx].fill_(0)

    def affine_norm(flag):
        def handler(mod, fill):
            if getattr(mod, flag):
                fill("weight", ones_)
                if getattr(mod, "bias", None) is not None:
                    fill("bias", zeros_)
        return handler

    def batch_norm(mod, fill):
        mod.reset_running_stats()
        affine_norm("affine")(mod, fill)

    def rnn(mod, fill):
        stdv = 1.0 / math.sqrt(mod.hidden_size) if mod.hidden_size > 0 else 0
        for name, _ in mod.named_parameters(recurse=False):
            fill(name, uniform_, -stdv, stdv)

    def attention(mod, fill):
        if mod._qkv_same_embed_dim:
            fill("in_proj_weight", xavier_uniform_)
        else:
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                fill(name, xavier_uniform_)
        if mod.in_proj_bias is not None:
            fill("in_proj_bias", constant_, 0.0)
            fill("out_proj.bias", constant_, 0.0)
        if mod.bias_k is not None:
            fill("bias_k", xavier_normal_)
        if mod.bias_v is not None:
            fill("bias_v", xavier_normal_)

    def prelu(mod, fill):
        fill("weight", constant_, mod.init)

    def transformer(mod, fill):
        for name, p in mod.named_parameters():
            if p.dim() > 1:
                fill(name, xavier_uniform_)

    return (
        (nn.Linear, "reset_parameters", linear_like),
        (_ConvNd, "reset_parameters", linear_like),
        (nn.Bilinear, "reset_parameters", bilinear),
        (nn.Embedding, "reset_parameters", embedding),
        (nn.EmbeddingBag, "reset_parameters", embedding),
        (_NormBase, "reset_parameters", batch_norm),
        (nn.LayerNorm, "reset_parameters", affine_norm("elementwise_affine")),
        (nn.GroupNorm, "reset_parameters", affine_norm("affine")),
        (nn.RMSNorm, "reset_parameters", affine_norm("elementwise_affine")),
        (RNNBase, "reset_parameters", rnn),
        (RNNCellBase, "reset_parameters", rnn),
        (nn.MultiheadAttention, "_reset_parameters", attention),
        (nn.PReLU, "reset_parameters", prelu),
        (nn.Transformer, "_reset_parameters", transformer),
    )


def _handler_for(mod, handlers):
    """The handler of the nearest known base class, if ``mod`` keeps its reset method."""
    for cls, method, handler in handlers:
        if isinstance(mod, cls):
            own = getattr(type(mod), method, None)
            if own is not None and own is getattr(cls, method, None):
                return handler
            return None
    return None


def _torch_seed(key, name) -> int:
    digest = hashlib.sha256(f"{key[0]}:{key[1]}:{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def init_module(module, seed=None, *, prefix="", threads=None):
    """Re-initialize every parameter of a ``torch.nn.Module`` as its modules'
    ``reset_parameters`` would, each on the stream named after it.

    Parameters
    ----------
    module : torch.nn.Module
        Parameters on the CPU, of dtype float32, float64, float16 or
        bfloat16 (non-contiguous ones, such as channels-last conv weights,
        are filled in logical order and copied in, as PyTorch does).
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        One key for the whole model; None draws one from OS entropy.
    prefix : str, default ""
        Prepended (with a dot) to every stream name, e.g. the module's name
        inside a larger model, so that the streams match that model's.
    threads : int, optional
        Threads for each fill.

    Returns
    -------
    module
        The same module.

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module``.
    ValueError
        For a lazy module whose parameters are not materialized yet, or a
        parameter that is not on the CPU.

    Notes
    -----
    Parameter ``p`` with qualified name ``name`` (as
    ``module.named_parameters()`` gives it, e.g.
    ``"encoder.layers.0.linear1.weight"``) uses ``stream=prefix + name``, so
    its values equal the corresponding function of this module called with
    ``seed`` and that stream, for any model that contains it.

    Modules are visited children first, as PyTorch constructs them (so
    ``MultiheadAttention`` zeroes ``out_proj.bias`` after ``out_proj``'s own
    ``Linear`` initialization, and ``nn.Transformer`` applies
    ``xavier_uniform_`` to all its matrices last). Known modules and their
    rules, each exactly as PyTorch 2.x:

    * ``Linear``, ``Conv*``/``ConvTranspose*`` (and lazy ones once
      materialized): weight ``kaiming_uniform_(a=sqrt(5))``, bias
      ``uniform_(-1/sqrt(fan_in), 1/sqrt(fan_in))``;
    * ``Bilinear``: weight and bias ``uniform_(-1/sqrt(in1), 1/sqrt(in1))``;
    * ``Embedding``, ``EmbeddingBag``: ``normal_(0, 1)``, row
      ``padding_idx`` zeroed;
    * ``BatchNorm*``, ``InstanceNorm*``, ``SyncBatchNorm``: running stats
      reset, weight ones, bias zeros; ``LayerNorm``, ``GroupNorm``,
      ``RMSNorm``: weight ones, bias zeros;
    * ``RNN``, ``LSTM``, ``GRU`` and their cells: every parameter
      ``uniform_(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``;
    * ``MultiheadAttention``: ``xavier_uniform_`` projections, zero
      ``in_proj_bias`` and ``out_proj.bias``, ``xavier_normal_`` ``bias_k``,
      ``bias_v``;
    * ``PReLU``: ``constant_(init)``; ``Transformer``: ``xavier_uniform_``
      on every parameter with more than one dimension.

    A subclass of these that overrides its reset method, or any other
    module with parameters of its own, is treated as unknown: if it has a
    ``reset_parameters`` (or ``_reset_parameters``) method, that method is
    called with PyTorch's global generator seeded from ``seed`` and the
    module's name inside ``torch.random.fork_rng`` (so the values are
    reproducible from ``seed`` but are PyTorch's samples, and the global
    generator is left as it was); otherwise its parameters are left as they
    are and a warning names them.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import init_module
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.LayerNorm(4))
    >>> _ = init_module(net, seed=0)
    >>> bool(net[0].weight.abs().max() < 8 ** -0.5), bool((net[1].weight == 1).all())
    (True, True)
    >>> from weightinit.torch import kaiming_uniform_
    >>> w = kaiming_uniform_(torch.empty(4, 8), a=5 ** 0.5, seed=0, stream="0.weight")
    >>> bool(torch.equal(w, net[0].weight))
    True
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str; got {type(prefix).__name__}")
    if seed is None:
        seed = secrets.randbits(64)
    key = key_from_seed(seed)
    resolve_threads(threads)
    from torch.nn.parameter import UninitializedParameter
    for name, p in module.named_parameters(prefix=prefix):
        if isinstance(p, UninitializedParameter):
            raise ValueError(f"parameter {name!r} is not materialized yet (a lazy module): "
                             "run a forward pass before init_module")
        if p.device.type not in ("cpu", "meta"):
            raise ValueError(f"parameter {name!r} must be on the CPU; got device {p.device}")
    handlers = _module_handlers(torch)
    untouched = []

    def fill_for(mod, mod_name):
        def fill(pname, fn, *args, **kwargs):
            tensor = mod.get_parameter(pname)
            stream = f"{mod_name}.{pname}" if mod_name else pname
            if tensor.is_contiguous() or tensor.device.type == "meta":
                fn(tensor, *args, seed=seed, stream=stream, threads=threads, **kwargs)
            else:
                tmp = torch.empty_like(tensor, memory_format=torch.contiguous_format)
                fn(tmp, *args, seed=seed, stream=stream, threads=threads, **kwargs)
                with torch.no_grad():
                    tensor.copy_(tmp)
        return fill

    seen = set()

    def visit(mod, mod_name):
        if id(mod) in seen:
            return
        seen.add(id(mod))
        for child_name, child in mod.named_children():
            visit(child, f"{mod_name}.{child_name}" if mod_name else child_name)
        handler = _handler_for(mod, handlers)
        if handler is not None:
            handler(mod, fill_for(mod, mod_name))
            return
        own = [n for n, _ in mod.named_parameters(recurse=False)]
        if not own:
            return
        reset = getattr(mod, "reset_parameters", None) or getattr(mod, "_reset_parameters", None)
        if callable(reset):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(_torch_seed(key, mod_name))
                with torch.no_grad():
                    reset()
        else:
            untouched.extend(f"{mod_name}.{n}" if mod_name else n for n in own)

    visit(module, prefix)
    if untouched:
        warnings.warn("init_module left these parameters as they were (their module has no "
                      f"known initialization and no reset_parameters): {', '.join(untouched)}",
                      stacklevel=2)
    return module
