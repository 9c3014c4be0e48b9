"""A NumPy-compatible ``Generator`` on the counter-based Philox stream.

Compatibility Guarantee
-----------------------
A fresh ``Generator(seed, stream)`` starts at block 0 of its stream and
each call starts at the next unused block, so a sequence of calls with the
same sizes and dtypes gives the same values in every release, on every
CPU, at every thread count. Values are those of docs/contract.md section 2:
float32/float16/bfloat16 results use one 32-bit word per element (4 per
block), float64 results one 64-bit value (2 per block).
"""
from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

import numpy as np
from numpy.typing import DTypeLike

from . import _core, _fill, _plan
from ._checks import finite_float, normalize_shape, real_float, resolve_dtype
from ._stream import key_from_seed, stream_id
from ._types import Array, RegionLike, SeedLike, ShapeLike, StreamLike, ThreadsLike

if TYPE_CHECKING:   # imported on first use at run time (numpy.random: +50 ms on import)
    from ._bitgen import Philox4x32

__all__ = ["Generator", "default_rng"]

_UINT32 = np.dtype(np.uint32)
_FLOAT64 = np.dtype(np.float64)
_ALL_FLOATS = ("float32", "float64", "float16", "bfloat16")
_BLOCKS_LIMIT = 1 << 64
#: the ValueError of a call that would use blocks beyond the stream's last
PAST_END = "size would run past the end of the stream (2**64 blocks)"
#: the state of a Generator whose next block is 2**64
USED_UP = "the generator has used every block of its stream (next block 2**64)"
#: the parameters of random and standard_normal: one object, so a repeat
#: call's comparison with its plan is an identity test
_UNIT = (0.0, 1.0, 0.0, 0.0)
#: the bits of a call's four parameters: == would take -0.0 for 0.0, which
#: can give another sign of zero (the core computes loc + scale * z)
_bits = struct.Struct("4d").pack



def _scalar(value: Any, name: str) -> Any:
    """``value`` unchanged unless it is an array or a sequence, which is
    refused: the C core fills one distribution per call, so parameters are
    not broadcast (0-d arrays are numbers, read by ``finite_float``)."""
    if (isinstance(value, np.ndarray) and value.ndim) or isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name} must be a scalar; array-valued low/high/loc/scale are not broadcast "
            "(one distribution per call): use e.g. loc + scale * g.standard_normal(size)")
    return value


def _positive_scale(scale: Any, name: str = "scale") -> float:
    scale = finite_float(_scalar(scale, name), name)
    if scale <= 0.0:
        raise ValueError(f"{name} must be > 0; got {scale}")
    return scale


