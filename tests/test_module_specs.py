"""weightinit.torch.module_specs: the specs of a model built on the meta
device, written by save_safetensors, equal init_module's values on a CPU
copy bit for bit (names, streams, tied weights, rules, both spec forms:
explicit distribution parameters and catalogue initializers on "fans":
"torch"); fills no spec expresses raise ValueError naming the parameter."""
import math
import warnings
from functools import partial

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
st = pytest.importorskip("safetensors.torch", reason="needs safetensors")

import weightinit  # noqa: E402
from weightinit.safetensors import validate_specs  # noqa: E402
import weightinit.torch as wt  # noqa: E402

SEED = 11


class TinyGPT(torch.nn.Module):
    """Token and position embeddings, blocks, a head tied to the embedding."""

    def __init__(self, vocab=96, dim=32, layers=2):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, dim)
        self.wpe = torch.nn.Embedding(16, dim)
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleDict({"ln": torch.nn.LayerNorm(dim),
                                 "attn": torch.nn.MultiheadAttention(dim, 4),
                                 "fc": torch.nn.Linear(dim, 4 * dim),
                                 "proj": torch.nn.Linear(4 * dim, dim)})
            for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(dim)
        self.lm_head = torch.nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight


MODELS = {
    "linear": lambda: torch.nn.Linear(37, 19),
    "conv2d": lambda: torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 5, (1, 2)),
                                          torch.nn.ConvTranspose1d(4, 6, 3)),
    "embedding": lambda: torch.nn.Embedding(50, 12),
    "layernorm": lambda: torch.nn.Sequential(torch.nn.LayerNorm(10), torch.nn.GroupNorm(2, 6),
                                             torch.nn.RMSNorm(7)),
    "rnn": lambda: torch.nn.Sequential(torch.nn.GRU(6, 5), torch.nn.LSTMCell(4, 3)),
    "bilinear_prelu": lambda: torch.nn.Sequential(torch.nn.Bilinear(4, 5, 3), torch.nn.PReLU(3)),
    "transformer": lambda: torch.nn.Transformer(16, 2, 1, 1, 24),
    "gpt": TinyGPT,
    "bf16": lambda: torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.LayerNorm(30)).to(
        torch.bfloat16),
    "f16_f64": lambda: torch.nn.ModuleList([torch.nn.Linear(9, 4).half(),
                                            torch.nn.Linear(4, 9).double()]),
}

RULES = {
    "he_and_glorot": {torch.nn.Linear: {"weight": partial(wt.kaiming_uniform_,
                                                          nonlinearity="relu"),
                                        "bias": wt.zeros_},
                      "*.fc.weight": partial(wt.xavier_uniform_, gain=2.0)},
    "hf_style": {"*.bias": wt.zeros_, torch.nn.Linear: partial(wt.normal_, std=0.02),
                 torch.nn.Embedding: partial(wt.trunc_normal_, std=0.02, a=-0.04, b=0.04),
                 torch.nn.LayerNorm: {"weight": partial(wt.constant_, val=0.5)}},
    "normals": {torch.nn.Linear: {"weight": partial(wt.kaiming_normal_, mode="fan_out",
                                                    nonlinearity="relu")},
                "blocks.*.attn.in_proj_weight": partial(wt.xavier_normal_, gain=0.5),
                "blocks.*.attn.out_proj.weight": partial(wt.uniform_, a=-0.3, b=0.2)},
}


def bits(tensor):
    """The tensor's bytes as integers: equal means bit for bit (-0.0, NaN included)."""
    ints = {2: torch.int16, 4: torch.int32, 8: torch.int64}[tensor.element_size()]
    return tensor.detach().contiguous().view(ints)


def on_meta(build):
    with torch.device("meta"):
        return build()


def written(tmp_path, specs, seed=SEED):
    path = tmp_path / "model.safetensors"
    weightinit.save_safetensors(path, specs, seed=seed, format="pt", force=True)
    return st.load_file(path)


def assert_equal_to_init_module(tmp_path, build, rules=None, seed=SEED, prefix=""):
    specs = wt.module_specs(on_meta(build), rules=rules, prefix=prefix)
    loaded = written(tmp_path, specs, seed)
    torch.manual_seed(0)
    cpu = build()
    wt.init_module(cpu, seed=seed, rules=rules, prefix=prefix)
    expected = {prefix + ("." if prefix else "") + name: p
                for name, p in cpu.named_parameters()}          # tied: once, first name
    assert set(loaded) == set(expected)
    for name, value in expected.items():
        assert loaded[name].dtype == value.dtype, name
        assert torch.equal(bits(loaded[name]), bits(value)), name
    return specs


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_specs_equal_init_module_bit_for_bit(tmp_path, kind):
    assert_equal_to_init_module(tmp_path, MODELS[kind])


@pytest.mark.parametrize("rules", sorted(RULES))
def test_user_rules(tmp_path, rules):
    specs = assert_equal_to_init_module(tmp_path, TinyGPT, RULES[rules])
    if rules == "hf_style":
        assert specs["blocks.0.fc.weight"]["init"] == {"name": "random_normal", "mean": 0.0,
                                                       "stddev": 0.02}
        assert specs["wte.weight"]["init"] == {"name": "truncated_normal", "mean": 0.0,
                                               "stddev": 0.02}


