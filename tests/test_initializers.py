"""The Keras/JAX initializer functions: formulas, regions, dtypes, out=, errors."""
import math

import numpy as np
import pytest

import weightinit as wi
from weightinit import initializers as inits

import ml_dtypes  # noqa: E402 - a dependency of weightinit
BF16 = np.dtype(ml_dtypes.bfloat16)
C = 0.87962566103423978

# name -> (function, own parameters) for every initializer of docs/contract.md 4.
ALL = {
    "glorot_uniform": (wi.glorot_uniform, {}),
    "glorot_normal": (wi.glorot_normal, {}),
    "he_uniform": (wi.he_uniform, {}),
    "he_normal": (wi.he_normal, {}),
    "lecun_uniform": (wi.lecun_uniform, {}),
    "lecun_normal": (wi.lecun_normal, {}),
    "variance_scaling": (wi.variance_scaling, dict(scale=0.5, mode="fan_geo_avg",
                                                   distribution="untruncated_normal")),
    "random_uniform": (wi.random_uniform, dict(minval=-1.0, maxval=3.0)),
    "random_normal": (wi.random_normal, dict(mean=0.5, stddev=2.0)),
    "truncated_normal": (wi.truncated_normal, dict(mean=-1.0, stddev=0.5)),
    "orthogonal": (wi.orthogonal, dict(gain=1.5)),
    "identity": (wi.identity, dict(gain=0.5)),
    "zeros": (wi.zeros, {}),
    "ones": (wi.ones, {}),
    "constant": (wi.constant, dict(value=0.1)),
}
DTYPES = ["float32", "float64", "float16", BF16]


def bits(a):
    """Bit patterns, so that comparisons are exact (NaN and -0.0 included)."""
    a = np.ascontiguousarray(a)
    return a.view({8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}[a.dtype.itemsize])


