"""Initializer classes: calls, get_config/from_config round-trips, weightinit.get."""
import json

import numpy as np
import pytest

import weightinit as wi

# Every class with non-default arguments.
INSTANCES = [
    wi.VarianceScaling(scale=0.3, mode="fan_geo_avg", distribution="uniform", seed=5,
                       stream="a", in_axis=0, out_axis=(1,), batch_axis=[2], fan_in=9),
    wi.VarianceScaling(2.0, "fan_out", "normal", seed=6),
    wi.GlorotUniform(seed=1, stream="dense.kernel"),
    wi.GlorotNormal(seed=2, fan_out=10),
    wi.HeUniform(seed=3, in_axis=1, out_axis=0),
    wi.HeNormal(seed=4, stream=99),
    wi.LecunUniform(seed=5),
    wi.LecunNormal(seed=np.random.SeedSequence(1)),
    wi.RandomUniform(minval=-2.0, maxval=0.5, seed=7),
    wi.RandomNormal(mean=1.0, stddev=0.2, seed=8, stream="n"),
    wi.TruncatedNormal(mean=-1.0, stddev=0.3, seed=9),
    wi.Orthogonal(gain=1.5, seed=10),
    wi.Identity(gain=3.0),
    wi.Zeros(),
    wi.Ones(),
    wi.Constant(0.25),
]
IDS = [type(i).__name__ for i in INSTANCES]
SHAPE = (6, 5, 4)


def shape_for(init):
    return (7, 5) if isinstance(init, wi.Identity) else SHAPE


@pytest.mark.parametrize("init", INSTANCES, ids=IDS)
def test_round_trip_gives_identical_values(init):
    config = init.get_config()
    again = type(init).from_config(config)
    assert again.get_config() == config
    assert again == init
    # JSON and back (tuples become lists; values do not change).
    revived = type(init).from_config(json.loads(json.dumps(config)))
    for dtype in (None, "float32", "float64", "bfloat16"):
        a = init(shape_for(init), dtype=dtype)
        np.testing.assert_array_equal(again(shape_for(init), dtype=dtype), a)
        np.testing.assert_array_equal(revived(shape_for(init), dtype=dtype), a)


@pytest.mark.parametrize("init", INSTANCES, ids=IDS)
def test_same_values_every_call(init):
    a = init(shape_for(init))
    assert a.dtype == np.float32 and a.shape == shape_for(init)
    np.testing.assert_array_equal(init(shape_for(init)), a)
    np.testing.assert_array_equal(init(shape_for(init), "float32"), a)   # Keras: positional


@pytest.mark.parametrize("init", INSTANCES, ids=IDS)
def test_class_equals_function(init):
    fn = {wi.VarianceScaling: wi.variance_scaling, wi.GlorotUniform: wi.glorot_uniform,
          wi.GlorotNormal: wi.glorot_normal, wi.HeUniform: wi.he_uniform,
          wi.HeNormal: wi.he_normal, wi.LecunUniform: wi.lecun_uniform,
          wi.LecunNormal: wi.lecun_normal, wi.RandomUniform: wi.random_uniform,
          wi.RandomNormal: wi.random_normal, wi.TruncatedNormal: wi.truncated_normal,
          wi.Orthogonal: wi.orthogonal, wi.Identity: wi.identity, wi.Zeros: wi.zeros,
          wi.Ones: wi.ones, wi.Constant: wi.constant}[type(init)]
    config = init.get_config()
    np.testing.assert_array_equal(init(shape_for(init), dtype="float64"),
                                  fn(shape_for(init), dtype="float64", **config))
    region = (slice(1, 4),)
    np.testing.assert_array_equal(init(shape_for(init), region=region),
                                  init(shape_for(init))[region])


def test_presets_configs_hold_only_their_arguments():
    config = wi.HeNormal(seed=3).get_config()
    assert config == {"seed": 3, "stream": 0, "in_axis": -2, "out_axis": -1,
                      "batch_axis": [], "fan_in": None, "fan_out": None}
    init = wi.HeNormal(seed=3)
    assert (init.scale, init.mode, init.distribution) == (2.0, "fan_in", "truncated_normal")
    assert isinstance(init, wi.VarianceScaling)
    assert wi.VarianceScaling(distribution="normal").get_config()["distribution"] == \
        "truncated_normal"


def test_seed_none_is_fixed_per_instance():
    init = wi.GlorotUniform()
    np.testing.assert_array_equal(init((8, 8)), init((8, 8)))
    assert init.get_config()["seed"] is None          # as Keras
    assert not np.array_equal(wi.GlorotUniform()((8, 8)), init((8, 8)))


