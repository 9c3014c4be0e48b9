"""The catalogue against Keras 3 (torch backend): formulas, fans, sample
statistics, and our classes as layer initializers in a model that trains."""
import math
import os

import numpy as np
import pytest
from _extras import missing

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch", reason=missing("torch (the Keras tests run on its backend)"))
keras = pytest.importorskip("keras", reason=missing("keras"))

import weightinit as wi  # noqa: E402

try:
    from keras.src.initializers.random_initializers import compute_fans as keras_fans
except ImportError:  # pragma: no cover - Keras moved it
    keras_fans = None

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

C = 0.87962566103423978
SHAPES = {"dense": (512, 256), "conv2d": (3, 3, 64, 128), "embedding": (10000, 64)}

# (our class, Keras class, constructor arguments shared by both)
PAIRS = [
    (wi.GlorotUniform, keras.initializers.GlorotUniform, {}),
    (wi.GlorotNormal, keras.initializers.GlorotNormal, {}),
    (wi.HeUniform, keras.initializers.HeUniform, {}),
    (wi.HeNormal, keras.initializers.HeNormal, {}),
    (wi.LecunUniform, keras.initializers.LecunUniform, {}),
    (wi.LecunNormal, keras.initializers.LecunNormal, {}),
    (wi.VarianceScaling, keras.initializers.VarianceScaling, {}),
    (wi.VarianceScaling, keras.initializers.VarianceScaling,
     dict(scale=0.3, mode="fan_out", distribution="uniform")),
    (wi.VarianceScaling, keras.initializers.VarianceScaling,
     dict(scale=2.0, mode="fan_avg", distribution="untruncated_normal")),
    (wi.VarianceScaling, keras.initializers.VarianceScaling,
     dict(scale=1.5, mode="fan_in", distribution="normal")),
    (wi.RandomUniform, keras.initializers.RandomUniform, {}),
    (wi.RandomUniform, keras.initializers.RandomUniform, dict(minval=-1.0, maxval=3.0)),
    (wi.RandomNormal, keras.initializers.RandomNormal, {}),
    (wi.RandomNormal, keras.initializers.RandomNormal, dict(mean=1.0, stddev=0.2)),
    (wi.TruncatedNormal, keras.initializers.TruncatedNormal, {}),
    (wi.TruncatedNormal, keras.initializers.TruncatedNormal, dict(mean=-1.0, stddev=0.3)),
    (wi.Orthogonal, keras.initializers.Orthogonal, {}),
    (wi.Orthogonal, keras.initializers.Orthogonal, dict(gain=2.0)),
    (wi.Identity, keras.initializers.Identity, dict(gain=0.5)),
    (wi.Zeros, keras.initializers.Zeros, {}),
    (wi.Ones, keras.initializers.Ones, {}),
    (wi.Constant, keras.initializers.Constant, dict(value=0.7)),
]
PAIR_IDS = [f"{o.__name__}{sorted(k.items())}" for o, _, k in PAIRS]
SEEDED = (wi.Zeros, wi.Ones, wi.Constant, wi.Identity)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x).astype(np.float64)


def expected(ours, shape):
    """(kind, parameter, mean) by Keras's documented formulas and Keras's fans."""
    if isinstance(ours, wi.VarianceScaling):
        fan_in, fan_out = keras_fans(shape) if keras_fans else wi._fans.compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out,
             "fan_avg": (fan_in + fan_out) / 2.0}[ours.mode]
        scale = ours.scale / max(1.0, n)
        if ours.distribution == "uniform":
            return "uniform", math.sqrt(3.0 * scale), 0.0
        if ours.distribution == "untruncated_normal":
            return "normal", math.sqrt(scale), 0.0
        return "truncated", math.sqrt(scale) / C, 0.0
    if isinstance(ours, wi.RandomUniform):
        return "range", (ours.minval, ours.maxval), (ours.minval + ours.maxval) / 2
    if isinstance(ours, wi.RandomNormal):
        return "normal", ours.stddev, ours.mean
    if isinstance(ours, wi.TruncatedNormal):
        return "truncated", ours.stddev, ours.mean
    return "other", None, None


