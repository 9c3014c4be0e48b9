"""weightinit.torch against torch.nn.init (torch 2.x, CPU): gains, fans, bounds,
statistics, in-place zero-copy fills, and init_module on real modules."""
import math
import warnings

import numpy as np
import pytest
from _extras import TEST, missing

torch = pytest.importorskip("torch", reason=missing("torch"))
import ml_dtypes  # noqa: E402 - a dependency of weightinit
scipy_stats = pytest.importorskip("scipy.stats", reason=missing("scipy", TEST))

import weightinit as wi  # noqa: E402
import weightinit.torch as wt  # noqa: E402
from weightinit._fans import torch_fans  # noqa: E402

init = torch.nn.init
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
N = 10 ** 6


def np_dtype(dtype):
    return {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
            torch.bfloat16: ml_dtypes.bfloat16}[dtype]


def as_numpy(t):
    """A float64 copy of a tensor's values (bf16 included)."""
    return t.detach().to(torch.float64).numpy()


def in_dtype(value, dtype):
    """``value`` rounded to ``dtype``, as torch rounds the bounds it checks."""
    return torch.tensor(value, dtype=dtype).item()


# -- gains and fans ------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity", ["linear", "conv1d", "conv2d", "conv3d",
                                          "conv_transpose1d", "conv_transpose2d",
                                          "conv_transpose3d", "sigmoid", "tanh", "relu",
                                          "leaky_relu", "selu"])
def test_calculate_gain(nonlinearity):
    assert wt.calculate_gain(nonlinearity) == init.calculate_gain(nonlinearity)
    if nonlinearity == "leaky_relu":
        for param in (0, 0.2, 1, 3, 0.01, -0.5):
            assert wt.calculate_gain(nonlinearity, param) == init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors_match():
    for args in (("gelu",), ("leaky_relu", "0.1"), ("leaky_relu", True)):
        with pytest.raises(ValueError):
            init.calculate_gain(*args)
        with pytest.raises(ValueError):
            wt.calculate_gain(*args)


MODULES = [
    lambda: torch.nn.Linear(512, 256),
    lambda: torch.nn.Linear(3, 1),
    lambda: torch.nn.Conv1d(16, 32, 5),
    lambda: torch.nn.Conv2d(64, 128, 3),
    lambda: torch.nn.Conv2d(8, 16, (3, 5), groups=2),
    lambda: torch.nn.Conv3d(4, 8, (2, 3, 3)),
    lambda: torch.nn.ConvTranspose1d(16, 32, 5),
    lambda: torch.nn.ConvTranspose2d(64, 32, 4, groups=4),
    lambda: torch.nn.ConvTranspose3d(4, 6, 3),
    lambda: torch.nn.Bilinear(5, 7, 3),
]


@pytest.mark.parametrize("make", MODULES, ids=lambda m: repr(m()))
def test_fans_equal_torch(make):
    weight = make().weight
    assert torch_fans(weight.shape) == init._calculate_fan_in_and_fan_out(weight)


# -- every torch.nn.init function: bound, max |x|, std ---------------------------

def torch_reference(name, t, **kw):
    """(kind, parameter) by torch's own formula, computed with torch's helpers."""
    if name == "xavier_uniform_":
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        std = kw.get("gain", 1.0) * math.sqrt(2.0 / float(fan_in + fan_out))
        return "uniform", math.sqrt(3.0) * std
    if name == "xavier_normal_":
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        return "normal", kw.get("gain", 1.0) * math.sqrt(2.0 / float(fan_in + fan_out))
    if name in ("kaiming_uniform_", "kaiming_normal_"):
        fan = init._calculate_correct_fan(t, kw.get("mode", "fan_in"))
        std = init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) / math.sqrt(fan)
        if name == "kaiming_uniform_":
            return "uniform", math.sqrt(3.0) * std
        return "normal", std
    raise AssertionError(name)


