"""Generator reuses one plan per kind of call (``Plan.fill(base_block=)``) and
fills a plain ``out`` through ``_core.fill_whole`` (a repeat call through
``_core.draw_whole``, tests/test_generator_fast_path.py): the values are those of
fresh plans at each call's block, whatever the order of kinds and whatever
``out`` is (docs/contract.md 2)."""
import struct

import numpy as np
import pytest

import weightinit as wi
from weightinit import _plan


def test_repeated_calls_continue_the_stream():
    g, out = wi.Generator(5), np.empty(1000)
    first = g.random(1000, out=out).copy()
    second = g.random(1000, out=out).copy()
    assert (np.concatenate([first, second]) == wi.Generator(5).random(2000)).all()


def test_changing_kind_makes_a_new_plan():
    g = wi.Generator(7, stream="s")
    a = g.uniform(0.0, 1.0, 6)
    b = g.uniform(0.0, 2.0, 6)            # other params: not the last plan
    c = g.normal(0.0, 1.0, (2, 3), dtype="float32")
    d = g.normal(0.0, 1.0, (3, 2), dtype="float32")   # other shape
    ref = wi.Generator(7, stream="s")
    assert (ref.uniform(0.0, 1.0, 6) == a).all()
    assert (ref.uniform(0.0, 2.0, 6) == b).all()
    assert (ref.normal(0.0, 1.0, (2, 3), dtype="float32") == c).all()
    assert (ref.normal(0.0, 1.0, (3, 2), dtype="float32") == d).all()
    assert not np.array_equal(a * 2, b)


@pytest.mark.parametrize("make_out", [
    lambda: np.empty(12),                               # the fast path
    lambda: np.empty(24)[::2].copy(),                   # also plain
    lambda: np.empty(12).view(np.memmap),               # a subclass: the checked path
])
def test_out_paths_agree(make_out):
    g = wi.Generator(3)
    g.advance(10)
    out = make_out()
    got = g.standard_normal(12, out=out)
    assert got is out
    assert (np.asarray(out) == wi.Generator(3).advance(10).standard_normal(12)).all()


def test_bad_out_after_reuse_writes_nothing():
    g = wi.Generator(0)
    g.random(8, out=np.empty(8))
    bad = np.zeros(16)[::2]               # not contiguous
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        g.random(8, out=bad)
    assert (bad == 0).all()
    assert (g.random(8) == wi.Generator(0).random(16)[8:]).all()   # no block consumed


def test_plan_fill_base_block_moves_the_start():
    plan = _plan.make(_plan.NORMAL, (5, 4), np.dtype("float32"), (1, 2), 9, (0.0, 1.0, 0.0, 0.0))
    moved = _plan.make(_plan.NORMAL, (5, 4), np.dtype("float32"), (1, 2), 9,
                       (0.0, 1.0, 0.0, 0.0), base_block=33)
    out = np.empty((5, 4), np.float32)
    assert (plan.fill(out=out, base_block=33) == moved.fill()).all()
    assert (plan.fill(region=(slice(1, 3),), base_block=33) == moved.fill()[1:3]).all()
    assert not np.array_equal(plan.fill(), moved.fill())


def test_doubled_plan_takes_the_checked_path():
    big = float(np.finfo(np.float32).max)
    g = wi.Generator(1)
    out = np.empty(64, np.float32)
    got = g.uniform(-big, big, 64, dtype="float32", out=out)
    assert np.isfinite(got).all() and (got < big).all() and got.min() < -big / 4
    assert (got == wi.Generator(1).uniform(-big, big, 64, dtype="float32")).all()


def test_signed_zero_parameters_are_another_kind():
    g = wi.Generator(2)
    a = g.uniform(0.0, 1.0, 8)
    b = g.normal(-0.0, 1.0, 8)
    c = g.normal(0.0, 1.0, 8)              # == the last params, but not the same bits
    assert g._plan.params == (0.0, 1.0, 0.0, 0.0)
    assert struct.pack("d", g._plan.params[0]) == struct.pack("d", 0.0)
    ref = wi.Generator(2)
    assert (ref.uniform(0.0, 1.0, 8) == a).all()
    assert (ref.normal(-0.0, 1.0, 8) == b).all()
    assert (ref.normal(0.0, 1.0, 8) == c).all()
