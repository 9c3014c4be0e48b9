"""Files are written from the dtype's name and bits alone (weightinit._dtypes):
a bfloat16 file never imports ml_dtypes (about a second), and its bytes are
the public initializers' bfloat16 arrays, constants and doubled uniforms
included (docs/contract.md 7)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import weightinit as wi
from weightinit import _dtypes
from _safetensors_bytes import tensors

# the paths of a file's window that need no NumPy bfloat16: a plan, the
# constants, a padding row; and a tensor of each other dtype
SPECS = {
    "emb": {"shape": [50, 24], "init": {"name": "random_normal", "stddev": 0.02},
            "dtype": "bfloat16", "padding_idx": 3},
    "w": {"shape": [24, 40], "init": "he_normal", "dtype": "BF16"},
    "bias": {"shape": [40], "init": "zeros", "dtype": "bfloat16"},
    "norm": {"shape": [24], "init": "ones", "dtype": "bfloat16"},
    "third": {"shape": [5], "init": {"name": "constant", "value": 1 / 3}, "dtype": "bfloat16"},
    "half": {"shape": [6, 2], "init": "glorot_uniform", "dtype": "float16"},
    "f64": {"shape": [3], "init": {"name": "constant", "value": 0.1}, "dtype": "float64"},
}
#: a doubled plan (its float32 range overflows) multiplies values after the
#: core, so it views its buffer as ml_dtypes' bfloat16
WIDE = {"wide": {"shape": [9, 7], "init": {"name": "random_uniform", "minval": -3e38,
                                           "maxval": 3e38}, "dtype": "bfloat16"}}
SEED = 21


def _expected(name: str) -> bytes:
    spec = {**SPECS, **WIDE}[name]
    init = spec["init"] if isinstance(spec["init"], dict) else {"name": spec["init"]}
    params = {k: v for k, v in init.items() if k != "name"}
    dtype = _dtypes.kind_of(spec["dtype"]).name
    shape = tuple(spec["shape"])
    if init["name"] in ("zeros", "ones", "constant"):
        got = getattr(wi, init["name"])(shape, dtype=dtype, **params)
    else:
        got = getattr(wi, init["name"])(shape, seed=SEED, stream=name, dtype=dtype, **params)
    if "padding_idx" in spec:
        got[spec["padding_idx"]] = 0
    return got.tobytes()


def _run(argv) -> list[str]:
    """``weightinit`` in a fresh interpreter: its exit code, then whether
    ml_dtypes and torch were imported."""
    code = ("import sys; from weightinit.cli import main; rc = main(sys.argv[1:]); "
            "print(rc, 'ml_dtypes' in sys.modules, 'torch' in sys.modules)")
    return subprocess.run([sys.executable, "-c", code, *map(str, argv)], capture_output=True,
                          text=True, check=True, env=os.environ.copy()).stdout.split()


@pytest.mark.parametrize("output", ["m.safetensors", "folder"])
def test_a_bfloat16_spec_is_written_without_ml_dtypes(tmp_path, output):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"seed": SEED, "tensors": SPECS}))
    target = tmp_path / output
    argv = ["init", spec, "-o", target, "--quiet"]
    if output == "folder":   # sharded, as --from-hf writes
        argv += ["--max-shard-size", "3KB"]
    assert _run(argv) == ["0", "False", "False"]
    files = [target] if output.endswith(".safetensors") else sorted(target.glob("*.safetensors"))
    assert len(files) >= (1 if output.endswith(".safetensors") else 2)
    got = {k: v for f in files for k, v in tensors(f).items()}
    assert sorted(got) == sorted(SPECS)
    for name, (header, data) in got.items():
        assert header["dtype"] == _dtypes.kind_of(SPECS[name]["dtype"]).safetensors
        assert data == _expected(name), name


def test_every_window_path_has_the_bits_of_the_initializers(tmp_path):
    path = tmp_path / "m.safetensors"
    wi.save_safetensors(path, {**SPECS, **WIDE}, seed=SEED)
    got = tensors(path)
    assert sorted(got) == sorted({**SPECS, **WIDE})
    assert all(data == _expected(name) for name, (_, data) in got.items())


@pytest.mark.parametrize("value", [0.0, -0.0, 1.0, 1 / 3, -2.5e-3, 1e-40, 3.3961e38, 3.4e38,
                                   -1e39])
def test_a_bfloat16_constant_has_the_bits_of_the_initializer(tmp_path, value):
    path = tmp_path / "c.safetensors"
    wi.save_safetensors(path, {"c": {"shape": [4], "init": {"name": "constant", "value": value},
                                     "dtype": "bfloat16"}}, seed=0)
    assert tensors(path)["c"][1] == wi.constant((4,), value, dtype="bfloat16").tobytes()


def test_the_dtype_names_are_declared_once():
    from weightinit.safetensors import SAFETENSORS_DTYPES
    assert SAFETENSORS_DTYPES == {k.name: k.safetensors for k in _dtypes.KINDS.values()}
    for kind in _dtypes.KINDS.values():
        assert _dtypes.kind_of(kind.safetensors) is _dtypes.kind_of(kind.name) is kind
        assert kind.numpy.itemsize == kind.bits.itemsize == kind.itemsize
        assert kind.numpy.name == kind.name
    assert _dtypes.kind_of("bf16") is _dtypes.kind_of("BFloat16") is _dtypes.KINDS["bfloat16"]
    assert _dtypes.kind_of(np.float32) is _dtypes.KINDS["float32"]
    with pytest.raises(ValueError, match=r"tensors\['x'\]\.dtype must be one of float32"):
        wi.save_safetensors("unused.safetensors", {"x": {"shape": [1], "init": "zeros",
                                                         "dtype": "int8"}})
