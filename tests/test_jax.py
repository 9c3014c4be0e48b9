"""weightinit.jax against JAX itself: the key rule, fans, distributions,
dtypes, jit, sharding, memory, Flax, and JAX's own initializer tests
(tests/nn_test.py, NNInitializersTest) ported to weightinit.jax."""
import functools
import itertools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

_INSTALL = 'pip install -e ".[test,interop]"'
jax = pytest.importorskip("jax", reason=f"jax is not installed: {_INSTALL}")
stats = pytest.importorskip("scipy.stats", reason="statistics tests need scipy")

import jax.numpy as jnp  # noqa: E402

import weightinit as wi  # noqa: E402
import weightinit.jax as wj  # noqa: E402
from weightinit._fans import compute_fans  # noqa: E402

try:
    from jax._src.nn.initializers import _compute_fans as jax_compute_fans
except ImportError:  # pragma: no cover - JAX moved it
    jax_compute_fans = None

C = 0.87962566103423978                 # std of a standard normal truncated to [-2, 2]
BF16, F16, F32, F64 = jnp.bfloat16, jnp.float16, jnp.float32, jnp.float64
FLOATING = [BF16, F16, F32, F64]
COMPLEX = [jnp.complex64, jnp.complex128]
KEY = jax.random.key(2024)


def host(x) -> np.ndarray:
    return np.asarray(x)


def run_python(code: str, env=None) -> str:
    """``code`` in a fresh interpreter; its stdout."""
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- import --------------------------------------------------------------------

def test_import_weightinit_does_not_import_jax():
    out = run_python("""
        import sys, weightinit
        print("jax" in sys.modules)
        import weightinit.jax
        print("jax" in sys.modules, weightinit.jax.__name__)
    """)
    assert out.split() == ["False", "True", "weightinit.jax"]


def test_attribute_access_imports_the_module():
    assert wi.jax is wj


# -- the key decides the values ---------------------------------------------------

def test_seed_rule_threefry():
    for key in (jax.random.key(42), jax.random.PRNGKey(42)):
        assert wj.seed_from_key(key) == (42 << 32, 0)                 # data words [0, 42]
    key = jax.random.fold_in(jax.random.key(1), 5)
    w = [int(x) for x in host(jax.random.key_data(key))]
    assert wj.seed_from_key(key) == (w[0] | w[1] << 32, 0)


@pytest.mark.parametrize("impl", ["rbg", "unsafe_rbg"])
def test_seed_rule_four_words(impl):
    key = jax.random.key(9, impl=impl)
    w = [int(x) for x in host(jax.random.key_data(key))]
    assert len(w) == 4
    assert wj.seed_from_key(key) == (w[0] | w[1] << 32, w[2] | w[3] << 32)
    got = wj.he_uniform()(key, (32, 16))
    seed, stream = wj.seed_from_key(key)
    np.testing.assert_array_equal(host(got), wi.he_uniform((32, 16), seed=seed, stream=stream))
    np.testing.assert_array_equal(host(wj.he_uniform()(jax.random.key_data(key), (32, 16))),
                                  host(got))                          # its raw uint32[4] data


def test_same_key_same_values_other_keys_differ():
    init = wj.glorot_normal()
    a = host(init(jax.random.key(5), (64, 32)))
    np.testing.assert_array_equal(a, host(init(jax.random.key(5), (64, 32))))
    np.testing.assert_array_equal(a, host(init(jax.random.PRNGKey(5), (64, 32))))
    # Distinct key data give distinct values. (In JAX, split(key, n)[i] is
    # fold_in(key, i): the same key, so the same values.)
    keys = [jax.random.key(5), *jax.random.split(jax.random.key(5), 4),
            jax.random.fold_in(jax.random.key(5), 7), jax.random.key(6)]
    values = [host(init(k, (64, 32))) for k in keys]
    for (k1, x), (k2, y) in itertools.combinations(zip(keys, values), 2):
        assert (host(jax.random.key_data(k1)) != host(jax.random.key_data(k2))).any()
        assert (x != y).mean() > 0.99
    np.testing.assert_array_equal(
        host(init(jax.random.split(jax.random.key(5), 4)[1], (64, 32))),
        host(init(jax.random.fold_in(jax.random.key(5), 1), (64, 32))))


