"""Hostile input (docs/contract.md 5): one table of bad calls across the whole public API.

Every row is a call that must be rejected with ``TypeError`` or ``ValueError``
(never a bare ``Exception``, ``RuntimeError``, ``SystemError``, ``OverflowError``
or a crash) whose message matches a regex naming the argument and, where the
design says so, the allowed values. Where the call takes ``out`` (or fills a
tensor in place), the target is pre-filled with a sentinel and the *underlying
buffer* (the base of a strided view, the ``uint8`` buffer under a misaligned
view, the storage under a transposed tensor) must be bit-for-bit unchanged
afterwards: validation happens before any write.

CLI rows run ``weightinit.cli.main([...])`` in a scratch folder and expect
exit code 2, the message on stderr, and no file left behind; the same holds
for ``save_safetensors`` rows (which raise, as the functions do).

The whole table is also replayed in a fresh interpreter, so that a crash of
the C core shows as one failed test instead of killing pytest.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from _extras import missing

import weightinit as wi
import weightinit.torch as wit
from weightinit.cli import main as cli_main

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason=missing("torch"))

S = (4, 5)                 # the shape of every `out` below
F32, F64 = np.float32, np.float64
SENTINEL = 7.25            # exact in every float dtype


# -- targets: (object passed as out / tensor, snapshot of its underlying bytes) --

def _np_bytes(base):
    return lambda: base.tobytes(order="A")


def sentinel(shape=S, dtype=F32):
    a = np.full(shape, SENTINEL, dtype)
    return a, _np_bytes(a)


def read_only():
    a = np.full(S, SENTINEL, F32)
    a.flags.writeable = False
    return a, _np_bytes(a)


def strided():
    """Every other column of a (4, 10) array: right shape, not contiguous."""
    base = np.full((4, 10), SENTINEL, F32)
    return base[:, ::2], _np_bytes(base)


def fortran():
    a = np.asfortranarray(np.full(S, SENTINEL, F32))
    return a, _np_bytes(a)


def misaligned(dtype=F32):
    """A float view one byte into a uint8 buffer."""
    item = np.dtype(dtype).itemsize
    buf = np.zeros(item * 20 + 1, np.uint8)
    a = buf[1:].view(dtype).reshape(S)
    a[...] = SENTINEL
    assert not a.flags.aligned
    return a, _np_bytes(buf)


def byteswapped():
    a = np.full(S, SENTINEL, np.dtype(F32).newbyteorder())
    return a, _np_bytes(a)


def not_ndarray():
    a = [[SENTINEL] * S[1] for _ in range(S[0])]
    return a, lambda: repr(a).encode()


def int_array():
    a = np.full(S, 7, np.int32)
    return a, _np_bytes(a)


def _torch_bytes(base):
    return lambda: base.contiguous().view(torch.uint8).numpy().tobytes()


def t_sentinel(shape=S, dtype="float32"):
    t = torch.full(shape, SENTINEL, dtype=getattr(torch, dtype))
    return t, _torch_bytes(t)


def t_transposed():
    base = torch.full(S[::-1], SENTINEL)
    return base.t(), _torch_bytes(base)


def t_int():
    t = torch.full(S, 7, dtype=torch.int32)
    return t, _torch_bytes(t)


def t_sparse():
    t = torch.full(S, SENTINEL).to_sparse()
    return t, lambda: t.to_dense().numpy().tobytes()


def t_3d():
    return t_sentinel((4, 5, 2))


def t_conv():
    return t_sentinel((6, 4, 3))


class _ShapeLiar(np.ndarray):
    """An ndarray subclass whose ``shape`` claims S while its buffer holds 2
    elements: writes must be sized from the buffer, not from the claim."""

    @property
    def shape(self):
        return S


def shape_liar(dtype=F32):
    """Two elements of a sentinel-filled (4, 5) array, claiming shape S."""
    base = np.full(S, SENTINEL, dtype)
    return base.reshape(-1)[:2].view(_ShapeLiar), _np_bytes(base)


def t_neg_view():
    """A lazy negation view: its memory holds -values."""
    base = torch.full(S, SENTINEL)
    return base._neg_view(), _torch_bytes(base)


def t_freed():
    """A tensor whose storage was freed with resize_(0), as FSDP does."""
    t = torch.full(S, SENTINEL)
    t.untyped_storage().resize_(0)
    return t, lambda: bytes(t.untyped_storage().nbytes())


def t_fake():
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        t = torch.empty(S)
    return t, lambda: b""


def t_nested():
    parts = [torch.full((2, 5), SENTINEL), torch.full((3, 5), SENTINEL)]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "nested tensors are a prototype"
        t = torch.nested.nested_tensor(parts)
    return t, lambda: b"".join(x.numpy().tobytes() for x in t.unbind())


class _IndexRaises:
    """A shape element whose ``__index__`` fails with an unrelated error."""

    def __index__(self):
        return 1 // 0


# -- the CLI ---------------------------------------------------------------------

EXIT2 = "exit code 2"      # expected outcome of a CLI row


class Cli:
    """``weightinit ARGV...`` run in-process, in the current (scratch) folder.

    Returns ``(exit code, stderr)``. ``SystemExit`` counts as the interpreter
    would: an int code as is, a message as code 1 with the message on stderr.
    """

    def __init__(self, *argv, files=None):
        self.argv = [str(a) for a in argv]
        self.files = files or {}

    def setup(self, folder):
        for name, content in self.files.items():
            if isinstance(content, bytes):
                Path(folder, name).write_bytes(content)
                continue
            text = content if isinstance(content, str) else json.dumps(content)
            Path(folder, name).write_text(text)

    def __call__(self, out=None):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli_main(self.argv)
            except SystemExit as exit_:
                code = exit_.code
                if isinstance(code, str):
                    print(code, file=err)
                    code = 1
                elif code is None:
                    code = 0
        return code, err.getvalue()

    def __repr__(self):
        return "weightinit " + " ".join(self.argv)


GOOD_SPEC = {"w": {"shape": [4, 3], "init": "he_normal", "dtype": "float32"}}


def spec(**fields):
    """GOOD_SPEC with its tensor's fields replaced (None deletes a field)."""
    tensor = {**GOOD_SPEC["w"], **fields}
    return {"w": {k: v for k, v in tensor.items() if v is not None}}


def spec_file(**fields):
    return {"spec.json": {"seed": 0, "tensors": spec(**fields)}}


# -- the table ---------------------------------------------------------------------

Case = namedtuple("Case", "id area call exc match out torch")


def case(id, area, call, exc, match, out=None, torch=False):
    return Case(id, area, call, exc, match, out, torch)


K, C, G, T, X, F = "functions", "classes", "Generator", "torch", "CLI", "save_safetensors"

