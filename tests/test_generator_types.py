"""Type checkers see Generator's and Philox4x32's signatures (issue 10): the
stubs of the compiled modules match them, and mypy types user code by them."""
import importlib.util
import subprocess
import sys
import textwrap

import pytest
from _extras import TEST, missing

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason=missing("mypy", TEST))

_USER = """\
    from typing import Any, assert_type
    import numpy as np
    from weightinit import Generator, default_rng
    from weightinit._bitgen import Philox4x32

    Arr = np.ndarray[Any, np.dtype[Any]]
    g = default_rng(0, stream="layer.0")
    assert_type(g, Generator)
    assert_type(g.random(), float)
    assert_type(g.random(3, dtype="float32"), Arr)
    assert_type(g.standard_normal(out=np.empty(3)), Arr)
    assert_type(g.truncated_normal(0.0, 1.0, -2.0, 2.0, (4, 4), region=(slice(0, 2),)), Arr)
    assert_type(g.random_raw(), int)
    assert_type(g.spawn(2), list[Generator])
    bg = g.bit_generator
    assert_type(bg, Philox4x32)
    assert_type(Philox4x32(7, stream=3).jumped(2).advance(5), Philox4x32)
    assert_type(bg.random_raw(), int)
    assert_type(bg.random_raw(4), np.ndarray[Any, np.dtype[np.uint64]])
    bg.state = bg.state
    Generator(seed="0")
    g.normal(0.0, 1.0, size=3.5)
    g.uniform(threads="all")
    Philox4x32(stream=1.5)
    """
_FIRST_BAD = 21   # the line of _USER's first wrong call; each one after it is wrong too


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_stubs_match_the_compiled_modules(tmp_path):
    run = _run("mypy.stubtest", "weightinit._core", "weightinit._bitgen", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_types_calls_by_the_hints(tmp_path):
    (tmp_path / "user.py").write_text(textwrap.dedent(_USER))
    run = _run("mypy", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
               "user.py", cwd=tmp_path)
    errors = {int(line.split(":")[1]) for line in run.stdout.splitlines()
              if line.startswith("user.py:") and ": error:" in line}
    lines = len(textwrap.dedent(_USER).splitlines())
    assert errors == set(range(_FIRST_BAD, lines + 1)), run.stdout + run.stderr