# Each initializer equals the catalogue function with the key's seed and stream.
CATALOGUE = [
    (wj.variance_scaling(0.5, "fan_out", "truncated_normal"),
     lambda s, **kw: wi.variance_scaling(s, 0.5, "fan_out", "truncated_normal", **kw)),
    (wj.variance_scaling(0.5, "fan_geo_avg", "normal"),
     lambda s, **kw: wi.variance_scaling(s, 0.5, "fan_geo_avg", "untruncated_normal", **kw)),
    (wj.variance_scaling(3.0, "fan_avg", "uniform", in_axis=0, out_axis=(1, 2)),
     lambda s, **kw: wi.variance_scaling(s, 3.0, "fan_avg", "uniform", in_axis=0,
                                         out_axis=(1, 2), **kw)),
    (wj.glorot_uniform(), wi.glorot_uniform), (wj.glorot_normal(), wi.glorot_normal),
    (wj.he_uniform(), wi.he_uniform), (wj.he_normal(), wi.he_normal),
    (wj.lecun_uniform(), wi.lecun_uniform), (wj.lecun_normal(), wi.lecun_normal),
    (wj.he_normal(batch_axis=0), functools.partial(wi.he_normal, batch_axis=0)),
    (wj.uniform(3.0), lambda s, **kw: wi.random_uniform(s, 0.0, 3.0, **kw)),
    (wj.normal(0.2), lambda s, **kw: wi.random_normal(s, 0.0, 0.2, **kw)),
    (wj.truncated_normal(0.2), lambda s, **kw: wi.truncated_normal(s, 0.0, 0.2, **kw)),
    (wj.truncated_normal(0.2, lower=-1.0, upper=3.0),
     lambda s, seed, stream, dtype: wi.Generator(seed, stream).truncated_normal(
         0.0, 0.2, -1.0, 3.0, size=s, dtype=dtype)),
    (wj.orthogonal(2.0), lambda s, **kw: wi.orthogonal(s, 2.0, **kw)),
    (wj.constant(0.3), lambda s, **kw: wi.constant(s, 0.3, **kw)),
]


@pytest.mark.parametrize("dtype", [F32, BF16, F16])
@pytest.mark.parametrize("init, catalogue", CATALOGUE, ids=range(len(CATALOGUE)))
def test_values_are_the_catalogue(init, catalogue, dtype):
    shape = (6, 20, 9)
    key = jax.random.key(77)
    seed, stream = wj.seed_from_key(key)
    got = init(key, shape, dtype)
    assert isinstance(got, jax.Array) and got.dtype == dtype and got.shape == shape
    want = catalogue(shape, seed=seed, stream=stream, dtype=np.dtype(dtype))
    np.testing.assert_array_equal(host(got), want)


def test_16_bit_is_float32_rounded():
    init = wj.he_normal()
    f32 = host(init(KEY, (33, 17)))
    for dtype in (BF16, F16):
        np.testing.assert_array_equal(host(init(KEY, (33, 17), dtype)), f32.astype(dtype))


@pytest.mark.parametrize("key, text", [
    (0, "got int"),
    (np.array([1, 2], np.int32), "dtype int32"),
    (np.zeros(3, np.uint32), r"shape \(3,\)"),
    (jax.random.PRNGKey(0)[None], r"shape \(1, 2\)"),
    (jax.random.split(jax.random.key(0), 2), "single PRNG key"),
    (None, "got NoneType"),
])
def test_bad_keys(key, text):
    with pytest.raises(TypeError, match=text):
        wj.he_normal()(key, (3, 4))
    with pytest.raises(TypeError, match=text):
        wj.seed_from_key(key)


def test_seed_from_key_refuses_tracers():
    with pytest.raises(TypeError, match="concrete key"):
        jax.jit(wj.seed_from_key)(KEY)


def test_constants_ignore_the_key():
    for key in (None, 0, KEY):
        np.testing.assert_array_equal(host(wj.zeros(key, (2, 3))), np.zeros((2, 3), np.float32))
    assert wj.ones(None, (2,), jnp.int32).dtype == jnp.int32
    assert host(wj.constant(1, jnp.bool_)(None, (2,))).tolist() == [True, True]
    np.testing.assert_array_equal(host(wj.constant(jnp.array(-7.0))(KEY, (2, 3))),
                                  np.full((2, 3), -7.0, np.float32))


# -- dtypes ----------------------------------------------------------------------

def test_default_dtype_and_factory_dtype():
    assert wj.normal()(KEY, (3,)).dtype == jnp.float32
    init = wj.normal(dtype=BF16)
    assert init(KEY, (3,)).dtype == BF16                     # the factory's default
    assert init(KEY, (3,), F16).dtype == F16                 # the call's dtype wins
    assert init(KEY, (3,), None).dtype == jnp.float32        # None: JAX's default float


def test_float64_without_x64_narrows_with_warning():
    if jax.config.jax_enable_x64:
        pytest.skip("x64 is enabled in this process")
    with pytest.warns(UserWarning, match="Explicitly requested dtype float64"):
        x = wj.he_normal()(KEY, (8, 4), F64)
    assert x.dtype == jnp.float32
    np.testing.assert_array_equal(host(x), host(wj.he_normal()(KEY, (8, 4))))


def test_float64_with_x64():
    with jax.enable_x64(True):
        for init, catalogue in CATALOGUE[:4]:
            key = jax.random.key(3)
            x = init(key, (5, 6, 7))                         # JAX's default is float64 now
            assert x.dtype == jnp.float64
            seed, stream = wj.seed_from_key(key)
            np.testing.assert_array_equal(host(x), catalogue((5, 6, 7), seed=seed,
                                                             stream=stream, dtype="float64"))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_refused(dtype):
    for init in (wj.normal(), wj.he_normal(), wj.orthogonal(), wj.constant(1.0)):
        with pytest.raises(TypeError, match="dtype must be real"):
            init(KEY, (4, 4), dtype)


