"""Pure-Python Box-Muller of stream version 2 (docs/contract.md 2), bit for bit.

The same operations in the same order as ``wi_normal_f32`` / ``wi_normal_f64``
of ``csrc/wi_transform.h`` and ``wi_logf_scaled`` / ``wi_sincos_turn_*`` of
``csrc/wi_math.h``, with NumPy scalars for the separately rounded operations
and an exact fused multiply-add (Python 3.11 has no ``math.fma``).
"""
from fractions import Fraction

import numpy as np

f32 = np.float32


def round_f32(x: Fraction) -> np.float32:
    """``x`` rounded once to float32, to nearest even (no double rounding).

    ``float(x)`` rounds to float64 first, which can turn a value just off a
    float32 tie into the tie; the float32 neighbours of that value are
    compared with ``x`` exactly instead.

    Examples
    --------
    >>> a = Fraction(1 + 2**-12)   # a * a + 2**-60 is just above a float32 tie
    >>> float(round_f32(a * a + Fraction(2**-60))) == 1 + 2**-11 + 2**-23
    True
    >>> float(f32(float(a * a + Fraction(2**-60)))) == 1 + 2**-11   # double rounding
    True
    """
    near = f32(float(x))
    best = None
    for cand in (np.nextafter(near, f32(-np.inf)), near, np.nextafter(near, f32(np.inf))):
        err = abs(Fraction(float(cand)) - x)
        even = int(cand.view(np.uint32)) % 2 == 0
        if best is None or err < best[0] or (err == best[0] and even):
            best = (err, cand)
    return best[1]


def fma32(a, b, c) -> np.float32:
    """``a * b + c`` of float32 values with one rounding."""
    return round_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


def fma64(a: float, b: float, c: float) -> float:
    """``a * b + c`` of float64 values with one rounding (Fraction -> float rounds once)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def lit32(text: str) -> np.float32:
    """A C float literal: the decimal rounded once to float32."""
    return round_f32(Fraction(text))


_LOG32 = [f32(2) / f32(n) for n in (9, 7, 5, 3)]
_LOG64 = [2.0 / n for n in (23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3)]
_SIN = ["0.10422916220813984", "-0.7181223017785006", "3.819952584848282",
        "-15.09464257682299", "42.058693944897655", "-76.70585975306139",
        "81.60524927607506", "-41.34170224039976", "6.283185307179586"]
_COS = ["-0.03638284114254567", "0.28200596845579123", "-1.714390711088672",
        "7.903536371318469", "-26.4262567833744", "60.24464137187666",
        "-85.45681720669373", "64.9393940226683", "-19.739208802178716"]


def logf_scaled(x: np.float32, shift: int, k: float) -> np.float32:
    """``k * log(x * 2**shift)`` as ``wi_logf_scaled``."""
    base = 0x3F3504F4
    t = (int(x.view(np.uint32)) + 0x40000000 - base) & 0xFFFFFFFF
    e = (t >> 23) - (128 - shift)
    m = np.uint32((t & 0x7FFFFF) + base).view(np.float32)
    k = f32(k)
    s = (m - f32(1)) / (m + f32(1))
    s2 = s * s
    poly = k * _LOG32[0]
    for c in _LOG32[1:]:
        poly = fma32(poly, s2, k * c)
    logm = fma32(s, poly * s2, s * (f32(2) * k))
    ef = f32(e)
    return fma32(ef, k * f32(0.693359375), fma32(ef, k * lit32("-2.12194440e-4"), logm))


def log_scaled(x: float, shift: int, k: float) -> float:
    """``k * log(x * 2**shift)`` as ``wi_log_scaled``."""
    base = 0x3FE6A09E667F3BCE
    t = (int(np.float64(x).view(np.uint64)) + (1 << 62) - base) & (2**64 - 1)
    e = (t >> 52) - (1024 - shift)
    m = float(np.uint64((t & (2**52 - 1)) + base).view(np.float64))
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    poly = k * _LOG64[0]
    for c in _LOG64[1:]:
        poly = fma64(poly, s2, k * c)
    logm = fma64(s, poly * s2, s * (2.0 * k))
    return fma64(float(e), k * 6.93147180369123816490e-01,
                 fma64(float(e), k * 1.90821492927058770002e-10, logm))


def _quadrant(n: int, sn, cs):
    """(sin, cos) of the turn from the quadrant n and the reduced pair."""
    return [(sn, cs), (cs, -sn), (-sn, -cs), (-cs, sn)][n & 3]


def sincos_turn_f32(k24: int):
    n = (k24 + (1 << 21)) >> 22
    f = f32(k24 - (n << 22)) * f32(2.0**-24)
    f2 = f * f
    sp = lit32(_SIN[4])
    for c in _SIN[5:]:
        sp = fma32(sp, f2, lit32(c))
    cp = lit32(_COS[4])
    for c in _COS[5:]:
        cp = fma32(cp, f2, lit32(c))
    return _quadrant(n, sp * f, fma32(cp, f2, f32(1)))


def sincos_turn_f64(k53: int):
    n = (k53 + (1 << 50)) >> 51
    f = float(k53 - (n << 51)) * 2.0**-53
    f2 = f * f
    sp = float(_SIN[0])
    for c in _SIN[1:]:
        sp = fma64(sp, f2, float(c))
    cp = float(_COS[0])
    for c in _COS[1:]:
        cp = fma64(cp, f2, float(c))
    return _quadrant(n, sp * f, fma64(cp, f2, 1.0))


def normal_f32(w_radius: int, w_angle: int, mean: float, std: float):
    """The pair ``wi_normal_f32`` makes of two words (mean, std exact in float32)."""
    r = np.sqrt(logf_scaled(f32((w_radius >> 8) + 1), -24, -2.0))
    s, c = sincos_turn_f32(w_angle >> 8)
    rs = f32(std) * r
    return fma32(rs, c, f32(mean)), fma32(rs, s, f32(mean))


def normal_f64(x_radius: int, x_angle: int, mean: float, std: float):
    """The pair ``wi_normal_f64`` makes of two 64-bit values."""
    r = float(np.sqrt(log_scaled(float((x_radius >> 11) + 1), -53, -2.0)))
    s, c = sincos_turn_f64(x_angle >> 11)
    rs = std * r
    return fma64(rs, c, mean), fma64(rs, s, mean)