CASES = [
    # ---- Keras-style functions: dtype --------------------------------------------
    case("he_normal-dtype-int32", K, lambda o: wi.he_normal(S, seed=0, dtype="int32", out=o),
         TypeError, r"dtype must be one of float32, float64, float16, bfloat16", sentinel),
    case("glorot_uniform-dtype-unknown-name", K,
         lambda o: wi.glorot_uniform(S, seed=0, dtype="float8", out=o), TypeError, r"dtype", sentinel),
    case("random_normal-dtype-complex", K,
         lambda o: wi.random_normal(S, seed=0, dtype=np.complex64, out=o), TypeError, r"dtype", sentinel),
    case("zeros-dtype-object", K, lambda o: wi.zeros(S, dtype=object, out=o), TypeError, r"dtype",
         sentinel),
    # ---- shape ---------------------------------------------------------------------
    case("he_normal-shape-negative", K, lambda o: wi.he_normal((-4, 5), seed=0, out=o),
         ValueError, r"shape .*negative", sentinel),
    case("he_uniform-shape-float", K, lambda o: wi.he_uniform((4.0, 5), seed=0, out=o),
         TypeError, r"shape", sentinel),
    case("lecun_normal-shape-string", K, lambda o: wi.lecun_normal("4x5", seed=0, out=o),
         TypeError, r"shape", sentinel),
    case("truncated_normal-shape-2**64-elements", K,
         lambda o: wi.truncated_normal((2**32, 2**32), seed=0), ValueError, r"shape.*2\*\*63"),
    case("random_uniform-shape-exactly-2**63-elements", K,
         lambda o: wi.random_uniform((2**62, 2, 1), seed=0), ValueError, r"shape.*2\*\*63"),
    case("random_uniform-maxval-beyond-float32", K,
         lambda o: wi.random_uniform(S, 0.0, 1e39, seed=0, out=o), ValueError,
         r"minval and maxval must round to finite float32", sentinel),
    case("zeros-shape-int-2**64", K, lambda o: wi.zeros(2**64), ValueError, r"shape"),
    case("he_normal-shape-dimension-2**70-of-zero-elements", K,
         lambda o: wi.he_normal((0, 2**70), seed=0), ValueError, r"shape"),
    case("he_normal-shape-dimension-2**63-of-zero-elements-with-region", K,
         lambda o: wi.he_normal((0, 2**63), seed=0, region=(slice(None), slice(0, 2))),
         ValueError, r"shape"),
    case("zeros-shape-dimension-2**70-of-zero-elements-with-region", K,
         lambda o: wi.zeros((0, 2**70), region=(slice(None), slice(0, 2))), ValueError, r"shape"),
    case("orthogonal-shape-rank-1", K, lambda o: wi.orthogonal((20,), seed=0), ValueError,
         r"shape .*2 dimensions"),
    case("identity-shape-rank-3", K, lambda o: wi.identity((2, 2, 5)), ValueError,
         r"shape .*2-dimensional"),
    # ---- region --------------------------------------------------------------------
    case("glorot_normal-region-step-2", K,
         lambda o: wi.glorot_normal((8, 5), seed=0, region=(slice(0, 8, 2),), out=o),
         ValueError, r"region .*step 1", sentinel),
    case("he_normal-region-not-slices", K,
         lambda o: wi.he_normal(S, seed=0, region=(0, slice(None)), out=o),
         TypeError, r"region must be a slice or a tuple of slices", sentinel),
    case("he_normal-region-list", K,
         lambda o: wi.he_normal(S, seed=0, region=[slice(0, 4)], out=o), TypeError, r"region",
         sentinel),
    case("variance_scaling-region-too-many-slices", K,
         lambda o: wi.variance_scaling(S, seed=0, region=(slice(None),) * 3, out=o),
         ValueError, r"region has 3 slices", sentinel),
    case("random_normal-region-float-bounds", K,
         lambda o: wi.random_normal(S, seed=0, region=(slice(0.0, 4.0),), out=o),
         TypeError, r"region .*int bounds", sentinel),
    case("zeros-region-step-2", K, lambda o: wi.zeros((8, 5), region=(slice(0, 8, 2),), out=o),
         ValueError, r"region", sentinel),
    # ---- seed ----------------------------------------------------------------------
    case("he_normal-seed-negative", K, lambda o: wi.he_normal(S, seed=-1, out=o),
         ValueError, r"seed must be an int in \[0, 2\*\*64\)", sentinel),
    case("he_normal-seed-2**64", K, lambda o: wi.he_normal(S, seed=2**64, out=o),
         ValueError, r"seed .*2\*\*64", sentinel),
    case("random_uniform-seed-float", K, lambda o: wi.random_uniform(S, seed=1.0, out=o),
         TypeError, r"seed", sentinel),
    case("truncated_normal-seed-str", K, lambda o: wi.truncated_normal(S, seed="0", out=o),
         TypeError, r"seed", sentinel),
    case("glorot_uniform-seed-bool", K, lambda o: wi.glorot_uniform(S, seed=True, out=o),
         TypeError, r"seed", sentinel),
    case("ones-seed-negative", K, lambda o: wi.ones(S, seed=-5, out=o), ValueError, r"seed",
         sentinel),
    # ---- stream --------------------------------------------------------------------
    case("he_normal-stream-negative", K, lambda o: wi.he_normal(S, seed=0, stream=-1, out=o),
         ValueError, r"stream must be an int in \[0, 2\*\*64\) or a str", sentinel),
    case("he_normal-stream-2**64", K, lambda o: wi.he_normal(S, seed=0, stream=2**64, out=o),
         ValueError, r"stream", sentinel),
    case("lecun_uniform-stream-float", K,
         lambda o: wi.lecun_uniform(S, seed=0, stream=0.5, out=o), TypeError, r"stream", sentinel),
    case("random_normal-stream-bytes", K,
         lambda o: wi.random_normal(S, seed=0, stream=b"dense", out=o), TypeError, r"stream",
         sentinel),
    case("he_normal-stream-unencodable-str", K,
         lambda o: wi.he_normal(S, seed=0, stream="layer\ud800", out=o), ValueError, r"stream",
         sentinel),
    # ---- mode, distribution, scale and other parameters ------------------------------
    case("variance_scaling-mode-fanin", K,
         lambda o: wi.variance_scaling(S, mode="fanin", seed=0, out=o), ValueError,
         r"^mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fanin'$",
         sentinel),
    case("variance_scaling-distribution-gaussian", K,
         lambda o: wi.variance_scaling(S, distribution="gaussian", seed=0, out=o), ValueError,
         r"distribution must be one of 'truncated_normal', 'untruncated_normal', 'normal', "
         r"'uniform'; got 'gaussian'", sentinel),
    case("variance_scaling-scale-0", K, lambda o: wi.variance_scaling(S, scale=0.0, seed=0, out=o),
         ValueError, r"scale must be > 0", sentinel),
    case("variance_scaling-scale-negative", K,
         lambda o: wi.variance_scaling(S, scale=-2.0, seed=0, out=o), ValueError, r"scale", sentinel),
    case("variance_scaling-scale-nan", K,
         lambda o: wi.variance_scaling(S, scale=float("nan"), seed=0, out=o), ValueError, r"scale",
         sentinel),
    case("variance_scaling-scale-str", K,
         lambda o: wi.variance_scaling(S, scale="2", seed=0, out=o), TypeError, r"scale", sentinel),
    case("variance_scaling-in_axis-out-of-range", K,
         lambda o: wi.variance_scaling(S, in_axis=5, seed=0, out=o), ValueError, r"in_axis",
         sentinel),
    case("he_normal-fan_in-negative", K, lambda o: wi.he_normal(S, fan_in=-1, seed=0, out=o),
         ValueError, r"fan_in", sentinel),
    case("random_uniform-minval-equals-maxval", K,
         lambda o: wi.random_uniform(S, 1.0, 1.0, seed=0, out=o), ValueError,
         r"minval must be less than maxval", sentinel),
    case("random_uniform-minval-above-maxval", K,
         lambda o: wi.random_uniform(S, 0.5, -0.5, seed=0, out=o), ValueError, r"minval.*maxval",
         sentinel),
    case("random_uniform-minval-nan", K,
         lambda o: wi.random_uniform(S, float("nan"), 1.0, seed=0, out=o), ValueError, r"minval",
         sentinel),
    case("random_uniform-maxval-inf", K,
         lambda o: wi.random_uniform(S, 0.0, float("inf"), seed=0, out=o), ValueError, r"maxval",
         sentinel),
    case("truncated_normal-stddev-0", K,
         lambda o: wi.truncated_normal(S, stddev=0.0, seed=0, out=o), ValueError,
         r"stddev must be > 0", sentinel),
    case("random_normal-stddev-negative", K,
         lambda o: wi.random_normal(S, stddev=-0.1, seed=0, out=o), ValueError, r"stddev", sentinel),
    case("random_normal-mean-inf", K,
         lambda o: wi.random_normal(S, mean=float("inf"), seed=0, out=o), ValueError, r"mean",
         sentinel),
    case("truncated_normal-stddev-nan", K,
         lambda o: wi.truncated_normal(S, stddev=float("nan"), seed=0, out=o), ValueError,
         r"stddev", sentinel),
    case("random_normal-mean-int-beyond-float", K,
         lambda o: wi.random_normal(S, mean=2**1100, seed=0, out=o), ValueError, r"mean", sentinel),
    case("he_normal-fan_in-int-beyond-float", K,
         lambda o: wi.he_normal(S, fan_in=2**1100, seed=0, out=o), ValueError, r"fan_in", sentinel),
    case("orthogonal-gain-nan", K,
         lambda o: wi.orthogonal(S, gain=float("nan"), seed=0, out=o), ValueError, r"gain",
         sentinel),
    case("constant-value-str", K, lambda o: wi.constant(S, "1", out=o), TypeError, r"value",
         sentinel),
    case("constant-value-2**2000", K, lambda o: wi.constant(S, 2**2000, out=o), ValueError,
         r"value", sentinel),
    case("identity-gain-2**2000", K,
         lambda o: wi.identity((4, 4), gain=2**2000, out=o), ValueError, r"gain",
         lambda: sentinel((4, 4))),
    # ---- threads -------------------------------------------------------------------
    case("he_normal-threads-0", K, lambda o: wi.he_normal(S, seed=0, threads=0, out=o),
         ValueError, r"threads must be None or a nonzero int", sentinel),
    case("glorot_uniform-threads-1.5", K, lambda o: wi.glorot_uniform(S, seed=0, threads=1.5, out=o),
         TypeError, r"threads", sentinel),
    case("constant-threads-str", K, lambda o: wi.constant(S, 1.0, threads="2", out=o),
         TypeError, r"threads", sentinel),
    # ---- out -------------------------------------------------------------------------
    case("he_normal-out-read-only", K, lambda o: wi.he_normal(S, seed=0, out=o),
         ValueError, r"out is read-only", read_only),
    case("he_normal-out-non-contiguous", K, lambda o: wi.he_normal(S, seed=0, out=o),
         ValueError, r"out must be C-contiguous", strided),
    case("random_uniform-out-fortran-order", K, lambda o: wi.random_uniform(S, seed=0, out=o),
         ValueError, r"out .*contiguous", fortran),
    case("truncated_normal-out-misaligned", K, lambda o: wi.truncated_normal(S, seed=0, out=o),
         ValueError, r"out is not aligned", misaligned),
    case("he_normal-out-misaligned-float64", K,
         lambda o: wi.he_normal(S, seed=0, dtype="float64", out=o), ValueError, r"out .*aligned",
         lambda: misaligned(F64)),
    case("glorot_normal-out-byteswapped", K, lambda o: wi.glorot_normal(S, seed=0, out=o),
         ValueError, r"out must be in native byte order", byteswapped),
    case("he_normal-out-wrong-shape", K, lambda o: wi.he_normal((5, 4), seed=0, out=o),
         ValueError, r"out has shape \(4, 5\); expected \(5, 4\)", sentinel),
    case("he_normal-out-shape-of-whole-not-region", K,
         lambda o: wi.he_normal(S, seed=0, region=(slice(0, 2),), out=o), ValueError,
         r"out has shape", sentinel),
    case("he_normal-out-wrong-dtype", K,
         lambda o: wi.he_normal(S, seed=0, dtype="float32", out=o), TypeError,
         r"out has dtype float64; expected float32", lambda: sentinel(dtype=F64)),
    case("random_normal-out-int-dtype", K, lambda o: wi.random_normal(S, seed=0, out=o),
         TypeError, r"out", int_array),
    case("he_normal-out-not-ndarray", K, lambda o: wi.he_normal(S, seed=0, out=o),
         TypeError, r"out must be a numpy.ndarray", not_ndarray),
    case("zeros-out-read-only", K, lambda o: wi.zeros(S, out=o), ValueError, r"out is read-only",
         read_only),
    case("ones-out-misaligned", K, lambda o: wi.ones(S, out=o), ValueError, r"out .*aligned",
         misaligned),
    case("constant-out-non-contiguous", K, lambda o: wi.constant(S, 3.0, out=o), ValueError,
         r"out .*contiguous", strided),
    case("identity-out-byteswapped", K, lambda o: wi.identity(S, out=o), ValueError,
         r"out .*byte order", byteswapped),
    case("orthogonal-out-misaligned", K, lambda o: wi.orthogonal(S, seed=0, out=o), ValueError,
         r"out .*aligned", misaligned),
    case("orthogonal-out-wrong-shape", K, lambda o: wi.orthogonal((5, 4), seed=0, out=o),
         ValueError, r"out has shape", sentinel),

    # ---- classes -------------------------------------------------------------------
    case("VarianceScaling-mode-fanin", C, lambda o: wi.VarianceScaling(mode="fanin"), ValueError,
         r"mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fanin'"),
    case("VarianceScaling-distribution-int", C, lambda o: wi.VarianceScaling(distribution=1),
         ValueError, r"distribution must be one of"),
    case("VarianceScaling-scale-0", C, lambda o: wi.VarianceScaling(scale=0), ValueError, r"scale"),
    case("VarianceScaling-call-shape-negative", C,
         lambda o: wi.VarianceScaling(seed=0)((4, -5), out=o), ValueError, r"shape", sentinel),
    case("VarianceScaling-call-region-step-2", C,
         lambda o: wi.VarianceScaling(seed=0)((8, 5), region=(slice(0, 8, 2),), out=o),
         ValueError, r"region", sentinel),
    case("HeNormal-seed-negative", C, lambda o: wi.HeNormal(seed=-1), ValueError, r"seed"),
    case("HeNormal-seed-float", C, lambda o: wi.HeNormal(seed=1.5), TypeError, r"seed"),
    case("HeNormal-seed-2**64", C, lambda o: wi.HeNormal(seed=2**64), ValueError, r"seed"),
    case("HeNormal-stream-bytes", C, lambda o: wi.HeNormal(seed=0, stream=b"x"), TypeError,
         r"stream"),
    case("HeNormal-call-dtype-int32", C, lambda o: wi.HeNormal(seed=0)(S, dtype="int32", out=o),
         TypeError, r"dtype", sentinel),
    case("GlorotUniform-call-out-read-only", C, lambda o: wi.GlorotUniform(seed=0)(S, out=o),
         ValueError, r"out is read-only", read_only),
    case("RandomUniform-minval-above-maxval", C, lambda o: wi.RandomUniform(1.0, 0.0), ValueError,
         r"minval"),
    case("TruncatedNormal-stddev-0", C, lambda o: wi.TruncatedNormal(stddev=0.0), ValueError,
         r"stddev"),
    case("VarianceScaling-scale-int-beyond-float", C, lambda o: wi.VarianceScaling(scale=2**1100),
         ValueError, r"scale"),
    case("Orthogonal-gain-inf", C, lambda o: wi.Orthogonal(gain=float("inf")), ValueError, r"gain"),
    case("VarianceScaling-from_config-bad-mode", C,
         lambda o: wi.VarianceScaling.from_config({"scale": 1.0, "mode": "fanin"}), ValueError,
         r"mode must be one of"),
    case("HeNormal-from_config-seed-2**64", C,
         lambda o: wi.HeNormal.from_config({"seed": 2**64, "stream": 0}), ValueError, r"seed"),
    case("RandomNormal-from_config-unknown-key", C,
         lambda o: wi.RandomNormal.from_config({"stdev": 0.1}), TypeError, r"stdev"),
    case("VarianceScaling-from_config-keras-input_axes", C,
         lambda o: wi.VarianceScaling.from_config({"input_axes": [0.5]}), TypeError,
         r"input_axes"),
    case("HeNormal-from_config-None", C, lambda o: wi.HeNormal.from_config(None), TypeError,
         r"config"),
    case("get-unknown-name", C, lambda o: wi.get("nope"), ValueError,
         r"initializer name must be one of .*'he_normal'.*; got 'nope'"),
    case("get-int", C, lambda o: wi.get(123), TypeError, r"identifier"),
    case("get-dict-without-name", C, lambda o: wi.get({"scale": 2.0}), ValueError, r"class_name"),
    case("get-config-not-a-dict", C,
         lambda o: wi.get({"class_name": "HeNormal", "config": [1]}), TypeError, r"config"),

    # ---- Generator -------------------------------------------------------------------
    case("Generator-seed-negative", G, lambda o: wi.Generator(-1), ValueError, r"seed"),
    case("Generator-seed-2**64", G, lambda o: wi.default_rng(2**64), ValueError, r"seed"),
    case("Generator-stream-float", G, lambda o: wi.Generator(0, stream=1.5), TypeError, r"stream"),
    case("Generator-stream-2**64", G, lambda o: wi.Generator(0, stream=2**64), ValueError,
         r"stream"),
    case("Generator.random-dtype-int32", G, lambda o: wi.Generator(0).random(S, np.int32, o),
         TypeError, r"dtype", sentinel),
    case("Generator.random-size-negative", G, lambda o: wi.Generator(0).random(-1, F32, o),
         ValueError, r"size", sentinel),
    case("Generator.random-size-float", G, lambda o: wi.Generator(0).random((4, 5.0), F32, o),
         TypeError, r"size", sentinel),
    case("Generator.random-size-2**80-elements", G,
         lambda o: wi.Generator(0).random((2**40, 2**40), F32), ValueError, r"size"),
    case("Generator.normal-scale-0", G, lambda o: wi.Generator(0).normal(0.0, 0.0, S, F32, o),
         ValueError, r"scale", sentinel),
    case("Generator.normal-loc-nan", G,
         lambda o: wi.Generator(0).normal(float("nan"), 1.0, S, F32, o), ValueError, r"loc",
         sentinel),
    case("Generator.normal-loc-int-beyond-float", G,
         lambda o: wi.Generator(0).normal(2**1100, 1.0, S, F32, o), ValueError, r"loc", sentinel),
    case("Generator.uniform-low-beyond-float32", G,
         lambda o: wi.Generator(0).uniform(-1e39, 1.0, S, F32, o), ValueError,
         r"low and high must round to finite float32", sentinel),
    case("Generator.uniform-low-equals-high", G,
         lambda o: wi.Generator(0).uniform(1.0, 1.0, S, F32, o), ValueError, r"low", sentinel),
    case("Generator.truncated_normal-a-above-b", G,
         lambda o: wi.Generator(0).truncated_normal(0.0, 1.0, 2.0, -2.0, S, F32, o), ValueError,
         r"a must be less than b", sentinel),
    case("Generator.truncated_normal-a-nan", G,
         lambda o: wi.Generator(0).truncated_normal(0.0, 1.0, float("nan"), 2.0, S, F32, o),
         ValueError, r"\ba\b", sentinel),
    case("Generator.standard_normal-out-misaligned", G,
         lambda o: wi.Generator(0).standard_normal(S, F32, o), ValueError, r"out .*aligned",
         misaligned),
    case("Generator.random-out-byteswapped", G, lambda o: wi.Generator(0).random(S, F32, o),
         ValueError, r"out .*byte order", byteswapped),
    case("Generator.random-out-read-only", G, lambda o: wi.Generator(0).random(S, F32, o),
         ValueError, r"out is read-only", read_only),
    case("Generator.random-out-non-contiguous", G, lambda o: wi.Generator(0).random(S, F32, o),
         ValueError, r"out .*contiguous", strided),
    case("Generator.random_raw-out-float32", G, lambda o: wi.Generator(0).random_raw(S, out=o),
         TypeError, r"output array.*uint32", sentinel),
    case("Generator.random-region-step-2", G,
         lambda o: wi.Generator(0).random((8, 5), F32, o, region=(slice(0, 8, 2),)), ValueError,
         r"region", sentinel),
    case("Generator.random-threads-0", G, lambda o: wi.Generator(0).random(S, F32, o, threads=0),
         ValueError, r"threads", sentinel),
    case("Generator.spawn-negative", G, lambda o: wi.Generator(0).spawn(-1), ValueError,
         r"n_children"),
    case("Generator.advance-float", G, lambda o: wi.Generator(0).advance(1.5), TypeError, r"delta"),

    # ---- weightinit.torch on NumPy arrays ------------------------------------------------
    case("torch.normal_-ndarray-int32", T, lambda o: wit.normal_(o, seed=0), TypeError,
         r"tensor must have dtype", int_array),
    case("torch.uniform_-ndarray-read-only", T, lambda o: wit.uniform_(o, seed=0), ValueError,
         r"tensor is read-only", read_only),
    case("torch.xavier_uniform_-ndarray-non-contiguous", T,
         lambda o: wit.xavier_uniform_(o, seed=0), ValueError, r"tensor must be C-contiguous",
         strided),
    case("torch.kaiming_normal_-ndarray-misaligned", T, lambda o: wit.kaiming_normal_(o, seed=0),
         ValueError, r"tensor must be aligned", misaligned),
    case("torch.trunc_normal_-ndarray-byteswapped", T, lambda o: wit.trunc_normal_(o, seed=0),
         ValueError, r"tensor .*byte order", byteswapped),
    case("torch.normal_-list", T, lambda o: wit.normal_(o, seed=0), TypeError,
         r"tensor must be a torch.Tensor or a numpy.ndarray", not_ndarray),
    case("torch.kaiming_uniform_-mode-fanin", T,
         lambda o: wit.kaiming_uniform_(o, mode="fanin", seed=0), ValueError,
         r"mode must be one of 'fan_in', 'fan_out'; got 'fanin'", sentinel),
    case("torch.kaiming_normal_-nonlinearity-unknown", T,
         lambda o: wit.kaiming_normal_(o, nonlinearity="relu6", seed=0), ValueError,
         r"nonlinearity must be one of .*'leaky_relu'.*; got 'relu6'", sentinel),
    case("torch.kaiming_uniform_-a-nan", T,
         lambda o: wit.kaiming_uniform_(o, a=float("nan"), seed=0), ValueError,
         r"\ba\b|negative_slope", sentinel),
    case("torch.kaiming_uniform_-a-1e200", T,
         lambda o: wit.kaiming_uniform_(o, a=1e200, seed=0), ValueError, r"\ba\b|negative_slope",
         sentinel),
    case("torch.xavier_uniform_-gain-1e308", T,
         lambda o: wit.xavier_uniform_(o, gain=1e308, seed=0), ValueError, r"gain", sentinel),
    case("torch.uniform_-float16-beyond-range", T,
         lambda o: wit.uniform_(o, -7e4, 7e4, seed=0), ValueError, r"a or b is too large",
         lambda: t_sentinel(dtype="float16"), torch=True),
    case("torch.uniform_-a-above-b", T, lambda o: wit.uniform_(o, 1.0, 0.0, seed=0), ValueError,
         r"a must be <= b", sentinel),
    case("torch.normal_-std-negative", T, lambda o: wit.normal_(o, 0.0, -1.0, seed=0), ValueError,
         r"std", sentinel),
    case("torch.trunc_normal_-a-int-beyond-float", T,
         lambda o: wit.trunc_normal_(o, a=-2**1100, seed=0), ValueError, r"\ba\b", sentinel),
    case("torch.trunc_normal_-a-equals-b", T,
         lambda o: wit.trunc_normal_(o, a=1.0, b=1.0, seed=0), ValueError, r"a must be less than b",
         sentinel),
    case("torch.trunc_normal_-std-0", T, lambda o: wit.trunc_normal_(o, std=0.0, seed=0),
         ValueError, r"std", sentinel),
    case("torch.constant_-val-str", T, lambda o: wit.constant_(o, "1"), TypeError, r"val",
         sentinel),
    case("torch.constant_-val-2**2000", T, lambda o: wit.constant_(o, 2**2000), ValueError,
         r"val", sentinel),
    case("torch.sparse_-sparsity-1.5", T, lambda o: wit.sparse_(o, 1.5, seed=0), ValueError,
         r"sparsity", sentinel),
    case("torch.normal_-seed-negative", T, lambda o: wit.normal_(o, seed=-1), ValueError,
         r"seed", sentinel),
    case("torch.normal_-stream-negative", T, lambda o: wit.normal_(o, seed=0, stream=-1),
         ValueError, r"stream", sentinel),
    case("torch.ones_-threads-1.5", T, lambda o: wit.ones_(o, threads=1.5), TypeError, r"threads",
         sentinel),
    case("torch.eye_-seed-2**64", T, lambda o: wit.eye_(o, seed=2**64), ValueError, r"seed",
         sentinel),
    case("torch.calculate_gain-unknown", T, lambda o: wit.calculate_gain("relu6"), ValueError,
         r"nonlinearity must be one of"),
    # ---- weightinit.torch on torch tensors -------------------------------------------------
    case("torch.normal_-tensor-non-contiguous", T, lambda o: wit.normal_(o, seed=0), ValueError,
         r"tensor must be contiguous", t_transposed, torch=True),
    case("torch.kaiming_uniform_-tensor-int32", T, lambda o: wit.kaiming_uniform_(o, seed=0),
         TypeError, r"tensor must have dtype torch.float32", t_int, torch=True),
    case("torch.uniform_-tensor-sparse", T, lambda o: wit.uniform_(o, seed=0), TypeError,
         r"tensor must be a dense", t_sparse, torch=True),
    case("torch.kaiming_normal_-tensor-mode-fanin", T,
         lambda o: wit.kaiming_normal_(o, mode="fanin", seed=0), ValueError, r"mode must be one of",
         t_sentinel, torch=True),
    case("torch.kaiming_uniform_-tensor-nonlinearity-unknown", T,
         lambda o: wit.kaiming_uniform_(o, nonlinearity="swish", seed=0), ValueError,
         r"nonlinearity", t_sentinel, torch=True),
    case("torch.sparse_-tensor-3d", T, lambda o: wit.sparse_(o, 0.5, seed=0), ValueError,
         r"2 dimensions.*\(4, 5, 2\)", t_3d, torch=True),
    case("torch.dirac_-tensor-2d", T, lambda o: wit.dirac_(o), ValueError,
         r"3, 4, or 5 dimensions.*\(4, 5\)", t_sentinel, torch=True),
    case("torch.dirac_-groups-not-dividing", T, lambda o: wit.dirac_(o, groups=4), ValueError,
         r"groups", t_conv, torch=True),
    case("torch.dirac_-groups-0", T, lambda o: wit.dirac_(o, groups=0), ValueError, r"groups",
         t_conv, torch=True),
    case("torch.orthogonal_-tensor-1d", T, lambda o: wit.orthogonal_(o, seed=0), ValueError,
         r"2 or more dimensions", lambda: t_sentinel((7,)), torch=True),
    case("torch.eye_-tensor-3d", T, lambda o: wit.eye_(o), ValueError, r"2 dimensions", t_3d,
         torch=True),
    case("torch.trunc_normal_-tensor-b-nan", T,
         lambda o: wit.trunc_normal_(o, b=float("nan"), seed=0), ValueError, r"\bb\b",
         lambda: t_sentinel(dtype="bfloat16"), torch=True),
    case("torch.xavier_normal_-tensor-seed-float", T, lambda o: wit.xavier_normal_(o, seed=0.5),
         TypeError, r"seed", lambda: t_sentinel(dtype="float16"), torch=True),
    case("torch.init_module-seed-negative", T,
         lambda o: wit.init_module(torch.nn.Linear(3, 2), seed=-1), ValueError, r"seed",
         torch=True),
    case("torch.init_module-not-a-module", T, lambda o: wit.init_module(o, seed=0), TypeError,
         r"module must be a torch.nn.Module", t_sentinel, torch=True),

    # ---- CLI: exit code 2, message on stderr, nothing written ------------------------
    case("cli-tensor-shape-negative", X, Cli("tensor", "he_normal", "--shape", "-3", "4", "-o",
                                              "w.npy"), EXIT2, r"shape"),
    case("cli-tensor-shape-float", X, Cli("tensor", "he_normal", "--shape", "3.5", "-o", "w.npy"),
         EXIT2, r"--shape"),
    case("cli-tensor-shape-overflow", X, Cli("tensor", "he_normal", "--shape", 2**40, 2**40,
                                             "-o", "w.npy"), EXIT2, r"shape.*2\*\*63"),
    case("cli-tensor-dtype-int8", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                         "--dtype", "int8"), EXIT2, r"dtype must be one of"),
    case("cli-tensor-bfloat16-npy", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                           "--dtype", "bfloat16"), EXIT2, r"bfloat16"),
    case("cli-tensor-seed-negative", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                            "--seed", "-1"), EXIT2, r"seed"),
    case("cli-tensor-seed-2**64-safetensors", X,
         Cli("tensor", "he_normal", "--shape", "4", "-o", "w.safetensors", "--seed", 2**64),
         EXIT2, r"seed"),
    case("cli-tensor-seed-float", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                         "--seed", "1.5"), EXIT2, r"--seed"),
    case("cli-tensor-stream-2**64", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                           "--stream", 2**64), EXIT2, r"stream"),
    case("cli-tensor-threads-0", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy",
                                        "--threads", "0"), EXIT2, r"threads"),
    case("cli-tensor-param-mode-fanin", X,
         Cli("tensor", "variance_scaling", "--shape", "4", "4", "-o", "w.npy", "--param",
             "mode=fanin"), EXIT2, r"mode must be one of 'fan_in', 'fan_out', 'fan_avg', "
                                   r"'fan_geo_avg'; got 'fanin'"),
    case("cli-tensor-param-distribution-safetensors", X,
         Cli("tensor", "variance_scaling", "--shape", "4", "4", "-o", "w.safetensors", "--param",
             "distribution=gauss"), EXIT2, r"distribution must be one of"),
    case("cli-tensor-param-without-value", X,
         Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy", "--param", "scale"),
         EXIT2, r"--param"),
    case("cli-tensor-unknown-initializer", X, Cli("tensor", "nope", "--shape", "4", "-o", "w.npy"),
         EXIT2, r"init .*'nope'"),
    case("cli-tensor-bad-suffix", X, Cli("tensor", "he_normal", "--shape", "4", "-o", "w.txt"),
         EXIT2, r"output must end in .npy or .safetensors"),
    case("cli-init-unknown-spec", X, Cli("init", "no_such_spec", "-o", "m.safetensors"),
         EXIT2, r"spec 'no_such_spec'"),
    case("cli-init-spec-not-json", X, Cli("init", "spec.json", "-o", "m.safetensors",
                                          files={"spec.json": "{not json"}), EXIT2, r"JSON"),
    case("cli-init-spec-dtype-int8", X, Cli("init", "spec.json", "-o", "m.safetensors",
                                            files=spec_file(dtype="int8")), EXIT2, r"dtype"),
    case("cli-init-seed-negative", X, Cli("init", "mlp_small", "-o", "m.safetensors", "--quiet",
                                          "--seed", "-5"), EXIT2, r"seed"),

    # ---- save_safetensors with bad specs: nothing written ------------------------------
    case("save_safetensors-shape-negative", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(shape=[4, -3]), seed=0), ValueError,
         r"tensors\['w'\].shape .*negative"),
    case("save_safetensors-shape-overflow", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(shape=[2**40, 2**40]), seed=0),
         ValueError, r"shape .*2\*\*63"),
    case("save_safetensors-init-unknown", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(init="glorot"), seed=0), ValueError,
         r"tensors\['w'\].init .*'glorot'"),
    case("save_safetensors-init-param-mode", F,
         lambda o: wi.save_safetensors("m.safetensors",
                                       spec(init={"name": "variance_scaling", "mode": "fanin"}),
                                       seed=0), ValueError, r"mode must be one of"),
    case("save_safetensors-init-sets-seed", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(init={"name": "he_normal", "seed": 1}),
                                       seed=0), ValueError, r"seed"),
    case("save_safetensors-dtype-int8", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(dtype="int8"), seed=0), ValueError,
         r"tensors\['w'\].dtype"),
    case("save_safetensors-unknown-field", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(stream=3), seed=0), ValueError,
         r"unknown fields \['stream'\]"),
    case("save_safetensors-shape-missing", F,
         lambda o: wi.save_safetensors("m.safetensors", {"w": {"init": "zeros"}}, seed=0),
         ValueError, r"shape is missing"),
    case("save_safetensors-specs-empty", F, lambda o: wi.save_safetensors("m.safetensors", {}, seed=0),
         ValueError, r"specs"),
    case("save_safetensors-seed-negative", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(), seed=-1), ValueError, r"seed"),
    case("save_safetensors-threads-0", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(), seed=0, threads=0), ValueError,
         r"threads"),
]

