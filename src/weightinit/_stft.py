"""The STFT kernel sampler, as ``keras.initializers.STFT``: deterministic.

``kernel[t, ..., f] = trig(-2 pi t f / (2 (F - 1))) * window[t] / scaling``
for a kernel of shape ``(T, ..., F)`` (T the frame length, F the number of
frequency bins, ``fft_length // 2 + 1``), ``trig`` the cosine (side
"real") or the sine (side "imag"). Keras's operations, in Keras's order and
at the working precision (float32, float64 for float64 output), so the
argument and the window are Keras's bit for bit; the window's norm (a sum)
and the cos or sin are computed in float64 and rounded once, since Keras's
are its backend's (XLA's and torch's float32 reductions and trigonometric
functions differ from each other and from NumPy's);
every element is computed from its own ``(t, f)`` and
the whole window, so a region is the slice of the whole kernel.

>>> import numpy as np
>>> k = kernel((4, 1, 3), "real", None, None, False, np.dtype("float32"),
...            (0, 0, 0), (4, 1, 3))
>>> k[:, 0, :].round(6).tolist()
[[1.0, 1.0, 1.0], [1.0, -0.0, -1.0], [1.0, -1.0, 1.0], [1.0, 0.0, -1.0]]
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_window", "check_shape", "window_values", "kernel", "DOC"]


def check_window(window, name: str = "window"):
    """``window`` as kept: None, a scipy.signal window name, or a list of
    finite floats; a TypeError/ValueError naming ``name`` otherwise."""
    if window is None:
        return None
    if isinstance(window, str):
        from scipy.signal import get_window
        try:
            get_window(window, 1)        # scipy's own check of the name, as Keras
        except (ValueError, TypeError) as err:
            raise ValueError(f"{name} must name a scipy.signal window; got {window!r} "
                             f"({err})") from None
        return window
    if isinstance(window, (bool, np.bool_, numbers.Number)) or not hasattr(window, "__len__"):
        raise TypeError(f"{name} must be None, a window name (str) or a 1-D sequence of "
                        f"floats; got {type(window).__name__}")
    values = np.asarray(window)
    if values.ndim != 1 or values.dtype.kind not in "iuf" or not np.isfinite(values).all():
        raise ValueError(f"{name} must be a 1-D sequence of finite floats; got {window!r}")
    return [float(v) for v in values]


def check_shape(shape) -> None:
    """``(frame_length, ..., bins)``, rank >= 2, at least 2 bins (Keras divides by bins - 1)."""
    if len(shape) < 2 or shape[-1] < 2:
        raise ValueError("shape must be (frame_length, ..., bins) with rank >= 2 and "
                         f"bins = fft_length // 2 + 1 >= 2 for stft; got {shape}")


def window_values(window, frame_length: int, periodic: bool, work: np.dtype):
    """The window at the working precision, or None."""
    if window is None:
        return None
    if isinstance(window, str):
        from scipy.signal import get_window
        # scipy's third argument (fftbins) is True for a periodic window, as Keras passes it
        window = get_window(window, frame_length, periodic)
    values = np.asarray(window, dtype=np.float64).astype(work)
    if values.shape != (frame_length,):
        raise ValueError(f"window must have frame_length = shape[0] = {frame_length} values; "
                         f"got {values.shape[0]}")
    return values


def kernel(shape, side, window, scaling, periodic, dtype: np.dtype, start, size):
    """The region ``(start, size)`` of the kernel of global ``shape`` in
    ``dtype`` (16-bit floats: the float32 kernel rounded)."""
    work = np.dtype(np.float64 if dtype == np.float64 else np.float32)
    frame_length, bins = shape[0], shape[-1]
    win = window_values(window, frame_length, periodic, work)
    t0, nt, f0, nf = start[0], size[0], start[-1], size[-1]
    freq = np.arange(f0, f0 + nf, dtype=work).reshape(1, nf) / work.type((bins - 1) * 2)
    time = np.arange(t0, t0 + nt, dtype=work).reshape(nt, 1)
    pi = np.arccos(work.type(-1))
    args = ((work.type(-2) * time) * freq) * pi
    # The trigonometric function in float64, rounded once: Keras's own cos and
    # sin are its backend's (XLA's, torch's), which differ from each other in
    # the last bit, so no float32 cos is "Keras's"; this one is the nearest to
    # the true value of Keras's argument, and the same on every CPU.
    trig = np.cos if side == "real" else np.sin
    values = trig(args.astype(np.float64)).astype(work)
    if win is not None:
        # The sums in float64, rounded once: Keras's float32 sum is its
        # backend's reduction order (XLA's is neither NumPy's nor sequential)
        norm = work.type(1)
        if scaling == "density":
            norm = np.sqrt(work.type(np.sum(np.square(win), dtype=np.float64)))
        elif scaling == "spectrum":
            norm = work.type(np.sum(np.abs(win), dtype=np.float64))
        values = (values * win[t0:t0 + nt].reshape(nt, 1)) / norm
    middle = (1,) * (len(shape) - 2)
    values = values.reshape((nt,) + middle + (nf,))
    return np.broadcast_to(values, tuple(size)).astype(dtype)


#: the docstring of ``weightinit.stft`` ({COMMON}-style keys are filled by initializers)
DOC = """\
    The kernel of a short-time Fourier transform, as ``keras.initializers.STFT``.

    Parameters
    ----------
    shape : tuple of int
        Global shape ``(frame_length, ..., bins)``, rank >= 2, with
        ``bins = fft_length // 2 + 1 >= 2`` frequency bins (Keras's
        ``(T, 1, F // 2 + 1)``); the middle axes repeat the kernel.
    side : {"real", "imag"}, default "real"
        The cosine (real part) or the sine (imaginary part).
    window : None, str or list of float, default "hann"
        A ``scipy.signal.get_window`` name, the window's ``frame_length``
        values, or None for no window.
    scaling : {"density", "spectrum", None}, default "density"
        Divide by the window's L2 norm ("density") or L1 norm ("spectrum").
    periodic : bool, default False
        A periodic (DFT-even) window rather than a symmetric one.
    seed, stream : keyword-only
        Accepted (and validated) so that every initializer has the same
        signature; unused: the kernel is deterministic.
    dtype : {"float32", "float64", "float16", "bfloat16"}, optional, keyword-only
        Default float32, or the dtype of ``out``; 16-bit results are the
        float32 kernel rounded to nearest even.
    out, region, threads : keyword-only
        As the other initializers (``threads`` is validated, unused).

{RETURNS}

{RAISES}

    Notes
    -----
    ``kernel[t, ..., f] = trig(-2 pi t f / (2 (bins - 1))) * w[t] / norm``,
    with Keras's operations in Keras's order at float32 (float64 for
    float64 output): the argument and the window are Keras's bit for bit.
    The window's norm (a sum) and the cosine or sine are computed in
    float64 and rounded once, the nearest floats to the true values;
    Keras's own are its backend's (with torch the kernel is within 3 ulp
    of its largest value; XLA's float32 sine and cosine lose about
    ``|argument|`` ulp for large arguments).

    Examples
    --------
    >>> import weightinit as wi
    >>> k = wi.stft((512, 1, 257), side="imag", window="hann")
    >>> k.shape, k.dtype
    ((512, 1, 257), dtype('float32'))
    >>> bool((wi.stft((512, 1, 257), region=(slice(8, 16),)) == wi.stft((512, 1, 257))[8:16]).all())
    True
    """