SCALED = [
    ("xavier_uniform_", (1000, 1000), {}),
    ("xavier_uniform_", (256, 128, 6, 6), dict(gain=init.calculate_gain("relu"))),
    ("xavier_normal_", (1000, 1000), {}),
    ("xavier_normal_", (128, 64, 12, 12), dict(gain=0.5)),
    ("kaiming_uniform_", (1000, 1000), {}),
    ("kaiming_uniform_", (1000, 1000), dict(a=math.sqrt(5))),                  # nn.Linear
    ("kaiming_uniform_", (256, 64, 8, 8), dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", (1000, 1000), {}),
    ("kaiming_normal_", (64, 256, 8, 8), dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", (500, 2000), dict(a=0.2, nonlinearity="leaky_relu")),
    ("kaiming_normal_", (1000, 1000), dict(nonlinearity="selu")),
]


@pytest.mark.parametrize("name, shape, kw", SCALED, ids=[f"{n}{s}{sorted(k)}" for n, s, k in SCALED])
def test_scaled_inits(name, shape, kw):
    ours = getattr(wt, name)(torch.empty(shape), seed=0, stream="w", **kw)
    theirs = getattr(init, name)(torch.empty(shape), **kw)
    kind, value = torch_reference(name, theirs, **kw)
    x = ours.numpy().astype(np.float64)
    assert x.size >= N
    # Our parameters equal torch's formula exactly: the fill is the stream's
    # distribution with exactly those parameters, bit for bit.
    g = wi.Generator(0, "w")
    if kind == "uniform":
        expected = g.uniform(-value, value, shape, dtype="float32")
        assert np.abs(x).max() < value and np.abs(x).max() > 0.999 * value
        target_std = value / math.sqrt(3.0)
    else:
        expected = g.normal(0.0, value, shape, dtype="float32")
        target_std = value
    np.testing.assert_array_equal(ours.numpy(), expected)
    assert abs(x.std() / target_std - 1) < 0.01
    assert abs(as_numpy(theirs).std() / target_std - 1) < 0.01


def test_uniform_normal():
    x = wt.uniform_(torch.empty(N), -0.3, 0.7, seed=1)
    assert x.min() >= -0.3 and x.max() < 0.7 and x.max() > 0.6999
    assert abs(float(x.double().std()) / (1 / math.sqrt(12)) - 1) < 0.01
    np.testing.assert_array_equal(x.numpy(), wi.Generator(1).uniform(-0.3, 0.7, N, "float32"))
    x = wt.normal_(torch.empty(N), 2.0, 0.5, seed=1)
    assert abs(float(x.double().std()) / 0.5 - 1) < 0.01
    assert abs(float(x.double().mean()) - 2.0) < 0.002
    # Defaults as torch: uniform [0, 1), normal(0, 1).
    y = wt.uniform_(torch.empty(1000), seed=2)
    assert y.min() >= 0 and y.max() < 1
    assert abs(float(wt.normal_(torch.empty(N), seed=2).double().std()) - 1) < 0.01
    # Degenerate cases torch accepts.
    assert (wt.uniform_(torch.empty(5), 2.0, 2.0) == 2.0).all()
    assert (wt.normal_(torch.empty(5), 3.0, 0.0) == 3.0).all()


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                             (1.0, 0.5, 0.2, 1.3), (0.0, 1.0, 0.5, math.inf),
                                             (0.0, 1.0, -3.0, -2.5)])
def test_trunc_normal(mean, std, a, b):
    ours = wt.trunc_normal_(torch.empty(N), mean, std, a, b, seed=3)
    theirs = init.trunc_normal_(torch.empty(N), mean, std, a, b)
    x, y = as_numpy(ours), as_numpy(theirs)
    assert x.min() >= a and x.max() <= b
    dist = scipy_stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert abs(x.std() / dist.std() - 1) < 0.01
    assert abs(y.std() / dist.std() - 1) < 0.01
    assert abs(x.mean() - dist.mean()) < 0.01 * dist.std()
    # Absolute bounds: the stream's truncated normal in standard deviations.
    expected = wi.Generator(3).truncated_normal(mean, std, (a - mean) / std, (b - mean) / std,
                                                size=N, dtype="float32")
    np.testing.assert_array_equal(ours.numpy(), expected)


def test_trunc_normal_defaults_are_absolute():
    x = as_numpy(wt.trunc_normal_(torch.empty(N), mean=5.0, seed=0))   # a=-2, b=2 absolute
    assert x.min() >= -2.0 and x.max() <= 2.0 and x.max() > 1.99


