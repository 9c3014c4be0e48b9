"""init_module: tied parameters (owner's rule, filled once), the rules= hook
(resolution order, patterns, types, validation before any write), meta-device
models moved with to_empty, unallocated parameters, and Hugging Face models
from small configs initialized by HF-style rules."""
import math
import re
import warnings
from functools import partial

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
scipy_stats = pytest.importorskip("scipy.stats", reason="needs scipy")

import weightinit.torch as wit  # noqa: E402

nn = torch.nn


class TinyGPT(nn.Module):
    """A GPT-2-shaped model: token and position embeddings, blocks, a head
    tied to the token embedding (owned by ``wte``, registered first)."""

    def __init__(self, vocab=300, d=32, layers=2, head_first=False):
        super().__init__()
        if head_first:                      # lm_head registered first: it owns the weight
            self.lm_head = nn.Linear(d, vocab, bias=False)
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(16, d)
        self.h = nn.ModuleList(nn.ModuleDict(dict(
            ln_1=nn.LayerNorm(d), c_attn=nn.Linear(d, 3 * d), c_proj=nn.Linear(d, d),
            ln_2=nn.LayerNorm(d), c_fc=nn.Linear(d, 4 * d), mlp_proj=nn.Linear(4 * d, d)))
            for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        if not head_first:
            self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight


def like(t, fn, *args, name, seed=0, **kwargs):
    """``fn`` on a fresh tensor shaped as ``t``, on stream ``name``."""
    return fn(torch.empty(t.shape, dtype=t.dtype), *args, seed=seed, stream=name, **kwargs)


def snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def assert_unchanged(model, before):
    for n, p in model.named_parameters():
        assert torch.equal(p.detach(), before[n]), n


# -- tied parameters -----------------------------------------------------------

def test_tied_weight_filled_once_by_its_owner():
    model = TinyGPT()
    assert model.lm_head.weight is model.wte.weight
    calls = []

    def counting_normal(tensor, *, seed, stream, threads):
        calls.append(stream)
        return wit.normal_(tensor, 0.0, 0.02, seed=seed, stream=stream, threads=threads)

    wit.init_module(model, seed=3, rules={nn.Embedding: counting_normal})
    # Owner: wte, the first module in named_modules() order that registers it.
    assert calls.count("wte.weight") == 1 and "lm_head.weight" not in calls
    w = model.wte.weight
    assert model.lm_head.weight is w
    assert torch.equal(w, like(w, wit.normal_, 0.0, 0.02, name="wte.weight", seed=3))
    # Without rules: the Embedding rule (normal(0, 1)), not lm_head's kaiming.
    wit.init_module(model, seed=3)
    assert torch.equal(w, like(w, wit.normal_, name="wte.weight", seed=3))
    assert float(w.detach().abs().max()) > 1.0             # kaiming's bound is 1/sqrt(32)


def test_tied_owner_is_first_registered():
    model = TinyGPT(head_first=True)
    wit.init_module(model, seed=1)
    w = model.lm_head.weight
    assert [n for n, p in model.named_parameters() if p is w] == ["lm_head.weight"]
    assert torch.equal(w, like(w, wit.kaiming_uniform_, math.sqrt(5), name="lm_head.weight",
                                seed=1))


def test_pattern_on_second_name_of_a_tied_parameter_is_refused():
    model = TinyGPT()
    before = snapshot(model)
    with pytest.raises(ValueError, match="'lm_head.weight', which is tied to 'wte.weight'"):
        wit.init_module(model, seed=0, rules={"lm_head.weight": wit.zeros_})
    assert_unchanged(model, before)


class Head(nn.Module):
    """An unknown module with its own reset_parameters, tied to an embedding."""

    def __init__(self, emb):
        super().__init__()
        self.weight = emb.weight
        self.scale = nn.Parameter(torch.empty(4))

    def reset_parameters(self):
        nn.init.zeros_(self.weight)
        nn.init.ones_(self.scale)


def test_unknown_module_cannot_overwrite_a_tied_parameter_it_does_not_own():
    model = nn.Module()
    model.emb = nn.Embedding(10, 4)
    model.head = Head(model.emb)
    wit.init_module(model, seed=0)
    w = model.emb.weight
    assert torch.equal(w, like(w, wit.normal_, name="emb.weight"))
    assert (model.head.scale == 1).all()


# -- rules ---------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(16, 16)
        self.out_proj = nn.Linear(16, 16)
        self.norm = nn.LayerNorm(16)


class MyLinear(nn.Linear):
    pass


def test_rule_resolution_order():
    model = nn.Sequential(Block(), Block(), MyLinear(16, 8))
    rules = {
        "*.out_proj.weight": partial(wit.normal_, std=0.5),        # 1. patterns, dict order
        re.compile(r"1\.q\.(weight|bias)"): wit.ones_,
        "*.bias": wit.zeros_,
        nn.Linear: partial(wit.normal_, std=0.02),                  # 2. owner's MRO
        MyLinear: {"weight": partial(wit.uniform_, a=-3.0, b=-2.0)},
        nn.LayerNorm: {"w*": partial(wit.constant_, val=2.0), "bias": wit.ones_},
    }
    with pytest.warns(UserWarning) as record:
        wit.init_module(model, seed=7, rules=rules)
    assert [str(w.message) for w in record] == [                    # shadowed by "*.bias"
        "init_module: rules[torch.nn.modules.normalization.LayerNorm]['bias'] matched no "
        "parameter"]
    p = dict(model.named_parameters())
    for i in (0, 1):
        name = f"{i}.out_proj.weight"
        assert torch.equal(p[name], like(p[name], wit.normal_, 0.0, 0.5, name=name, seed=7))
        assert (p[f"{i}.out_proj.bias"] == 0).all()
        assert (p[f"{i}.norm.weight"] == 2).all()
        assert (p[f"{i}.norm.bias"] == 0).all()              # "*.bias" comes before types
    assert (p["1.q.weight"] == 1).all() and (p["1.q.bias"] == 1).all()
    assert (p["0.q.bias"] == 0).all()
    assert torch.equal(p["0.q.weight"], like(p["0.q.weight"], wit.normal_, 0.0, 0.02,
                                             name="0.q.weight", seed=7))
    # MyLinear's own type rule beats nn.Linear's for its weight; its bias
    # falls to the "*.bias" pattern, which comes first.
    assert float(p["2.weight"].detach().max()) < -2.0 and (p["2.bias"] == 0).all()


def test_rule_none_leaves_parameter_and_rule_value_is_pure():
    model = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))
    with torch.no_grad():
        model[1].bias.fill_(5.0)
    wit.init_module(model, seed=11, rules={"1.bias": None, "0.weight": wit.xavier_normal_})
    assert (model[1].bias == 5.0).all()
    w = model[0].weight
    assert torch.equal(w, like(w, wit.xavier_normal_, name="0.weight", seed=11))
    # Same (seed, name, rule): same values in another model that contains it.
    outer = nn.Module()
    outer.inner = nn.Sequential(nn.Linear(8, 8))
    wit.init_module(outer, seed=11, rules={"*.0.weight": wit.xavier_normal_})
    assert not torch.equal(outer.inner[0].weight, w)                 # another name...
    wit.init_module(outer.inner, seed=11, rules={"0.weight": wit.xavier_normal_})
    assert torch.equal(outer.inner[0].weight, w)                     # ...the same name