def assert_bitwise(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(bits(a), bits(b))


# -- the catalogue -------------------------------------------------------------

def test_aliases_are_the_same_objects():
    assert wi.xavier_uniform is wi.glorot_uniform
    assert wi.xavier_normal is wi.glorot_normal
    assert wi.kaiming_uniform is wi.he_uniform
    assert wi.kaiming_normal is wi.he_normal


def test_exports():
    for name in ALL:
        assert callable(getattr(wi, name)), name
        assert name in wi.__all__
    for cls in ("VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                "LecunUniform", "LecunNormal", "RandomUniform", "RandomNormal",
                "TruncatedNormal", "Orthogonal", "Identity", "Zeros", "Ones", "Constant"):
        assert isinstance(getattr(wi, cls), type), cls


@pytest.mark.parametrize("name", sorted(ALL))
def test_signature(name):
    import inspect
    fn, _ = ALL[name]
    params = inspect.signature(fn).parameters
    assert list(params)[0] == "shape"
    for kw in ("seed", "stream", "dtype", "out", "region", "threads"):
        assert params[kw].kind is inspect.Parameter.KEYWORD_ONLY, (name, kw)
    assert fn.__doc__ and "Examples" in fn.__doc__


def test_keras_defaults():
    import inspect
    sig = lambda f: {k: v.default for k, v in inspect.signature(f).parameters.items()}
    assert sig(wi.variance_scaling)["scale"] == 1.0
    assert sig(wi.variance_scaling)["mode"] == "fan_in"
    assert sig(wi.variance_scaling)["distribution"] == "truncated_normal"
    assert (sig(wi.random_uniform)["minval"], sig(wi.random_uniform)["maxval"]) == (-0.05, 0.05)
    assert (sig(wi.random_normal)["mean"], sig(wi.random_normal)["stddev"]) == (0.0, 0.05)
    assert (sig(wi.truncated_normal)["mean"], sig(wi.truncated_normal)["stddev"]) == (0.0, 0.05)
    assert sig(wi.constant)["value"] == 0
    assert sig(wi.identity)["gain"] == 1.0
    assert sig(wi.orthogonal)["gain"] == 1.0


# -- regions, dtypes, threads, out ---------------------------------------------

SHAPE = (37, 29)
REGIONS = [(slice(0, 37), slice(0, 29)), (slice(3, 17),), (slice(5, 6), slice(1, 28)),
           (slice(20, 37), slice(7, 8)), (slice(0, 0),), (slice(-5, None), slice(2, -3))]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", sorted(ALL))
def test_region_is_full_slice(name, dtype):
    fn, kw = ALL[name]
    full = fn(SHAPE, seed=11, stream="w", dtype=dtype, **kw)
    assert full.shape == SHAPE and full.dtype == np.dtype(dtype)
    for region in REGIONS:
        assert_bitwise(fn(SHAPE, seed=11, stream="w", dtype=dtype, region=region, **kw),
                       full[region])


@pytest.mark.parametrize("name", sorted(ALL))
def test_region_conv_kernel(name):
    fn, kw = ALL[name]
    shape = (3, 3, 8, 16) if name != "identity" else (24, 16)
    full = fn(shape, seed=2, stream=5, **kw)
    region = (slice(1, 3), slice(0, 2), slice(3, 8)) if len(shape) == 4 else (slice(4, 20),)
    assert_bitwise(fn(shape, seed=2, stream=5, region=region, **kw), full[region])


@pytest.mark.parametrize("dtype", ["float16", BF16], ids=str)
@pytest.mark.parametrize("name", sorted(ALL))
def test_16_bit_is_float32_rounded(name, dtype):
    fn, kw = ALL[name]
    f32 = fn(SHAPE, seed=4, stream="x", dtype="float32", **kw)
    assert_bitwise(fn(SHAPE, seed=4, stream="x", dtype=dtype, **kw), f32.astype(dtype))


@pytest.mark.parametrize("name", sorted(ALL))
def test_threads_do_not_change_values(name):
    fn, kw = ALL[name]
    shape = (300, 200) if name != "orthogonal" else (60, 40)
    one = fn(shape, seed=9, threads=1, **kw)
    for threads in (2, 3, 8):
        assert_bitwise(fn(shape, seed=9, threads=threads, **kw), one)


@pytest.mark.parametrize("name", sorted(ALL))
def test_out(name, tmp_path):
    fn, kw = ALL[name]
    expected = fn(SHAPE, seed=1, dtype="float64", **kw)
    out = np.full(SHAPE, np.nan)
    result = fn(SHAPE, seed=1, out=out, **kw)           # dtype taken from out
    assert result is out
    assert_bitwise(out, expected)
    part = np.empty((14, 29), np.float32)
    assert fn(SHAPE, seed=1, out=part, region=(slice(3, 17),), **kw) is part
    assert_bitwise(part, fn(SHAPE, seed=1, **kw)[3:17])
    mm = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="w+", shape=SHAPE)
    fn(SHAPE, seed=1, out=mm, **kw)
    assert_bitwise(np.asarray(mm), fn(SHAPE, seed=1, **kw))


@pytest.mark.parametrize("name", sorted(ALL))
def test_seed_stream_determinism(name):
    fn, kw = ALL[name]
    a = fn(SHAPE, seed=123, stream="layer.0", **kw)
    assert_bitwise(a, fn(SHAPE, seed=123, stream=wi.stream_id("layer.0"), **kw))
    ss = np.random.SeedSequence(5)
    k0, k1 = wi.key_from_seed(ss)
    assert_bitwise(fn(SHAPE, seed=ss, **kw), fn(SHAPE, seed=k0 | (k1 << 32), **kw))
    if name not in ("zeros", "ones", "constant", "identity"):
        assert not np.array_equal(a, fn(SHAPE, seed=124, stream="layer.0", **kw))
        assert not np.array_equal(a, fn(SHAPE, seed=123, stream="layer.1", **kw))
        assert not np.array_equal(fn(SHAPE, **kw), fn(SHAPE, **kw))   # seed=None: entropy


