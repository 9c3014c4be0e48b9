"""``_core.draw_whole``, the Generator's per-call path: it fills only a
repeat of the last plan's kind into a plain out, and otherwise returns None
having written nothing and consumed no block, so the checked path raises
its own errors (docs/contract.md 2)."""
import numpy as np
import pytest

import weightinit as wi
from weightinit import _core, _fill

_STD = (0.0, 1.0, 0.0, 0.0)


def _primed(n=12, dtype=np.float32):
    g = wi.Generator(4)
    g.standard_normal(n, dtype=dtype)        # makes the plan of this kind
    return g


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, "bfloat16"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 0, 3), (1, 4097), (20000,)])
def test_fast_path_values_are_the_checked_paths(dtype, shape):
    g, ref = wi.Generator(9, stream=3), wi.Generator(9, stream=3)   # ref: no out, checked
    out = np.empty(shape, wi._checks.resolve_dtype(dtype))
    first = g.truncated_normal(0.5, 2.0, -1.0, 3.0, shape, dtype=dtype)
    second = g.truncated_normal(0.5, 2.0, -1.0, 3.0, shape, dtype=dtype, out=out)
    assert second is out
    expect = [ref.truncated_normal(0.5, 2.0, -1.0, 3.0, shape, dtype=dtype) for _ in "ab"]
    assert np.array_equal(first.view(np.uint8), expect[0].view(np.uint8))
    assert np.array_equal(out.view(np.uint8), expect[1].view(np.uint8))
    assert g._next_block == ref._next_block


def test_repeat_call_takes_the_fast_path():
    g = _primed()
    out = np.empty(12, np.float32)
    before = g._next_block
    assert _core.draw_whole(g, _fill.NORMAL, 12, np.float32, out, _STD, None) is out
    assert g._next_block == before + 3
    assert (out == wi.Generator(4).standard_normal(24, dtype=np.float32)[12:]).all()


@pytest.mark.parametrize("change", [
    dict(dist=_fill.UNIFORM), dict(dtype=np.float64), dict(dtype="int32"), dict(dtype=[1]),
    dict(size=13), dict(size=(True,) * 1), dict(size=(12.0,)), dict(size=np.int64(12)),
    dict(params=(0.0, 1.0, 0.0, -0.0)), dict(params=(0, 1, 0, 0)),
    dict(out=np.zeros(13, np.float32)), dict(out=np.zeros(12, np.float64)),
    dict(out=np.zeros(24, np.float32)[::2]), dict(out=np.zeros((12, 1), np.float32)),
    dict(out=np.zeros(12, np.float32).view(np.memmap)),
    dict(out=np.zeros(12, np.dtype(">f4"))),
    dict(out=np.zeros(49, np.uint8)[1:].view(np.float32)),     # misaligned
])
def test_anything_else_is_left_to_the_checked_path(change):
    g = _primed()
    args = dict(dist=_fill.NORMAL, size=12, dtype=np.float32, out=np.zeros(12, np.float32),
                params=_STD)
    args.update(change)
    before = np.array(args["out"], copy=True)
    assert _core.draw_whole(g, args["dist"], args["size"], args["dtype"], args["out"],
                            args["params"], None) is None
    assert np.array_equal(np.asarray(args["out"]), before)
    assert g._next_block == 3


def test_read_only_out_after_reuse_raises_and_writes_nothing():
    g = _primed()
    out = np.zeros(12, np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        g.standard_normal(12, dtype=np.float32, out=out)
    assert (out == 0).all() and g._next_block == 3


def test_bad_threads_after_reuse_raise_and_consume_nothing():
    g = _primed()
    out = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match="threads"):
        g.standard_normal(12, dtype=np.float32, out=out, threads=0)
    with pytest.raises(TypeError, match="threads"):
        g.standard_normal(12, dtype=np.float32, out=out, threads=1.5)
    assert (out == 0).all() and g._next_block == 3


def test_bad_environment_after_reuse_raises(monkeypatch):
    g = _primed()
    out = np.zeros(12, np.float32)
    monkeypatch.setenv("WEIGHTINIT_NUM_THREADS", "zero")
    with pytest.raises(ValueError, match="WEIGHTINIT_NUM_THREADS"):
        g.standard_normal(12, dtype=np.float32, out=out)
    monkeypatch.delenv("WEIGHTINIT_NUM_THREADS")
    monkeypatch.setenv("WEIGHTINIT_ISA", "sse9")
    with pytest.raises(ValueError, match="WEIGHTINIT_ISA"):
        g.standard_normal(12, dtype=np.float32, out=out)
    assert (out == 0).all() and g._next_block == 3


def test_end_of_stream_after_reuse_raises():
    g = _primed(8)
    g.advance((1 << 64) - g._next_block - 1)
    out = np.zeros(8, np.float32)
    with pytest.raises(ValueError, match="end of the stream"):
        g.standard_normal(8, dtype=np.float32, out=out)
    assert (out == 0).all()
    g.standard_normal(4, dtype=np.float32)    # the last block still fits
    assert g._next_block == 1 << 64


def test_empty_repeat_call_at_end_of_stream():
    """A size-0 repeat consumes nothing on either path, at the end of the
    stream too, where a non-empty one still raises."""
    g = _primed(0)
    out = np.empty(0, np.float32)
    assert _core.draw_whole(g, _fill.NORMAL, 0, np.float32, out, _STD, None) is out
    assert g._next_block == 0
    g.advance(1 << 64)
    assert g.standard_normal(0, dtype=np.float32, out=out) is out
    assert g.standard_normal(out=out, dtype=np.float32) is out
    assert g._next_block == 1 << 64
    with pytest.raises(ValueError, match="end of the stream"):
        g.standard_normal(1, dtype=np.float32, out=np.zeros(1, np.float32))
    assert g._next_block == 1 << 64


@pytest.mark.parametrize("call", [
    lambda g, out: g.normal(np.float64(0.0), 1.0, 12, dtype=np.float32, out=out),
    lambda g, out: g.normal(0.0, -0.0 + 1.0, 12, dtype=np.float32, out=out, threads=1),
    lambda g, out: g.uniform(0.0, 1.0, 12, dtype=np.float32, out=out),
    lambda g, out: g.truncated_normal(0.0, 1.0, -2.0, 2.0, 12, dtype=np.float32, out=out),
])
def test_fast_path_values_for_each_method(call):
    g, ref = wi.Generator(6), wi.Generator(6)
    out = np.empty(12, np.float32)
    for _ in range(3):                     # first call: the checked path; then the fast one
        got = call(g, out)
        assert got is out
        assert np.array_equal(out, call(ref, None))


@pytest.mark.parametrize("bad, match", [
    (dict(loc=float("nan")), "loc"), (dict(scale=0.0), "scale"), (dict(scale=-1.0), "scale"),
    (dict(a=2.0), "a must be less than b"), (dict(b=float("nan")), "b"),
    (dict(loc=np.zeros(2)), "loc must be a scalar"),
])
def test_bad_parameters_after_reuse_still_raise(bad, match):
    g = wi.Generator(0)
    out = np.zeros(12, np.float32)
    kw = dict(loc=0.0, scale=1.0, a=-2.0, b=2.0)
    g.truncated_normal(**kw, size=12, dtype=np.float32, out=out)
    out[:] = 0
    kw.update(bad)
    with pytest.raises((TypeError, ValueError), match=match):
        g.truncated_normal(**kw, size=12, dtype=np.float32, out=out)
    assert (out == 0).all() and g._next_block == 3