def test_prefix_names_streams_not_rules():
    model = nn.Sequential(nn.Linear(4, 3))
    wit.init_module(model, seed=2, prefix="enc", rules={"0.weight": wit.xavier_uniform_})
    w = model[0].weight
    assert torch.equal(w, like(w, wit.xavier_uniform_, name="enc.0.weight", seed=2))


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.full((3, 3), 9.0))

    def reset_parameters(self):
        raise AssertionError("not called when every parameter has a rule")


def test_reset_parameters_skipped_when_all_own_parameters_have_rules():
    model = nn.Sequential(Custom())
    state = torch.random.get_rng_state()
    wit.init_module(model, seed=0, rules={Custom: wit.zeros_})
    assert (model[0].w == 0).all()
    assert torch.equal(torch.random.get_rng_state(), state)


def test_bad_rules_write_nothing():
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    before = snapshot(model)
    cases = [
        ([("*.weight", wit.zeros_)], TypeError, "rules must be a dict"),
        ({3: wit.zeros_}, TypeError, "rules keys must be a str"),
        ({int: wit.zeros_}, TypeError, "rules keys must be"),
        ({"*.weight": 0.02}, TypeError, r"rules\['\*.weight'\] must be a callable"),
        ({"*.weight": torch.nn.init.zeros_}, TypeError,
         "does not take seed, stream, threads; use weightinit.torch.zeros_"),
        ({"*.weight": lambda t: t}, TypeError, "must take the keyword arguments seed"),
        ({nn.LayerNorm: {1: wit.ones_}}, TypeError, "keys must be parameter names"),
        ({nn.LayerNorm: {"weight": "ones"}}, TypeError, "must be a callable"),
    ]
    for rules, exc, text in cases:
        with pytest.raises(exc, match=text):
            wit.init_module(model, seed=0, rules=rules)
        assert_unchanged(model, before)