def test_constants_eye_dirac_equal_torch():
    for dtype in DTYPES:
        for fn, args in (("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())):
            ours = getattr(wt, fn)(torch.empty(7, 9, dtype=dtype), *args)
            assert torch.equal(ours, getattr(init, fn)(torch.empty(7, 9, dtype=dtype), *args))
        for shape in ((4, 6), (6, 4), (5, 5)):
            assert torch.equal(wt.eye_(torch.empty(shape, dtype=dtype)),
                               init.eye_(torch.empty(shape, dtype=dtype)))
        for shape, groups in (((8, 4, 3), 1), ((8, 4, 3, 3), 2), ((6, 6, 3, 5, 4), 3),
                              ((4, 8, 2, 2), 1), ((12, 2, 3), 4)):
            assert torch.equal(wt.dirac_(torch.empty(shape, dtype=dtype), groups),
                               init.dirac_(torch.empty(shape, dtype=dtype), groups))


@pytest.mark.parametrize("shape, gain", [((64, 64), 1.0), ((32, 100), 2.0), ((100, 32), 1.0),
                                         ((16, 8, 3, 3), 0.5), ((8, 16, 3, 3), 1.0)])
def test_orthogonal(shape, gain):
    ours = wt.orthogonal_(torch.empty(shape, dtype=torch.float64), gain, seed=0)
    theirs = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain)
    for t in (ours, theirs):            # same flattening: (shape[0], numel // shape[0])
        m = t.reshape(shape[0], -1).numpy()
        gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-12)
    assert abs(float(ours.std()) / float(theirs.std()) - 1) < 0.05