CASES += [
    # ---- found by probing (issue 9): errors that were not TypeError/ValueError -------
    case("he_normal-shape-2**31x2**31-bytes-overflow", K,
         lambda o: wi.he_normal((2**31, 2**31), seed=0), ValueError, r"shape .* bytes"),
    case("random_normal-shape-2**62-bfloat16-bytes", K,
         lambda o: wi.random_normal((2**62,), seed=0, dtype="bfloat16"), ValueError,
         r"shape .*bfloat16 needs"),
    case("zeros-shape-2**31x2**31-bytes-overflow", K, lambda o: wi.zeros((2**31, 2**31)),
         ValueError, r"shape .* bytes"),
    case("Generator.random-size-2**62-bfloat16-bytes", G,
         lambda o: wi.Generator(0).random(2**62, "bfloat16"), ValueError, r"shape .*bfloat16"),
    case("constant-value-2**64-uint64", K,
         lambda o: wi.constant(S, 2**64, dtype="uint64", out=o), ValueError,
         r"value must be exactly representable in uint64", lambda: sentinel(dtype=np.uint64)),
    case("orthogonal-workspace-beyond-memory", K, lambda o: wi.orthogonal((2**20, 2**20), seed=0),
         ValueError, r"orthogonal of shape \(1048576, 1048576\).*workspace"),
    case("orthogonal-small-region-of-a-huge-matrix", K,
         lambda o: wi.orthogonal((2**20, 2**20), seed=0, region=(slice(0, 4), slice(0, 5)),
                                 out=o), ValueError, r"workspace", sentinel),
    case("he_normal-shape-element-index-raises", K,
         lambda o: wi.he_normal((_IndexRaises(), 5), seed=0, out=o), TypeError,
         r"shape must contain ints.*ZeroDivisionError", sentinel),
    # ---- accepted but wrong (issue 9) ------------------------------------------------
    case("he_normal-shape-dict", K, lambda o: wi.he_normal({4: 0, 5: 0}, seed=0, out=o),
         TypeError, r"shape must be an int or a sequence of ints .*got dict", sentinel),
    case("he_normal-shape-set", K, lambda o: wi.he_normal({4, 5}, seed=0, out=o), TypeError,
         r"shape .*got set", sentinel),
    case("he_normal-shape-bytes", K, lambda o: wi.he_normal(b"\x04\x05", seed=0, out=o),
         TypeError, r"shape .*got bytes", sentinel),
    case("zeros-shape-frozenset", K, lambda o: wi.zeros(frozenset({4, 5}), out=o), TypeError,
         r"shape .*frozenset", sentinel),
    case("Generator.random-size-dict", G, lambda o: wi.Generator(0).random({4: 0, 5: 0}, F32, o),
         TypeError, r"size .*dict", sentinel),
    case("he_normal-region-start-True", K,
         lambda o: wi.he_normal((8, 5), seed=0, region=(slice(True, 5),), out=o), TypeError,
         r"region slices must have int bounds", sentinel),
    case("he_normal-region-stop-False", K,
         lambda o: wi.he_normal(S, seed=0, region=(slice(0, 4), slice(0, False)), out=o),
         TypeError, r"region .*int bounds", sentinel),
    case("zeros-region-step-True", K,
         lambda o: wi.zeros(S, region=(slice(0, 4, True),), out=o), TypeError,
         r"region .*int bounds", sentinel),
    case("constant-300-into-int8", K, lambda o: wi.constant(S, 300, dtype="int8", out=o),
         ValueError, r"value must be exactly representable in int8 \(integers in \[-128, 127\]\); "
                     r"got 300", lambda: sentinel(dtype=np.int8)),
    case("constant-nan-into-int32", K, lambda o: wi.constant(S, float("nan"), dtype="int32"),
         ValueError, r"value .*int32.*nan"),
    case("constant-inf-into-int64-out", K, lambda o: wi.constant(S, float("inf"), out=o),
         ValueError, r"value .*int64.*inf", lambda: sentinel(dtype=np.int64)),
    case("constant-minus-1-into-uint8", K, lambda o: wi.constant(S, -1, dtype=np.uint8),
         ValueError, r"value .*uint8"),
    case("constant-1.5-into-int16", K, lambda o: wi.constant(S, 1.5, dtype="int16"), ValueError,
         r"value .*int16.*1\.5"),
    case("constant-2-into-bool", K, lambda o: wi.constant(S, 2, dtype=bool), ValueError,
         r"value .*bool"),
    case("identity-gain-300-into-int8-out", K,
         lambda o: wi.identity((4, 4), gain=300, out=o), ValueError,
         r"gain must be exactly representable in int8", lambda: sentinel((4, 4), np.int8)),
    case("Constant-300-called-with-int8", C, lambda o: wi.Constant(300)(S, dtype="int8"),
         ValueError, r"value .*int8"),
    case("he_normal-out-shape-lies-about-its-buffer", K,
         lambda o: wi.he_normal(S, seed=0, out=o), ValueError, r"out's buffer holds 8 bytes",
         shape_liar),
    case("constant-out-shape-lies-about-its-buffer", K, lambda o: wi.constant(S, 1.0, out=o),
         ValueError, r"out's buffer holds 2 items", shape_liar),
    case("Generator.random-out-shape-lies-about-its-buffer", G,
         lambda o: wi.Generator(0).random(S, F32, o), ValueError, r"out's buffer", shape_liar),
    case("torch.normal_-ndarray-shape-lies-about-its-buffer", T,
         lambda o: wit.normal_(o, seed=0), ValueError, r"buffer", shape_liar),
    # ---- messages that did not name the argument (issue 9) -----------------------------
    case("variance_scaling-scale-5e-324-uniform", K,
         lambda o: wi.variance_scaling(S, scale=5e-324, distribution="uniform", seed=0, out=o),
         ValueError, r"^scale is too small", sentinel),
    case("variance_scaling-scale-tiny-over-huge-fan", K,
         lambda o: wi.variance_scaling(S, scale=1e-300, fan_in=10**300, seed=0, out=o),
         ValueError, r"^scale is too small", sentinel),
    case("HeUniform-fan_in-beyond-limit-underflow", C,
         lambda o: wi.VarianceScaling(5e-324, distribution="uniform", seed=0)(S, out=o),
         ValueError, r"scale", sentinel),
    case("random_uniform-bounds-one-float32-subnormal-apart", K,
         lambda o: wi.random_uniform(S, 0.0, 2.225073858507e-311, seed=0, out=o), ValueError,
         r"minval and maxval must be distinct in float32", sentinel),
    case("Generator.uniform-bounds-equal-in-float32", G,
         lambda o: wi.Generator(0).uniform(1.0, 1.0 + 1e-9, S, "bfloat16"), ValueError,
         r"low and high must be distinct in float32"),
    case("torch.uniform_-bounds-equal-in-float32", T,
         lambda o: wit.uniform_(o, 1.0, 1.0 + 1e-9, seed=0), ValueError, r"a and b .*distinct",
         sentinel),
    case("he_normal-dtype-list", K, lambda o: wi.he_normal(S, seed=0, dtype=["float32"], out=o),
         TypeError, r"dtype must be one of .*; got \['float32'\]", sentinel),
    case("zeros-dtype-dict", K, lambda o: wi.zeros(S, dtype={}), TypeError,
         r"dtype must be one of .*; got \{\}"),
    # ---- torch tensors whose NumPy view would lie (issue 9) ------------------------------
    case("torch.normal_-tensor-negative-bit-view", T, lambda o: wit.normal_(o, seed=0), ValueError,
         r"negative bit", t_neg_view, torch=True),
    case("torch.zeros_-tensor-negative-bit-view", T, lambda o: wit.zeros_(o), ValueError,
         r"negative bit", t_neg_view, torch=True),
    case("torch.kaiming_uniform_-tensor-storage-freed", T,
         lambda o: wit.kaiming_uniform_(o, seed=0), ValueError,
         r"storage holds 0 bytes .*resize_\(0\)", t_freed, torch=True),
    case("torch.ones_-tensor-storage-freed", T, lambda o: wit.ones_(o), ValueError,
         r"storage holds 0 bytes", t_freed, torch=True),
    case("torch.normal_-fake-tensor", T, lambda o: wit.normal_(o, seed=0), TypeError,
         r"tensor of type FakeTensor has no CPU memory", t_fake, torch=True),
    case("torch.xavier_uniform_-nested-tensor", T, lambda o: wit.xavier_uniform_(o, seed=0),
         TypeError, r"tensor must be a dense .*nested", t_nested, torch=True),
]