def test_seed_sequence_is_kept_as_its_int():
    ss = np.random.SeedSequence(1)
    k0, k1 = wi.key_from_seed(ss)
    assert wi.LecunNormal(seed=ss).get_config()["seed"] == k0 | (k1 << 32)


@pytest.mark.parametrize("cls, kwargs, exc, text", [
    (wi.VarianceScaling, dict(mode="fanin"), ValueError, "mode must be one of"),
    (wi.VarianceScaling, dict(distribution="x"), ValueError, "distribution must be one of"),
    (wi.VarianceScaling, dict(scale=0), ValueError, "scale must be > 0"),
    (wi.VarianceScaling, dict(in_axis="0"), TypeError, "in_axis"),
    (wi.HeNormal, dict(seed=-1), ValueError, "seed"),
    (wi.HeNormal, dict(stream=1.5), TypeError, "stream"),
    (wi.HeNormal, dict(fan_in=-1), ValueError, "fan_in"),
    (wi.RandomUniform, dict(minval=1, maxval=0), ValueError, "minval must be less than maxval"),
    (wi.RandomNormal, dict(stddev=0), ValueError, "stddev must be > 0"),
    (wi.TruncatedNormal, dict(stddev=-1), ValueError, "stddev must be > 0"),
    (wi.Orthogonal, dict(gain=float("inf")), ValueError, "gain must be finite"),
    (wi.Constant, dict(value="a"), TypeError, "value must be a real number"),
])
def test_constructor_validates(cls, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        cls(**kwargs)


@pytest.mark.parametrize("name, cls", [
    ("he_normal", wi.HeNormal), ("HeNormal", wi.HeNormal), ("glorot_uniform", wi.GlorotUniform),
    ("GlorotNormal", wi.GlorotNormal), ("lecun_uniform", wi.LecunUniform),
    ("LecunNormal", wi.LecunNormal), ("he_uniform", wi.HeUniform),
    ("variance_scaling", wi.VarianceScaling), ("VarianceScaling", wi.VarianceScaling),
    ("random_uniform", wi.RandomUniform), ("uniform", wi.RandomUniform),
    ("RandomNormal", wi.RandomNormal), ("normal", wi.RandomNormal),
    ("truncated_normal", wi.TruncatedNormal), ("orthogonal", wi.Orthogonal),
    ("OrthogonalInitializer", wi.Orthogonal), ("identity", wi.Identity),
    ("IdentityInitializer", wi.Identity), ("zeros", wi.Zeros), ("zero", wi.Zeros),
    ("ones", wi.Ones), ("one", wi.Ones), ("constant", wi.Constant), ("Constant", wi.Constant),
    ("xavier_uniform", wi.GlorotUniform), ("xavier_normal", wi.GlorotNormal),
    ("kaiming_uniform", wi.HeUniform), ("kaiming_normal", wi.HeNormal),
])
def test_get_by_name(name, cls):
    assert type(wi.get(name)) is cls


def test_get_forms():
    init = wi.HeNormal(seed=1)
    assert wi.get(init) is init
    assert wi.get(None) is None
    assert type(wi.get(wi.Ones)) is wi.Ones
    fn = lambda shape, dtype=None: np.zeros(shape)          # noqa: E731
    assert wi.get(fn) is fn
    assert wi.get({"class_name": "HeNormal", "config": init.get_config()}) == init
    # A Keras config, module keys and Keras's axes keys (None) included.
    keras_config = {"module": "keras.initializers", "class_name": "GlorotUniform",
                    "config": {"seed": 42, "input_axes": None, "output_axes": None},
                    "registered_name": None}
    assert wi.get(keras_config) == wi.GlorotUniform(seed=42)
    assert wi.get({"class_name": "Zeros", "config": {}}) == wi.Zeros()
    spec = wi.get({"name": "variance_scaling", "scale": 2.0, "mode": "fan_out", "seed": 3})
    assert spec == wi.VarianceScaling(2.0, "fan_out", seed=3)


def test_get_errors():
    with pytest.raises(ValueError, match="initializer name must be one of .*got 'he_norm'"):
        wi.get("he_norm")
    with pytest.raises(ValueError, match="class_name"):
        wi.get({"config": {}})
    with pytest.raises(TypeError, match="identifier must be"):
        wi.get(3)
    with pytest.raises(TypeError, match="input_axes"):
        wi.get({"class_name": "HeNormal", "config": {"input_axes": "0", "output_axes": [1]}})
    with pytest.raises(TypeError):
        wi.get({"class_name": "HeNormal", "config": {"bogus": 1}})