def test_integer_dtypes():
    with pytest.raises(TypeError, match="dtype"):
        wj.normal()(KEY, (4,), jnp.int32)
    with pytest.raises(TypeError, match="dtype must be a NumPy or JAX dtype"):
        wj.normal()(KEY, (4,), "nonsense")
    assert host(wj.constant(3)(KEY, (2,), jnp.int32)).tolist() == [3, 3]


# -- fans: JAX's rules --------------------------------------------------------------

FAN_CASES = [
    ((5, 7), {}), ((3, 3, 16, 32), {}), ((2, 3, 4, 5), dict(in_axis=(0, 1), out_axis=(-2, -1))),
    ((2, 3, 4, 5), dict(in_axis=0, out_axis=(2, 3), batch_axis=1)),
    ((8, 3, 16), dict(in_axis=1, out_axis=2, batch_axis=0)),
    ((6, 5, 3, 3), dict(in_axis=1, out_axis=0)),          # torch layout (out, in, h, w)
    ((100,), dict(in_axis=[], out_axis=[0])), ((100,), dict(in_axis=[0], out_axis=[])),
    ((100,), dict(in_axis=0, out_axis=[])), ((), dict(in_axis=[], out_axis=[])),
    ((4, 5, 6), dict(in_axis=[], out_axis=[])), ((4, 5, 6), dict(batch_axis=(0,))),
]


@pytest.mark.skipif(jax_compute_fans is None, reason="JAX's _compute_fans moved")
@pytest.mark.parametrize("shape, axes", FAN_CASES)
def test_fans_are_jax_fans(shape, axes):
    assert compute_fans(shape, **axes) == pytest.approx(jax_compute_fans(shape, **axes))


@pytest.mark.skipif(jax_compute_fans is None, reason="JAX's _compute_fans moved")
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("shape, axes", FAN_CASES)
def test_variance_scaling_uses_jax_fans(shape, axes, mode):
    fan_in, fan_out = jax_compute_fans(shape, **axes)
    key = jax.random.key(11)
    seed, stream = wj.seed_from_key(key)
    got = wj.variance_scaling(1.5, mode, "uniform", **axes)(key, shape)
    want = wi.variance_scaling(shape, 1.5, mode, "uniform", seed=seed, stream=stream,
                               fan_in=fan_in, fan_out=fan_out)
    np.testing.assert_array_equal(host(got), want)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_rank_rule_as_jax(shape):
    # JAX refuses rank 0 and 1 with the default in_axis; so does weightinit.jax,
    # while the Keras front end keeps Keras's fans there.
    for module in (jax.nn.initializers, wj):
        with pytest.raises(ValueError, match="with default in_axis"):
            module.he_normal()(KEY, shape)
    assert wi.he_normal(shape, seed=0).shape == shape


def test_explicit_axes_at_rank_1():
    # The case: in_axis=[], out_axis=[0] on (100000,) gives fan_in 1.
    ours = host(wj.variance_scaling(1.0, "fan_in", "uniform", in_axis=[], out_axis=[0])(
        KEY, (100000,)))
    theirs = host(jax.nn.initializers.variance_scaling(
        1.0, "fan_in", "uniform", in_axis=[], out_axis=[0])(KEY, (100000,)))
    assert np.abs(ours).max() == pytest.approx(3 ** 0.5, rel=1e-3)
    assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=1e-3)
    keras_side = wi.variance_scaling((100000,), 1.0, "fan_in", "uniform", in_axis=[],
                                     out_axis=[0], seed=0)
    assert np.abs(keras_side).max() == pytest.approx(3 ** 0.5, rel=1e-3)


# -- distributions against JAX's own samples ------------------------------------------

SHAPE = (3, 3, 64, 128)                  # fan_in 576, fan_out 1152; 73728 samples
FAN_IN, FAN_OUT = 576, 1152
N_BY_MODE = {"fan_in": FAN_IN, "fan_out": FAN_OUT, "fan_avg": (FAN_IN + FAN_OUT) / 2,
             "fan_geo_avg": (FAN_IN * FAN_OUT) ** 0.5}


def _model(distribution, variance):
    """The scipy distribution JAX documents (and implements) for variance scaling."""
    std = variance ** 0.5
    if distribution == "truncated_normal":
        return stats.truncnorm(-2, 2, scale=std / C)
    if distribution == "normal":                         # JAX: untruncated
        return stats.norm(scale=std)
    limit = (3 * variance) ** 0.5
    return stats.uniform(-limit, 2 * limit)


def _check_against_jax(ours, theirs, model, std, bound=None):
    ours, theirs = ours.ravel().astype(np.float64), theirs.ravel().astype(np.float64)
    assert stats.kstest(theirs, model.cdf).pvalue > 1e-3      # the model is JAX's
    assert stats.kstest(ours, model.cdf).pvalue > 1e-3        # and ours
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3
    assert ours.std() == pytest.approx(std, rel=0.015)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert abs(ours.mean() - model.mean()) < 4 * std / len(ours) ** 0.5
    if bound is not None:
        lo, hi = bound
        assert lo <= ours.min() and ours.max() <= hi
        assert theirs.min() >= lo and theirs.max() <= hi
        width = hi - lo                                       # both reach the bounds
        assert ours.min() - lo < 1e-3 * width and hi - ours.max() < 1e-3 * width