def test_values_are_the_generator_stream():
    # The catalogue adds no state: a preset is the Generator's distribution at block 0.
    shape = (64, 48)
    std = math.sqrt(2.0 / 64) / C
    g = wi.Generator(7, "k")
    assert_bitwise(wi.he_normal(shape, seed=7, stream="k"),
                   g.truncated_normal(0.0, std, -2.0, 2.0, size=shape, dtype="float32"))
    limit = math.sqrt(6.0 / (64 + 48))
    assert_bitwise(wi.glorot_uniform(shape, seed=7, stream="k", dtype="float64"),
                   wi.Generator(7, "k").uniform(-limit, limit, shape))
    assert_bitwise(wi.random_normal(shape, 1.0, 0.5, seed=7, stream="k"),
                   wi.Generator(7, "k").normal(1.0, 0.5, shape, dtype="float32"))


# -- formulas and statistics ---------------------------------------------------

def keras_formula(shape, scale, mode, distribution):
    """Keras 3's VarianceScaling arithmetic, written out independently."""
    shape = tuple(shape)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        rf = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * rf, shape[-1] * rf
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    scale /= max(1.0, n)
    if distribution in ("truncated_normal", "normal"):
        return "trunc", math.sqrt(scale) / C
    if distribution == "untruncated_normal":
        return "normal", math.sqrt(scale)
    return "uniform", math.sqrt(3.0 * scale)


PRESETS = {"glorot_uniform": (1.0, "fan_avg", "uniform"),
           "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
           "he_uniform": (2.0, "fan_in", "uniform"),
           "he_normal": (2.0, "fan_in", "truncated_normal"),
           "lecun_uniform": (1.0, "fan_in", "uniform"),
           "lecun_normal": (1.0, "fan_in", "truncated_normal")}


@pytest.mark.parametrize("shape", [(), (5,), (512, 256), (3, 3, 64, 128), (10000, 64),
                                   (0, 4)])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_parameters_equal_keras(name, shape):
    scale, mode, dist = PRESETS[name]
    kind, value = keras_formula(shape, scale, mode, dist)
    core, params = inits._variance_scaling_sampler(shape, scale, mode, dist, -2, -1, (),
                                                   None, None)
    if kind == "uniform":
        assert core == wi._fill.UNIFORM and params == (-value, value, 0.0, 0.0)
    else:
        assert core == wi._fill.TRUNCNORM and params == (0.0, value, -2.0, 2.0)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("dist", ["truncated_normal", "normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(mode, dist):
    shape = (1000, 400)
    scale = 3.0
    kind, value = keras_formula(shape, scale, mode, dist)
    x = wi.variance_scaling(shape, scale, mode, dist, seed=0, dtype="float64")
    target_std = math.sqrt(scale / max(1.0, {"fan_in": 1000, "fan_out": 400, "fan_avg": 700,
                                             "fan_geo_avg": math.sqrt(400000)}[mode]))
    # Every distribution has variance scale / n (truncation is corrected).
    assert abs(x.std() / target_std - 1) < 0.01
    assert abs(x.mean()) < 0.01 * target_std
    if kind == "uniform":
        assert x.min() >= -value and x.max() < value
    elif kind == "trunc":
        assert np.abs(x).max() <= 2 * value
        assert np.abs(x).max() > 1.99 * value
    else:
        assert np.abs(x).max() > 4 * value


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_is_variance_scaling(name):
    scale, mode, dist = PRESETS[name]
    shape = (3, 3, 16, 32)
    assert_bitwise(ALL[name][0](shape, seed=3), wi.variance_scaling(shape, scale, mode, dist,
                                                                   seed=3))


def test_plain_distributions():
    x = wi.random_uniform((1000, 1000), seed=0)
    assert x.min() >= -0.05 and x.max() < 0.05
    assert abs(x.std() / (0.1 / math.sqrt(12)) - 1) < 0.01
    x = wi.random_normal((1000, 1000), seed=0, dtype="float64")
    assert abs(x.std() / 0.05 - 1) < 0.01
    x = wi.truncated_normal((1000, 1000), mean=1.0, stddev=0.5, seed=0, dtype="float64")
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert abs(x.std() / (0.5 * C) - 1) < 0.01 and abs(x.mean() - 1.0) < 0.002


def test_fan_overrides_and_axes():
    shape = (8, 3, 3, 16)
    a = wi.he_uniform(shape, seed=0, fan_in=1)           # limit sqrt(6)
    assert np.abs(a).max() > 2.0 and np.abs(a).max() < math.sqrt(6)
    # (out, in, h, w) torch layout through JAX's axes: fan_in = 3*3*16? no: in_axis=1.
    t = wi.he_uniform((16, 8, 3, 3), seed=0, in_axis=1, out_axis=0)
    assert np.abs(t).max() < math.sqrt(6 / (8 * 9)) and np.abs(t).max() > 0.99 * math.sqrt(6 / 72)
    b = wi.lecun_uniform((4, 10, 20), seed=0, batch_axis=0)
    assert np.abs(b).max() < math.sqrt(3 / 10) and np.abs(b).max() > 0.99 * math.sqrt(3 / 10)


# -- orthogonal, identity, constants -------------------------------------------

@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (48, 48), (3, 3, 4, 8), (2, 5, 30)])
def test_orthogonal(shape):
    q = wi.orthogonal(shape, gain=2.0, seed=1, dtype="float64")
    m = q.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-12)


