"""weightinit.torch.fast_init on plain torch: which calls it takes over (and
with which stream), the distributions torch's own reset_parameters give,
calls it leaves to torch, torch's RNG, nesting, exceptions, bad input."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes")
stats = pytest.importorskip("scipy.stats", reason="needs scipy")

import weightinit.torch as wt  # noqa: E402
from weightinit.torch import fast_init  # noqa: E402

nn, init = torch.nn, torch.nn.init
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def values(t):
    return t.detach().to(torch.float64).flatten().numpy()


def outside(factory):
    """Build with torch's own init, leaving torch's RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        return factory()


def mode_stack():
    return torch.overrides._get_current_function_mode_stack()


@pytest.fixture(autouse=True)
def rng_untouched():
    """Every test here: torch's global generator is as it was."""
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    yield
    assert torch.equal(state, torch.random.get_rng_state()), "torch's RNG was consumed"
    assert not mode_stack(), "a mode was left on the stack"


# -- modules' own init: distributions, and the same bits as init_module ------------

MODULES = {
    "Linear": lambda: nn.Linear(300, 200),
    "Conv2d": lambda: nn.Conv2d(16, 32, 5),
    "Embedding": lambda: nn.Embedding(1000, 64, padding_idx=3),
    "LayerNorm": lambda: nn.LayerNorm(64),
    "MultiheadAttention": lambda: nn.MultiheadAttention(64, 4, add_bias_kv=True),
    "LSTM": lambda: nn.LSTM(32, 48, num_layers=2),
}


def expected_distribution(kind, module, name, tensor):
    """The distribution torch's reset_parameters gives ``name``: (scipy dist) or a constant."""
    if kind in ("Linear", "Conv2d"):
        fan_in = module.weight[0].numel()
        return stats.uniform(-1 / math.sqrt(fan_in), 2 / math.sqrt(fan_in))
    if kind == "Embedding":
        return stats.norm(0, 1)
    if kind == "LayerNorm":
        return 1.0 if name == "weight" else 0.0
    if kind == "LSTM":
        bound = 1 / math.sqrt(module.hidden_size)
        return stats.uniform(-bound, 2 * bound)
    # MultiheadAttention
    if name == "in_proj_weight":
        a = math.sqrt(6 / (tensor.shape[0] + tensor.shape[1]))
        return stats.uniform(-a, 2 * a)
    if name in ("in_proj_bias", "out_proj.bias"):
        return 0.0
    if name in ("bias_k", "bias_v"):
        fan_in, fan_out = tensor.shape[1] * tensor.shape[2], tensor.shape[0] * tensor.shape[2]
        return stats.norm(0, math.sqrt(2 / (fan_in + fan_out)))
    fan_in = tensor.shape[1]                        # out_proj.weight: a Linear's
    return stats.uniform(-1 / math.sqrt(fan_in), 2 / math.sqrt(fan_in))


@pytest.mark.parametrize("kind", MODULES)
def test_construction_matches_torch_distributions(kind):
    with fast_init(seed=3):
        module = MODULES[kind]()
    for name, p in module.named_parameters():
        dist = expected_distribution(kind, module, name, p)
        x = values(p)
        if kind == "Embedding" and name == "weight":
            assert (x.reshape(p.shape)[3] == 0).all()          # padding row zeroed
            x = np.delete(x.reshape(p.shape), 3, axis=0).ravel()
        if isinstance(dist, float):
            assert (x == dist).all(), name
        else:
            assert stats.kstest(x, dist.cdf).pvalue > 1e-3, name


@pytest.mark.parametrize("kind", MODULES)
def test_construction_equals_init_module(kind):
    """Built under fast_init, a module's parameters are named after themselves
    in it (it is ``self`` in its __init__), so they equal init_module's bits."""
    with fast_init(seed=11):
        module = MODULES[kind]()
    reference = outside(MODULES[kind])
    wt.init_module(reference, seed=11)
    for (name, p), (_, q) in zip(module.named_parameters(), reference.named_parameters()):
        assert torch.equal(p, q), name


@pytest.mark.parametrize("kind", ["Linear", "Conv2d", "Embedding", "LSTM"])
def test_reset_parameters_with_module_equals_init_module(kind):
    module, reference = outside(MODULES[kind]), outside(MODULES[kind])
    with fast_init(seed=5, module=module):
        module.reset_parameters()
    wt.init_module(reference, seed=5)
    for (name, p), (_, q) in zip(module.named_parameters(), reference.named_parameters()):
        assert torch.equal(p, q), name