def test_unused_rule_warns():
    with pytest.warns(UserWarning, match=r"rules\['\*.c_proj.weight'\] matched no parameter"):
        wit.init_module(nn.Linear(3, 3), seed=0, rules={"*.c_proj.weight": wit.zeros_})


def test_rule_errors_name_the_parameter():
    def broken(tensor, *, seed, stream, threads):
        raise RuntimeError(f"cannot fill {stream}")
    with pytest.raises(RuntimeError, match="cannot fill 0.weight"):
        wit.init_module(nn.Sequential(nn.Linear(2, 2)), seed=0, rules={"0.weight": broken})


# -- meta device, to_empty, dtypes, unallocated storage -----------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_meta_model_moved_with_to_empty(dtype):
    reference = wit.init_module(TinyGPT().to(dtype), seed=5)
    with torch.device("meta"):
        model = TinyGPT().to(dtype)
    with pytest.raises(ValueError, match="parameter 'wte.weight'.* meta device.*to_empty"):
        wit.init_module(model, seed=5)
    model.to_empty(device="cpu")
    # torch's to_empty gives each module a new Parameter: the tie is gone
    # until the model ties it again (transformers: model.tie_weights()).
    assert model.lm_head.weight is not model.wte.weight
    model.lm_head.weight = model.wte.weight
    wit.init_module(model, seed=5)
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        assert p.dtype == dtype and torch.equal(p, q), name


def test_freed_parameter_is_refused_before_any_write():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    before = snapshot(model)
    model[1].weight.untyped_storage().resize_(0)      # what FSDP does to unsharded params
    with pytest.raises(ValueError, match="parameter '1.weight'.s storage is not allocated"):
        wit.init_module(model, seed=0)
    assert torch.equal(model[0].weight, before["0.weight"])


# -- Hugging Face models from small configs ---------------------------------------

def hf_gpt2_rules(cfg):
    """GPT2PreTrainedModel._init_weights as rules: normal(0, initializer_range)
    for Linear, Conv1D and Embedding weights, zero biases, LayerNorm ones, and
    the residual projections scaled by 1/sqrt(2 * n_layer)."""
    from transformers.pytorch_utils import Conv1D
    std = cfg.initializer_range
    return {"*.c_proj.weight": partial(wit.normal_, std=std / math.sqrt(2 * cfg.n_layer)),
            "*.bias": wit.zeros_,
            nn.Linear: partial(wit.normal_, std=std), Conv1D: partial(wit.normal_, std=std),
            nn.Embedding: partial(wit.normal_, std=std),
            nn.LayerNorm: {"weight": wit.ones_}}


def test_hf_gpt2_rules_match_init_weights():
    transformers = pytest.importorskip("transformers", reason="pip install transformers")
    cfg = transformers.GPT2Config(n_layer=2, n_embd=128, n_head=4, vocab_size=1000,
                                  n_positions=128)
    torch.manual_seed(0)
    reference = transformers.GPT2LMHeadModel(cfg)        # HF's own _init_weights
    with torch.device("meta"):
        model = transformers.GPT2LMHeadModel(cfg)
    model.to_empty(device="cpu")
    model.tie_weights()
    assert model.lm_head.weight is model.transformer.wte.weight
    wit.init_module(model, seed=0, rules=hf_gpt2_rules(cfg))
    again = transformers.GPT2LMHeadModel(cfg)
    wit.init_module(again, seed=0, rules=hf_gpt2_rules(cfg))
    ref = dict(reference.named_parameters())
    for (name, p), (_, q) in zip(model.named_parameters(), again.named_parameters()):
        assert torch.equal(p, q), name                        # reproducible
        r = ref[name].detach().double().flatten().numpy()
        x = p.detach().double().flatten().numpy()
        if (r == r[0]).all():
            np.testing.assert_array_equal(x, r, err_msg=name)
        else:                                                 # the distribution HF asks for
            assert scipy_stats.ks_2samp(x, r).pvalue > 1e-3, name
    c_proj = model.transformer.h[1].attn.c_proj.weight
    assert torch.equal(c_proj, like(c_proj, wit.normal_, 0.0, 0.02 / 2, seed=0,
                                    name="transformer.h.1.attn.c_proj.weight"))
