"""Known answers: Random123's Philox4x32 vectors (7 and 10 rounds) against the
C core's ``philox4x32`` and against the pure-Python reference."""
import sys
from pathlib import Path

import numpy as np
import pytest

from weightinit import _core

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_philox as ref  # noqa: E402

KAT_FILE = Path(__file__).resolve().parent / "data" / "philox4x32_kat.txt"
SENTINEL = 0xDEADBEEF   # as Random123's kat harness: a result never written stays wrong


def read_kat(path=KAT_FILE):
    """Rows ``(rounds, ctr, key, expected)`` of the KAT file, as ints."""
    rows = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        name, rounds, *words = fields
        assert name == "philox4x32" and len(words) == 10, line
        words = [int(w, 16) for w in words]
        rows.append((int(rounds), tuple(words[:4]), tuple(words[4:6]), tuple(words[6:])))
    return rows


KAT = read_kat()
KAT_IDS = [f"r{r}-ctr{c[0]:08x}-key{k[0]:08x}" for r, c, k, _ in KAT]


def test_kat_file_covers_7_and_10_rounds():
    """The file is read in full: 3 vectors for each of 7 and 10 rounds."""
    assert sorted(r for r, *_ in KAT) == [7, 7, 7, 10, 10, 10]


@pytest.mark.parametrize("rounds, ctr, key, expected", KAT, ids=KAT_IDS)
def test_core_philox4x32(rounds, ctr, key, expected):
    """The C core's block function gives the published words."""
    result = np.full(4, SENTINEL, dtype=np.uint32)
    result[:] = _core.philox4x32(rounds, ctr, key)
    np.testing.assert_array_equal(result, np.array(expected, dtype=np.uint32))


@pytest.mark.parametrize("rounds, ctr, key, expected", KAT, ids=KAT_IDS)
def test_reference_philox4x32(rounds, ctr, key, expected):
    """The scalar and vectorized references give the published words."""
    result = np.full(4, SENTINEL, dtype=np.uint32)
    result[:] = ref.philox4x32(ctr, key, rounds)
    np.testing.assert_array_equal(result, np.array(expected, dtype=np.uint32))

    result = np.full((1, 4), SENTINEL, dtype=np.uint32)
    result[:] = ref.philox4x32_np([[c] for c in ctr], key, rounds)
    np.testing.assert_array_equal(result[0], np.array(expected, dtype=np.uint32))


@pytest.mark.parametrize("rounds", [1, 2, 7, 10, 12])
def test_core_matches_reference_on_random_counters(rounds):
    """Beyond the KAT rows: 200 random (counter, key) pairs at several round counts."""
    rng = np.random.default_rng(rounds)
    words = rng.integers(0, 2**32, size=(200, 6), dtype=np.uint64)
    for row in words:
        ctr, key = tuple(int(w) for w in row[:4]), tuple(int(w) for w in row[4:])
        result = np.full(4, SENTINEL, dtype=np.uint32)
        result[:] = _core.philox4x32(rounds, ctr, key)
        np.testing.assert_array_equal(result, np.array(ref.philox4x32(ctr, key, rounds),
                                                       dtype=np.uint32))


def test_vectorized_reference_matches_scalar_reference():
    """The vectorized reference equals the round-by-round one on 100 counters."""
    rng = np.random.default_rng(7)
    ctr = rng.integers(0, 2**32, size=(4, 100), dtype=np.uint64)
    key = (0x243F6A88, 0x85A308D3)
    got = ref.philox4x32_np(ctr, key)
    want = [ref.philox4x32(col, key) for col in ctr.T]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.uint32))