def test_both_spec_forms_and_the_torch_fans_field(tmp_path):
    """A catalogue initializer on "fans": "torch" where it gives torch's bits,
    explicit parameters where Keras's arithmetic rounds otherwise; both load
    equal to init_module, and the same spec on Keras's fans would not."""
    build = lambda: torch.nn.Sequential(torch.nn.Linear(512, 256), torch.nn.Linear(64, 64))  # noqa: E731
    rules = {"0.weight": partial(wt.kaiming_uniform_, nonlinearity="relu")}  # 1: Linear's own
    specs = assert_equal_to_init_module(tmp_path, build, rules)
    forms = {name: spec.get("fans") for name, spec in specs.items() if name.endswith("weight")}
    assert "torch" in forms.values() and None in forms.values(), specs
    named = next(n for n, f in forms.items() if f == "torch")
    keras = {named: {k: v for k, v in specs[named].items() if k != "fans"}}
    loaded = written(tmp_path, keras)
    cpu = build()
    wt.init_module(cpu, seed=SEED, rules=rules)
    assert not torch.equal(loaded[named], cpu.get_parameter(named).detach())


def test_tied_weight_once_under_its_first_name(tmp_path):
    specs = wt.module_specs(on_meta(TinyGPT))
    assert "wte.weight" in specs and "lm_head.weight" not in specs
    assert specs["wte.weight"]["init"] == {"name": "random_normal", "mean": 0.0, "stddev": 1.0}


def test_prefix_names_and_streams(tmp_path):
    specs = assert_equal_to_init_module(tmp_path, MODELS["linear"], prefix="encoder")
    assert list(specs) == ["encoder.weight", "encoder.bias"]


def test_meta_model_is_not_materialized():
    model = on_meta(TinyGPT)
    wt.module_specs(model)
    assert all(p.is_meta for p in model.parameters())


def test_batchnorm_buffers():
    model = on_meta(lambda: torch.nn.BatchNorm2d(4))
    with pytest.raises(ValueError, match="num_batches_tracked"):
        wt.module_specs(model)
    assert list(wt.module_specs(model, buffers=False)) == ["weight", "bias"]
    model.register_buffer("num_batches_tracked", torch.zeros((), device="meta"))
    specs = wt.module_specs(model)
    assert specs["running_mean"]["init"] == {"name": "zeros"}
    assert specs["running_var"]["init"] == {"name": "ones"}


@pytest.mark.parametrize("fill, words", [
    (wt.orthogonal_, "orthogonal_"),
    (partial(wt.sparse_, sparsity=0.5), "sparse_"),
    (wt.eye_, "eye_"),
    (lambda t, *, seed, stream, threads: t, "lambda"),
    (partial(wt.trunc_normal_, std=0.02), "not one initializer"),
])
def test_unexpressible_rule_names_the_parameter(fill, words):
    model = on_meta(lambda: torch.nn.Sequential(torch.nn.Linear(4, 4)))
    with pytest.raises(ValueError, match=rf"^0\.weight: .*{words}"):
        wt.module_specs(model, rules={"0.weight": fill})


def test_dirac_names_the_parameter():
    model = on_meta(lambda: torch.nn.Conv2d(3, 3, 3))
    with pytest.raises(ValueError, match=r"^weight: .*dirac_"):
        wt.module_specs(model, rules={"weight": wt.dirac_})


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_embedding_padding_row_is_a_spec_field(tmp_path, padding_idx):
    """The zeroed row is the spec's padding_idx; the file equals init_module."""
    build = lambda: torch.nn.Embedding(5, 3, padding_idx=padding_idx)  # noqa: E731
    specs = wt.module_specs(on_meta(build))
    assert specs["weight"]["padding_idx"] == padding_idx % 5
    path = tmp_path / "e.safetensors"
    weightinit.save_safetensors(path, specs, seed=4, format="pt")
    cpu = build()
    wt.init_module(cpu, seed=4)
    got = st.load_file(path)["weight"]
    assert torch.equal(got, cpu.weight.detach()) and not got[padding_idx].any()


def test_unknown_module_reset_parameters_is_refused():
    class Scale(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = torch.nn.Parameter(torch.empty(3))

        def reset_parameters(self):
            torch.nn.init.normal_(self.gamma)

    model = on_meta(lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), Scale()))
    with pytest.raises(ValueError, match=r"^1\.gamma: .*Scale\.reset_parameters"):
        wt.module_specs(model)
    specs = wt.module_specs(model, rules={Scale: wt.ones_})
    assert specs["1.gamma"]["init"] == {"name": "ones"}


def test_module_without_init_is_warned_and_left_out():
    class Bare(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.empty(2))

    with pytest.warns(UserWarning, match="w"):
        assert wt.module_specs(on_meta(Bare)) == {}


def test_bad_arguments():
    with pytest.raises(TypeError, match="model"):
        wt.module_specs("model")
    with pytest.raises(TypeError, match="prefix"):
        wt.module_specs(torch.nn.Linear(2, 2), prefix=1)
    with pytest.raises(TypeError, match="buffers"):
        wt.module_specs(torch.nn.Linear(2, 2), buffers=None)


def test_specs_are_valid_and_seed_free():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        specs = wt.module_specs(on_meta(TinyGPT))
    validate_specs(specs)
    assert specs == wt.module_specs(on_meta(TinyGPT))
    assert math.isclose(specs["blocks.0.fc.bias"]["init"]["maxval"], 1 / math.sqrt(32))
