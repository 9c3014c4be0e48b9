"""The public API is annotated, and type checkers see it as users call it."""
import ast
import importlib
import importlib.util
import inspect
import pathlib
import subprocess
import sys
import textwrap

import pytest
from _extras import TEST, missing

import weightinit
from weightinit._catalogue import FUNCTION_NAMES

MODULES = ["weightinit", "weightinit.torch", "weightinit.jax", "weightinit.dask",
           "weightinit.safetensors"]
_OPTIONAL = {"weightinit.torch": "torch", "weightinit.jax": "jax", "weightinit.dask": "dask"}

#: Public callables that inspect cannot read hints from: the Cython class is
#: typed by its stub, src/weightinit/_bitgen.pyi (tests/test_generator_types.py).
EXEMPT = {"weightinit.Philox4x32"}

SRC = pathlib.Path(weightinit.__file__).parent


def _module(name):
    if name in _OPTIONAL:
        pytest.importorskip(_OPTIONAL[name])
    return importlib.import_module(name)


def _callables(modname):
    """``(qualified name, callable)`` of every public function, class and
    class method of the module's ``__all__`` that weightinit defines."""
    module = _module(modname)
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj) or not getattr(obj, "__module__", "").startswith("weightinit"):
            continue        # constants, and jax's own Initializer protocol
        qual = f"{modname}.{name}"
        if not inspect.isclass(obj):
            yield qual, obj
            continue
        for attr, member in vars(obj).items():
            if attr in ("__init__", "__call__") or not attr.startswith("_"):
                if isinstance(member, (classmethod, staticmethod)):
                    member = member.__func__
                if inspect.isfunction(member):
                    yield f"{qual}.{attr}", member
        for base in obj.__mro__[1:]:    # inherited ones are checked on their class,
            if base.__module__.startswith("weightinit"):    # which may be private
                yield from ((f"{qual}({base.__name__}).{a}", m) for a, m in vars(base).items()
                            if inspect.isfunction(m) and (a in ("__init__", "__call__")
                                                          or not a.startswith("_")))


def _missing(fn):
    """The parameters without annotations, and "return" if it has none."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


@pytest.mark.parametrize("modname", MODULES)
def test_public_callables_are_annotated(modname):
    found = dict(_callables(modname))
    assert found, modname
    bad = {q: m for q, fn in found.items() if q.split("(")[0].rsplit(".", 1)[0] not in EXEMPT
           and q not in EXEMPT and (m := _missing(fn))}
    assert not bad, f"unannotated: {bad}"


def test_exemptions_are_still_needed():
    # An exempt callable that is annotated by now must leave the list.
    for qual in sorted(EXEMPT):
        modname, name = qual.rsplit(".", 1)
        obj = getattr(_module(modname), name)
        fns = [obj.__init__] if inspect.isclass(obj) and "__init__" in vars(obj) else [obj]
        try:
            still = any(_missing(fn) for fn in fns)
        except ValueError:          # a builtin without a signature: still unannotated
            still = True
        assert still, f"{qual} is annotated now: remove it from EXEMPT"


def _type_checking_names(path):
    """Names bound inside the file's top-level ``if TYPE_CHECKING:`` blocks."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names |= {a.asname or a.name for a in stmt.names}
                elif isinstance(stmt, ast.AnnAssign):
                    names.add(stmt.target.id)
    return names


def test_type_checkers_see_the_catalogue():
    # The names made at run time (import * of a computed __all__, a loop over
    # the catalogue) are written out for type checkers: the same names.
    from weightinit import initializers
    assert set(initializers.__all__) <= _type_checking_names(SRC / "__init__.py")
    assert _type_checking_names(SRC / "dask.py") == set(FUNCTION_NAMES)


# -- mypy, on code as users write it -------------------------------------------

_GOOD = """\
    from typing import Any, assert_type
    import numpy as np
    import torch
    import weightinit as wi
    import weightinit.dask as wd
    import weightinit.jax as wj
    import weightinit.torch as wt

    w = wi.he_normal((3, 4), seed=0, stream="dense.kernel", dtype="bfloat16", threads=2)
    assert_type(w, np.ndarray[Any, np.dtype[Any]])
    assert_type(wi.variance_scaling(5, 2.0, region=slice(0, 2)), np.ndarray[Any, np.dtype[Any]])
    assert_type(wi.HeNormal(seed=0)((3, 4), "float32"), np.ndarray[Any, np.dtype[Any]])
    a: np.ndarray[Any, np.dtype[Any]] = np.empty((3, 4), np.float32)
    assert_type(wt.kaiming_uniform_(a, a=5 ** 0.5, seed=1, stream="w"),
                np.ndarray[Any, np.dtype[Any]])
    assert_type(wt.uniform_(a, generator=wi.Generator(seed=0)), np.ndarray[Any, np.dtype[Any]])
    wt.orthogonal_(a, generator=None, stream=2)
    t = torch.empty(3, 4)
    wt.normal_(t, 0.0, 0.02, generator=torch.Generator().manual_seed(0))
    wi.stft((8, 1, 5), window="hann", seed=None)
    config = wi.serialize(wi.GlorotUniform(seed=1))
    wi.deserialize(config)
    wd.he_normal((100, 30), chunks=50, seed=0)
    wd.random_normal((100, 30), chunks=("auto", -1), seed=0)
    wd.from_initializer("ones", (100, 30), chunks={0: 25, 1: None})
    wd.zeros((100, 30), chunks=((60, 40), (30,)))
    wd.zeros((100, 30), chunks="64MiB")
    wj.he_normal(in_axis=0, dtype="float32")
    wi.save_safetensors("m.safetensors", {"w": {"shape": [2, 2], "init": "zeros"}}, seed=0)
    """

#: One wrong call a line: mypy must report every one of them. (No wrong
#: ``generator=`` type: torch is skipped below, so torch.Generator is Any.)
_BAD = """\
    import numpy as np
    import weightinit as wi
    import weightinit.dask as wd
    import weightinit.torch as wt
    wi.he_normal((3, 4), seed="0")
    wi.random_uniform((3, 4), threads="all")
    wi.HeNormal(stream=1.5)
    wt.uniform_(np.empty(3), seed=[1])
    wt.constant_(np.empty(3), 0.5, generator=None)
    wi.save_safetensors("m.safetensors", ["w"])
    wi.stft((8, 1, 5), periodic="yes")
    wd.he_normal((4, 4), chunks=2.5)
    """

# The frameworks are not checked (minutes of mypy); weightinit's hints are.
_MYPY_INI = """\
    [mypy]
    [mypy-torch.*,jax.*,jaxlib.*,dask.*,keras.*,transformers.*,ml_dtypes.*,scipy.*]
    follow_imports = skip
    """


def _mypy(tmp_path, code):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip(missing("mypy", TEST))
    (tmp_path / "mypy.ini").write_text(textwrap.dedent(_MYPY_INI))
    (tmp_path / "user.py").write_text(textwrap.dedent(code))
    run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini",
                          "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
                          "user.py"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=900)
    return run.returncode, run.stdout + run.stderr


def test_mypy_accepts_correct_calls(tmp_path):
    code, output = _mypy(tmp_path, _GOOD)
    assert code == 0, output


def test_mypy_reports_each_wrong_call(tmp_path):
    code, output = _mypy(tmp_path, _BAD)
    assert code == 1, output
    first = 5      # the line of the first wrong call
    lines = len(textwrap.dedent(_BAD).splitlines())
    reported = {int(line.split(":")[1]) for line in output.splitlines()
                if line.startswith("user.py:") and ": error:" in line}
    assert reported == set(range(first, lines + 1)), output