def test_names_inside_a_model_are_qualified():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(8, 8)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block() for _ in range(2)])
            self.head = nn.Linear(8, 3)

    with fast_init(seed=0):
        net = Net()
    expect = wt.kaiming_uniform_(torch.empty(8, 8), a=math.sqrt(5), seed=0,
                                 stream="blocks.1.proj.weight")
    assert torch.equal(net.blocks[1].proj.weight, expect)
    assert not torch.equal(net.blocks[0].proj.weight, net.blocks[1].proj.weight)


def test_two_runs_identical_and_thread_count_invariant():
    def build(threads):
        with fast_init(seed=42, threads=threads):
            return nn.Sequential(nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 64))
    a, b, c = build(None), build(1), build(2)
    for p, q, r in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q) and torch.equal(p, r)


def test_seed_changes_values():
    with fast_init(seed=0):
        a = nn.Linear(16, 16)
    with fast_init(seed=1):
        b = nn.Linear(16, 16)
    assert not torch.equal(a.weight, b.weight)


# -- torch.nn.init, call by call -----------------------------------------------------

def named(tensor):
    """A module holding ``tensor`` as parameter ``w``, to name it."""
    holder = nn.Module()
    holder.w = nn.Parameter(tensor, requires_grad=False)
    return holder


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("call", [
    ("uniform_", (-0.3, 0.7), {}),
    ("normal_", (0.5, 2.0), {}),
    ("xavier_uniform_", (), {"gain": 1.5}),
    ("xavier_normal_", (), {}),
    ("kaiming_uniform_", (), {"a": math.sqrt(5)}),
    ("kaiming_uniform_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("trunc_normal_", (), {"std": 0.02}),                          # torch's p > 0.3 path
    ("trunc_normal_", (), {"mean": 0.1, "std": 1.0, "a": 0.0, "b": 0.5}),  # p <= 0.3
    ("constant_", (0.25,), {}),
    ("ones_", (), {}),
    ("zeros_", (), {}),
    ("eye_", (), {}),
])
def test_init_function_equals_weightinit_torch(call, dtype):
    fn, args, kwargs = call
    holder = named(torch.empty(40, 30, dtype=dtype))
    with fast_init(seed=9, module=holder):
        getattr(init, fn)(holder.w, *args, **kwargs)
    expect = getattr(wt, fn)(torch.empty(40, 30, dtype=dtype), *args, seed=9, stream="w",
                             **kwargs)
    assert torch.equal(holder.w, expect)


def test_trunc_normal_bounds_and_distribution():
    with fast_init(seed=2):
        w = init.trunc_normal_(torch.empty(200_000), mean=0.0, std=0.02, a=-0.04, b=0.04)
    x = values(w)
    assert x.min() >= -0.04 and x.max() <= 0.04
    dist = stats.truncnorm(-2, 2, loc=0, scale=0.02)
    assert stats.kstest(x, dist.cdf).pvalue > 1e-3
    with fast_init(seed=2):      # narrow interval: torch's second path
        w = init.trunc_normal_(torch.empty(200_000), mean=0.0, std=1.0, a=1.0, b=1.5)
    assert stats.kstest(values(w), stats.truncnorm(1.0, 1.5).cdf).pvalue > 1e-3


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (12, 4, 3)])
def test_orthogonal_from_the_stream_factored_by_torch(shape):
    holder = named(torch.empty(shape))
    with fast_init(seed=4, module=holder):
        init.orthogonal_(holder.w, gain=2.0)
    rows, cols = shape[0], math.prod(shape[1:])
    gauss = wt.normal_(torch.empty(rows, cols), seed=4, stream="w")
    flat = gauss.t() if rows < cols else gauss
    q, r = torch.linalg.qr(flat)
    q = q * torch.diag(r, 0).sign()
    expect = (q.t() if rows < cols else q).reshape(shape) * 2.0
    assert torch.equal(holder.w, expect)
    m = holder.w.reshape(rows, cols).double() / 2
    gram = m @ m.t() if rows <= cols else m.t() @ m
    assert torch.allclose(gram, torch.eye(min(rows, cols), dtype=torch.float64), atol=1e-5)


