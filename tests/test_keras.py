"""weightinit's classes inside Keras 3 (torch backend): Keras's fan axes
(EinsumDense, MultiHeadAttention), saving and loading a trained model with no
custom_objects in a fresh process, serialization, clone, get(array),
Constant(array), 0-d arrays as numbers, and Keras's errors."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _extras import missing

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch", reason=missing("torch (the Keras tests run on its backend)"))
keras = pytest.importorskip("keras", reason=missing("keras"))

import weightinit as wi  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def values(x):
    return keras.ops.convert_to_numpy(x).astype(np.float64)


def run_fresh(code, cwd):
    """``code`` in a new interpreter (KERAS_BACKEND=torch); its stdout."""
    env = dict(os.environ, KERAS_BACKEND="torch")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# -- Keras's input_axes / output_axes -----------------------------------------

def test_einsum_dense_with_keras_axes_matches_keras():
    """The query kernel (32, 8, 16) of ``abc,cde->abde``: fan_in 32, std 1/sqrt(32)."""
    ours = keras.layers.EinsumDense("abc,cde->abde", (None, 8, 16),
                                    kernel_initializer=wi.LecunNormal(
                                        seed=1, input_axes=[0], output_axes=[1, 2]))
    theirs = keras.layers.EinsumDense("abc,cde->abde", (None, 8, 16),
                                      kernel_initializer=keras.initializers.LecunNormal(seed=1))
    ours.build((None, 5, 32))
    theirs.build((None, 5, 32))
    a, b = values(ours.kernel), values(theirs.kernel)
    assert a.shape == b.shape == (32, 8, 16)
    # 4096 samples: the sample std is within ~1.5% of its value (3 sigma ~ 4%)
    assert abs(a.std() - 32 ** -0.5) < 0.05 * 32 ** -0.5
    assert abs(a.std() - b.std()) < 0.07 * b.std()


@pytest.mark.parametrize("cls", [wi.GlorotUniform, wi.GlorotNormal, wi.HeUniform, wi.HeNormal,
                                 wi.LecunUniform, wi.LecunNormal, wi.VarianceScaling])
def test_keras_axes_give_keras_fans(cls):
    """Every class with both axis lists: the spread of Keras's class with the same."""
    shape = (24, 6, 10)
    ours = cls(seed=0, input_axes=[0], output_axes=[1, 2])
    kcls = getattr(keras.initializers, cls.__name__)
    theirs = kcls(seed=0, input_axes=[0], output_axes=[1, 2])
    a, b = values(ours(shape)), values(theirs(shape))
    assert abs(a.std() - b.std()) < 0.1 * b.std()
    assert ours.get_config()["input_axes"] == [0]
    assert cls.from_config(ours.get_config()) == ours
    # one list alone is ignored, as in Keras's compute_fans
    half = cls(seed=0, input_axes=[0])
    assert np.array_equal(half(shape), cls(seed=0)(shape))


def test_multi_head_attention_takes_our_initializer():
    """MHA clones our initializer into each EinsumDense; Keras fills in the axes
    only for its own VarianceScaling, so ours keeps the default fans
    (fan_in 8 * 32 = 256 for the (32, 8, 16) query kernel) unless given axes."""
    mha = keras.layers.MultiHeadAttention(8, 16, kernel_initializer=wi.get("lecun_normal"))
    x = np.zeros((2, 5, 32), "float32")
    mha(x, x)
    q = values(mha.query_dense.kernel)
    assert q.shape == (32, 8, 16)
    assert abs(q.std() - 256 ** -0.5) < 0.05 * 256 ** -0.5
    ref = keras.layers.MultiHeadAttention(8, 16, kernel_initializer="lecun_normal")
    ref(x, x)
    assert abs(values(ref.query_dense.kernel).std() - 32 ** -0.5) < 0.05 * 32 ** -0.5


# -- saving and loading -------------------------------------------------------

def _model():
    return keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu",
                           kernel_initializer=wi.HeNormal(seed=1, stream="dense0"),
                           bias_initializer=wi.Constant(0.1)),
        keras.layers.Dense(4, kernel_initializer=wi.VarianceScaling(
            2.0, "fan_avg", "uniform", seed=2, input_axes=[0], output_axes=[1]),
            bias_initializer=wi.Zeros()),
    ])


def _initializer_configs(model):
    return [(type(layer.kernel_initializer).__name__, layer.kernel_initializer.get_config(),
             type(layer.bias_initializer).__name__, layer.bias_initializer.get_config())
            for layer in model.layers]


def test_trained_model_saves_and_loads_in_a_fresh_process(tmp_path):
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    before = [w.copy() for w in model.get_weights()]
    model.fit(rng.random((32, 8), "float32"), rng.random((32, 4), "float32"), epochs=2,
              batch_size=8, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "w.npz", *model.get_weights())
    code = """
        import json, numpy as np, keras, weightinit
        m = keras.models.load_model("m.keras")
        w = np.load("w.npz")
        same = all(np.array_equal(a, w[f"arr_{i}"]) for i, a in enumerate(m.get_weights()))
        print(json.dumps([same, [(type(l.kernel_initializer).__module__,
                                  type(l.kernel_initializer).__name__,
                                  l.kernel_initializer.get_config(),
                                  type(l.bias_initializer).__name__,
                                  l.bias_initializer.get_config()) for l in m.layers]]))
    """
    import json
    for order in ("import keras, weightinit", "import weightinit, keras"):
        same, layers = json.loads(run_fresh(code.replace("import keras, weightinit", order),
                                            tmp_path).splitlines()[-1])
        assert same, order
        assert [tuple(x[1:]) for x in layers] == [
            tuple(x) for x in json.loads(json.dumps(_initializer_configs(model)))]
        assert all(x[0] == "weightinit.initializers" for x in layers)


