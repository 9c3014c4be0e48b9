"""The Generator's raw words and uniforms, bit for bit (and its normals, as
Box-Muller of the documented words, within a few ulps) against the pure-NumPy
reference of the stream contract (docs/contract.md 2): seeds, streams, offsets deep
in the stream, partial blocks, consecutive calls and regions."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import weightinit as wi

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_philox as ref  # noqa: E402

SEEDS = [0, 1, 123456789, 2**32 - 1, 2**32, 2**32 + 5, 2**63 + 11, 2**64 - 1]
STREAMS = [0, 1, 2**32 - 1, 2**32 + 7, 2**64 - 1, "encoder.0.q_proj", "décodeur.层.7"]
# Blocks skipped before the call: near 0, across the 2**32 carry, around 2**62
# (where float32 element indices pass 2**64) and near 2**63.
OFFSETS = [0, 3, 2**32 - 3, 2**62 - 2, 2**62 + 1, 2**63 - 3]


def offset_id(offset):
    """Readable test ids: 2**62-2 rather than 4611686018427387902."""
    for p in (64, 63, 62, 32):
        if abs(offset - 2**p) < 1000:
            d = offset - 2**p
            return f"2**{p}{d:+d}" if d else f"2**{p}"
    return str(offset)


def _uniform(dtype, low, high):
    def call(g, size, **kw):
        return g.uniform(low, high, size, dtype=dtype, **kw)

    def want(key, stream, offsets, first_block):
        return ref.uniform(dtype, low, high, key, stream, offsets, first_block)
    return call, want, (4 if dtype == np.float32 else 2)


# kind -> (Generator call, reference, elements per block)
KINDS = {
    "raw": (lambda g, size, **kw: g.random_raw(size, **kw), ref.raw_words, 4),
    "random32": (lambda g, size, **kw: g.random(size, dtype=np.float32, **kw),
                 ref.random_f32, 4),
    "random64": (lambda g, size, **kw: g.random(size, dtype=np.float64, **kw),
                 ref.random_f64, 2),
    "random-default": (lambda g, size, **kw: g.random(size, **kw), ref.random_f64, 2),
    "uniform32": _uniform(np.float32, -0.5, 0.25),
    "uniform64": _uniform(np.float64, -0.5, 0.25),
    "uniform32-inexact": _uniform(np.float32, 0.1, 0.7),
    "uniform64-inexact": _uniform(np.float64, -1e3, 1e-3),
}


def assert_bits_equal(actual, expected):
    """Same dtype, shape and bits."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    bits = np.dtype(f"u{actual.dtype.itemsize}")
    np.testing.assert_array_equal(actual.view(bits), expected.view(bits))


def check_call(kind, seed, stream, first_block, size, **kw):
    """A fresh Generator advanced to ``first_block`` gives the reference's values."""
    call, want, _ = KINDS[kind]
    g = wi.Generator(seed, stream).advance(first_block)
    got = call(g, size, **kw)
    shape = (size,) if isinstance(size, int) else size
    offsets = ref.region_offsets(shape, kw.get("region") or ())
    assert_bits_equal(got, want(ref.key_of(seed), ref.stream_of(stream), offsets, first_block))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_seeds(kind, seed):
    """Fresh generators of many seeds (incl. >= 2**32) start at block 0."""
    check_call(kind, seed, 3, 0, 23)


@pytest.mark.parametrize("kind", ["raw", "random32", "random64"])
@pytest.mark.parametrize("stream", STREAMS)
def test_streams(kind, stream):
    """Int streams (both counter words) and str streams hashed by sha256."""
    check_call(kind, 2**32 + 5, stream, 0, 11)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("offset", OFFSETS, ids=offset_id)
def test_offsets(kind, offset):
    """After advance(offset), a call of 4k+3 elements reads blocks from offset on."""
    check_call(kind, 2**40 + 77, "layer.1", offset, 4 * 5 + 3)


@pytest.mark.parametrize("kind", ["raw", "random32", "random64"])
def test_seed_sequence(kind):
    """A SeedSequence seed uses generate_state(2, uint32) as the key."""
    seq = np.random.SeedSequence(20240601)
    check_call(kind, seq, "w", 0, 17)
    assert ref.key_of(seq) == wi.key_from_seed(np.random.SeedSequence(20240601))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("offset", [0, 2**32 - 2], ids=offset_id)
