"""One battery over every catalogued initializer (docs/contract.md 2, 4).

The parameters are read from :data:`weightinit._catalogue.CATALOGUE`, so a
newly declared initializer is tested here by being declared.
"""
import numpy as np
import pytest

import weightinit as wi
from weightinit._catalogue import CATALOGUE

import stability_cases

NAMES = [e.function for e in CATALOGUE]
# identity is defined for 2-D shapes only
SHAPES = {name: ((40, 24),) if name == "identity" else ((40, 24), (6, 5, 8)) for name in NAMES}
REGIONS = {2: (slice(3, 17), slice(5, 23)), 3: (slice(1, 4), slice(2, 5), slice(0, 8))}
DTYPES = ("float32", "float64", "float16", "bfloat16")


def _call(name, shape, **kwargs):
    params = stability_cases.FUNCTION_PARAMS.get(name, {})
    return getattr(wi, name)(shape, seed=7, stream="battery", **params, **kwargs)


def _cases():
    return [(n, s) for n in NAMES for s in SHAPES[n]]


@pytest.mark.parametrize("name,shape", _cases())
def test_region_is_the_slice_of_the_full_result(name, shape):
    region = REGIONS[len(shape)]
    full = _call(name, shape)
    part = _call(name, shape, region=region)
    np.testing.assert_array_equal(part, full[region])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_every_dtype(name, dtype):
    result = _call(name, (40, 24), dtype=dtype)
    assert result.dtype == wi._checks.resolve_dtype(dtype)
    assert result.shape == (40, 24)
    if dtype in ("float16", "bfloat16"):
        expected = _call(name, (40, 24), dtype="float32").astype(result.dtype)
        np.testing.assert_array_equal(result.view(np.uint16), expected.view(np.uint16))


@pytest.mark.parametrize("name", NAMES)
def test_thread_count_does_not_change_bits(name):
    one = _call(name, (300, 200), threads=1)
    two = _call(name, (300, 200), threads=2)
    assert one.tobytes() == two.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_out_round_trip(name):
    out = np.full((40, 24), 9.5, np.float32)
    result = _call(name, (40, 24), out=out)
    assert result is out
    np.testing.assert_array_equal(out, _call(name, (40, 24)))


@pytest.mark.parametrize("name", NAMES)
def test_bad_dtype_names_dtype(name):
    with pytest.raises(TypeError, match="dtype"):
        _call(name, (4, 4), dtype="nope")


@pytest.mark.parametrize("name", NAMES)
def test_bad_shape_names_shape(name):
    with pytest.raises(ValueError, match="shape"):
        _call(name, (4, -1))


@pytest.mark.parametrize("name", [n for e in CATALOGUE for n in (e.function,) + e.aliases])
def test_stability_case_exists(name):
    keys = stability_cases.cases()
    for dtype in DTYPES:
        assert f"function:{name}:{dtype}" in keys
        assert f"function:{name}:{dtype}:region" in keys


# -- the declared parameters are the functions' and the classes' -----------------

import inspect  # noqa: E402

from weightinit import _constraints  # noqa: E402
from weightinit._catalogue import FAN_KEYWORDS  # noqa: E402

_EVERYONE = {"shape", "seed", "stream", "dtype", "out", "region", "threads", "in_axis",
             "out_axis", "batch_axis", "fan_in", "fan_out"}


@pytest.mark.parametrize("entry", CATALOGUE, ids=NAMES)
def test_declared_defaults_are_the_signature_defaults(entry):
    signature = inspect.signature(getattr(wi, entry.function)).parameters
    own = {n: p.default for n, p in signature.items() if n not in _EVERYONE}
    assert own == {p.name: p.default for p in entry.params}
    assert list(own) == [p.name for p in entry.params]      # and in order


@pytest.mark.parametrize("entry", CATALOGUE, ids=NAMES)
def test_declared_defaults_are_the_class_config_defaults(entry):
    config = getattr(wi, entry.cls)().get_config()
    for p in entry.params:
        assert config[p.name] == p.default, p.name
    for name in config:      # every own config key is declared (the rest is everyone's)
        assert name in {p.name for p in entry.params} | _EVERYONE | {"input_axes",
                                                                     "output_axes"}


@pytest.mark.parametrize("entry", CATALOGUE, ids=NAMES)
def test_declared_defaults_satisfy_their_constraints(entry):
    for p in entry.params:
        assert _constraints.check(p.default, p.name, p.constraint) == p.default
        _constraints.describe(p.constraint)


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if e.params], ids=lambda e: e.function)
def test_a_value_breaking_the_constraint_is_refused_by_function_and_class(entry):
    bad = {"finite": float("inf"), "positive": 0.0, "real": "x", "bool": "x", "window": 5}
    for p in entry.params:
        value = "no such choice" if isinstance(p.constraint, tuple) else bad[p.constraint]
        kwargs = dict(stability_cases.FUNCTION_PARAMS.get(entry.function, {}))
        kwargs[p.name] = value
        with pytest.raises((TypeError, ValueError), match=p.name):
            getattr(wi, entry.function)((4, 4), seed=0, **kwargs)
        with pytest.raises((TypeError, ValueError), match=p.name):
            getattr(wi, entry.cls)(**kwargs)((4, 4))


@pytest.mark.parametrize("entry", CATALOGUE, ids=NAMES)
def test_fans_and_sampler_are_declared(entry):
    signature = inspect.signature(getattr(wi, entry.function)).parameters
    fans = {n: p.default for n, p in signature.items() if n in _EVERYONE - {"shape", "seed",
            "stream", "dtype", "out", "region", "threads"}}
    assert fans == dict(FAN_KEYWORDS.get(entry.fans, ()))
    random = entry.random
    a = _call(entry.function, (6, 5), threads=1)
    b = getattr(wi, entry.function)((6, 5), seed=8, stream="battery",
                                    **stability_cases.FUNCTION_PARAMS.get(entry.function, {}))
    assert (a.tobytes() != b.tobytes()) == random    # a deterministic one ignores the seed