def blocks_of(shape: tuple[int, ...], dtype: DTypeLike) -> int:
    """The blocks a call of ``shape`` and ``dtype`` uses: 2 float64 (or 4
    float32/float16/bfloat16/uint32) values per block, rounded up."""
    per = 2 if np.dtype(dtype) == _FLOAT64 else 4
    return -(-math.prod(shape) // per)


def truncation_bounds(a: float, b: float) -> tuple[float, float]:
    """Validate truncation bounds in standard deviations: a < b, no NaN,
    infinities allowed, and not both more than 37 sd out on one side."""
    bounds = []
    for value, name in ((a, "a"), (b, "b")):
        bounds.append(real_float(value, name))
    a, b = bounds
    if not a < b:
        raise ValueError(f"a must be less than b; got a={a}, b={b}")
    limit = _fill.TRUNCATION_LIMIT_SD
    if a > limit or b < -limit:
        raise ValueError(f"the interval [a, b] = [{a}, {b}] lies more than {limit:g} standard "
                         "deviations from the mean, beyond the sampler's range")
    return a, b


class Generator:
    """NumPy-style generator of the weightinit stream of ``(seed, stream)``.

    Parameters
    ----------
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        The Philox key; None draws one from OS entropy.
    stream : int in [0, 2**64) or str, default 0
        Independent sub-stream; a str is hashed (see docs/contract.md 2).

    Notes
    -----
    ``low``, ``high``, ``loc`` and ``scale`` are scalars (a 0-d array is
    one): array values are refused with a TypeError rather than broadcast,
    since a call fills one distribution; write ``loc + scale *
    g.standard_normal(size)`` for per-element parameters.

    Methods take NumPy's arguments plus keyword-only ``region=`` (a tuple
    of slices of ``size``: the result is ``full[region]``, and the call
    consumes the blocks of the full size) and ``threads=``.

    Examples
    --------
    >>> import weightinit as wi
    >>> g = wi.Generator(seed=42)
    >>> x = g.standard_normal((2, 3), dtype="float32")
    >>> x.shape, x.dtype
    ((2, 3), dtype('float32'))
    >>> bool((wi.Generator(42).standard_normal((2, 3), dtype="float32") == x).all())
    True
    """

    def __init__(self, seed: SeedLike = None, stream: StreamLike = 0) -> None:
        self._key = key_from_seed(seed)
        self._stream = stream_id(stream)
        self._next_block = 0
        self._spawned = 0
        self._plan: _plan.Plan | None = None   # the last call's, reused by calls of its kind

    def __repr__(self) -> str:
        return (f"Generator(key=({self._key[0]:#010x}, {self._key[1]:#010x}), "
                f"stream={self._stream}, next_block={self._next_block})")

    # -- the one checked way to move along the stream -------------------------
    # (_core.draw_whole, the per-call fast path, checks the same bound in C
    # and leaves any call that would pass it to _draw, which raises)
    def _start(self, blocks: int) -> int:
        """The block where a call using the next ``blocks`` blocks starts.

        Raises ValueError (:data:`PAST_END`) if they would run past the end
        of the stream; consumes nothing (the caller fills, then calls
        :meth:`_consume`). An empty call reads no block, so it gets 0: at the
        end of the stream the next block, 2**64, is no block number the core
        can hold.
        """
        if self._next_block + blocks > _BLOCKS_LIMIT:
            raise ValueError(PAST_END)
        return self._next_block if blocks else 0

    def _consume(self, blocks: int) -> None:
        """Move past the next ``blocks`` blocks, checked as :meth:`_start`."""
        self._start(blocks)
        self._next_block += blocks

    # -- the checked drawing path (a repeat call is _core.draw_whole's) -------
    def _draw(self, dist: int, size: ShapeLike | None, dtype: DTypeLike | None,
              out: Array | None, params: tuple[float, float, float, float],
              region: RegionLike, threads: ThreadsLike, method: str) -> Any:
        if dist == _fill.RAW:
            dtype = _UINT32
        else:
            try:
                dtype = resolve_dtype(dtype, default="float64")
            except TypeError:
                raise TypeError(f"Unsupported dtype {dtype!r} for {method}; "
                                f"dtype must be one of {', '.join(_ALL_FLOATS)}") from None
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError(f"out must be a numpy.ndarray; got {type(out).__name__}")
            if not out.dtype.isnative:
                raise ValueError(f"out must be in native byte order; got {out.dtype.str}")
            if out.dtype != dtype:
                raise TypeError("Supplied output array has the wrong type. "
                                f"Expected {dtype.name}, got {out.dtype.name}")
            if size is None:
                if region is not None:
                    raise ValueError("size is required when region and out are used together")
                size = out.shape
        scalar = size is None
        shape = () if scalar else normalize_shape(size, "size")
        if out is not None and region is None and shape != out.shape:
            raise ValueError("size must match out.shape when used together")
        blocks = blocks_of(shape, dtype)
        base = self._start(blocks)
        # one plan per kind of call, reused at each call's first block: a
        # loop of like calls makes (and checks) it once
        plan = self._plan
        if (plan is None or dist != plan.dist or shape != plan.shape or dtype != plan.dtype
                or params is not plan.params and _bits(*params) != _bits(*plan.params)):
            plan = self._plan = _plan.make(dist, shape, dtype, self._key, self._stream, params)
        result = plan.fill(region, out, threads, base)
        self._consume(blocks)
        if scalar and out is None:
            return result.item() if dist == _fill.RAW else float(result[()])
        return result

    # -- NumPy's methods -----------------------------------------------------
    @overload
    def random(self, size: None = None, dtype: DTypeLike = np.float64,
               out: None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> float: ...

    @overload
    def random(self, size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
               out: Array | None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> Array: ...

    def random(self, size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
               out: Array | None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> float | Array:
        """Uniform floats on [0, 1): ``(w >> 8) * 2**-24`` (float32) or
        ``(x >> 11) * 2**-53`` (float64), exactly.

        Examples
        --------
        >>> Generator(0).random(3, dtype="float32").dtype
        dtype('float32')
        """
        if out is not None and region is None:   # a repeat of the last call's kind
            done = _core.draw_whole(self, _fill.UNIFORM, size, dtype, out, _UNIT, threads)
            if done is not None:
                return done
        return self._draw(_fill.UNIFORM, size, dtype, out, _UNIT, region, threads, "random")

    @overload
    def uniform(self, low: float = 0.0, high: float = 1.0,
                size: None = None, dtype: DTypeLike = np.float64,
                out: None = None, *, region: RegionLike = None,
                threads: ThreadsLike = None) -> float: ...

    @overload
    def uniform(self, low: float = 0.0, high: float = 1.0,
                size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
                out: Array | None = None, *, region: RegionLike = None,
                threads: ThreadsLike = None) -> Array: ...

    def uniform(self, low: float = 0.0, high: float = 1.0,
                size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
                out: Array | None = None, *, region: RegionLike = None,
                threads: ThreadsLike = None) -> float | Array:
        """Uniform floats on [low, high): ``low + u * (high - low)``, kept below ``high``.

        Examples
        --------
        >>> x = Generator(0).uniform(-2, 2, 1000)
        >>> bool((x >= -2).all() and (x < 2).all())
        True
        """
        # a repeat of the last call's kind: its parameters, bit-equal floats, were checked
        if out is not None and region is None:
            done = _core.draw_whole(self, _fill.UNIFORM, size, dtype, out, (low, high, 0.0, 0.0),
                                    threads)
            if done is not None:
                return done
        low = finite_float(_scalar(low, "low"), "low")
        high = finite_float(_scalar(high, "high"), "high")
        if not low < high:
            raise ValueError(f"low must be less than high; got low={low}, high={high}")
        if not math.isfinite(high - low):
            raise ValueError("high - low must be finite")
        return self._draw(_fill.UNIFORM, size, dtype, out, (low, high, 0.0, 0.0),
                          region, threads, "uniform")

    @overload
    def standard_normal(self, size: None = None, dtype: DTypeLike = np.float64,
                        out: None = None, *, region: RegionLike = None,
                        threads: ThreadsLike = None) -> float: ...

    @overload
    def standard_normal(self, size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
                        out: Array | None = None, *, region: RegionLike = None,
                        threads: ThreadsLike = None) -> Array: ...

    def standard_normal(self, size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
                        out: Array | None = None, *, region: RegionLike = None,
                        threads: ThreadsLike = None) -> float | Array:
        """Standard normal floats by Box-Muller on each element pair's words.

        Largest ``|z|``: 5.768 at float32 working precision, 8.572 at float64.

        Examples
        --------
        >>> Generator(1).standard_normal(4).shape
        (4,)
        """
        if out is not None and region is None:   # a repeat of the last call's kind
            done = _core.draw_whole(self, _fill.NORMAL, size, dtype, out, _UNIT, threads)
            if done is not None:
                return done
        return self._draw(_fill.NORMAL, size, dtype, out, _UNIT, region, threads,
                          "standard_normal")

    @overload
    def normal(self, loc: float = 0.0, scale: float = 1.0,
               size: None = None, dtype: DTypeLike = np.float64,
               out: None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> float: ...

    @overload
    def normal(self, loc: float = 0.0, scale: float = 1.0,
               size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
               out: Array | None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> Array: ...

    def normal(self, loc: float = 0.0, scale: float = 1.0,
               size: ShapeLike | None = None, dtype: DTypeLike = np.float64,
               out: Array | None = None, *, region: RegionLike = None,
               threads: ThreadsLike = None) -> float | Array:
        """Normal floats ``loc + scale * z``.

        Examples
        --------
        >>> x = Generator(1).normal(10.0, 0.5, 100_000)
        >>> round(float(x.mean()), 1), round(float(x.std()), 2)
        (10.0, 0.5)
        """
        # a repeat of the last call's kind: its parameters, bit-equal floats, were checked
        if out is not None and region is None:
            done = _core.draw_whole(self, _fill.NORMAL, size, dtype, out, (loc, scale, 0.0, 0.0),
                                    threads)
            if done is not None:
                return done
        loc, scale = finite_float(_scalar(loc, "loc"), "loc"), _positive_scale(scale)
        return self._draw(_fill.NORMAL, size, dtype, out, (loc, scale, 0.0, 0.0),
                          region, threads, "normal")

    @overload
    def truncated_normal(self, loc: float = 0.0, scale: float = 1.0, a: float = -2.0,
                         b: float = 2.0, size: None = None, dtype: DTypeLike = np.float64,
                         out: None = None, *, region: RegionLike = None,
                         threads: ThreadsLike = None) -> float: ...

    @overload
    def truncated_normal(self, loc: float = 0.0, scale: float = 1.0, a: float = -2.0,
                         b: float = 2.0, size: ShapeLike | None = None,
                         dtype: DTypeLike = np.float64, out: Array | None = None, *,
                         region: RegionLike = None,
                         threads: ThreadsLike = None) -> Array: ...

    def truncated_normal(self, loc: float = 0.0, scale: float = 1.0, a: float = -2.0,
                         b: float = 2.0, size: ShapeLike | None = None,
                         dtype: DTypeLike = np.float64, out: Array | None = None, *,
                         region: RegionLike = None,
                         threads: ThreadsLike = None) -> float | Array:
        """Normal floats truncated to ``[loc + a*scale, loc + b*scale]``.

        ``a`` and ``b`` are in standard deviations, as in
        ``scipy.stats.truncnorm``; either may be infinite. One word (or one
        64-bit value) per element through the inverse CDF (AS 241).

        Examples
        --------
        >>> x = Generator(2).truncated_normal(0.0, 1.0, 3.0, 8.0, size=1000)
        >>> bool((x >= 3).all() and (x <= 8).all())
        True
        """
        # a repeat of the last call's kind: its parameters, bit-equal floats, were checked
        if out is not None and region is None:
            done = _core.draw_whole(self, _fill.TRUNCNORM, size, dtype, out, (loc, scale, a, b),
                                    threads)
            if done is not None:
                return done
        loc, scale = finite_float(_scalar(loc, "loc"), "loc"), _positive_scale(scale)
        a, b = truncation_bounds(a, b)
        return self._draw(_fill.TRUNCNORM, size, dtype, out, (loc, scale, a, b),
                          region, threads, "truncated_normal")

    @overload
    def random_raw(self, size: None = None,
                   out: None = None, *, region: RegionLike = None,
                   threads: ThreadsLike = None) -> int: ...

    @overload
    def random_raw(self, size: ShapeLike | None = None,
                   out: Array | None = None, *, region: RegionLike = None,
                   threads: ThreadsLike = None) -> Array: ...

    def random_raw(self, size: ShapeLike | None = None,
                   out: Array | None = None, *, region: RegionLike = None,
                   threads: ThreadsLike = None) -> int | Array:
        """The stream's uint32 words: element i is word ``i % 4`` of block ``i // 4``.

        Examples
        --------
        >>> Generator(0).random_raw(4).dtype
        dtype('uint32')
        """
        return self._draw(_fill.RAW, size, None, out, (0.0, 0.0, 0.0, 0.0),
                          region, threads, "random_raw")

    def advance(self, delta: SupportsIndex) -> Generator:
        """Skip ``delta`` blocks of the stream (4 float32 or 2 float64 values
        each), as ``numpy.random.Philox.advance``; returns self.

        Examples
        --------
        >>> g = Generator(0); _ = g.random_raw(8)
        >>> bool((Generator(0).advance(2).random_raw(4) == Generator(0).random_raw(12)[8:]).all())
        True
        """
        if isinstance(delta, bool) or not isinstance(delta, (int, np.integer)):
            raise TypeError(f"delta must be an int; got {type(delta).__name__}")
        delta = int(delta)
        if delta < 0 or self._next_block + delta > _BLOCKS_LIMIT:
            raise ValueError(f"delta must be in [0, 2**64 - next block]; got {delta}")
        self._consume(delta)
        return self

    @property
    def bit_generator(self) -> Philox4x32:
        """A :class:`weightinit.Philox4x32` at this generator's next unused
        block (its buffer empty), so ``numpy.random.Generator(g.bit_generator)``
        continues where ``g``'s next call would start; a new object each time.

        Raises
        ------
        ValueError
            If every block of the stream is used (next block 2**64): there
            is no block left to start at, and a bit generator at block 0
            would silently repeat the stream's start.

        Notes
        -----
        The bit generator follows ``numpy.random.Philox``, not this class,
        at the end of the stream: its counter wraps from 2**64 - 1 to 0
        instead of refusing, so do not draw past ``2**64 - next block``
        blocks from it.

        Examples
        --------
        >>> g = Generator(3); _ = g.random(4)
        >>> bool((np.random.Generator(g.bit_generator).random(2) == g.random(2)).all())
        True
        """
        if self._next_block >= _BLOCKS_LIMIT:
            raise ValueError(f"{USED_UP}: no bit generator can continue it")
        from ._bitgen import Philox4x32
        return Philox4x32._at(np.random.SeedSequence(list(self._key)), self._key,
                              self._stream, self._next_block)

    def spawn(self, n_children: SupportsIndex) -> list[Generator]:
        """Independent child generators, as ``numpy.random.Generator.spawn``.

        Child k's key comes from a SeedSequence of this generator's key and
        stream with spawn key k; repeated calls continue the numbering.

        Examples
        --------
        >>> a, b = Generator(0).spawn(2)
        >>> bool((a.random(4) != b.random(4)).all())
        True
        """
        if isinstance(n_children, bool) or not isinstance(n_children, (int, np.integer)):
            raise TypeError(f"n_children must be an int; got {type(n_children).__name__}")
        if n_children < 0:
            raise ValueError(f"n_children must be >= 0; got {n_children}")
        entropy = [self._key[0], self._key[1], self._stream & 0xFFFFFFFF, self._stream >> 32]
        children = [Generator(np.random.SeedSequence(entropy, spawn_key=(self._spawned + k,)))
                    for k in range(int(n_children))]
        self._spawned += int(n_children)
        return children


def default_rng(seed: SeedLike | Generator = None, stream: StreamLike = 0) -> Generator:
    """Construct a :class:`Generator`, as ``numpy.random.default_rng``.

    A Generator passed as ``seed`` is returned unaltered.

    Examples
    --------
    >>> g = default_rng(5)
    >>> default_rng(g) is g
    True
    """
    if isinstance(seed, Generator):
        return seed
    return Generator(seed, stream)