@pytest.mark.parametrize("mode", list(N_BY_MODE))
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_distribution(distribution, mode):
    scale = 2.0
    variance = scale / N_BY_MODE[mode]
    ours = host(wj.variance_scaling(scale, mode, distribution)(jax.random.key(1), SHAPE))
    theirs = host(jax.nn.initializers.variance_scaling(scale, mode, distribution)(
        jax.random.key(1), SHAPE))
    bound = None
    if distribution == "truncated_normal":
        b = 2 * variance ** 0.5 / C
        bound = (-b, b)
    elif distribution == "uniform":
        b = (3 * variance) ** 0.5
        bound = (-b, b)
    _check_against_jax(ours, theirs, _model(distribution, variance), variance ** 0.5, bound)


def test_normal_is_untruncated_as_jax():
    std = (1.0 / FAN_IN) ** 0.5
    for module in (wj, jax.nn.initializers):
        x = host(module.variance_scaling(1.0, "fan_in", "normal")(jax.random.key(4), SHAPE))
        assert np.abs(x).max() > 3.5 * std                 # tails beyond 2 std: untruncated
    same = wj.variance_scaling(1.0, "fan_in", "untruncated_normal")(jax.random.key(4), SHAPE)
    np.testing.assert_array_equal(
        host(same), host(wj.variance_scaling(1.0, "fan_in", "normal")(jax.random.key(4), SHAPE)))


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                  "lecun_uniform", "lecun_normal"])
def test_presets_distribution(name):
    ours = host(getattr(wj, name)()(jax.random.key(8), SHAPE))
    theirs = host(getattr(jax.nn.initializers, name)()(jax.random.key(8), SHAPE))
    scale = 2.0 if name.startswith("he") else 1.0
    mode = "fan_avg" if name.startswith("glorot") else "fan_in"
    distribution = "uniform" if name.endswith("uniform") else "truncated_normal"
    variance = scale / N_BY_MODE[mode]
    b = (3 * variance) ** 0.5 if distribution == "uniform" else 2 * variance ** 0.5 / C
    _check_against_jax(ours, theirs, _model(distribution, variance), variance ** 0.5, (-b, b))
    assert getattr(wj, {"glorot": "xavier", "he": "kaiming"}.get(name.split("_")[0], "lecun")
                   + "_" + name.split("_")[1]) is getattr(wj, name)


def test_uniform_distribution():
    ours = host(wj.uniform(0.5)(jax.random.key(2), (200, 300)))
    theirs = host(jax.nn.initializers.uniform(0.5)(jax.random.key(2), (200, 300)))
    _check_against_jax(ours, theirs, stats.uniform(0, 0.5), 0.5 / 12 ** 0.5, (0.0, 0.5))
    assert ours.max() < 0.5


def test_normal_distribution():
    ours = host(wj.normal(0.3)(jax.random.key(2), (200, 300)))
    theirs = host(jax.nn.initializers.normal(0.3)(jax.random.key(2), (200, 300)))
    _check_against_jax(ours, theirs, stats.norm(scale=0.3), 0.3)


@pytest.mark.parametrize("lower, upper", [(-2.0, 2.0), (-1.0, 3.0), (0.5, 1.5)])
def test_truncated_normal_distribution(lower, upper):
    # JAX's bounds are in standard deviations, and no correction is applied.
    stddev = 0.3
    model = stats.truncnorm(lower, upper, scale=stddev)
    ours = host(wj.truncated_normal(stddev, lower=lower, upper=upper)(jax.random.key(2),
                                                                       (200, 300)))
    theirs = host(jax.nn.initializers.truncated_normal(stddev, lower=lower, upper=upper)(
        jax.random.key(2), (200, 300)))
    _check_against_jax(ours, theirs, model, model.std(), (lower * stddev, upper * stddev))


def test_orthogonal_distribution():
    # Entries of a Haar-random column of length n: (x + 1) / 2 ~ Beta((n-1)/2, (n-1)/2).
    n = 512
    model = stats.beta((n - 1) / 2, (n - 1) / 2, loc=-1, scale=2)
    ours = host(wj.orthogonal()(jax.random.key(6), (n, 64)))
    theirs = host(jax.nn.initializers.orthogonal()(jax.random.key(6), (n, 64)))
    _check_against_jax(ours, theirs, model, model.std())


