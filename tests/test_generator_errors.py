"""Bad input to the Generator (docs/contract.md 5): the right exception, a message
naming the argument, ``out`` untouched and no blocks consumed."""
import numpy as np
import pytest

import weightinit as wi

SHAPE = (4, 5)
SENTINEL = -7.25      # exact in every float dtype
F32 = np.float32


def good_out(dtype=F32, shape=SHAPE):
    """A valid ``out`` full of the sentinel; returns (out, array to check)."""
    a = np.full(shape, SENTINEL, dtype)
    return a, a


def read_only_out():
    a = np.full(SHAPE, SENTINEL, F32)
    a.flags.writeable = False
    return a, a


def strided_out():
    base = np.full((4, 10), SENTINEL, F32)
    return base[:, ::2], base


def fortran_out():
    a = np.asfortranarray(np.full(SHAPE, SENTINEL, F32))
    return a, a


def misaligned_out():
    buf = np.zeros(4 * 20 + 1, np.uint8)
    a = buf[1:].view(F32).reshape(SHAPE)
    a[...] = SENTINEL
    assert not a.flags.aligned
    return a, buf


def byteswapped_out():
    a = np.full(SHAPE, SENTINEL, np.dtype(F32).newbyteorder())
    return a, a


# (id, make_out, call(g, out), exception, match)
CASES = [
    # dtype
    ("dtype-int32", good_out, lambda g, o: g.random(SHAPE, dtype=np.int32, out=o), TypeError, "dtype"),
    ("dtype-complex", good_out, lambda g, o: g.standard_normal(SHAPE, np.complex64, o), TypeError, "dtype"),
    ("dtype-name", good_out, lambda g, o: g.normal(0, 1, SHAPE, "float8", o), TypeError, "dtype"),
    ("dtype-uint32", good_out, lambda g, o: g.uniform(0, 1, SHAPE, np.uint32, o), TypeError, "dtype"),
    # out itself
    ("out-float64", lambda: good_out(np.float64), lambda g, o: g.random(SHAPE, F32, o), TypeError, "out"),
    ("out-float16", lambda: good_out(np.float16), lambda g, o: g.normal(0, 1, SHAPE, F32, o), TypeError, "out"),
    ("out-raw-float", good_out, lambda g, o: g.random_raw(SHAPE, out=o), TypeError, "out"),
    ("out-read-only", read_only_out, lambda g, o: g.random(SHAPE, F32, o), ValueError, "out"),
    ("out-strided", strided_out, lambda g, o: g.random(SHAPE, F32, o), ValueError, "out"),
    ("out-fortran", fortran_out, lambda g, o: g.standard_normal(SHAPE, F32, o), ValueError, "out"),
    ("out-misaligned", misaligned_out, lambda g, o: g.random(SHAPE, F32, o), ValueError, "out"),
    ("out-byteswapped", byteswapped_out, lambda g, o: g.random(SHAPE, F32, o), ValueError, "out"),
    ("out-wrong-shape", good_out, lambda g, o: g.random((5, 4), F32, o), ValueError, "out"),
    ("out-region-shape", good_out,
     lambda g, o: g.random((8, 5), F32, o, region=(slice(0, 3),)), ValueError, "out"),
    ("out-region-no-size", good_out,
     lambda g, o: g.random(None, F32, o, region=(slice(0, 4),)), ValueError, "size"),
    # size
    ("size-negative", good_out, lambda g, o: g.random(-1, F32, o), ValueError, "size"),
    ("size-negative-dim", good_out, lambda g, o: g.random((4, -5), F32, o), ValueError, "size"),
    ("size-float", good_out, lambda g, o: g.random(2.5, F32, o), TypeError, "size"),
    ("size-float-dim", good_out, lambda g, o: g.random((4, 5.0), F32, o), TypeError, "size"),
    ("size-overflow", good_out, lambda g, o: g.random((2**40, 2**40), F32, o), ValueError, "size"),
    # region
    ("region-step-2", good_out,
     lambda g, o: g.random((8, 5), F32, o, region=(slice(0, 8, 2),)), ValueError, "region"),
    ("region-not-slice", good_out,
     lambda g, o: g.random(SHAPE, F32, o, region=(1, slice(None))), TypeError, "region"),
    ("region-too-many", good_out,
     lambda g, o: g.random(SHAPE, F32, o, region=(slice(None),) * 3), ValueError, "region"),
    ("region-float-bound", good_out,
     lambda g, o: g.random(SHAPE, F32, o, region=(slice(0.0, 4),)), TypeError, "region"),
    # threads
    ("threads-0", good_out, lambda g, o: g.random(SHAPE, F32, o, threads=0), ValueError, "threads"),
    ("threads-float", good_out, lambda g, o: g.random(SHAPE, F32, o, threads=2.0), TypeError, "threads"),
    ("threads-str", good_out, lambda g, o: g.random(SHAPE, F32, o, threads="2"), TypeError, "threads"),
    # normal
    ("loc-nan", good_out, lambda g, o: g.normal(np.nan, 1.0, SHAPE, F32, o), ValueError, "loc"),
    ("loc-inf", good_out, lambda g, o: g.normal(np.inf, 1.0, SHAPE, F32, o), ValueError, "loc"),
    ("loc-str", good_out, lambda g, o: g.normal("0", 1.0, SHAPE, F32, o), TypeError, "loc"),
    ("scale-0", good_out, lambda g, o: g.normal(0.0, 0.0, SHAPE, F32, o), ValueError, "scale"),
    ("scale-negative", good_out, lambda g, o: g.normal(0.0, -1.0, SHAPE, F32, o), ValueError, "scale"),
    ("scale-nan", good_out, lambda g, o: g.normal(0.0, np.nan, SHAPE, F32, o), ValueError, "scale"),
    ("scale-inf", good_out, lambda g, o: g.normal(0.0, np.inf, SHAPE, F32, o), ValueError, "scale"),
    # truncated normal
    ("tn-loc-nan", good_out,
     lambda g, o: g.truncated_normal(np.nan, 1.0, size=SHAPE, dtype=F32, out=o), ValueError, "loc"),
    ("tn-scale-0", good_out,
     lambda g, o: g.truncated_normal(0.0, 0.0, size=SHAPE, dtype=F32, out=o), ValueError, "scale"),
    ("tn-a-equals-b", good_out,
     lambda g, o: g.truncated_normal(0, 1, 1.0, 1.0, SHAPE, F32, o), ValueError, r"\ba\b.*\bb\b"),
    ("tn-a-above-b", good_out,
     lambda g, o: g.truncated_normal(0, 1, 2.0, -2.0, SHAPE, F32, o), ValueError, r"\ba\b.*\bb\b"),
    ("tn-a-nan", good_out,
     lambda g, o: g.truncated_normal(0, 1, np.nan, 2.0, SHAPE, F32, o), ValueError, r"\ba\b"),
    ("tn-b-nan", good_out,
     lambda g, o: g.truncated_normal(0, 1, -2.0, np.nan, SHAPE, F32, o), ValueError, r"\bb\b"),
    ("tn-a-str", good_out,
     lambda g, o: g.truncated_normal(0, 1, "-2", 2.0, SHAPE, F32, o), TypeError, r"\ba\b"),
    ("tn-far-tail", good_out,
     lambda g, o: g.truncated_normal(0, 1, 40.0, 50.0, SHAPE, F32, o), ValueError, r"\ba\b.*\bb\b"),
    # uniform
    ("low-equals-high", good_out, lambda g, o: g.uniform(1.0, 1.0, SHAPE, F32, o), ValueError, "low"),
    ("low-above-high", good_out, lambda g, o: g.uniform(2.0, 1.0, SHAPE, F32, o), ValueError, "low"),
    ("low-nan", good_out, lambda g, o: g.uniform(np.nan, 1.0, SHAPE, F32, o), ValueError, "low"),
    ("high-inf", good_out, lambda g, o: g.uniform(0.0, np.inf, SHAPE, F32, o), ValueError, "high"),
    ("range-overflow", good_out, lambda g, o: g.uniform(-1e308, 1e308, SHAPE, F32, o), ValueError, "high"),
]