DEEP_JSON = "[" * 100_000 + "]" * 100_000

CASES += [
    # ---- the CLI (issue 9): tracebacks before, now exit 2 naming the file or field ---------
    case("cli-tensor-stream-superscript-two", X,
         Cli("tensor", "he_normal", "--shape", "4", "-o", "w.npy", "--stream", "\u00b2"), EXIT2,
         r"weightinit: error: argument --stream: must be an int in ASCII digits"),
    case("cli-init-spec-nested-too-deeply", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json": DEEP_JSON}), EXIT2,
         r"spec.json: nested too deeply"),
    case("cli-init-spec-shape-int", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files=spec_file(shape=4)), EXIT2,
         r"tensors\['w'\].shape must be a list of ints"),
    case("cli-init-spec-duplicate-tensor-name", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json":
             '{"seed": 0, "tensors": {"w": {"shape": [4], "init": "zeros"}, '
             '"w": {"shape": [5], "init": "ones"}}}'}), EXIT2, r"spec.json: duplicate key 'w'"),
    case("cli-init-spec-duplicate-field", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json":
             '{"seed": 0, "tensors": {"w": {"shape": [4], "shape": [5], "init": "zeros"}}}'}),
         EXIT2, r"duplicate key 'shape'"),
    case("cli-init-spec-not-utf8", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json": b'{"seed": \xff}'}), EXIT2,
         r"spec.json: not (valid JSON|UTF-8)"),
    case("cli-init-spec-tensor-named-__metadata__", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json": {"seed": 0, "tensors": {
             "__metadata__": {"shape": [2], "init": "zeros"}}}}), EXIT2,
         r"'__metadata__' is reserved"),
    case("cli-init-spec-nan-constant", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files={"spec.json":
             '{"seed": 0, "tensors": {"w": {"shape": [2], "init": {"name": "constant", '
             '"value": NaN}}}}'}), EXIT2, r"tensors\['w'\].init: parameters must be JSON values "
                                         r"with finite numbers"),
    case("cli-init-spec-dtype-list", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files=spec_file(dtype=["float32"])), EXIT2,
         r"tensors\['w'\].dtype must be one of"),
    case("cli-init-output-npy-suffix", X, Cli("init", "mlp_small", "-o", "x.npy"), EXIT2,
         r"-o/--output must end in .safetensors"),
    case("cli-init-misspelled-spec", X, Cli("init", "mlp_smal", "-o", "m.safetensors"), EXIT2,
         r"did you mean 'mlp_small'\?"),
    case("cli-init-misspelled-initializer", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files=spec_file(init="he_norml")), EXIT2,
         r"tensors\['w'\].init .*'he_norml' \(did you mean 'he_normal'\?\)"),
    case("cli-tensor-misspelled-initializer", X,
         Cli("tensor", "glorot_unifrom", "--shape", "4", "-o", "w.npy"), EXIT2,
         r"did you mean 'glorot_uniform'\?.*he_normal"),
    case("cli-tensor-misspelled-field-in-spec", X,
         Cli("init", "spec.json", "-o", "m.safetensors", files=spec_file(dtpye="float32")), EXIT2,
         r"unknown fields \['dtpye'\] \(did you mean 'dtype'\?\)"),
    case("cli-tensor-int-stream-into-safetensors", X,
         Cli("tensor", "he_normal", "--shape", "4", "-o", "w.safetensors", "--stream", "3"), EXIT2,
         r"--stream must be a name for a .safetensors output"),
    case("cli-tensor-shape-2**62-npy-bytes", X,
         Cli("tensor", "zeros", "--shape", 2**62, "-o", "w.npy"), EXIT2, r"more than a file can hold"),
    case("cli-tensor-huge-orthogonal", X,
         Cli("tensor", "orthogonal", "--shape", 2**20, 2**20, "-o", "w.npy"), EXIT2, r"workspace"),
    case("cli-usage-error-prefix", X, Cli("tensor", "he_normal", "-o", "w.npy"), EXIT2,
         r"weightinit: error: the following arguments are required: --shape"),
    # ---- save_safetensors (issue 9) ------------------------------------------------------
    case("save_safetensors-tensor-named-__metadata__", F,
         lambda o: wi.save_safetensors("m.safetensors", {"__metadata__": GOOD_SPEC["w"]}, seed=0),
         ValueError, r"tensors\['__metadata__'\]: the name '__metadata__' is reserved"),
    case("save_safetensors-metadata-list-of-pairs", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(), seed=0, metadata=[("a", "b")]),
         TypeError, r"metadata must be a mapping of str to str; got list"),
    case("save_safetensors-metadata-int-value", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(), seed=0, metadata={"a": 1}),
         TypeError, r"metadata must map str to str"),
    case("save_safetensors-metadata-overrides-seed", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(), seed=0,
                                       metadata={"weightinit.seed": "5"}), ValueError,
         r"metadata key 'weightinit.seed' is written by weightinit"),
    case("save_safetensors-nan-constant", F,
         lambda o: wi.save_safetensors("m.safetensors",
                                       spec(init={"name": "constant", "value": float("nan")}),
                                       seed=0), ValueError, r"finite numbers"),
    case("save_safetensors-dtype-list", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(dtype=["bfloat16"]), seed=0),
         ValueError, r"tensors\['w'\].dtype must be one of"),
    case("save_safetensors-dtype-dict", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(dtype={"x": 1}), seed=0),
         ValueError, r"tensors\['w'\].dtype"),
    case("save_safetensors-shape-int", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(shape=4), seed=0), ValueError,
         r"shape must be a list of ints"),
    case("save_safetensors-shape-dict", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(shape={"a": 4}), seed=0), ValueError,
         r"shape must be a list of ints"),
    case("save_safetensors-huge-orthogonal", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(init="orthogonal",
                                                             shape=[2**20, 2**20]), seed=0),
         ValueError, r"orthogonal .*workspace"),
    case("save_safetensors-file-beyond-2**63-bytes", F,
         lambda o: wi.save_safetensors("m.safetensors", spec(shape=[2**61]), seed=0),
         ValueError, r"more than a file can hold"),
    case("save_safetensors-path-is-a-folder", F,
         lambda o: wi.save_safetensors(".", spec(), seed=0), OSError, r"is a folder"),
]

assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"
assert len(CASES) >= 45


# -- the tests ---------------------------------------------------------------------------

_FORBIDDEN = (RuntimeError, SystemError, OverflowError, MemoryError)


def run_case(c, folder):
    """Run one row in ``folder`` (the current directory); return a failure
    message, or None if the call was rejected as the row says."""
    if isinstance(c.call, Cli):
        c.call.setup(folder)
    made = c.out() if c.out is not None else None
    target, snapshot = made if made is not None else (None, None)
    before = snapshot() if snapshot else None
    files_before = sorted(os.listdir(folder))
    problems = []
    if c.exc is EXIT2:
        code, err = c.call(target)
        if code != 2:
            problems.append(f"exit code {code!r}, expected 2 (stderr: {err.strip()!r})")
        elif not re.search(c.match, err):
            problems.append(f"stderr {err.strip()!r} does not match {c.match!r}")
    else:
        try:
            result = c.call(target)
        except BaseException as err:  # noqa: B036 - everything is judged below
            if isinstance(err, KeyboardInterrupt):
                raise
            kind = type(err)
            if kind is Exception or isinstance(err, _FORBIDDEN) or not isinstance(err, c.exc):
                problems.append(f"raised {kind.__name__}: {err}; expected {c.exc.__name__}")
            elif not re.search(c.match, str(err)):
                problems.append(f"{kind.__name__} message {str(err)!r} does not match {c.match!r}")
        else:
            problems.append(f"accepted (returned {type(result).__name__}); expected "
                            f"{c.exc.__name__} matching {c.match!r}")
    if snapshot is not None and snapshot() != before:
        problems.append("the target was written although the call was rejected")
    files_after = sorted(os.listdir(folder))
    if files_after != files_before:
        problems.append(f"files were left behind: {sorted(set(files_after) - set(files_before))}")
    return "; ".join(problems) or None