def test_import_weightinit_does_not_import_keras(tmp_path):
    out = run_fresh("import sys, weightinit; print('keras' in sys.modules)", tmp_path)
    assert out.strip() == "False"


# -- serialization and cloning --------------------------------------------------

ALL = [wi.VarianceScaling(0.5, "fan_out", "uniform", seed=3, stream="s"),
       wi.HeNormal(seed=4, input_axes=[0], output_axes=[1]), wi.GlorotUniform(seed=5),
       wi.RandomUniform(-1.0, 2.0, seed=6), wi.RandomNormal(0.5, 0.2, seed=7),
       wi.TruncatedNormal(stddev=0.3, seed=8), wi.Orthogonal(2.0, seed=9),
       wi.Identity(0.5), wi.Zeros(), wi.Ones(), wi.Constant(0.25),
       wi.Constant([[1.0], [2.0]])]


@pytest.mark.parametrize("init", ALL, ids=repr)
def test_serialization_round_trips(init):
    for config in (keras.saving.serialize_keras_object(init),
                   keras.initializers.serialize(init), wi.serialize(init)):
        assert config["registered_name"] == f"weightinit>{type(init).__name__}"
        for back in (keras.saving.deserialize_keras_object(config),
                     keras.initializers.deserialize(config), wi.deserialize(config),
                     keras.initializers.get(config)):
            assert type(back) is type(init) and back.get_config() == init.get_config()
    clone = init.clone()
    assert clone == init and clone is not init
    assert np.array_equal(clone((2, 3)), init((2, 3)))


def test_clone_model_keeps_our_initializers():
    model = _model()
    copy = keras.models.clone_model(model)
    assert _initializer_configs(copy) == _initializer_configs(model)
    for a, b in zip(model.get_weights(), copy.get_weights()):
        assert np.array_equal(a, b)     # int seeds: the same values


def test_keras_own_classes_are_untouched():
    config = keras.initializers.serialize(keras.initializers.HeNormal(seed=1))
    assert type(keras.initializers.deserialize(config)) is keras.initializers.HeNormal


# -- arrays --------------------------------------------------------------------

def test_get_array_gives_the_array():
    array = np.arange(12.0).reshape(3, 4)
    init = wi.get(array)
    assert np.array_equal(init((3, 4)), array) and init((3, 4)).dtype == np.float32
    assert init((3, 4), dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="shape"):
        init((4, 3))
    layer = keras.layers.Dense(4, kernel_initializer=init)
    layer.build((None, 3))
    assert np.array_equal(values(layer.kernel), array)
    array[0, 0] = 99.0                   # a copy was kept, as Keras
    assert init((3, 4))[0, 0] == 0.0


@pytest.mark.parametrize("value", [2.5, [1.0, 2.0, 3.0], [[1.0], [2.0]], np.float32(2),
                                   np.array(3.0), np.array([1.0, -1.0, 0.5])],
                         ids=repr)
@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3)])
def test_constant_broadcasts_as_keras(value, shape):
    try:
        expected = values(keras.initializers.Constant(value)(shape, dtype="float32"))
    except Exception:                    # noqa: BLE001 - Keras cannot broadcast this
        with pytest.raises(ValueError, match="broadcast"):
            wi.Constant(value)(shape)
        return
    got = wi.Constant(value)(shape, dtype="float32")
    assert got.shape == shape and np.array_equal(got, expected)


def test_zero_d_arrays_are_numbers():
    jnp = pytest.importorskip("jax.numpy", reason=missing("jax"))
    for zero_d in (jnp.array(1.0), np.array(1.0), np.float32(1)):
        init = wi.RandomUniform(minval=np.float32(-1), maxval=zero_d, seed=0)
        assert init.get_config()["maxval"] == 1.0 and type(init.get_config()["maxval"]) is float
        assert np.array_equal(init((3,)), wi.RandomUniform(-1.0, 1.0, seed=0)((3,)))
        assert np.array_equal(wi.random_uniform((3,), maxval=zero_d, seed=0),
                              wi.random_uniform((3,), maxval=1.0, seed=0))
    assert wi.Constant(np.array(3.0)).get_config() == {"value": 3.0}
    assert float(wi.constant((2,), jnp.array(3.0))[0]) == 3.0
    assert wi.VarianceScaling(scale=np.array(2.0)).scale == 2.0
    assert wi.RandomNormal(stddev=jnp.array(0.5)).stddev == 0.5
    with pytest.raises(TypeError, match="maxval"):
        wi.RandomUniform(maxval=np.array([1.0]))
    with pytest.raises(TypeError, match="maxval"):
        wi.RandomUniform(maxval=np.array(True))


# -- errors as Keras -----------------------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(scale=0.0), dict(scale=-1.0), dict(mode="fan"),
                                    dict(distribution="gauss")], ids=repr)
def test_bad_arguments_are_value_errors_as_in_keras(kwargs):
    with pytest.raises(ValueError):
        keras.initializers.VarianceScaling(**kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        wi.VarianceScaling(**kwargs)