@pytest.mark.parametrize("shape, column_axis, against_jax", [
    ((6, 4, 5), -1, False), ((6, 4, 5), 0, True), ((6, 4, 5), 1, False), ((3, 20), 0, True),
    ((20, 3), 0, False), ((2, 3, 4), 2, False),
])
def test_orthogonal_column_axis_as_jax(shape, column_axis, against_jax):
    for module in (wj, jax.nn.initializers) if against_jax else (wj,):
        q = host(module.orthogonal(1.5, column_axis)(jax.random.key(0), shape))
        assert q.shape == shape
        m = np.moveaxis(q, column_axis, -1).reshape(-1, shape[column_axis]).astype(np.float64)
        rows, cols = m.shape
        gram = m.T @ m if rows >= cols else m @ m.T
        np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(min(rows, cols)), atol=1e-5)
    seed, stream = wj.seed_from_key(jax.random.key(0))
    moved = shape[:column_axis % len(shape)] + shape[column_axis % len(shape) + 1:] \
        + (shape[column_axis],)
    np.testing.assert_array_equal(
        host(wj.orthogonal(1.5, column_axis)(jax.random.key(0), shape)),
        np.moveaxis(wi.orthogonal(moved, 1.5, seed=seed, stream=stream), -1, column_axis))


@pytest.mark.parametrize("shape, against_jax", [
    ((3, 8, 8), False), ((3, 5, 4, 6), True), ((3, 3, 3, 2, 7), False), ((4, 2, 3, 3), False)])