def test_orthogonal_is_qr_of_the_stream():
    rows, cols = 20, 50
    a = wi.Generator(3, "q").standard_normal((cols, rows), dtype="float32").astype(np.float64)
    qq, r = np.linalg.qr(a)
    qq = (qq * np.sign(np.diag(r))).T
    np.testing.assert_allclose(wi.orthogonal((rows, cols), seed=3, stream="q"),
                               qq.astype(np.float32), rtol=0, atol=1e-6)
    f64 = wi.orthogonal((rows, cols), seed=3, stream="q", dtype="float64")
    assert np.abs(f64).max() < 1


def test_orthogonal_empty_region_is_cheap():
    import time
    t0 = time.perf_counter()
    empty = wi.orthogonal((4096, 4096), seed=0, region=(slice(0, 0),))
    assert empty.shape == (0, 4096) and time.perf_counter() - t0 < 0.5


def test_torch_submodule_is_lazy_attribute():
    import weightinit.torch
    assert wi.torch is weightinit.torch
    with pytest.raises(AttributeError):
        wi.no_such_thing


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        wi.orthogonal((5,))
    assert wi.orthogonal((0, 4)).shape == (0, 4)


def test_identity_and_constants():
    np.testing.assert_array_equal(wi.identity((3, 5), gain=2.0), 2.0 * np.eye(3, 5))
    np.testing.assert_array_equal(wi.identity((4, 4), region=(slice(1, 3), slice(2, 4))),
                                  np.eye(4)[1:3, 2:4])
    with pytest.raises(ValueError, match="2-dimensional"):
        wi.identity((2, 2, 2))
    assert (wi.zeros((3, 4)) == 0).all() and wi.zeros(3).dtype == np.float32
    assert (wi.ones((3, 4), dtype="float16") == 1).all()
    assert (wi.constant((2, 3), 7, dtype="int32") == 7).all()
    assert wi.constant((2, 3), 7, dtype="int32").dtype == np.int32
    assert wi.constant((5,), 0.1, dtype=BF16).view(np.uint16)[0] == \
        np.array([0.1], np.float32).astype(BF16).view(np.uint16)[0]
    assert wi.zeros(()).shape == ()
    with pytest.raises(TypeError, match="value must be a real number"):
        wi.constant((2,), "1")


# -- bad input: named errors, out untouched ---------------------------------------

