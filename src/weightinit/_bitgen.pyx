# cython: language_level=3, boundscheck=False, wraparound=False
"""``Philox4x32``: the weightinit stream as a ``numpy.random.BitGenerator``.

The blocks come from the C core's ``wi_stream_block`` (csrc/wi_philox.h),
so ``numpy.random.Generator(Philox4x32(seed, stream))`` draws from the
stream of docs/contract.md 2. State: the key, the stream, ``counter`` (the
next block to compute) and a buffer holding the words of the last block.

Draw rules (the interleaving of 32- and 64-bit draws):

- ``next_uint32`` takes the next unused word of the buffer, words 0..3 of
  each block in order, computing block ``counter`` when the buffer is empty.
- ``next_uint64`` takes an aligned pair: if an odd number of words of the
  current block are used, the next (odd) word is skipped first; it returns ``(w[2j+1] << 32) | w[2j]`` and uses both words. So a 32-bit draw
  after a 64-bit draw takes word 2 (or word 0 of the next block), and a
  64-bit draw after one 32-bit draw skips word 1.
- ``next_double`` is ``(next_uint64() >> 11) * 2**-53``: weightinit's
  float64 uniform (docs/contract.md 2).
"""
from libc.stdint cimport uint32_t, uint64_t
from cpython.pycapsule cimport PyCapsule_New

from collections.abc import Mapping

import numpy as np
from numpy.random cimport BitGenerator

from ._stream import key_from_seed, stream_id

__all__ = ["Philox4x32", "JUMP_BLOCKS"]

#: Blocks skipped by one ``jumped()``: 2**48 (2**50 words), so 2**16 jumps
#: fit in the 2**64 blocks of a stream.
JUMP_BLOCKS = 1 << 48
_U64 = 1 << 64

cdef extern from "wi_philox.h" nogil:
    ctypedef struct wi_block:
        uint32_t v[4]
    ctypedef struct wi_key:
        uint32_t v[2]
    wi_block wi_stream_block(uint64_t block, uint64_t stream, wi_key key)

ctypedef struct wi_bg_state:
    wi_key key
    uint64_t stream
    uint64_t counter      # next block to compute (wraps at 2**64)
    uint32_t buffer[4]
    int buffer_pos        # next unused word of buffer; 4 = empty


cdef inline void _refill(wi_bg_state *s) noexcept nogil:
    cdef wi_block b = wi_stream_block(s.counter, s.stream, s.key)
    cdef int i
    for i in range(4):
        s.buffer[i] = b.v[i]
    s.counter += 1
    s.buffer_pos = 0


cdef uint32_t _next_uint32(void *st) noexcept nogil:
    cdef wi_bg_state *s = <wi_bg_state *>st
    if s.buffer_pos >= 4:
        _refill(s)
    s.buffer_pos += 1
    return s.buffer[s.buffer_pos - 1]


cdef uint64_t _next_uint64(void *st) noexcept nogil:
    cdef wi_bg_state *s = <wi_bg_state *>st
    # Aligned pairs only: a 64-bit value never spans two blocks.
    s.buffer_pos += s.buffer_pos & 1
    if s.buffer_pos >= 4:
        _refill(s)
    s.buffer_pos += 2
    return ((<uint64_t>s.buffer[s.buffer_pos - 1]) << 32) | s.buffer[s.buffer_pos - 2]


cdef double _next_double(void *st) noexcept nogil:
    return (_next_uint64(st) >> 11) * (1.0 / 9007199254740992.0)


def _uint(value, name, limit):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    value = int(value)
    if not 0 <= value < limit:
        raise ValueError(f"{name} must be in [0, {limit}); got {value}")
    return value