def test_delta_orthogonal_as_jax(shape, against_jax):
    key = jax.random.key(1)
    for module in (wj, jax.nn.initializers) if against_jax else (wj,):
        w = host(module.delta_orthogonal(2.0)(key, shape)).astype(np.float64)
        center = tuple((k - 1) // 2 for k in shape[:-2])
        m = w[center]
        np.testing.assert_allclose(m @ m.T, 4.0 * np.eye(shape[-2]), atol=1e-5)
        w[center] = 0
        assert not w.any()
    np.testing.assert_array_equal(host(wj.delta_orthogonal(2.0)(key, shape))[center],
                                  host(wj.orthogonal(2.0)(key, shape[-2:])))


@pytest.mark.parametrize("shape, text", [
    ((3, 3), "3D, 4D or 5D"), ((1, 2, 3, 4, 5, 6), "3D, 4D or 5D"),
    ((3, 3, 8, 4), "fan_in` must be less or equal than `fan_out"),
])
def test_delta_orthogonal_errors_as_jax(shape, text):
    for module in (wj, jax.nn.initializers):
        with pytest.raises(ValueError, match=text):
            module.delta_orthogonal()(KEY, shape)


# -- jit, vmap, eval_shape ----------------------------------------------------------

JITTED = [wj.he_normal(), wj.glorot_uniform(), wj.normal(), wj.uniform(),
          wj.truncated_normal(lower=-1.0, upper=0.5), wj.orthogonal(column_axis=0),
          wj.delta_orthogonal(), wj.constant(0.1), wj.zeros, wj.ones,
          wj.variance_scaling(1.0, "fan_in", "normal", in_axis=[], out_axis=[0, 1])]


@pytest.mark.parametrize("dtype", [F32, BF16])
@pytest.mark.parametrize("init", JITTED, ids=range(len(JITTED)))
def test_jit_gives_the_eager_values(init, dtype):
    shape = (3, 4, 5)
    for key in (jax.random.key(3), jax.random.PRNGKey(3)):
        eager = init(key, shape, dtype)
        jitted = jax.jit(lambda k: init(k, shape, dtype))(key)
        assert jitted.dtype == dtype and jitted.shape == shape
        np.testing.assert_array_equal(host(jitted), host(eager))


def test_vmap_over_keys():
    init = wj.lecun_normal()
    keys = jax.random.split(KEY, 4)
    batched = jax.vmap(lambda k: init(k, (6, 5)))(keys)
    assert batched.shape == (4, 6, 5)
    for i in range(4):
        np.testing.assert_array_equal(host(batched[i]), host(init(keys[i], (6, 5))))
    jitted = jax.jit(jax.vmap(lambda k: init(k, (6, 5))))(keys)
    np.testing.assert_array_equal(host(jitted), host(batched))


def test_eval_shape_fills_nothing():
    # 2**40 float32 would need 4 TiB: eval_shape must not run the fill.
    out = jax.eval_shape(lambda k: wj.he_normal()(k, (1 << 20, 1 << 20)), KEY)
    assert out.shape == (1 << 20, 1 << 20) and out.dtype == jnp.float32


def test_errors_raise_at_trace_time():
    cases = [
        (wj.he_normal(), (5,), ValueError, "with default in_axis"),
        (wj.variance_scaling(-1.0, "fan_in", "uniform"), (3, 4), ValueError, "scale"),
        (wj.variance_scaling(1.0, "fanin", "uniform"), (3, 4), ValueError, "mode must be one of"),
        (wj.normal(0.0), (3, 4), ValueError, "stddev"),
        (wj.truncated_normal(1.0, lower=2.0, upper=1.0), (3, 4), ValueError, "a must be less"),
        (wj.orthogonal(column_axis=3), (3, 4), ValueError, "column_axis"),
        (wj.delta_orthogonal(), (3, 3, 8, 4), ValueError, "fan_in"),
        (wj.constant("x"), (3, 4), TypeError, "value"),
    ]
    for init, shape, exc, text in cases:
        with pytest.raises(exc, match=text):
            init(KEY, shape)
        with pytest.raises(exc, match=text):
            jax.jit(lambda k: init(k, shape))(KEY)


# -- bad arguments -----------------------------------------------------------------

@pytest.mark.parametrize("make, shape, exc, text", [
    (lambda: wj.variance_scaling(1.0, "fan_in", "Normal"), None, ValueError,
     "distribution must be one of 'truncated_normal', 'normal', 'uniform'"),
    (lambda: wj.variance_scaling(0.0, "fan_in", "normal"), (3, 4), ValueError, "scale must be > 0"),
    (lambda: wj.he_normal(in_axis=5), (3, 4), ValueError, "in_axis must be in"),
    (lambda: wj.he_normal(in_axis=0, out_axis=0), (3, 4), ValueError, "must not share an axis"),
    (lambda: wj.he_normal(in_axis=1.5), (3, 4), TypeError, "in_axis"),
    (lambda: wj.uniform(0.0), (3, 4), ValueError, "minval must be less than maxval"),
    (lambda: wj.normal(float("nan")), (3, 4), ValueError, "stddev"),
    (lambda: wj.orthogonal(), (7,), ValueError, "at least 2 dimensions"),
    (lambda: wj.orthogonal(column_axis=1.0), (3, 4), TypeError, "column_axis must be an int"),
    (lambda: wj.orthogonal(column_axis=(0,)), (3, 4), TypeError, "column_axis must be an int"),
    (lambda: wj.he_normal(), (3, -4), ValueError, "negative"),
    (lambda: wj.he_normal(), "ab", TypeError, "shape"),
])
def test_bad_arguments(make, shape, exc, text):
    with pytest.raises(exc, match=text):
        make()(KEY, shape)


def test_out_sharding_kinds():
    from jax.sharding import NamedSharding, PartitionSpec
    with pytest.raises(TypeError, match="out_sharding must be None or a jax.sharding.Sharding"):
        wj.he_normal()(KEY, (4, 4), out_sharding=PartitionSpec("x"))
    mesh = jax.make_mesh((1,), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec("x"))
    x = wj.he_normal()(KEY, (4, 4), out_sharding=sharding)
    assert x.sharding == sharding
    np.testing.assert_array_equal(host(x), host(wj.he_normal()(KEY, (4, 4))))


def test_out_sharding_on_four_devices():
    # Each device's shard is generated on its own (region=); gathered, it is the
    # single-device result, eagerly and under jit.
    out = run_python("""
        import jax, numpy as np, weightinit.jax as wj
        from jax.sharding import NamedSharding, PartitionSpec as P
        assert jax.device_count() == 4, jax.devices()
        mesh = jax.make_mesh((2, 2), ("a", "b"))
        key = jax.random.key(5)
        for init in (wj.he_normal(), wj.orthogonal(), wj.truncated_normal(1.0, lower=0.0),
                     wj.delta_orthogonal(), wj.ones):
            shape = (3, 2, 6, 8) if init is not wj.ones else (6, 8)
            full = np.asarray(init(key, shape))
            spec = NamedSharding(mesh, P(None, None, "a", "b") if len(shape) == 4 else P("a", "b"))
            x = init(key, shape, out_sharding=spec)
            assert x.sharding == spec and len(x.addressable_shards) == 4
            assert (np.asarray(x) == full).all()
            for shard in x.addressable_shards:
                assert (np.asarray(shard.data) == full[shard.index]).all()
            y = jax.jit(lambda k: init(k, shape, out_sharding=spec))(key)
            assert (np.asarray(y) == full).all()
        print("ok")
    """, env={"XLA_FLAGS": "--xla_force_host_platform_device_count=4",
              "JAX_PLATFORMS": "cpu"})
    assert out.strip() == "ok"


# -- memory --------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_peak_memory_is_the_output():
    # 256 MiB of float32: the host buffer is handed to JAX without a copy, so
    # the peak grows by the output alone (a copy would add another 256 MiB).
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's RSS.
    out = run_python("""
        import jax, weightinit.jax as wj
        def status(field):
            for line in open("/proc/self/status"):
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024        # kB -> MiB
        wj.he_normal()(jax.random.key(0), (64, 64)).block_until_ready()   # warm up
        before = status("VmRSS")
        x = wj.he_normal()(jax.random.key(0), (8192, 8192))
        x.block_until_ready()
        print(status("VmHWM") - before)
    """, env={"JAX_PLATFORMS": "cpu"})
    grown_mib = float(out)
    assert 200 < grown_mib < 256 * 1.4, f"peak grew by {grown_mib:.0f} MiB for a 256 MiB output"


# -- JAX's own tests (tests/nn_test.py, NNInitializersTest), ported ------------------
# Every case runs against weightinit.jax. To check the port itself, each test
# also runs against jax.nn.initializers on a few cases (JAX compiles per
# shape and dtype, about a second each here: the whole product takes minutes).
# The one deliberate difference: complex dtypes raise TypeError in
# weightinit.jax, where JAX makes complex weights.

ALL_SHAPES = [(), (2,), (2, 2), (2, 3), (3, 2), (2, 3, 4), (4, 3, 2), (2, 3, 4, 5)]
INEXACT = FLOATING + COMPLEX


def _records(m):
    """(name, provider, shapes, dtypes) as upstream's INITIALIZER_RECS."""
    def rec(name, provider, dtypes, min_dims=2, max_dims=4):
        return (name, provider, [s for s in ALL_SHAPES if min_dims <= len(s) <= max_dims],
                dtypes)
    return [
        rec("uniform", m.uniform, FLOATING, 1),
        rec("normal", m.normal, INEXACT, 1),
        rec("he_normal", m.he_normal, INEXACT),
        rec("he_uniform", m.he_uniform, INEXACT),
        rec("glorot_normal", m.glorot_normal, INEXACT),
        rec("glorot_uniform", m.glorot_uniform, INEXACT),
        rec("lecun_normal", m.lecun_normal, INEXACT),
        rec("lecun_uniform", m.lecun_uniform, INEXACT),
        rec("orthogonal", m.orthogonal, FLOATING, 2, 2),
        rec("truncated_normal", m.truncated_normal, FLOATING, 1),
        rec("delta_orthogonal", m.delta_orthogonal, FLOATING, 4, 4),
        rec("variance_scaling_fan_geo_avg",
            functools.partial(m.variance_scaling, 1, "fan_geo_avg", "normal"), FLOATING),
        rec("variance_scaling_fan_in_0",
            functools.partial(m.variance_scaling, 1, "fan_in", "normal", in_axis=[0],
                              out_axis=[]), FLOATING, 1),
        rec("variance_scaling_fan_in_1",
            functools.partial(m.variance_scaling, 1, "fan_in", "normal", in_axis=[],
                              out_axis=[0]), FLOATING, 1),
        rec("variance_scaling_fan_in_2",
            functools.partial(m.variance_scaling, 1, "fan_in", "normal", in_axis=[],
                              out_axis=[]), FLOATING, 0),
    ]


MODULES = {"weightinit.jax": wj, "jax.nn.initializers": jax.nn.initializers}
UPSTREAM_CASES = [
    pytest.param("weightinit.jax", name, shape, dtype,
                 id=f"weightinit.jax-{name}-{shape}-{np.dtype(dtype).name}")
    for name, _, shapes, dtypes in _records(wj) for shape in shapes for dtype in dtypes
] + [
    pytest.param("jax.nn.initializers", name, shape, F32,
                 id=f"jax.nn.initializers-{name}-{shape}-float32")
    for name, shape in [("uniform", (2,)), ("he_normal", (2, 3)),
                        ("variance_scaling_fan_in_1", (2,)), ("variance_scaling_fan_in_2", ())]]


def _provider(module_name, name):
    return {n: p for n, p, _, _ in _records(MODULES[module_name])}[name]


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")
@pytest.mark.parametrize("module_name, name, shape, dtype", UPSTREAM_CASES)
def test_upstream_initializer_and_provider(module_name, name, shape, dtype):
    # testInitializer: init(key, shape, dtype); testInitializerProvider:
    # provider(dtype=dtype)(key, shape). Each checks the shape and the dtype.
    provider = _provider(module_name, name)
    calls = [lambda: provider()(jax.random.PRNGKey(0), shape, dtype),
             lambda: provider(dtype=dtype)(jax.random.PRNGKey(0), shape)]
    for call in calls:
        if module_name == "weightinit.jax" and np.dtype(dtype).kind == "c":
            with pytest.raises(TypeError, match="dtype must be real"):
                call()
            continue
        val = call()
        assert shape == jnp.shape(val)
        assert jax.dtypes.canonicalize_dtype(dtype) == val.dtype


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")
@pytest.mark.parametrize("module_name, dtype", [("weightinit.jax", d) for d in FLOATING]
                         + [("jax.nn.initializers", F32)])
def test_upstream_orthogonal_zero_size(module_name, dtype):
    # JAX has no 16-bit QR on the CPU; weightinit's QR runs in float64.
    sizes = list(itertools.product(range(4), range(4)))
    if module_name == "jax.nn.initializers":
        sizes = [(0, 2), (1, 3), (3, 3), (3, 1)]
    for rows, cols in sizes:
        val = MODULES[module_name].orthogonal()(jax.random.PRNGKey(0), (rows, cols), dtype)
        canonical = jax.dtypes.canonicalize_dtype(dtype)
        assert val.shape == (rows, cols) and val.dtype == canonical
        tol = dict(atol=1e-2, rtol=1e-2) if np.dtype(canonical).itemsize == 2 else dict(atol=1e-6)
        v = host(val).astype(np.float64)
        if rows <= cols:
            np.testing.assert_allclose(v @ v.T, np.eye(rows), **tol)
        if cols <= rows:
            np.testing.assert_allclose(v.T @ v, np.eye(cols), **tol)


@pytest.mark.parametrize("module_name", list(MODULES))
def test_upstream_variance_scaling_multi_axis(module_name):
    initializer = MODULES[module_name].variance_scaling(
        scale=1.0, mode="fan_avg", distribution="truncated_normal", in_axis=(0, 1),
        out_axis=(-2, -1))
    assert initializer(jax.random.PRNGKey(0), (2, 3, 4, 5)).shape == (2, 3, 4, 5)


@pytest.mark.parametrize("module_name", list(MODULES))
def test_upstream_variance_scaling_batch_axis(module_name):
    initializer = MODULES[module_name].variance_scaling(
        scale=1.0, mode="fan_avg", distribution="truncated_normal", in_axis=0,
        out_axis=(2, 3), batch_axis=1)
    assert initializer(jax.random.PRNGKey(0), (2, 3, 4, 5)).shape == (2, 3, 4, 5)


@pytest.mark.parametrize("module_name", list(MODULES))
def test_upstream_variance_scaling_error(module_name):
    initializer = MODULES[module_name].variance_scaling(
        scale=1.0, mode="fan_avg", distribution="truncated_normal")
    with pytest.raises(ValueError, match=(
            "Can't compute input and output sizes of a 1-dimensional weights tensor with "
            "default in_axis. Must be at least 2D or specify in_axis explicitly.")):
        initializer(jax.random.PRNGKey(0), (5,))


@pytest.mark.parametrize("module_name", list(MODULES))
def test_upstream_accidental_upcasting(module_name):
    m = MODULES[module_name]
    rng = jax.random.PRNGKey(0)
    scalar_param = jnp.array(1.0, dtype=jnp.float32)
    for init_fn in (m.uniform(scalar_param, BF16), m.normal(scalar_param, BF16),
                    m.truncated_normal(scalar_param, BF16)):
        sub_rng, rng = jax.random.split(rng)
        assert init_fn(sub_rng, (4, 4)).dtype == BF16


# -- Flax ---------------------------------------------------------------------------

flax_reason = f"flax is not installed: {_INSTALL}"


def _flax(name):
    return pytest.importorskip(name, reason=flax_reason)


def test_flax_linen_dense():
    nn = _flax("flax.linen")
    model = nn.Dense(64, kernel_init=wj.glorot_uniform(), bias_init=wj.normal(0.5))
    x = jnp.ones((2, 128))
    params = model.init(jax.random.key(0), x)["params"]
    kernel, bias = host(params["kernel"]), host(params["bias"])
    assert kernel.shape == (128, 64) and kernel.dtype == np.float32
    limit = (6 / (128 + 64)) ** 0.5
    assert np.abs(kernel).max() < limit and np.abs(kernel).max() > 0.95 * limit
    assert 0.3 < bias.std() < 0.7
    again = model.init(jax.random.key(0), x)["params"]
    np.testing.assert_array_equal(host(again["kernel"]), kernel)
    jitted = jax.jit(model.init)(jax.random.key(0), x)["params"]
    np.testing.assert_array_equal(host(jitted["kernel"]), kernel)
    np.testing.assert_array_equal(host(jitted["bias"]), bias)
    other = model.init(jax.random.key(1), x)["params"]
    assert (host(other["kernel"]) != kernel).mean() > 0.99
    assert model.apply({"params": params}, x).shape == (2, 64)


def test_flax_linen_trains():
    nn = _flax("flax.linen")

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Dense(32, kernel_init=wj.he_normal(), bias_init=wj.zeros)(x))
            return nn.Dense(1, kernel_init=wj.lecun_normal())(x)

    x = jax.random.normal(jax.random.key(1), (256, 8))
    y = jnp.sin(x.sum(axis=1, keepdims=True))
    model = MLP()
    params = jax.jit(model.init)(jax.random.key(2), x)

    def loss(p):
        return jnp.mean((model.apply(p, x) - y) ** 2)

    @jax.jit
    def step(p):
        return jax.tree_util.tree_map(lambda w, g: w - 0.05 * g, p, jax.grad(loss)(p))

    first = float(loss(params))
    for _ in range(100):
        params = step(params)
    assert float(loss(params)) < 0.5 * first


def test_flax_nnx_linear():
    nnx = _flax("flax.nnx")
    layer = nnx.Linear(16, 8, kernel_init=wj.he_uniform(), bias_init=wj.constant(0.1),
                       rngs=nnx.Rngs(0))
    kernel = host(layer.kernel[...])
    assert kernel.shape == (16, 8)
    assert np.abs(kernel).max() < (6 / 16) ** 0.5
    np.testing.assert_array_equal(host(layer.bias[...]), np.full(8, 0.1, np.float32))
    same = nnx.Linear(16, 8, kernel_init=wj.he_uniform(), rngs=nnx.Rngs(0))
    np.testing.assert_array_equal(host(same.kernel[...]), kernel)
    other = nnx.Linear(16, 8, kernel_init=wj.he_uniform(), rngs=nnx.Rngs(1))
    assert (host(other.kernel[...]) != kernel).mean() > 0.99
    abstract = nnx.eval_shape(lambda: nnx.Linear(4096, 4096, kernel_init=wj.he_uniform(),
                                                 rngs=nnx.Rngs(0)))
    assert abstract.kernel.shape == (4096, 4096)
    assert layer(jnp.ones((3, 16))).shape == (3, 8)