def test_orthogonal_is_a_function_of_the_stream():
    a = wt.orthogonal_(torch.empty(20, 30), seed=5, stream="q")
    b = wt.orthogonal_(np.empty((20, 30), np.float32), seed=5, stream="q")
    np.testing.assert_array_equal(a.numpy(), b)
    assert not torch.equal(a, wt.orthogonal_(torch.empty(20, 30), seed=5, stream="r"))


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_sparse(sparsity):
    shape = (1000, 1000)
    ours = wt.sparse_(torch.empty(shape), sparsity, std=0.02, seed=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        theirs = init.sparse_(torch.empty(shape), sparsity, std=0.02)
    # torch's normal_ can itself give an exact 0 (a float32 Box-Muller radius
    # of 0), so its columns hold at least, ours exactly, ceil(sparsity * rows)
    assert ((theirs == 0).sum(0) >= math.ceil(sparsity * shape[0])).all()
    assert ((ours == 0).sum(0) == math.ceil(sparsity * shape[0])).all()
    nonzero = ours[ours != 0].double()
    if nonzero.numel() > 10 ** 5:
        assert abs(float(nonzero.std()) / 0.02 - 1) < 0.01
    # The zero rows differ between columns (a permutation per column).
    if 0 < sparsity < 1:
        assert not torch.equal(ours[:, 0] == 0, ours[:, 1] == 0)
    np.testing.assert_array_equal(wt.sparse_(torch.empty(shape), sparsity, std=0.02, seed=0), ours)


# -- dtypes and zero-copy fills ------------------------------------------------

ALL_RANDOM = [("uniform_", (-1.0, 1.0)), ("normal_", (0.0, 0.3)),
              ("trunc_normal_", (0.0, 0.05, -0.08, 0.1)), ("xavier_uniform_", ()),
              ("xavier_normal_", ()), ("kaiming_uniform_", (math.sqrt(5),)),
              ("kaiming_normal_", (0.0, "fan_out", "relu")), ("orthogonal_", ()),
              ("sparse_", (0.3,))]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name, args", ALL_RANDOM, ids=[n for n, _ in ALL_RANDOM])
def test_dtypes_in_place(name, args, dtype):
    t = torch.empty(48, 40, dtype=dtype, requires_grad=True)
    ptr, version = t.data_ptr(), t._version
    out = getattr(wt, name)(t, *args, seed=1, stream="p")
    assert out is t and t.data_ptr() == ptr and t.dtype == dtype
    assert t._version > version                    # autograd sees the change
    assert torch.isfinite(t).all() and (t != 0).any()
    f32 = getattr(wt, name)(torch.empty(48, 40), *args, seed=1, stream="p")
    if dtype == torch.float64:
        return                                     # float64 has its own samples
    assert torch.equal(t.detach(), f32.to(dtype))  # 16-bit: float32 rounded to nearest even
    # NumPy arrays are filled the same way.
    arr = np.empty((48, 40), np_dtype(dtype))
    getattr(wt, name)(arr, *args, seed=1, stream="p")
    np.testing.assert_array_equal(arr.astype(np.float32), t.detach().float().numpy())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
def test_16_bit_bounds_are_the_rounded_bounds(dtype):
    # As torch (which casts its bounds to the tensor dtype), a 16-bit sample
    # may equal the bound rounded to that dtype, never more.
    x = wt.trunc_normal_(torch.empty(N, dtype=dtype), 0.0, 0.02, -0.04, 0.04, seed=0)
    assert float(x.max()) <= in_dtype(0.04, dtype) and float(x.min()) >= in_dtype(-0.04, dtype)
    x = wt.kaiming_uniform_(torch.empty(1000, 1000, dtype=dtype), a=math.sqrt(5), seed=0)
    assert float(x.abs().max()) <= in_dtype(1 / math.sqrt(1000), dtype)


def test_views_and_parameters():
    base = torch.zeros(10, 8)
    wt.normal_(base[2:5], seed=0)                  # a contiguous view: filled in place
    assert (base[:2] == 0).all() and (base[5:] == 0).all() and (base[2:5] != 0).all()
    np.testing.assert_array_equal(base[2:5].numpy(), wt.normal_(torch.empty(3, 8), seed=0).numpy())
    p = torch.nn.Parameter(torch.empty(6, 4))
    assert wt.kaiming_uniform_(p, seed=0) is p and p.requires_grad


def test_errors_leave_tensor_untouched():
    t = torch.full((6, 8), 42.0)
    cases = [
        (lambda: wt.normal_(t.t(), seed=0), ValueError, "must be contiguous"),
        (lambda: wt.normal_(t[:, ::2], seed=0), ValueError, "must be contiguous"),
        (lambda: wt.uniform_(t, 1.0, 0.0), ValueError, "a must be <= b"),
        (lambda: wt.normal_(t, 0.0, -1.0), ValueError, "std must be >= 0"),
        (lambda: wt.trunc_normal_(t, 0.0, 1.0, 2.0, -2.0), ValueError, "a must be less than b"),
        (lambda: wt.trunc_normal_(t, 0.0, 0.0), ValueError, "std must be > 0"),
        (lambda: wt.trunc_normal_(t, 0.0, 1.0, float("nan")), ValueError, "a must not be NaN"),
        (lambda: wt.trunc_normal_(t, 0.0, 1.0, 40.0, 50.0), ValueError, "37 standard"),
        (lambda: wt.kaiming_uniform_(t, mode="fan_avg"), ValueError,
         "mode must be one of 'fan_in', 'fan_out'"),
        (lambda: wt.kaiming_normal_(t, nonlinearity="gelu"), ValueError, "nonlinearity"),
        (lambda: wt.xavier_uniform_(t, gain=-1.0), ValueError, "gain must be >= 0"),
        (lambda: wt.sparse_(t, 1.5), ValueError, "sparsity must be in"),
        (lambda: wt.normal_(t, seed=-1), ValueError, "seed"),
        (lambda: wt.normal_(t, stream=1.5), TypeError, "stream"),
        (lambda: wt.normal_(t, threads=0), ValueError, "threads"),
        (lambda: wt.orthogonal_(t, seed="x"), TypeError, "seed"),
        (lambda: wt.dirac_(t.reshape(6, 2, 4), groups=4), ValueError, "divisible by groups"),
        (lambda: wt.eye_(t.reshape(6, 2, 4)), ValueError, "2 dimensions"),
        (lambda: wt.xavier_normal_(t[0]), ValueError, "fewer than 2 dimensions"),
    ]
    for call, exc, text in cases:
        with pytest.raises(exc, match=text):
            call()
        assert (t == 42.0).all()
    with pytest.raises(TypeError, match="torch.float32, torch.float64"):
        wt.normal_(torch.zeros(3, dtype=torch.int32))
    with pytest.raises(TypeError, match="torch.Tensor or a numpy.ndarray"):
        wt.normal_([1.0, 2.0])
    with pytest.raises(TypeError, match="dense"):
        wt.normal_(torch.zeros(3, 3).to_sparse())


EVERY_FUNCTION = ALL_RANDOM + [("constant_", (0.5,)), ("ones_", ()), ("zeros_", ()),
                               ("eye_", ()), ("dirac_", ())]


@pytest.mark.parametrize("name, args", EVERY_FUNCTION, ids=[n for n, _ in EVERY_FUNCTION])
def test_unallocated_tensors_are_refused(name, args):
    shape = (4, 4, 3) if name == "dirac_" else (4, 4)
    with pytest.raises(ValueError, match="on the meta device: it has no memory"):
        getattr(wt, name)(torch.empty(shape, device="meta"), *args)
    freed = torch.full(shape, 3.0)
    freed.untyped_storage().resize_(0)      # as FSDP frees an unsharded parameter
    with pytest.raises(ValueError, match=r"storage holds 0 bytes .*resize_\(0\)"):
        getattr(wt, name)(freed, *args)
    view = torch.full((8,) + shape[1:], 3.0)[4:]   # storage shrunk under a view
    view.untyped_storage().resize_(view.element_size() * 2)
    with pytest.raises(ValueError, match="storage holds 8 bytes but the tensor needs"):
        getattr(wt, name)(view, *args)


def test_empty_tensors():
    with pytest.warns(UserWarning, match="zero-element"):
        wt.kaiming_uniform_(torch.empty(0, 3))
    assert wt.orthogonal_(torch.empty(0, 3)).shape == (0, 3)


# -- init_module -----------------------------------------------------------------

def transformer(d_model=256, nhead=8, ff=512, layers=2):
    layer = torch.nn.TransformerEncoderLayer(d_model, nhead, ff, batch_first=True)
    return torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def test_init_module_transformer_matches_torch():
    torch.manual_seed(0)
    reference = transformer()
    model = transformer()
    state = torch.random.get_rng_state()
    assert wt.init_module(model, seed=0) is model
    assert torch.equal(torch.random.get_rng_state(), state)   # torch's RNG not used
    checked = 0
    for (name, p), (ref_name, q) in zip(model.named_parameters(), reference.named_parameters()):
        assert name == ref_name
        if (q == q.flatten()[0]).all():                       # constant in torch: exact
            assert torch.equal(p, q), name
        elif q.numel() >= 10 ** 4:
            assert abs(float(p.detach().std()) / float(q.detach().std()) - 1) < 0.02, name
            assert float(p.detach().abs().max()) <= float(q.detach().abs().max()) * 1.01, name
            checked += 1
    assert checked == 8
    # Each parameter is on the stream named after it.
    w = model.layers[1].linear1.weight
    expected = wt.kaiming_uniform_(torch.empty_like(w), a=math.sqrt(5), seed=0,
                                   stream="layers.1.linear1.weight")
    assert torch.equal(w, expected)
    b = model.layers[0].self_attn.in_proj_weight
    assert torch.equal(b, wt.xavier_uniform_(torch.empty_like(b), seed=0,
                                             stream="layers.0.self_attn.in_proj_weight"))
    # Reproducible, and different per seed and per layer.
    again = wt.init_module(transformer(), seed=0)
    for p, q in zip(model.parameters(), again.parameters()):
        assert torch.equal(p, q)
    other = wt.init_module(transformer(), seed=1)
    assert not torch.equal(model.layers[0].linear1.weight, other.layers[0].linear1.weight)
    assert not torch.equal(model.layers[0].linear1.weight, model.layers[1].linear1.weight)


def test_init_module_prefix():
    model = wt.init_module(torch.nn.Linear(4, 3), seed=2, prefix="encoder.proj")
    expected = wt.kaiming_uniform_(torch.empty(3, 4), a=math.sqrt(5), seed=2,
                                   stream="encoder.proj.weight")
    assert torch.equal(model.weight, expected)


class Zoo(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(16, 32, 3)
        self.convt = torch.nn.ConvTranspose2d(32, 16, 3, groups=2)
        self.bn = torch.nn.BatchNorm2d(32)
        self.gn = torch.nn.GroupNorm(4, 32)
        self.rms = torch.nn.RMSNorm(64)
        self.emb = torch.nn.Embedding(500, 16, padding_idx=3)
        self.bag = torch.nn.EmbeddingBag(300, 8)
        self.lstm = torch.nn.LSTM(32, 64, num_layers=2)
        self.gru = torch.nn.GRUCell(16, 48)
        self.bil = torch.nn.Bilinear(20, 30, 40)
        self.prelu = torch.nn.PReLU(8, init=0.1)
        self.mha = torch.nn.MultiheadAttention(64, 4, kdim=32, vdim=48, add_bias_kv=True)
        self.tr = torch.nn.Transformer(32, 2, 1, 1, 64, batch_first=True)


def test_init_module_zoo_matches_torch():
    torch.manual_seed(1)
    reference = Zoo()
    model = Zoo()
    model.bn.running_mean.fill_(5.0)
    model.bn.num_batches_tracked.fill_(7)
    wt.init_module(model, seed=3)
    assert (model.bn.running_mean == 0).all() and (model.bn.running_var == 1).all()
    assert int(model.bn.num_batches_tracked) == 0
    assert (model.emb.weight[3] == 0).all()
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        q = q.detach().double().flatten().numpy()
        p = p.detach().double().flatten().numpy()
        if (q == q[0]).all():
            np.testing.assert_array_equal(p, q, err_msg=name)
        elif q.size >= 200:
            # Same distribution as torch's own initialization (KS, fixed seeds).
            assert scipy_stats.ks_2samp(p, q).pvalue > 1e-3, name
            assert abs(p.std() / q.std() - 1) < 0.1, name
            if scipy_stats.kurtosis(q) < -1.0:                # uniform: same bound
                assert np.abs(p).max() <= np.abs(q).max() * 1.03, name


def test_init_module_channels_last_and_dtypes():
    conv = torch.nn.Conv2d(8, 16, 3).to(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    wt.init_module(conv, seed=0)
    plain = wt.init_module(torch.nn.Conv2d(8, 16, 3), seed=0)
    assert torch.equal(conv.weight, plain.weight)             # logical order, as torch
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        lin = wt.init_module(torch.nn.Linear(64, 32).to(dtype), seed=0)
        w = lin.weight.detach()
        assert w.dtype == dtype and float(w.abs().max()) <= in_dtype(1 / 8, dtype)


class WithReset(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.empty(50, 50))
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.normal_(self.w, 0.0, 0.1)


class NoReset(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pos = torch.nn.Parameter(torch.full((4, 4), 9.0))
        self.lin = torch.nn.Linear(4, 4)


class MyLinear(torch.nn.Linear):
    def reset_parameters(self):
        torch.nn.init.zeros_(self.weight)
        if self.bias is not None:
            torch.nn.init.ones_(self.bias)


def test_init_module_unknown_modules():
    a, b, c, mine = WithReset(), WithReset(), WithReset(), MyLinear(4, 4)
    state = torch.random.get_rng_state()
    wt.init_module(a, seed=4)
    wt.init_module(b, seed=4)
    assert torch.equal(a.w, b.w)                              # seeded from our seed
    assert not torch.equal(a.w, wt.init_module(c, seed=5).w)
    assert torch.equal(torch.random.get_rng_state(), state)   # and left as it was
    assert abs(float(a.w.detach().std()) / 0.1 - 1) < 0.05
    with pytest.warns(UserWarning, match="left these parameters as they were.*pos"):
        m = wt.init_module(NoReset(), seed=0)
    assert (m.pos == 9.0).all() and not (m.lin.weight == 0).all()
    # A subclass overriding reset_parameters keeps its own rule.
    wt.init_module(mine, seed=0)
    assert (mine.weight == 0).all() and (mine.bias == 1).all()


def test_init_module_errors():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        wt.init_module(torch.empty(3), seed=0)
    with pytest.raises(ValueError, match="not materialized"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wt.init_module(torch.nn.LazyLinear(4), seed=0)
    with pytest.raises(ValueError, match="seed"):
        wt.init_module(torch.nn.Linear(2, 2), seed=-1)