def raw_bits(a):
    """A copy of the bytes of ``a`` (any dtype, any layout)."""
    return np.frombuffer(a.tobytes(order="A"), np.uint8)


@pytest.mark.parametrize("make_out, call, exc, match", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rejected_call_leaves_out_untouched(make_out, call, exc, match):
    """The call raises, naming the argument; out keeps its sentinel and the
    generator has consumed nothing."""
    g = wi.Generator(7)
    out, check = make_out()
    before = raw_bits(check)
    with pytest.raises(exc, match=match):
        call(g, out)
    np.testing.assert_array_equal(raw_bits(check), before)
    np.testing.assert_array_equal(g.random_raw(4), wi.Generator(7).random_raw(4))


ARG_CASES = [c for c in CASES if not c[0].startswith("out-")]


@pytest.mark.parametrize("call, exc, match", [c[2:] for c in ARG_CASES],
                         ids=[c[0] for c in ARG_CASES])
def test_rejected_without_out(call, exc, match):
    """The same bad arguments are rejected when a new array would be returned."""
    g = wi.Generator(7)
    with pytest.raises(exc, match=match):
        call(g, None)
    np.testing.assert_array_equal(g.random_raw(4), wi.Generator(7).random_raw(4))


def test_past_end_of_stream_leaves_out_untouched():
    """A call running past block 2**64 is rejected, naming size."""
    g = wi.Generator(3).advance(2**64 - 2)
    out, _ = good_out()
    with pytest.raises(ValueError, match="size"):
        g.random(SHAPE, F32, out)     # needs 5 blocks, 2 are left
    assert (out == SENTINEL).all()


EMPTY_CALLS = [   # (id, call, dtype of its out)
    ("random", lambda g, size, out: g.random(size, F32, out), F32),
    ("uniform", lambda g, size, out: g.uniform(-1.0, 1.0, size, F32, out), F32),
    ("standard_normal", lambda g, size, out: g.standard_normal(size, F32, out), F32),
    ("normal", lambda g, size, out: g.normal(0.0, 2.0, size, np.float64, out), np.float64),
    ("truncated_normal",
     lambda g, size, out: g.truncated_normal(0.0, 1.0, -2.0, 2.0, size, F32, out), F32),
    ("random_raw", lambda g, size, out: g.random_raw(size, out), np.uint32),
]


@pytest.mark.parametrize("with_out", [False, True], ids=["new", "out"])
@pytest.mark.parametrize("call, dtype", [c[1:] for c in EMPTY_CALLS],
                         ids=[c[0] for c in EMPTY_CALLS])
def test_empty_call_at_end_of_stream(call, dtype, with_out):
    """With every block used, a size-0 call returns an empty result and
    consumes nothing (as NumPy); a non-empty one is still refused, naming size."""
    g = wi.Generator(3).advance(2**64)
    out = np.empty((2, 0), dtype) if with_out else None
    result = call(g, (2, 0), out)
    assert result.shape == (2, 0) and result.dtype == dtype and g._next_block == 2**64
    assert result is out or not with_out
    out = np.full(1, 7, dtype) if with_out else None    # 7: exact in uint32 too
    with pytest.raises(ValueError, match="size"):
        call(g, 1, out)
    assert g._next_block == 2**64 and (out is None or (out == 7).all())


@pytest.mark.parametrize("seed, exc", [
    (-1, ValueError), (2**64, ValueError), (1.5, TypeError), (np.float64(3.0), TypeError),
    ("abc", TypeError), (b"1", TypeError), (True, TypeError), ([1, 2], TypeError),
])
def test_bad_seed(seed, exc):
    with pytest.raises(exc, match="seed"):
        wi.Generator(seed)


@pytest.mark.parametrize("stream, exc", [
    (-1, ValueError), (2**64, ValueError), (1.5, TypeError), (b"name", TypeError),
    (None, TypeError), (False, TypeError),
])
def test_bad_stream(stream, exc):
    with pytest.raises(exc, match="stream"):
        wi.Generator(0, stream)


@pytest.mark.parametrize("delta, exc", [(-1, ValueError), (1.5, TypeError), (2**64 + 1, ValueError)])
def test_bad_advance(delta, exc):
    g = wi.Generator(0)
    with pytest.raises(exc, match="delta"):
        g.advance(delta)
    np.testing.assert_array_equal(g.random_raw(4), wi.Generator(0).random_raw(4))


@pytest.mark.parametrize("n, exc", [(-1, ValueError), (1.5, TypeError)])
def test_bad_spawn(n, exc):
    with pytest.raises(exc, match="n_children"):
        wi.Generator(0).spawn(n)


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_bad_thread_env_var(value, monkeypatch):
    """A bad WEIGHTINIT_NUM_THREADS is named when a fill needs the default."""
    monkeypatch.setenv("WEIGHTINIT_NUM_THREADS", value)
    out, _ = good_out()
    with pytest.raises(ValueError, match="WEIGHTINIT_NUM_THREADS"):
        wi.Generator(0).random(SHAPE, F32, out)
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("n, exc", [(0, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_bad_set_num_threads(n, exc):
    try:
        with pytest.raises(exc, match="threads"):
            wi.set_num_threads(n)
    finally:
        wi.set_num_threads(None)


def test_bad_isa_env_var(monkeypatch):
    monkeypatch.setenv("WEIGHTINIT_ISA", "sse9")
    out, _ = good_out()
    with pytest.raises(ValueError, match="WEIGHTINIT_ISA"):
        wi.Generator(0).random(SHAPE, F32, out)
    assert (out == SENTINEL).all()


def test_bit_generator_of_used_up_generator():
    """Every block used: a clear ValueError, not a Philox4x32 whose counter
    would wrap to the stream's start."""
    g = wi.Generator(3).advance(2**64)
    with pytest.raises(ValueError, match="used every block of its stream"):
        g.bit_generator
    assert g._next_block == 2**64


def test_bit_generator_at_last_block():
    """One block left: the bit generator starts at it (its counter, like
    NumPy's Philox, wraps after it)."""
    g = wi.Generator(3).advance(2**64 - 1)
    bg = g.bit_generator
    assert bg.state["counter"] == 2**64 - 1
    np.testing.assert_array_equal(bg.random_raw(2), g.random_raw(4).view(np.uint64))