@pytest.mark.parametrize("where", sorted(SHAPES))
@pytest.mark.parametrize("ours_cls, keras_cls, kwargs", PAIRS, ids=PAIR_IDS)
def test_matches_keras(ours_cls, keras_cls, kwargs, where):
    shape = SHAPES[where]
    ours = ours_cls(**kwargs) if ours_cls in SEEDED else ours_cls(**kwargs, seed=0)
    theirs = keras_cls(**kwargs) if ours_cls in SEEDED else keras_cls(**kwargs, seed=0)
    if ours_cls is wi.Identity and len(shape) != 2:
        with pytest.raises(ValueError):
            theirs(shape, dtype="float32")
        with pytest.raises(ValueError, match="2-dimensional"):
            ours(shape, dtype="float32")
        return
    x = ours(shape, dtype="float32")
    assert x.shape == shape and x.dtype == np.float32
    x = x.astype(np.float64)
    y = to_numpy(theirs(shape, dtype="float32"))
    kind, param, mean = expected(ours, shape)
    if kind == "uniform":
        # Our bound is Keras's formula, exactly: the fill is the stream's uniform.
        np.testing.assert_array_equal(
            x, wi.Generator(0).uniform(-param, param, shape, dtype="float32"))
        assert np.abs(x).max() < param and np.abs(x).max() > 0.999 * param
        assert np.abs(y).max() <= param
        std = param / math.sqrt(3.0)
    elif kind == "range":
        lo, hi = param
        assert x.min() >= lo and x.max() < hi and y.min() >= lo and y.max() <= hi
        std = (hi - lo) / math.sqrt(12.0)
    elif kind == "normal":
        np.testing.assert_array_equal(
            x, wi.Generator(0).normal(mean, param, shape, dtype="float32"))
        std = param
    elif kind == "truncated":
        np.testing.assert_array_equal(x, wi.Generator(0).truncated_normal(
            mean, param, -2.0, 2.0, size=shape, dtype="float32"))
        assert np.abs(x - mean).max() <= 2 * param * (1 + 1e-6)
        std = param * C
    if kind != "other":
        assert abs(x.std() / std - 1) < 0.015, (x.std(), std)
        assert abs(y.std() / std - 1) < 0.03, (y.std(), std)     # Keras's own samples
        assert abs(x.mean() - mean) < 0.02 * std
        return
    if ours_cls is wi.Orthogonal:
        m = x.reshape(-1, shape[-1])
        gain = kwargs.get("gain", 1.0)
        np.testing.assert_allclose(m.T @ m, gain ** 2 * np.eye(shape[-1]), atol=2e-4 * gain ** 2)
        assert abs(x.std() / y.std() - 1) < 0.01
    else:                                            # Identity, Zeros, Ones, Constant: exact
        np.testing.assert_array_equal(x, y)


@pytest.mark.skipif(keras_fans is None, reason="keras.src compute_fans not found")
@pytest.mark.parametrize("shape", [(), (7,), (512, 256), (3, 3, 64, 128), (5, 32, 64),
                                   (2, 3, 3, 8, 16), (10000, 64)])
def test_fans_equal_keras(shape):
    assert wi._fans.compute_fans(shape) == keras_fans(shape)


@pytest.mark.parametrize("cls, keras_cls", [(wi.HeNormal, keras.initializers.HeNormal),
                                            (wi.GlorotUniform, keras.initializers.GlorotUniform),
                                            (wi.LecunNormal, keras.initializers.LecunNormal)])
def test_preset_parameters_are_kerass(cls, keras_cls):
    ours, theirs = cls(seed=0), keras_cls(seed=0)
    assert (ours.scale, ours.mode, ours.distribution) == \
        (theirs.scale, theirs.mode, theirs.distribution)


def test_keras_config_is_accepted():
    k = keras.initializers
    for init in (k.HeNormal(seed=5), k.GlorotUniform(seed=5), k.RandomUniform(0.0, 2.0, seed=5),
                 k.VarianceScaling(2.0, "fan_out", "uniform", seed=5), k.Orthogonal(seed=5),
                 k.TruncatedNormal(stddev=0.1, seed=5), k.Constant(0.5), k.Zeros()):
        config = keras.initializers.serialize(init)
        ours = wi.get(config)
        assert type(ours).__name__ == type(init).__name__
        assert ours.get_config().get("seed", 5) == 5
        for key, value in init.get_config().items():
            if key not in ("input_axes", "output_axes"):
                assert ours.get_config()[key] == value, key


def test_called_the_keras_way():
    init = wi.HeNormal(seed=0)
    for dtype in ("float32", "float64", "float16", "bfloat16", None):
        x = init((4, 3), dtype=dtype)
        assert x.shape == (4, 3)
    assert keras.initializers.get(init) is init


def test_sequential_builds_and_trains():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((6, 6, 2)),
        keras.layers.Conv2D(4, 3, kernel_initializer=wi.HeUniform(seed=1, stream="conv"),
                            bias_initializer=wi.Zeros()),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu",
                           kernel_initializer=wi.GlorotNormal(seed=1, stream="dense"),
                           bias_initializer=wi.Constant(0.1)),
        keras.layers.Dense(1, kernel_initializer=wi.Orthogonal(seed=1, stream="head")),
    ])
    kernel = keras.ops.convert_to_numpy(model.layers[0].kernel)
    np.testing.assert_array_equal(kernel, wi.he_uniform((3, 3, 2, 4), seed=1, stream="conv"))
    dense = keras.ops.convert_to_numpy(model.layers[2].kernel)
    np.testing.assert_array_equal(dense, wi.glorot_normal((64, 8), seed=1, stream="dense"))
    assert (keras.ops.convert_to_numpy(model.layers[2].bias) == np.float32(0.1)).all()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 6, 2)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.array_equal(keras.ops.convert_to_numpy(model.layers[0].kernel), kernel)
    # The layer configs carry our initializers' configs.
    config = model.layers[2].get_config()["kernel_initializer"]
    assert config["class_name"] == "GlorotNormal"
    assert wi.get(config) == wi.GlorotNormal(seed=1, stream="dense")
    # And a model rebuilt from its config gets the same initial values.
    custom = {c.__name__: c for c in (wi.HeUniform, wi.GlorotNormal, wi.Orthogonal,
                                      wi.Zeros, wi.Constant)}
    rebuilt = keras.Sequential.from_config(model.get_config(), custom_objects=custom)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(rebuilt.layers[0].kernel), kernel)