cdef class Philox4x32(BitGenerator):
    """Philox4x32-10 on weightinit's stream, for ``numpy.random.Generator``.

    Parameters
    ----------
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        The key, exactly as for :class:`weightinit.Generator` (an int ``s``
        gives key ``(s & 0xffffffff, s >> 32)``). ``seed_seq`` (used by
        ``spawn``) is the SeedSequence given, or ``SeedSequence(seed)``.
    stream : int in [0, 2**64) or str, default 0
        The sub-stream (docs/contract.md 2).

    Notes
    -----
    ``next_uint32`` takes the words of the stream in order; ``next_uint64``
    takes the aligned pair ``(w[2j+1] << 32) | w[2j]`` of a block, skipping
    one word if an odd number of the block's words were used; so a 32-bit
    draw after a 64-bit draw takes the following word. ``next_double`` is
    ``(next_uint64() >> 11) * 2**-53``, so
    ``numpy.random.Generator(Philox4x32(s)).random(n)`` equals
    ``weightinit.Generator(s).random(n)`` (float64). ``advance(delta)``
    drops the rest of the buffered block and skips ``delta`` blocks;
    ``jumped(k)`` skips ``k * 2**48`` blocks.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> a = np.random.Generator(wi.Philox4x32(7)).random(5)
    >>> bool((a == wi.Generator(7).random(5)).all())
    True
    >>> bg = wi.Philox4x32(7)
    >>> bool(bg.random_raw() == wi.Philox4x32(7).random_raw(1)[0])
    True
    """
    cdef wi_bg_state rng_state

    def __init__(self, seed=None, stream=0):
        if seed is None:
            seed = np.random.SeedSequence()
        key = key_from_seed(seed)   # TypeError/ValueError before anything else
        sid = stream_id(stream)
        BitGenerator.__init__(self, seed)
        self.rng_state.key.v[0] = key[0]
        self.rng_state.key.v[1] = key[1]
        self.rng_state.stream = sid
        self.rng_state.counter = 0
        self.rng_state.buffer_pos = 4
        for i in range(4):
            self.rng_state.buffer[i] = 0
        self._bitgen.state = <void *>&self.rng_state
        self._bitgen.next_uint64 = &_next_uint64
        self._bitgen.next_uint32 = &_next_uint32
        self._bitgen.next_double = &_next_double
        self._bitgen.next_raw = &_next_uint64

    def __repr__(self):
        return (f"Philox4x32(key=({self.rng_state.key.v[0]:#010x}, "
                f"{self.rng_state.key.v[1]:#010x}), stream={self.rng_state.stream}, "
                f"counter={self.rng_state.counter}, buffer_pos={self.rng_state.buffer_pos})")

    @property
    def state(self):
        """The state as a dict: ``bit_generator``, ``key`` (two ints),
        ``stream``, ``counter`` (next block), ``buffer`` (4 uint32 words of
        the last block) and ``buffer_pos`` (0-4, 4 = empty)."""
        s = &self.rng_state
        return {"bit_generator": "Philox4x32",
                "key": (int(s.key.v[0]), int(s.key.v[1])),
                "stream": int(s.stream),
                "counter": int(s.counter),
                "buffer": [int(s.buffer[i]) for i in range(4)],
                "buffer_pos": int(s.buffer_pos)}

    @state.setter
    def state(self, value):
        if not isinstance(value, Mapping):   # any Mapping, as numpy.random.BitGenerator's
            raise TypeError(f"state must be a dict; got {type(value).__name__}")
        if value.get("bit_generator") != "Philox4x32":
            raise ValueError("state must be for a Philox4x32 PRNG; got bit_generator="
                             f"{value.get('bit_generator')!r}")
        missing = {"key", "stream", "counter", "buffer", "buffer_pos"} - set(value)
        if missing:
            raise ValueError(f"state is missing {', '.join(sorted(missing))}")
        key, buffer = value["key"], value["buffer"]
        if not isinstance(key, (tuple, list)) or len(key) != 2:
            raise ValueError("state['key'] must be two uint32 ints")
        if not isinstance(buffer, (tuple, list, np.ndarray)) or len(buffer) != 4:
            raise ValueError("state['buffer'] must be four uint32 ints")
        k = [_uint(x, "state['key']", 1 << 32) for x in key]
        b = [_uint(x, "state['buffer']", 1 << 32) for x in buffer]
        stream = _uint(value["stream"], "state['stream']", _U64)
        counter = _uint(value["counter"], "state['counter']", _U64)
        pos = _uint(value["buffer_pos"], "state['buffer_pos']", 5)
        # All checked: now write.
        self.rng_state.key.v[0], self.rng_state.key.v[1] = k
        for i in range(4):
            self.rng_state.buffer[i] = b[i]
        self.rng_state.stream = stream
        self.rng_state.counter = counter
        self.rng_state.buffer_pos = pos

    def random_raw(self, size=None, output=True):
        """uint64 draws (``next_uint64``), as NumPy's BitGenerators.

        Parameters
        ----------
        size : None or int or tuple of ints
            None gives one Python int.
        output : bool, default True
            False advances the state and returns None.

        Examples
        --------
        >>> Philox4x32(0).random_raw(3).dtype
        dtype('uint64')
        """
        cdef Py_ssize_t i, n
        cdef uint64_t[::1] view
        if size is None:
            with self.lock:
                v = _next_uint64(&self.rng_state)
            return int(v) if output else None
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        if n < 0 or any(int(d) < 0 for d in shape):
            raise ValueError(f"size must be non-negative; got {size}")
        out = np.empty(n, dtype=np.uint64)
        view = out
        with self.lock, nogil:
            for i in range(n):
                view[i] = _next_uint64(&self.rng_state)
        return out.reshape(shape) if output else None

    def advance(self, delta):
        """Drop the rest of the buffered block and skip ``delta`` blocks
        (``counter += delta``); returns self.

        Examples
        --------
        >>> a = Philox4x32(0).advance(3).random_raw(2)
        >>> bool((a == Philox4x32(0).random_raw(8)[6:]).all())
        True
        """
        delta = _uint(delta, "delta", _U64)
        with self.lock:
            self.rng_state.counter += <uint64_t>delta
            self.rng_state.buffer_pos = 4
        return self

    def jumped(self, jumps=1):
        """A copy advanced by ``jumps * 2**48`` blocks (this one unchanged).

        Examples
        --------
        >>> bg = Philox4x32(0)
        >>> bg.jumped(2).state["counter"] == 2 * 2**48
        True
        """
        jumps = _uint(jumps, "jumps", 1 << 16)
        bg = Philox4x32(self._seed_seq)
        bg.state = self.state
        bg.advance(jumps * JUMP_BLOCKS)
        return bg

    @classmethod
    def _at(cls, seed_seq, key, stream, counter):
        """A Philox4x32 at block ``counter`` of ``(key, stream)``, buffer empty."""
        bg = cls(seed_seq)
        bg.state = {"bit_generator": "Philox4x32", "key": key, "stream": stream,
                    "counter": counter, "buffer": [0, 0, 0, 0], "buffer_pos": 4}
        return bg
