"""The outputs whose SHA-256 is frozen in tests/data/stability_sha256.json.

Every public initializer (Keras-style functions, classes through their
functions, Generator methods, weightinit.torch functions on NumPy arrays)
at every dtype, on 10**6 elements, plus a region of each. A release that
changes any of them changes a published stream (docs/contract.md 2).

Regenerate only for a deliberate, major-version stream change:
``python tools/make_stability_hashes.py``.
"""
import hashlib

import numpy as np

import weightinit as wi
import weightinit.initializers as initializers
import weightinit.torch as wit

SHAPE = (1000, 1000)
REGION = (slice(123, 457), slice(5, 998))
DTYPES = ("float32", "float64", "float16", "bfloat16")
SEED, STREAM = 20261122, "stability"

# Keyword arguments that exercise each initializer's own parameters.
FUNCTION_PARAMS = {
    "variance_scaling": {"scale": 1.7, "mode": "fan_avg", "distribution": "truncated_normal"},
    "random_uniform": {"minval": -0.3, "maxval": 0.7},
    "random_normal": {"mean": 0.1, "stddev": 0.2},
    "truncated_normal": {"mean": -0.1, "stddev": 0.3},
    "constant": {"value": 0.37},
    "identity": {"gain": 1.5},
    "orthogonal": {"gain": 1.2},
    "stft": {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
}
# LAPACK's QR may differ in the last bits between BLAS builds and CPUs, so
# orthogonal outputs are hashed after rounding to 6 decimals; so are stft's,
# whose float64 cos and sin are NumPy's (its SIMD paths differ between CPUs).
ROUNDED = {"orthogonal", "orthogonal_", "stft"}

TORCH_CALLS = {
    "uniform_": lambda a: wit.uniform_(a, -0.2, 0.4, seed=SEED, stream=STREAM),
    "normal_": lambda a: wit.normal_(a, 0.5, 2.0, seed=SEED, stream=STREAM),
    "trunc_normal_": lambda a: wit.trunc_normal_(a, 0.0, 1.0, -1.5, 2.5, seed=SEED, stream=STREAM),
    "constant_": lambda a: wit.constant_(a, 0.25, seed=SEED, stream=STREAM),
    "ones_": lambda a: wit.ones_(a, seed=SEED, stream=STREAM),
    "zeros_": lambda a: wit.zeros_(a, seed=SEED, stream=STREAM),
    "eye_": lambda a: wit.eye_(a, seed=SEED, stream=STREAM),
    "xavier_uniform_": lambda a: wit.xavier_uniform_(a, gain=1.3, seed=SEED, stream=STREAM),
    "xavier_normal_": lambda a: wit.xavier_normal_(a, gain=0.7, seed=SEED, stream=STREAM),
    "kaiming_uniform_": lambda a: wit.kaiming_uniform_(a, a=5 ** 0.5, seed=SEED, stream=STREAM),
    "kaiming_normal_": lambda a: wit.kaiming_normal_(a, mode="fan_out", nonlinearity="relu",
                                                     seed=SEED, stream=STREAM),
    "orthogonal_": lambda a: wit.orthogonal_(a, gain=0.9, seed=SEED, stream=STREAM),
    "sparse_": lambda a: wit.sparse_(a, 0.3, std=0.02, seed=SEED, stream=STREAM),
}
TORCH_4D = {"dirac_": lambda a: wit.dirac_(a, groups=2, seed=SEED, stream=STREAM)}

GENERATOR_CALLS = {
    "random": lambda g, d: g.random(SHAPE, dtype=d),
    "uniform": lambda g, d: g.uniform(-3.0, 5.0, SHAPE, dtype=d),
    "standard_normal": lambda g, d: g.standard_normal(SHAPE, dtype=d),
    "normal": lambda g, d: g.normal(1.0, 0.25, SHAPE, dtype=d),
    "truncated_normal": lambda g, d: g.truncated_normal(0.0, 1.0, 3.0, 8.0, SHAPE, dtype=d),
}


def public_functions():
    """Lower-case public initializer names (aliases included)."""
    return [n for n in initializers.__all__ if n[:1].islower() and n != "get"]


def digest(array, rounded=False) -> str:
    array = np.ascontiguousarray(array)
    if rounded:
        array = np.round(array.astype(np.float64), 6)
    return hashlib.sha256(array.reshape(-1).view(np.uint8).tobytes()).hexdigest()


def cases():
    """name -> zero-argument callable returning (array, rounded)."""
    out = {}
    for name in public_functions():
        fn = getattr(wi, name)
        params = FUNCTION_PARAMS.get(name, {})
        for dtype in DTYPES:
            for tag, region in (("", None), (":region", REGION)):
                out[f"function:{name}:{dtype}{tag}"] = (
                    lambda fn=fn, p=params, d=dtype, r=region:
                    fn(SHAPE, seed=SEED, stream=STREAM, dtype=d, region=r, **p), name in ROUNDED)
    for name, call in GENERATOR_CALLS.items():
        for dtype in DTYPES:
            out[f"generator:{name}:{dtype}"] = (
                lambda call=call, d=dtype: call(wi.Generator(SEED, STREAM), d), False)
            out[f"generator:{name}:{dtype}:region"] = (
                lambda name=name, d=dtype: _generator_region(name, d), False)
    out["generator:random_raw"] = (lambda: wi.Generator(SEED, STREAM).random_raw(SHAPE), False)
    for calls, shape in ((TORCH_CALLS, SHAPE), (TORCH_4D, (8, 4, 25, 50))):
        for name, call in calls.items():
            for dtype in DTYPES:
                out[f"torch:{name}:{dtype}"] = (
                    lambda call=call, s=shape, d=dtype: call(_empty(s, d)), name in ROUNDED)
    return out


def _generator_region(name, dtype):
    g = wi.Generator(SEED, STREAM)
    method = getattr(g, name)
    args = {"uniform": (-3.0, 5.0), "normal": (1.0, 0.25), "truncated_normal": (0.0, 1.0, 3.0, 8.0)}
    return method(*args.get(name, ()), SHAPE, dtype=dtype, region=REGION)


def _empty(shape, dtype):
    return np.full(shape, 7.25, wi._checks.resolve_dtype(dtype))