def _params():
    for c in CASES:
        marks = [needs_torch] if c.torch else []
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("c", list(_params()))
def test_bad_call_is_rejected(c, tmp_path, monkeypatch):
    """The row's call raises its documented error naming the argument (or the
    CLI exits with 2 naming it), and leaves the target and the folder as they were."""
    monkeypatch.chdir(tmp_path)
    problem = run_case(c, str(tmp_path))
    assert problem is None, f"{c.id}: {problem}"


def test_table_covers_every_area():
    areas = {c.area for c in CASES}
    assert areas == {K, C, G, T, X, F}
    counts = {a: sum(c.area == a for c in CASES) for a in areas}
    assert min(counts.values()) >= 5, counts


@needs_torch
def test_inference_tensor_is_refused_as_torch_does(monkeypatch):
    """``torch.nn.init`` refuses an inference tensor outside inference mode
    (in-place updates are not allowed there); filling it through a NumPy view
    would silently bypass that rule. It must be rejected and left unchanged."""
    with torch.inference_mode():
        theirs = torch.full(S, SENTINEL)
        t = torch.full(S, SENTINEL)
    with pytest.raises(RuntimeError):
        torch.nn.init.normal_(theirs)   # what PyTorch does (it writes, then raises)
    try:
        wit.normal_(t, seed=0)
    except (TypeError, ValueError, RuntimeError) as err:
        assert "inference" in str(err).lower()
    else:
        pytest.fail("weightinit.torch.normal_ filled an inference tensor outside inference mode")
    finally:
        assert bool((t == SENTINEL).all()), "the inference tensor was written"


_REPLAY = textwrap.dedent("""
    import importlib.util, os, sys, tempfile
    sys.path.insert(0, {tests!r})
    spec = importlib.util.spec_from_file_location("hostile_table", {path!r})
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    folder = tempfile.mkdtemp()
    os.chdir(folder)
    ran = 0
    for c in mod.CASES:
        if c.torch and mod.torch is None:
            continue
        sys.stdout.write(c.id + "\\n"); sys.stdout.flush()
        mod.run_case(c, folder)
        ran += 1
    print("REPLAYED", ran)
""")


def test_table_replayed_in_a_subprocess_never_crashes():
    """Every row again in a fresh interpreter: a segfault or abort in the core
    shows here as a failure (with the last row started) instead of killing pytest."""
    here = Path(__file__).resolve()
    code = _REPLAY.format(tests=str(here.parent), path=str(here))
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], capture_output=True,
                          text=True, timeout=240)
    last = proc.stdout.strip().splitlines()[-1:] or ["<none>"]
    assert proc.returncode == 0, (f"interpreter died with {proc.returncode} after row {last[0]!r}\n"
                                  f"{proc.stderr[-3000:]}")
    assert "REPLAYED" in proc.stdout
