"""Seeds, keys and stream names: the stream contract of docs/contract.md section 2.

Every sample is a pure function of (key, stream, element index). This module
turns what users pass as ``seed`` and ``stream`` into the two 64-bit
numbers the C core takes, and nothing else.
"""
from __future__ import annotations

import hashlib
import numbers
import secrets

import numpy as np

from ._types import SeedLike, StreamLike

__all__ = ["key_from_seed", "stream_id", "STREAM_VERSION"]

#: Version of the random stream (docs/contract.md 2): which values a (seed, stream,
#: element index) gives. Recorded in every file the library writes; a change
#: of the stream increments it.
STREAM_VERSION = 2

_U64 = 1 << 64


def key_from_seed(seed: SeedLike) -> tuple[int, int]:
    """Return the Philox key ``(key0, key1)`` (two uint32) for ``seed``.

    Parameters
    ----------
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        ``None`` draws a key from OS entropy. An int gives
        ``(seed & 0xffffffff, seed >> 32)``; a SeedSequence gives
        ``seq.generate_state(2, np.uint32)``.

    Raises
    ------
    TypeError
        If ``seed`` is of another type (floats and bools included).
    ValueError
        If an int ``seed`` is negative or not below 2**64.

    Examples
    --------
    >>> key_from_seed(2**32 + 5)
    (5, 1)
    """
    if type(seed) is int and 0 <= seed < _U64:   # the common call, quickly
        return seed & 0xFFFFFFFF, seed >> 32
    if seed is None:
        seed = secrets.randbits(64)
    if isinstance(seed, np.random.SeedSequence):
        words = seed.generate_state(2, np.uint32)
        return int(words[0]), int(words[1])
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            "seed must be None, an int in [0, 2**64) or a numpy.random.SeedSequence; "
            f"got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < _U64:
        raise ValueError(f"seed must be an int in [0, 2**64); got {seed}")
    return seed & 0xFFFFFFFF, seed >> 32


def stream_id(stream: StreamLike) -> int:
    """Return the 64-bit stream number for ``stream`` (an int or a name).

    A str is hashed as the first 8 bytes, little-endian, of its UTF-8
    SHA-256, so ``"encoder.0.q_proj"`` names the same stream everywhere.

    Examples
    --------
    >>> stream_id(7)
    7
    >>> stream_id("layer") == int.from_bytes(
    ...     hashlib.sha256(b"layer").digest()[:8], "little")
    True
    """
    if type(stream) is int and 0 <= stream < _U64:   # the common call, quickly
        return stream
    if isinstance(stream, str):
        try:
            name = stream.encode("utf-8")
        except UnicodeEncodeError:   # lone surrogates have no UTF-8 form
            raise ValueError(f"stream name must be encodable as UTF-8; got {stream!r}") from None
        return int.from_bytes(hashlib.sha256(name).digest()[:8], "little")
    if isinstance(stream, bool) or not isinstance(stream, numbers.Integral):
        raise TypeError(f"stream must be an int in [0, 2**64) or a str; got {type(stream).__name__}")
    stream = int(stream)
    if not 0 <= stream < _U64:
        raise ValueError(f"stream must be an int in [0, 2**64) or a str; got {stream}")
    return stream
