"""A slow, plainly written reference of Philox4x32-R and of the stream contract.

Written from Salmon et al. (SC11) and docs/contract.md section 2 only, never from the
C code, so that the tests compare two independent implementations:

* ``philox4x32`` is one block in pure Python ints, round by round;
* ``philox4x32_np`` is the same, vectorized over many counters with uint64
  NumPy arithmetic (a 32 x 32 bit product always fits in 64 bits);
* the stream functions turn (key, stream, element index) into raw words,
  64-bit values and uniforms exactly as the contract says.

Element indices are given as offsets from the start of block ``first_block``
(element ``i`` lies in block ``first_block + i // per``), so a Generator that
has advanced near the end of the 2**64-block stream is described without
indices that overflow 64 bits.

>>> [hex(w) for w in philox4x32((0, 0, 0, 0), (0, 0), rounds=10)]
['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
>>> key_of(2**32 + 5)
(5, 1)
"""
from __future__ import annotations

import hashlib
import math

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57          # round multipliers
W0, W1 = 0x9E3779B9, 0xBB67AE85          # key bumps (golden ratio, sqrt(3) - 1)
MASK32 = 0xFFFFFFFF


# -- Philox4x32-R, one block in Python ints ----------------------------------
def philox_round(ctr, key):
    """One Philox4x32 round: two 32x32 -> 64 bit products, xors and a swap."""
    p0 = M0 * ctr[0]
    p1 = M1 * ctr[2]
    return ((p1 >> 32) ^ ctr[1] ^ key[0], p1 & MASK32,
            (p0 >> 32) ^ ctr[3] ^ key[1], p0 & MASK32)


def bump_key(key):
    """The key schedule: add the Weyl constants modulo 2**32."""
    return (key[0] + W0) & MASK32, (key[1] + W1) & MASK32


def philox4x32(ctr, key, rounds=10):
    """The 4 output words of Philox4x32-``rounds`` for counter ``ctr`` (4 words)
    and ``key`` (2 words); word 0 is the low word of each."""
    ctr, key = tuple(int(c) for c in ctr), tuple(int(k) for k in key)
    for r in range(rounds):
        if r > 0:
            key = bump_key(key)
        ctr = philox_round(ctr, key)
    return ctr


# -- the same, vectorized ----------------------------------------------------
def philox4x32_np(ctr, key, rounds=10):
    """Philox4x32-``rounds`` of many counters: ``ctr`` is 4 arrays of words,
    the result an ``(n, 4)`` uint32 array."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in ctr)
    k0, k1 = int(key[0]), int(key[1])
    for r in range(rounds):
        if r > 0:
            k0, k1 = bump_key((k0, k1))
        p0 = c0 * np.uint64(M0)
        p1 = c2 * np.uint64(M1)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & np.uint64(MASK32),
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & np.uint64(MASK32))
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


# -- seeds, streams, blocks --------------------------------------------------
def key_of(seed):
    """Key of an int seed in [0, 2**64) or a numpy SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        k0, k1 = seed.generate_state(2, np.uint32)
        return int(k0), int(k1)
    return seed & MASK32, seed >> 32


def stream_of(stream):
    """64-bit stream number of an int or a str (sha256, first 8 bytes, little-endian)."""
    if isinstance(stream, str):
        return int.from_bytes(hashlib.sha256(stream.encode("utf-8")).digest()[:8], "little")
    return stream


def blocks(key, stream, block_numbers):
    """Philox4x32-10 blocks ``block_numbers`` (uint64 array) of ``stream``:
    counter (b lo, b hi, stream lo, stream hi). Returns ``(n, 4)`` uint32."""
    b = np.asarray(block_numbers, dtype=np.uint64).ravel()
    s_lo = np.full(b.shape, stream & MASK32, dtype=np.uint64)
    s_hi = np.full(b.shape, stream >> 32, dtype=np.uint64)
    return philox4x32_np((b & np.uint64(MASK32), b >> np.uint64(32), s_lo, s_hi), key)


def _lanes(offsets, first_block, per):
    offsets = np.asarray(offsets, dtype=np.uint64)
    block = np.uint64(first_block) + offsets // np.uint64(per)
    return offsets.shape, block.ravel(), (offsets % np.uint64(per)).ravel().astype(np.intp)


def raw_words(key, stream, offsets, first_block=0):
    """uint32 words of float32-precision elements: element i is word i % 4
    of block first_block + i // 4."""
    shape, block, lane = _lanes(offsets, first_block, 4)
    w = blocks(key, stream, block)
    return w[np.arange(len(block)), lane].reshape(shape)


def raw_u64(key, stream, offsets, first_block=0):
    """uint64 values of float64 elements: element i is (w[2j+1] << 32) | w[2j],
    j = i % 2, of block first_block + i // 2."""
    shape, block, lane = _lanes(offsets, first_block, 2)
    w = blocks(key, stream, block).astype(np.uint64)
    rows = np.arange(len(block))
    lo, hi = w[rows, 2 * lane], w[rows, 2 * lane + 1]
    return ((hi << np.uint64(32)) | lo).reshape(shape)


def random_f32(key, stream, offsets, first_block=0):
    """Uniform [0, 1) float32: (w >> 8) * 2**-24 (exact in float32)."""
    w = raw_words(key, stream, offsets, first_block)
    return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)


def random_f64(key, stream, offsets, first_block=0):
    """Uniform [0, 1) float64: (x >> 11) * 2**-53 (exact in float64)."""
    x = raw_u64(key, stream, offsets, first_block)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def scale_uniform(u, low, high):
    """``low + u * (high - low)`` in u's precision, kept below ``high``.

    ``low`` and the range ``high - low`` (computed in float64) are rounded to
    u's dtype first; the result never reaches the largest value below
    ``high`` rounded to u's dtype.
    """
    t = u.dtype.type
    x = t(low) + u * t(high - low)
    return np.minimum(x, np.nextafter(t(high), t(-np.inf)))


def uniform(dtype, low, high, key, stream, offsets, first_block=0):
    """Uniform [low, high) of ``dtype`` (float32 or float64)."""
    u = (random_f32 if np.dtype(dtype) == np.float32 else random_f64)(
        key, stream, offsets, first_block)
    return scale_uniform(u, low, high)


# -- shapes and regions ------------------------------------------------------
def elements(n):
    """Offsets 0 .. n-1 (a whole 1-D call)."""
    return np.arange(n, dtype=np.uint64)


def region_offsets(shape, region=()):
    """Row-major global indices of ``full[region]`` for a global ``shape``."""
    return np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)[region]


def blocks_used(n, per):
    """Blocks a Generator call of n elements consumes: ceil(n / per)."""
    return -(-n // per)