def test_sparse_equals_weightinit_sparse():
    holder = named(torch.empty(20, 7))
    with fast_init(seed=6, module=holder):
        init.sparse_(holder.w, sparsity=0.3, std=0.5)
    expect = wt.sparse_(torch.empty(20, 7), 0.3, 0.5, seed=6, stream="w")
    assert torch.equal(holder.w, expect)
    assert ((holder.w == 0).sum(0) == math.ceil(0.3 * 20)).all()


def test_tensor_methods_and_counter_streams():
    """Tensors no module holds take "#n", n counting the block's random fills."""
    with fast_init(seed=8):
        a = torch.empty(100).normal_(1.0, 3.0)
        torch.empty(5).fill_(2.0)                   # not random: not counted
        b = torch.empty(10, 10).uniform_(-2, 2)
        c = init.normal_(torch.empty(7))
    assert torch.equal(a, wt.normal_(torch.empty(100), 1.0, 3.0, seed=8, stream="#0"))
    assert torch.equal(b, wt.uniform_(torch.empty(10, 10), -2, 2, seed=8, stream="#1"))
    assert torch.equal(c, wt.normal_(torch.empty(7), seed=8, stream="#2"))


def test_uniform_keyword_from_to():
    with fast_init(seed=1):
        a = torch.empty(50).uniform_(**{"from": -1.0, "to": 3.0})
    assert torch.equal(a, wt.uniform_(torch.empty(50), -1.0, 3.0, seed=1, stream="#0"))


def test_non_contiguous_view_filled_in_its_own_order():
    w = torch.empty(30, 20)
    with fast_init(seed=3):
        init.kaiming_uniform_(w.t(), a=1.0)         # torch's advice for x @ w layouts
    expect = wt.kaiming_uniform_(torch.empty(20, 30), a=1.0, seed=3, stream="#0")
    assert torch.equal(w.t(), expect)


def test_same_name_twice_takes_a_counter():
    """m.reset_parameters() in a loop with no model on the stack: each module
    names its own "weight"; the second one is not given the same stream."""
    layers = [outside(lambda: nn.Linear(6, 6)) for _ in range(2)]
    with fast_init(seed=0):
        for layer in layers:
            layer.reset_parameters()
    assert not torch.equal(layers[0].weight, layers[1].weight)
    first = wt.kaiming_uniform_(torch.empty(6, 6), a=math.sqrt(5), seed=0, stream="weight")
    assert torch.equal(layers[0].weight, first)


# -- when values are written ---------------------------------------------------------

def test_reads_inside_the_block_see_the_values():
    with fast_init(seed=1):
        w = torch.empty(1000).normal_()
        total = float(w.sum())                      # a read: written first
        doubled = w * 2
    expect = wt.normal_(torch.empty(1000), seed=1, stream="#0")
    assert total == pytest.approx(float(expect.sum()))
    assert torch.equal(doubled, expect * 2)


def test_later_fill_replaces_earlier_one_and_partial_writes_keep_order():
    with fast_init(seed=1):
        w = torch.empty(10, 4)
        w.uniform_(-1, 1)                           # replaced, never written
        w.normal_()
        w[2].zero_()                                # after the normal values
        w[5, 1:3] = 7.0                             # a write: pending values first
    expect = wt.normal_(torch.empty(10, 4), seed=1, stream="#1")
    expect[2] = 0
    expect[5, 1:3] = 7.0
    assert torch.equal(w, expect)


def test_copy_and_load_state_dict_drop_pending_fills():
    source = outside(lambda: nn.Linear(8, 8))
    with fast_init(seed=0):
        net = nn.Linear(8, 8)
        net.load_state_dict(source.state_dict())
    assert torch.equal(net.weight, source.weight) and torch.equal(net.bias, source.bias)


def test_fill_of_a_dead_tensor_is_dropped():
    with fast_init(seed=0):
        torch.empty(100).normal_()                  # nobody keeps it: nothing to write
        kept = torch.empty(3).normal_()
    assert torch.equal(kept, wt.normal_(torch.empty(3), seed=0, stream="#1"))


