"""Fans and gains: the Keras/JAX and PyTorch conventions, value for value."""
import math

import pytest

from weightinit._fans import (MODES, NONLINEARITIES, calculate_gain, check_jax_rank,
                              compute_fans, fan_denominator, torch_fans)


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),                       # Keras: constants
    ((7,), (7, 7)),                     # Keras: rank 1
    ((512, 256), (512, 256)),           # Dense kernel (in, out)
    ((10000, 64), (10000, 64)),         # Embedding
    ((5, 32, 64), (160, 320)),          # Conv1D kernel (k, in, out)
    ((3, 3, 64, 128), (576, 1152)),     # Conv2D kernel (h, w, in, out)
    ((2, 3, 3, 8, 16), (144, 288)),     # Conv3D kernel
    ((0, 5), (0, 5)),
])
def test_keras_fans(shape, fans):
    assert compute_fans(shape) == fans


def test_jax_axes():
    # JAX: receptive field = everything but in, out and batch axes.
    assert compute_fans((4, 3, 3, 8), in_axis=0, out_axis=-1) == (36, 72)
    assert compute_fans((6, 3, 3, 8, 16), batch_axis=0) == (72, 144)
    assert compute_fans((2, 3, 4, 5), in_axis=(0, 1), out_axis=(2, 3)) == (6, 20)
    assert compute_fans((2, 3), in_axis=1, out_axis=0) == (3, 2)


@pytest.mark.parametrize("shape, axes, fans", [
    ((7,), dict(in_axis=[], out_axis=[0]), (1, 7)),
    ((7,), dict(in_axis=[0], out_axis=[]), (7, 1)),
    ((7,), dict(in_axis=0, out_axis=[]), (7, 1)),
    ((7,), dict(in_axis=[], out_axis=[], batch_axis=0), (1, 1)),
    ((), dict(in_axis=[], out_axis=[]), (1, 1)),
    ((7,), dict(in_axis=-2, out_axis=-1, batch_axis=[]), (7, 7)),   # the defaults, spelled out
])
def test_explicit_axes_at_low_rank(shape, axes, fans):
    # Explicit axes are honoured at rank 0 and 1 (JAX); only the defaults
    # take Keras's (1, 1) / (n, n).
    assert compute_fans(shape, **axes) == fans


def test_explicit_axes_at_low_rank_checked():
    with pytest.raises(ValueError, match=r"in_axis must be in \[-1, 1\)"):
        compute_fans((7,), out_axis=[0])          # in_axis -2 does not exist at rank 1
    with pytest.raises(ValueError, match="must not share an axis"):
        compute_fans((7,), in_axis=0, out_axis=0)


def test_jax_rank_rule():
    for shape in [(), (5,)]:
        with pytest.raises(ValueError, match=f"of a {len(shape)}-dimensional weights tensor "
                                             "with default in_axis"):
            check_jax_rank(shape, -2)
        check_jax_rank(shape, [])                 # explicit: no error
    check_jax_rank((2, 3), -2)


def test_overrides():
    assert compute_fans((3, 4), fan_in=100) == (100, 4)
    assert compute_fans((3, 4), fan_out=7.5) == (3, 7.5)


@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(in_axis=2), ValueError, "in_axis must be in [-2, 2)"),
    (dict(in_axis=1.0), TypeError, "in_axis must be an int or a sequence of ints; got float"),
    (dict(in_axis=(0.5,)), TypeError, "in_axis must contain ints"),
    (dict(in_axis=True), TypeError, "in_axis must be an int"),
    (dict(out_axis=(1, 1)), ValueError, "out_axis must not repeat"),
    (dict(in_axis=0, out_axis=0), ValueError, "must not share an axis"),
    (dict(batch_axis=0), ValueError, "must not share an axis"),
    (dict(fan_in=-1), ValueError, "fan_in must be None or a finite number >= 0"),
    (dict(fan_out="3"), TypeError, "fan_out must be None or a non-negative number"),
])
def test_bad_axes(kwargs, exc, text):
    with pytest.raises(exc, match=text.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        compute_fans((3, 4), **kwargs)


def test_denominators():
    assert fan_denominator("fan_in", 512, 256) == 512.0
    assert fan_denominator("fan_out", 512, 256) == 256.0
    assert fan_denominator("fan_avg", 512, 256) == 384.0
    assert fan_denominator("fan_geo_avg", 512, 128) == 256.0
    assert fan_denominator("fan_in", 0, 3) == 1.0          # max(1, n), Keras
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out', "
                                         "'fan_avg', 'fan_geo_avg'; got 'fanin'"):
        fan_denominator("fanin", 1, 1)
    assert MODES == ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")


@pytest.mark.parametrize("shape, fans", [
    ((256, 512), (512, 256)),           # nn.Linear(512, 256)
    ((128, 64, 3, 3), (576, 1152)),     # nn.Conv2d(64, 128, 3)
    ((16, 8, 5), (40, 80)),
    ((4, 2, 3, 3, 3), (54, 108)),
])
def test_torch_fans(shape, fans):
    assert torch_fans(shape) == fans


def test_torch_fans_rank():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        torch_fans((5,))


def test_gains():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        assert calculate_gain(name) == 1
    assert calculate_gain("tanh") == 5.0 / 3
    assert calculate_gain("relu") == math.sqrt(2.0)
    assert calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / (1 + 0.2 ** 2))
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="nonlinearity must be one of 'linear'"):
        calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope"):
        calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match="negative_slope"):
        calculate_gain("leaky_relu", True)
    assert len(NONLINEARITIES) == 12