BAD = [
    (wi.variance_scaling, dict(mode="fanin"), ValueError,
     "mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fanin'"),
    (wi.variance_scaling, dict(distribution="gaussian"), ValueError,
     "distribution must be one of 'truncated_normal', 'untruncated_normal', 'normal', "
     "'uniform'; got 'gaussian'"),
    (wi.variance_scaling, dict(scale=0.0), ValueError, "scale must be > 0"),
    (wi.variance_scaling, dict(scale=-1), ValueError, "scale must be > 0"),
    (wi.variance_scaling, dict(scale=float("nan")), ValueError, "scale must be finite"),
    (wi.variance_scaling, dict(scale="1"), TypeError, "scale must be a real number"),
    (wi.he_normal, dict(in_axis=5), ValueError, "in_axis must be in"),
    (wi.random_uniform, dict(minval=1.0, maxval=1.0), ValueError, "minval must be less than maxval"),
    (wi.random_uniform, dict(minval=float("nan")), ValueError, "minval must be finite"),
    (wi.random_normal, dict(stddev=0.0), ValueError, "stddev must be > 0"),
    (wi.truncated_normal, dict(stddev=-0.1), ValueError, "stddev must be > 0"),
    (wi.truncated_normal, dict(mean=float("inf")), ValueError, "mean must be finite"),
    (wi.orthogonal, dict(gain=float("nan")), ValueError, "gain must be finite"),
    (wi.he_normal, dict(seed=-1), ValueError, "seed must be an int in"),
    (wi.he_normal, dict(seed=1.5), TypeError, "seed must be None, an int"),
    (wi.he_normal, dict(seed=2 ** 64), ValueError, "seed must be an int in"),
    (wi.he_normal, dict(stream=-1), ValueError, "stream must be an int"),
    (wi.he_normal, dict(stream=b"x"), TypeError, "stream must be an int"),
    (wi.he_normal, dict(dtype="int32"), TypeError, "dtype must be one of"),
    (wi.he_normal, dict(region=(slice(0, 4, 2),)), ValueError, "step 1"),
    (wi.he_normal, dict(threads=0), ValueError, "threads must be"),
    (wi.orthogonal, dict(seed="x"), TypeError, "seed must be None"),
    (wi.orthogonal, dict(threads=0), ValueError, "threads must be"),
    (wi.zeros, dict(stream=-3), ValueError, "stream must be"),
    (wi.constant, dict(value=None), TypeError, "value must be a real number"),
]


@pytest.mark.parametrize("fn, kwargs, exc, text", BAD,
                         ids=[f"{f.__name__}-{sorted(k)}" for f, k, _, _ in BAD])
def test_bad_input_leaves_out_untouched(fn, kwargs, exc, text):
    out = np.full((6, 4), 42.0, np.float32)
    with pytest.raises(exc, match=text.replace("(", r"\(").replace(")", r"\)")):
        fn((6, 4), out=out, **kwargs)
    assert (out == 42.0).all()


@pytest.mark.parametrize("name", sorted(ALL))
def test_bad_out(name):
    fn, kw = ALL[name]
    cases = [
        (np.full((6, 4), 42.0, np.float64), dict(dtype="float32"), TypeError, "dtype"),
        (np.full((4, 6), 42.0, np.float32), {}, ValueError, "shape"),
        (np.full((6, 8), 42.0, np.float32)[:, ::2], {}, ValueError, "C-contiguous"),
        (np.full((6, 4), 42.0, np.dtype(">f4")), {}, ValueError, "native byte order"),
        (np.full((6, 4), 42.0, np.dtype(">f4")), dict(dtype=">f4"), TypeError,
         "dtype must be in native byte order"),
    ]
    for out, extra, exc, text in cases:
        with pytest.raises(exc, match=text):
            fn((6, 4), seed=0, out=out, **kw, **extra)
        assert (out == 42.0).all()
    ro = np.full((6, 4), 42.0, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fn((6, 4), seed=0, out=ro, **kw)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        fn((6, 4), seed=0, out=[0.0] * 24, **kw)


@pytest.mark.parametrize("name", sorted(ALL))
def test_bad_shape_and_region(name):
    fn, kw = ALL[name]
    with pytest.raises(ValueError, match="negative"):
        fn((3, -1), **kw)
    with pytest.raises(TypeError, match="shape must"):
        fn((3, 2.0), **kw)
    with pytest.raises(TypeError, match="region must be a slice or a tuple of slices"):
        fn((3, 4), region=[0, 1], **kw)
    with pytest.raises(ValueError, match="region has 3 slices"):
        fn((3, 4), region=(slice(None),) * 3, **kw)