def test_views_and_metadata_do_not_write():
    with fast_init(seed=0):
        w = torch.empty(6, 6).normal_()
        row = w[1]
        assert w.shape == (6, 6) and w.size(0) == 6 and w.dim() == 2
        assert row.shape == (6,)
        first_row_sum = float(row.sum())            # reads through the view
    expect = wt.normal_(torch.empty(6, 6), seed=0, stream="#0")
    assert first_row_sum == pytest.approx(float(expect[1].sum()))
    assert torch.equal(w, expect)


# -- what stays torch's --------------------------------------------------------------

def test_unowned_ops_pass_through():
    x = torch.arange(12.0).reshape(3, 4)
    with fast_init(seed=0):
        y = (x @ x.t()).relu().sum(0)
        z = torch.cat([x, x]).mean()
        ints = torch.zeros(5, dtype=torch.int64).fill_(3)
        cplx = torch.zeros(3, dtype=torch.complex64).fill_(1 + 2j)
        eye = init.eye_(torch.empty(3, 4))
        dirac = init.dirac_(torch.empty(2, 2, 3))
    assert torch.equal(y, (x @ x.t()).relu().sum(0)) and z == torch.cat([x, x]).mean()
    assert (ints == 3).all() and (cplx == 1 + 2j).all()
    assert torch.equal(eye, torch.eye(3, 4))
    assert torch.equal(dirac, outside(lambda: init.dirac_(torch.empty(2, 2, 3))))


def test_torch_random_calls_stay_torchs():
    """Factories, other random methods and explicit generators draw from
    torch as usual (so this test saves and restores the global state)."""
    state = torch.random.get_rng_state()
    with fast_init(seed=0):
        a = torch.randn(5)
        g = torch.Generator().manual_seed(7)
        b = torch.empty(5).normal_(generator=g)
        c = init.uniform_(torch.empty(5), generator=torch.Generator().manual_seed(7))
        d = torch.empty(5, dtype=torch.complex64).normal_()
    torch.random.set_rng_state(state)
    assert torch.equal(a, torch.randn(5))
    assert torch.equal(b, torch.empty(5).normal_(generator=torch.Generator().manual_seed(7)))
    assert torch.equal(c, torch.empty(5).uniform_(generator=torch.Generator().manual_seed(7)))
    assert torch.equal(d, torch.empty(5, dtype=torch.complex64).normal_())
    torch.random.set_rng_state(state)


def test_autograd_recorded_sampling_is_torchs():
    leaf = torch.empty(4, requires_grad=True)
    with fast_init(seed=0), pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.normal_()
    with fast_init(seed=0), torch.no_grad():
        leaf.normal_()                              # as init code does it: the mode's
    assert torch.equal(leaf.detach(), wt.normal_(torch.empty(4), seed=0, stream="#0"))


def test_transformers_style_guard_by_torch_name():
    """A wrapper that transformers (or anyone) swaps in for torch.nn.init.normal_
    reaches the mode under torch's name; tensors marked _is_hf_initialized
    are skipped."""
    hf_init = pytest.importorskip("transformers.initialization",
                                  reason="needs transformers (pip install transformers)")
    done, todo = torch.full((4,), 5.0), torch.empty(4)
    done._is_hf_initialized = True
    with hf_init.guard_torch_init_functions(), fast_init(seed=0):
        hf_init.normal_(done, std=0.1)
        init.normal_(todo, std=0.1)                 # through the swapped-in wrapper
    assert (done == 5.0).all()
    assert torch.equal(todo, wt.normal_(torch.empty(4), 0.0, 0.1, seed=0, stream="#0"))


# -- blocks: leaving, nesting, exceptions --------------------------------------------

def test_leaving_restores_torch():
    with fast_init(seed=0):
        assert len(mode_stack()) == 1
    assert not mode_stack()
    w = torch.empty(4)
    torch.manual_seed(0)
    w.normal_()
    torch.manual_seed(0)
    assert torch.equal(w, torch.randn(4))
    torch.manual_seed(1234)          # what the fixture expects


def test_nesting():
    with fast_init(seed=1):
        outer = torch.empty(8).normal_()
        with fast_init(seed=2):
            assert len(mode_stack()) == 2
            inner = torch.empty(8).normal_()
        after = torch.empty(8).normal_()
    assert torch.equal(outer, wt.normal_(torch.empty(8), seed=1, stream="#0"))
    assert torch.equal(inner, wt.normal_(torch.empty(8), seed=2, stream="#0"))
    assert torch.equal(after, wt.normal_(torch.empty(8), seed=1, stream="#1"))


