"""weightinit.Philox4x32 as NumPy tests its BitGenerators (test_direct.py):
the stream against the pure-Python reference, state, pickling, advance,
jumped, spawn, Generator methods and bad input; and threadpoolctl."""
import os
import pickle
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import weightinit as wi

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_philox as ref  # noqa: E402

SEED, STREAM = 2**40 + 12345, 9


def ref_words(seed, stream, first_block, n_blocks):
    key = (seed & 0xFFFFFFFF, seed >> 32)
    words = []
    for b in range(first_block, first_block + n_blocks):
        ctr = (b & 0xFFFFFFFF, b >> 32, stream & 0xFFFFFFFF, stream >> 32)
        words.extend(ref.philox4x32(ctr, key))
    return words


def ref_u64(seed, stream, first_block, n_blocks):
    w = ref_words(seed, stream, first_block, n_blocks)
    return [(w[2 * j + 1] << 32) | w[2 * j] for j in range(len(w) // 2)]


def test_random_raw_is_the_stream_in_64_bit_pairs():
    got = wi.Philox4x32(SEED, STREAM).random_raw(10)
    assert got.dtype == np.uint64
    assert got.tolist() == ref_u64(SEED, STREAM, 0, 5)


def test_random_raw_scalar_and_output_false():
    bg = wi.Philox4x32(SEED)
    first = bg.random_raw()
    assert isinstance(first, int) and first == ref_u64(SEED, 0, 0, 1)[0]
    assert bg.random_raw(3, output=False) is None
    assert bg.random_raw() == ref_u64(SEED, 0, 0, 3)[4]


def test_uint32_draws_take_the_words_in_order():
    g = np.random.Generator(wi.Philox4x32(SEED, STREAM))
    # integers(0, 2**32, dtype=uint32) takes one next_uint32 per value (no rejection).
    got = g.integers(0, 2**32, size=9, dtype=np.uint32, endpoint=False)
    assert got.tolist() == ref_words(SEED, STREAM, 0, 3)[:9]


def test_interleaving_rule():
    g = np.random.Generator(wi.Philox4x32(SEED))
    w = ref_words(SEED, 0, 0, 3)
    u32 = lambda: int(g.integers(0, 2**32, dtype=np.uint32))    # noqa: E731
    u64 = lambda: int(g.integers(0, 2**64, dtype=np.uint64))    # noqa: E731
    assert u32() == w[0]
    assert u64() == (w[3] << 32) | w[2]      # word 1 skipped: pairs stay aligned
    assert u32() == w[4]                     # after a 64-bit draw: the next word
    assert u32() == w[5]
    assert u64() == (w[7] << 32) | w[6]


def test_random_equals_weightinit_float64_uniform():
    a = np.random.Generator(wi.Philox4x32(SEED, STREAM)).random(101)
    b = wi.Generator(SEED, STREAM).random(101)
    np.testing.assert_array_equal(a, b)


def test_state_round_trip():
    bg = wi.Philox4x32(SEED, STREAM)
    bg.random_raw(3)
    np.random.Generator(bg).integers(0, 2**32, dtype=np.uint32)
    state = bg.state
    assert state["bit_generator"] == "Philox4x32"
    expected = bg.random_raw(7)
    other = wi.Philox4x32(0)
    other.state = state
    np.testing.assert_array_equal(other.random_raw(7), expected)
    assert other.state == bg.state


def test_state_from_any_mapping():
    # as numpy.random.BitGenerator's setter (its stub takes a Mapping)
    bg = wi.Philox4x32(0)
    bg.random_raw(3)
    other = wi.Philox4x32(1)
    other.state = types.MappingProxyType(bg.state)
    assert other.state == bg.state


@pytest.mark.parametrize("bad, error", [
    (None, TypeError), ([1, 2], TypeError),
    ({"bit_generator": "PCG64"}, ValueError),
    ({"bit_generator": "Philox4x32"}, ValueError),
])
def test_bad_state(bad, error):
    bg = wi.Philox4x32(1)
    before = bg.state
    with pytest.raises(error):
        bg.state = bad
    assert bg.state == before


@pytest.mark.parametrize("field, value, error", [
    ("key", (1,), ValueError), ("key", (1, 2**32), ValueError),
    ("counter", -1, ValueError), ("counter", 1.5, TypeError),
    ("buffer_pos", 5, ValueError), ("buffer", [0, 0, 0], ValueError),
    ("stream", 2**64, ValueError),
])
def test_bad_state_fields_write_nothing(field, value, error):
    bg = wi.Philox4x32(1)
    before = bg.state
    with pytest.raises(error, match=field):
        bg.state = {**before, field: value}
    assert bg.state == before


@pytest.mark.parametrize("seed, error", [
    (-1, ValueError), (2**64, ValueError), (1.0, TypeError), (True, TypeError), ("a", TypeError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        wi.Philox4x32(seed)


def test_bad_stream():
    with pytest.raises(ValueError):
        wi.Philox4x32(0, stream=-1)


def test_pickle_bit_generator_and_generator():
    bg = wi.Philox4x32(SEED, STREAM)
    bg.random_raw(5)
    bg2 = pickle.loads(pickle.dumps(bg))
    assert type(bg2) is wi.Philox4x32 and bg2.state == bg.state
    np.testing.assert_array_equal(bg2.random_raw(4), bg.random_raw(4))
    g = np.random.Generator(wi.Philox4x32(SEED))
    g.normal(size=3)
    g2 = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(g2.normal(size=5), g.normal(size=5))


def test_advance_drops_the_buffer_and_skips_blocks():
    bg = wi.Philox4x32(SEED)
    bg.random_raw(1)                    # block 0 computed, counter 1
    bg.advance(3)
    assert bg.random_raw(2).tolist() == ref_u64(SEED, 0, 4, 1)
    assert wi.Philox4x32(SEED).advance(2).random_raw() == ref_u64(SEED, 0, 2, 1)[0]


def test_advance_bad_delta():
    with pytest.raises(TypeError):
        wi.Philox4x32(0).advance(1.0)
    with pytest.raises(ValueError):
        wi.Philox4x32(0).advance(-1)


def test_jumped():
    bg = wi.Philox4x32(SEED, STREAM)
    bg.random_raw(3)
    before = bg.state
    j = bg.jumped(2)
    assert bg.state == before                    # the original is unchanged
    assert j.state["counter"] == before["counter"] + 2 * 2**48
    expected = wi.Philox4x32(SEED, STREAM).advance(before["counter"] + 2 * 2**48).random_raw(4)
    np.testing.assert_array_equal(j.random_raw(4), expected)
    with pytest.raises(ValueError):
        bg.jumped(-1)


def test_spawn_is_independent_and_reproducible():
    children = wi.Philox4x32(SEED).spawn(3)
    draws = [c.random_raw(8) for c in children]
    keys = {c.state["key"] for c in children}
    assert len(keys) == 3
    for i in range(3):
        for k in range(i + 1, 3):
            assert not np.array_equal(draws[i], draws[k])
    again = [c.random_raw(8) for c in wi.Philox4x32(SEED).spawn(3)]
    for a, b in zip(draws, again):
        np.testing.assert_array_equal(a, b)
    assert isinstance(wi.Philox4x32(SEED).seed_seq, np.random.SeedSequence)


def test_seed_sequence_seed_matches_weightinit_generator():
    seq = np.random.SeedSequence(77)
    a = np.random.Generator(wi.Philox4x32(seq)).random(6)
    np.testing.assert_array_equal(a, wi.Generator(np.random.SeedSequence(77)).random(6))


def test_numpy_generator_methods_run():
    g = np.random.Generator(wi.Philox4x32(7))
    assert g.integers(0, 10, size=100).max() < 10
    assert sorted(g.choice(10, 10, replace=False)) == list(range(10))
    assert sorted(g.permutation(8)) == list(range(8))
    x = np.arange(20)
    g.shuffle(x)
    assert sorted(x) == list(range(20))
    assert (g.exponential(size=1000) >= 0).all()
    n = g.normal(size=20000)
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    assert g.standard_normal(3, dtype=np.float32).dtype == np.float32
    assert 0 <= g.random(dtype=np.float32) < 1
    assert g.bytes(5).__len__() == 5
    assert g.gamma(2.0, size=10).shape == (10,)


def test_lock_and_capsule():
    bg = wi.Philox4x32(0)
    with bg.lock:
        pass
    assert "BitGenerator" in repr(bg.capsule)


def test_generator_bit_generator_continues_at_the_next_block():
    g = wi.Generator(SEED, STREAM)
    g.random(3)                                  # blocks 0, 1 used
    bg = g.bit_generator
    assert bg.state["counter"] == 2 and bg.state["key"] == g._key
    np.testing.assert_array_equal(np.random.Generator(bg).random(4), g.random(4))


def test_exported():
    assert "Philox4x32" in wi.__all__
    assert issubclass(wi.Philox4x32, np.random.BitGenerator)


# -- threadpoolctl -------------------------------------------------------------
def test_threadpoolctl_lists_and_limits_weightinit():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "weightinit"]
    assert len(infos) == 1 and "_core" in infos[0]["filepath"]
    before = wi.get_num_threads()
    with threadpoolctl.threadpool_limits(1):
        assert wi.get_num_threads() == 1
        assert wi._threads.resolve_threads(None, 10**9) == 1    # what a big fill uses
        assert wi.Generator(0).random(10).shape == (10,)
    assert wi.get_num_threads() == before
    assert wi._threads._default is None          # automatic again, not pinned
    with threadpoolctl.threadpool_limits(1, user_api="weightinit"):
        assert wi.get_num_threads() == 1


def test_threadpoolctl_keeps_an_explicit_setting():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    wi.set_num_threads(3)
    try:
        with threadpoolctl.threadpool_limits(1):
            assert wi.get_num_threads() == 1
        assert wi.get_num_threads() == 3
    finally:
        wi.set_num_threads(None)


@pytest.mark.parametrize("first", ["weightinit", "threadpoolctl"])
def test_threadpoolctl_registration_either_import_order(first):
    pytest.importorskip("threadpoolctl")
    second = {"weightinit": "threadpoolctl", "threadpoolctl": "weightinit"}[first]
    code = (f"import {first}, {second}, sys\n"
            "import threadpoolctl as t\n"
            "print(sum(i['user_api'] == 'weightinit' for i in t.threadpool_info()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"


def test_import_weightinit_imports_neither_threadpoolctl_nor_numpy_random():
    code = ("import sys, weightinit\n"
            "print('threadpoolctl' in sys.modules, 'weightinit._bitgen' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize("omp, expected", [("1", 1), ("3,2", 3), ("junk", None), ("0", None)])
def test_omp_num_threads(omp, expected):
    # OMP_NUM_THREADS as the process starts with it; WEIGHTINIT_NUM_THREADS wins.
    code = ("import os, weightinit as wi\n"
            "print(wi.get_num_threads(), wi._threads._available_cpus())\n"
            "os.environ['WEIGHTINIT_NUM_THREADS'] = '2'\n"
            "print(wi.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k != "WEIGHTINIT_NUM_THREADS"}
    env["OMP_NUM_THREADS"] = omp
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    got, auto, own = int(out[0]), int(out[1]), int(out[2])
    assert got == (expected if expected is not None else auto)
    assert own == 2


def test_omp_num_threads_set_after_import_is_not_read(monkeypatch):
    # dask's Nanny puts OMP_NUM_THREADS=1 into os.environ for its workers:
    # the client's own fills must keep every CPU, as OpenMP runtimes do.
    monkeypatch.delenv("WEIGHTINIT_NUM_THREADS", raising=False)
    wi.set_num_threads(None)
    before = wi.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert wi.get_num_threads() == before


# -- wi.Generator parameters are scalars (refused, not broadcast) ---------------
@pytest.mark.parametrize("method, kwargs", [
    ("uniform", {"low": np.zeros(2)}), ("uniform", {"high": [1.0, 2.0]}),
    ("normal", {"loc": np.zeros(2)}), ("normal", {"scale": (1.0, 2.0)}),
    ("truncated_normal", {"loc": np.zeros(2)}), ("truncated_normal", {"scale": [1.0]}),
])
def test_generator_array_parameters_are_refused(method, kwargs):
    name = next(iter(kwargs))
    with pytest.raises(TypeError, match=f"{name} must be a scalar"):
        getattr(wi.Generator(0), method)(size=2, **kwargs)


def test_generator_zero_d_parameters_are_scalars():
    a = wi.Generator(0).normal(np.array(1.5), np.array(2.0), 4)
    np.testing.assert_array_equal(a, wi.Generator(0).normal(1.5, 2.0, 4))


def test_bitgen_docstring_examples():
    # --doctest-modules does not collect a compiled .pyx: run its examples here.
    import doctest
    from weightinit import _bitgen
    result = doctest.testmod(_bitgen, extraglobs={"Philox4x32": _bitgen.Philox4x32})
    assert result.attempted > 0 and result.failed == 0
