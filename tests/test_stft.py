"""weightinit.stft / STFT against keras.initializers.STFT (run with KERAS_BACKEND=jax
or torch). The argument, window and norm are Keras's bit for bit; the cosine
and sine are taken in float64 and rounded, Keras's are its backend's."""
import itertools
import math
import os

import numpy as np
import pytest
from _extras import missing

# keras's torch backend converts with np.array(copy=False) (its own deprecation,
# 243 times in this file): not ours to fix
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("scipy", reason=missing("scipy (keras's STFT windows)"))
keras = pytest.importorskip("keras", reason=missing("keras"))

import weightinit as wi  # noqa: E402

EPS = float(np.finfo(np.float32).eps)
CASES = list(itertools.product(("real", "imag"), ("hann", "hamming", "blackman", None),
                               ("density", "spectrum", None), (False, True)))


def keras_kernel(shape, side, window, scaling, periodic):
    init = keras.initializers.STFT(side, window, scaling, periodic)
    return keras.ops.convert_to_numpy(init(shape, dtype="float32"))


@pytest.mark.parametrize("side,window,scaling,periodic", CASES)
def test_window_over_its_norm_is_keras_within_an_ulp(side, window, scaling, periodic):
    # bin 0 has argument 0: cos is 1 and sin 0 exactly, leaving window / norm;
    # the norm is a float32 sum, Keras's in its backend's order, ours rounded once
    ours = wi.stft((400, 1, 201), side, window, scaling, periodic)
    theirs = keras_kernel((400, 1, 201), side, window, scaling, periodic)
    np.testing.assert_allclose(ours[:, :, 0], theirs[:, :, 0], rtol=2 * EPS, atol=0)
    if scaling is None:      # no sum: bit for bit
        np.testing.assert_array_equal(ours[:, :, 0], theirs[:, :, 0])


@pytest.mark.parametrize("side,window,scaling,periodic", CASES)
@pytest.mark.parametrize("frames,bins", [(7, 3), (128, 65), (400, 201), (512, 257)])
def test_kernel_is_keras_within_its_backends_trig_error(frames, bins, side, window, scaling,
                                                         periodic):
    ours = wi.stft((frames, 1, bins), side, window, scaling, periodic)
    theirs = keras_kernel((frames, 1, bins), side, window, scaling, periodic)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # torch's float32 cos/sin are within an ulp or two; XLA's lose about
    # |argument| ulp, and the largest argument is pi (frames - 1)
    ulps = 4 if keras.backend.backend() == "torch" else 2 * max(1.0, math.pi * (frames - 1))
    scale = float(np.abs(theirs).max())
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=ulps * EPS * scale)


def test_float64_is_the_same_formula_in_float64():
    k64 = wi.stft((64, 1, 33), "imag", "hann", "density", True, dtype="float64")
    k32 = wi.stft((64, 1, 33), "imag", "hann", "density", True)
    assert k64.dtype == np.float64
    # float32's argument is off by about |argument| ulp, the largest being pi * 63
    np.testing.assert_allclose(k64, k32, rtol=0,
                               atol=2 * math.pi * 63 * EPS * float(np.abs(k64).max()))
    t, f = np.arange(64.0).reshape(64, 1), np.arange(33.0)
    import scipy.signal
    w = scipy.signal.get_window("hann", 64, True)
    exact = np.sin(-2 * np.pi * t * f / 64) * w.reshape(64, 1) / np.sqrt((w ** 2).sum())
    np.testing.assert_allclose(k64[:, 0, :], exact, rtol=0, atol=1e-13)


def test_window_values_and_middle_axes_repeat():
    w = [0.5, 1.0, 1.0, 0.5]
    ours = wi.stft((4, 3, 5), window=w, scaling="spectrum")
    theirs = keras_kernel((4, 1, 5), "real", w, "spectrum", False)
    np.testing.assert_array_equal(ours[:, 1:2, 0], theirs[:, :, 0])
    np.testing.assert_array_equal(ours[:, 0], ours[:, 2])


def test_config_round_trips_with_keras():
    theirs = keras.initializers.STFT("imag", "hamming", "spectrum", True)
    ours = wi.get({"class_name": "STFTInitializer", "config": theirs.get_config()})
    assert isinstance(ours, wi.STFT)
    assert ours.get_config() == theirs.get_config()
    mirror = keras.initializers.STFT(**ours.get_config())
    assert mirror.get_config() == theirs.get_config()


def test_inside_a_keras_layer():
    layer = keras.layers.Conv1D(17, 32, kernel_initializer=wi.STFT(window="hann"),
                                use_bias=False)
    layer.build((None, 100, 1))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel),
                                  wi.stft((32, 1, 17), window="hann"))


@pytest.mark.parametrize("kwargs,error,field", [
    ({"side": "complex"}, ValueError, "side"),
    ({"window": "no_such_window"}, ValueError, "window"),
    ({"window": 3}, TypeError, "window"),
    ({"window": [1.0, float("nan")]}, ValueError, "window"),
    ({"scaling": "l2"}, ValueError, "scaling"),
    ({"periodic": "yes"}, TypeError, "periodic"),
])
def test_bad_parameters_are_named_by_function_and_class(kwargs, error, field):
    with pytest.raises(error, match=field):
        wi.stft((8, 1, 5), **kwargs)
    with pytest.raises(error, match=field):
        wi.STFT(**kwargs)


@pytest.mark.parametrize("shape", [(8,), (8, 1), (8, 1, 1)])
def test_a_shape_without_two_bins_is_refused(shape):
    with pytest.raises(ValueError, match="shape"):
        wi.stft(shape)


def test_a_window_of_another_length_is_refused_at_call():
    init = wi.STFT(window=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="window must have frame_length"):
        init((4, 1, 3))


def test_a_spec_writes_the_kernel_and_refuses_a_bad_parameter(tmp_path):
    pytest.importorskip("safetensors", reason=missing("safetensors"))
    from safetensors.numpy import load_file
    from weightinit.safetensors import SpecError, save_safetensors
    spec = {"stft.real": {"shape": [64, 1, 33], "init": {"name": "stft", "window": "hamming",
                                                         "periodic": True}},
            "stft.imag": {"shape": [64, 1, 33], "init": {"name": "stft", "side": "imag",
                                                         "window": [1.0] * 64,
                                                         "scaling": None}}}
    save_safetensors(tmp_path / "k.safetensors", spec, seed=0)
    got = load_file(tmp_path / "k.safetensors")
    np.testing.assert_array_equal(got["stft.real"],
                                  wi.stft((64, 1, 33), window="hamming", periodic=True))
    np.testing.assert_array_equal(got["stft.imag"],
                                  wi.stft((64, 1, 33), "imag", [1.0] * 64, None))
    with pytest.raises(SpecError, match=r"tensors\['w'\]\.init: scaling must be one of"):
        save_safetensors(tmp_path / "bad.safetensors",
                         {"w": {"shape": [8, 1, 5], "init": {"name": "stft", "scaling": "l1"}}})
    assert not (tmp_path / "bad.safetensors").exists()