def test_same_object_reentered():
    block = fast_init(seed=3)
    with block:
        a = torch.empty(5).normal_()
    with block:
        b = torch.empty(5).normal_()
    assert torch.equal(a, b)                        # each block counts from 0


def test_exception_inside_the_block():
    with pytest.raises(KeyError, match="boom"):
        with fast_init(seed=0):
            w = torch.empty(10).normal_()
            raise KeyError("boom")
    assert not mode_stack()
    assert torch.equal(w, wt.normal_(torch.empty(10), seed=0, stream="#0"))


# -- bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error", [
    ({"seed": -1}, ValueError), ({"seed": 1.5}, TypeError), ({"seed": 2**64}, ValueError),
    ({"seed": 0, "threads": 0.5}, TypeError), ({"seed": 0, "module": "model"}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        fast_init(**kwargs)


def test_bad_call_raises_at_the_call_and_writes_nothing():
    w = torch.full((5,), 3.0)
    with fast_init(seed=0):
        with pytest.raises(ValueError, match="a must be <= b"):
            w.uniform_(1.0, 0.0)
        with pytest.raises(ValueError, match="std"):
            init.normal_(w, std=-1.0)
        with pytest.raises(ValueError, match="Mode fan_both not supported"):
            init.kaiming_uniform_(torch.empty(3, 3), mode="fan_both")
    assert (w == 3.0).all()


def test_meta_tensor_is_an_error():
    with fast_init(seed=0), pytest.raises(ValueError, match="meta tensor"):
        nn.Linear(4, 4, device="meta")


def test_unallocated_storage_is_an_error():
    w = torch.empty(16)
    w.untyped_storage().resize_(0)
    with fast_init(seed=0), pytest.raises(ValueError, match="not allocated"):
        init.normal_(w)


def test_zero_element_kaiming_warns_as_torch():
    with fast_init(seed=0), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init.kaiming_uniform_(torch.empty(0, 3))
    assert any("zero-element" in str(w.message) for w in caught)


# -- torchtitan's pattern: build on meta, to_empty, the model's own init_weights ------

class TitanBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.wq = nn.Linear(16, 16, bias=False)
        self.w1 = nn.Linear(16, 48, bias=False)

    def init_weights(self, init_std):
        nn.init.trunc_normal_(self.wq.weight, mean=0.0, std=0.02)
        nn.init.trunc_normal_(self.w1.weight, mean=0.0, std=init_std)


class TitanLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_embeddings = nn.Embedding(100, 16)
        self.layers = nn.ModuleList([TitanBlock() for _ in range(2)])
        self.norm = nn.RMSNorm(16)
        self.output = nn.Linear(16, 100, bias=False)

    def init_weights(self):
        nn.init.normal_(self.tok_embeddings.weight)
        for depth, layer in enumerate(self.layers):
            layer.init_weights(0.02 / (2 * (depth + 1)) ** 0.5)
        self.norm.reset_parameters()
        cutoff = 16 ** -0.5
        nn.init.trunc_normal_(self.output.weight, mean=0.0, std=cutoff, a=-3 * cutoff,
                              b=3 * cutoff)


def test_meta_to_empty_init_weights_named_by_the_call_stack():
    with torch.device("meta"):
        model = TitanLike()
    model.to_empty(device="cpu")
    with fast_init(seed=12):                 # no module=: init_weights' self names them
        model.init_weights()
    std1 = 0.02 / 4 ** 0.5
    expect = wt.trunc_normal_(torch.empty(48, 16), 0.0, std1, -2.0, 2.0, seed=12,
                              stream="layers.1.w1.weight")
    assert torch.equal(model.layers[1].w1.weight, expect)
    cutoff = 0.25
    expect = wt.trunc_normal_(torch.empty(100, 16), 0.0, cutoff, -3 * cutoff, 3 * cutoff,
                              seed=12, stream="output.weight")
    assert torch.equal(model.output.weight, expect)
    assert torch.equal(model.tok_embeddings.weight,
                       wt.normal_(torch.empty(100, 16), seed=12, stream="tok_embeddings.weight"))
    assert (model.norm.weight == 1).all()
    again = outside(TitanLike)
    with fast_init(seed=12, module=again):
        again.init_weights()
    for p, q in zip(model.parameters(), again.parameters()):
        assert torch.equal(p, q)