def test_consecutive_calls_start_at_next_block(kind, offset):
    """Each call starts at the next unused block; partial blocks are skipped."""
    call, want, per = KINDS[kind]
    g = wi.Generator(99, 5).advance(offset)
    block = offset
    for size in [7, 1, 13, (2, 3), 4, 9]:
        n = size if isinstance(size, int) else int(np.prod(size))
        got = call(g, size)
        shape = (size,) if isinstance(size, int) else size
        assert_bits_equal(got, want(ref.key_of(99), 5, ref.region_offsets(shape), block))
        block += ref.blocks_used(n, per)


@pytest.mark.parametrize("kind", ["raw", "random32", "random64"])
def test_scalar_call(kind):
    """size=None returns one Python scalar (element 0) and consumes one block."""
    call, want, per = KINDS[kind]
    g = wi.Generator(8, 2)
    first = call(g, None)
    second = call(g, 2)
    assert isinstance(first, int if kind == "raw" else float)
    assert first == want(ref.key_of(8), 2, ref.elements(1), 0)[0]
    assert_bits_equal(second, want(ref.key_of(8), 2, ref.elements(2), 1))


REGIONS = [
    ((17,), (slice(3, 14),)),                          # partial blocks at both edges
    ((17,), (slice(5, 6),)),                           # one element inside a block
    ((17,), (slice(8, 8),)),                           # empty
    ((5, 7), (slice(1, 4), slice(2, 7))),
    ((5, 7), (slice(None), slice(3, 4))),              # one column
    ((5, 7), (slice(-2, None),)),                      # fewer slices than axes, negative start
    ((9, 13), (slice(2, 9), slice(1, 12))),
    ((3, 5, 6), (slice(1, 3), slice(0, 4), slice(3, 5))),
    ((3, 5, 6), (slice(0, 3), slice(2, 3))),
    ((4, 3, 2, 5), (slice(1, 3), slice(None), slice(1, 2), slice(1, 4))),
    ((50, 300), (slice(7, 43), slice(101, 257))),      # rows spanning several chunks
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape, region", REGIONS, ids=[f"{s}-{r}" for s, r in REGIONS])
def test_regions(kind, shape, region):
    """A region equals the reference at the region's global indices."""
    check_call(kind, 2**33 + 1, "shard", 0, shape, region=region)


@pytest.mark.parametrize("kind", ["raw", "random32", "random64"])
@pytest.mark.parametrize("offset", [1, 2**32 - 1, 2**62 - 1], ids=offset_id)
def test_region_after_offset_and_next_call(kind, offset):
    """A region drawn mid-stream uses the call's base; the call consumes the
    blocks of the whole size, so the next call starts after them."""
    call, want, per = KINDS[kind]
    key, shape, region = ref.key_of(4), (6, 11), (slice(2, 5), slice(3, 10))
    g = wi.Generator(4, 9).advance(offset)
    assert_bits_equal(call(g, shape, region=region),
                      want(key, 9, ref.region_offsets(shape, region), offset))
    nxt = offset + ref.blocks_used(66, per)
    assert_bits_equal(call(g, 5), want(key, 9, ref.elements(5), nxt))


@pytest.mark.parametrize("threads", [1, 2])
def test_long_fill_slice_boundaries(threads):
    """A fill long enough to be cut into several C calls (8 Mi elements per
    thread each) is continuous across the cuts and ends correctly."""
    n = threads * 2**23 + 6
    got = wi.Generator(12, 34).random_raw(n, threads=threads)
    cut = threads * 2**23
    idx = np.r_[0:6, cut - 9:cut + 6, n - 3:n].astype(np.uint64)
    np.testing.assert_array_equal(got[idx], ref.raw_words(ref.key_of(12), 34, idx))


@pytest.mark.parametrize("kind", ["raw", "random32", "random64"])
@pytest.mark.parametrize("offset", [5, 2**62 - 5, 2**63 - 5], ids=offset_id)
def test_threaded_fill_deep_in_stream(kind, offset):
    """Each thread's share reads the right blocks, also where the element
    index no longer fits 64 bits (float32 from 2**62 blocks, float64 from 2**63)."""
    call, want, _ = KINDS[kind]
    n = 2**17 + 3
    got = call(wi.Generator(21, 22).advance(offset), n, threads=2)
    assert_bits_equal(got, want(ref.key_of(21), 22, ref.elements(n), offset))


def test_last_blocks_of_the_stream():
    """The stream has 2**64 blocks: the last ones can be read, and a call
    that would run past the end is rejected without writing."""
    g = wi.Generator(5, 6).advance(2**64 - 3)
    got = g.random_raw(12)
    np.testing.assert_array_equal(got, ref.raw_words(ref.key_of(5), 6, ref.elements(12),
                                                     2**64 - 3))
    with pytest.raises(ValueError, match="size"):
        g.random_raw(1)


def test_float32_normal_at_smallest_radius_word():
    """Block 360477 of (0, "max-radius") has w[2] >> 8 == 0: Box-Muller takes
    u = 2**-24 (never 0), so the pair has radius sqrt(-2 log 2**-24) = 5.7678,
    finite and within the documented 5.768."""
    block = 360477
    words = wi.Generator(0, "max-radius").advance(block).random_raw(4)
    assert words[2] >> 8 == 0
    z = wi.Generator(0, "max-radius").advance(block).standard_normal(4, dtype=np.float32)
    radius = math.hypot(float(z[2]), float(z[3]))
    assert np.isfinite(z).all() and np.abs(z).max() <= 5.768
    assert radius == pytest.approx(math.sqrt(-2 * math.log(2.0**-24)), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_normal_is_box_muller_of_its_words(dtype):
    """Each pair is (r cos 2 pi t, r sin 2 pi t), r = sqrt(-2 log u), of the
    documented words (README): the library's own log/sincos agree with
    libm's float64 within a few ulps of the output precision."""
    n, per = 200_000, (4 if dtype == np.float32 else 2)
    key, stream = ref.key_of(5), ref.stream_of("box-muller")
    if per == 4:
        w = ref.raw_words(key, stream, ref.elements(n)).astype(np.uint64)
        bits, shift = 24, 8
    else:
        w = ref.raw_u64(key, stream, ref.elements(n))
        bits, shift = 53, 11
    u = ((w[0::2] >> np.uint64(shift)) + np.uint64(1)).astype(np.float64) * 2.0**-bits
    t = (w[1::2] >> np.uint64(shift)).astype(np.float64) * 2.0**-bits
    r = np.sqrt(-2.0 * np.log(u))
    want = np.empty(n)
    want[0::2], want[1::2] = r * np.cos(2 * np.pi * t), r * np.sin(2 * np.pi * t)
    got = wi.Generator(5, "box-muller").standard_normal(n, dtype=dtype).astype(np.float64)
    # errors of both sides grow with the radius (the angle's rounding is scaled by r)
    tol = 16 * np.finfo(dtype).eps * np.maximum(1.0, np.repeat(r, 2))
    assert (np.abs(got - want) <= tol).all(), np.max(np.abs(got - want) / tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_normal_bits_are_the_fused_reference(dtype):
    """Stream version 2, bit for bit: the pure-Python Box-Muller with exactly
    rounded fused multiply-adds (tests/reference_normal.py) gives the
    library's normals, so every fma of the C paths rounds once."""
    import reference_normal as refn
    n, mean, std = 64, 0.25, 0.5            # mean, std exact in float32
    key, stream = ref.key_of(17), ref.stream_of("fused")
    got = wi.Generator(17, "fused").normal(mean, std, n, dtype=dtype)
    if dtype == np.float32:
        w = [int(v) for v in ref.raw_words(key, stream, ref.elements(n))]
        pairs = [refn.normal_f32(w[i], w[i + 1], mean, std) for i in range(0, n, 2)]
    else:
        x = [int(v) for v in ref.raw_u64(key, stream, ref.elements(n))]
        pairs = [refn.normal_f64(x[i], x[i + 1], mean, std) for i in range(0, n, 2)]
    want = np.array([v for pair in pairs for v in pair], dtype=dtype)
    assert_bits_equal(got, want)
