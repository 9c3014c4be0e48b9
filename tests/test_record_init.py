"""weightinit.torch.record_init: a model's own init code run on the meta
device, recorded as specs, written by save_safetensors, equals the same code
under fast_init in memory bit for bit (torch modules' reset_parameters,
transformers 5 Llama and GPT-2 _init_weights from small configs, nothing
downloaded); what a spec cannot express raises ValueError naming the tensor."""
import warnings

import pytest
from _hf_configs import KINDS, small_config

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
st = pytest.importorskip("safetensors.torch", reason="needs safetensors")

import weightinit  # noqa: E402
import weightinit.torch as wt  # noqa: E402
from weightinit.torch import fast_init, record_init  # noqa: E402

SEED = 5


def bits(tensor):
    ints = {2: torch.int16, 4: torch.int32, 8: torch.int64}[tensor.element_size()]
    return tensor.detach().contiguous().view(ints)


def record_and_compare(tmp_path, build, init_code, seed=SEED):
    """Record ``init_code(model)`` on a meta model, write it, and compare each
    tensor with ``init_code`` under fast_init on a CPU model; return the specs."""
    with torch.device("meta"):
        meta = build()
    with record_init(module=meta) as rec:
        init_code(meta)
    assert all(t.is_meta for t in meta.state_dict().values())
    path = tmp_path / "recorded.safetensors"
    weightinit.save_safetensors(path, rec.specs, seed=seed, format="pt", force=True)
    loaded = st.load_file(path)
    cpu = build()
    with fast_init(seed=seed, module=cpu):
        init_code(cpu)
    state = cpu.state_dict()
    assert set(loaded) <= set(state)
    for name, value in loaded.items():
        assert value.dtype == state[name].dtype, name
        assert torch.equal(bits(value), bits(state[name])), name
    return rec


def reset_all(model):
    for module in model.modules():
        reset = getattr(module, "reset_parameters", None) or getattr(
            module, "_reset_parameters", None)
        if callable(reset):
            reset()


def torch_model():
    return torch.nn.Sequential(torch.nn.Linear(24, 40), torch.nn.Conv2d(3, 6, 3),
                               torch.nn.Embedding(30, 8), torch.nn.LayerNorm(40),
                               torch.nn.MultiheadAttention(16, 2, kdim=8, vdim=12, add_bias_kv=True),
                               torch.nn.GRU(5, 7), torch.nn.PReLU(4))


def test_reset_parameters_of_torch_modules(tmp_path):
    rec = record_and_compare(tmp_path, torch_model, reset_all)
    assert rec.unrecorded == []
    assert rec.specs["3.weight"]["init"] == {"name": "ones"}
    assert rec.specs["2.weight"]["init"] == {"name": "random_normal", "mean": 0.0, "stddev": 1.0}


def test_custom_init_code_and_dtypes(tmp_path):
    def build():
        return torch.nn.ModuleDict({"a": torch.nn.Linear(32, 16).to(torch.bfloat16),
                                    "b": torch.nn.Linear(16, 8).half(),
                                    "c": torch.nn.Linear(8, 4).double()})

    def init(model):
        torch.nn.init.trunc_normal_(model["a"].weight, std=0.02, a=-0.04, b=0.04)
        torch.nn.init.kaiming_normal_(model["b"].weight, mode="fan_out", nonlinearity="relu")
        torch.nn.init.xavier_uniform_(model["c"].weight, gain=1.5)
        model["c"].weight.data.uniform_(-0.1, 0.3)            # replaces the xavier values
        for name in "abc":
            model[name].bias.data.fill_(0.25)
        torch.nn.init.constant_(model["a"].bias, -1.5)

    rec = record_and_compare(tmp_path, build, init)
    assert rec.specs["a.weight"]["init"]["name"] == "truncated_normal"
    assert rec.specs["c.weight"]["init"] == {"name": "random_uniform", "minval": -0.1,
                                             "maxval": 0.3}
    assert rec.specs["a.bias"]["init"] == {"name": "constant", "value": -1.5}



def _transformers():
    return pytest.importorskip("transformers", reason="needs transformers")


@pytest.mark.parametrize("kind", KINDS)
def test_transformers_init_weights(tmp_path, kind):
    tf = _transformers()
    tf.logging.set_verbosity_error()
    cfg = small_config(tf, kind)
    build = lambda: tf.AutoModelForCausalLM.from_config(cfg)  # noqa: E731
    rec = record_and_compare(tmp_path, build, lambda m: m.apply(m._init_weights))
    assert rec.unrecorded == []
    with torch.device("meta"):
        meta = build()
    params = dict(meta.named_parameters())          # tied: once, under the first name
    assert set(rec.specs) == set(params) | {n for n, _ in meta.named_buffers()
                                            if n in meta.state_dict()}
    if kind == "gpt2":
        assert "lm_head.weight" not in rec.specs and "transformer.wte.weight" in rec.specs


def test_data_dependent_init_names_the_parameter():
    with torch.device("meta"):
        lin = torch.nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"'weight'.*data-dependent"):
        with record_init(module=lin):
            torch.nn.init.normal_(lin.weight)
            lin.weight.data.mul_(2.0)
    with pytest.raises(ValueError, match=r"'bias' is copied"):
        with record_init(module=lin):
            lin.bias.data.copy_(torch.ones(3, device="meta"))
    with pytest.raises(ValueError, match=r"'weight'.*orthogonal"):
        with record_init(module=lin):
            torch.nn.init.orthogonal_(lin.weight)
    with pytest.raises(ValueError, match=r"'weight'.*tensor's value"):
        with record_init(module=lin):
            lin.weight.data.fill_(torch.tensor(1.0))


def test_partial_fill_names_the_parameter():
    with torch.device("meta"):
        lin = torch.nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"'weight' is filled in parts"):
        with record_init(module=lin):
            torch.nn.init.normal_(lin.weight)
            torch.nn.init.zeros_(lin.weight[:, 1])        # a column, not a row


@pytest.mark.parametrize("padding_idx", [0, 7])
def test_padding_row_is_recorded(tmp_path, padding_idx):
    """normal_ then a zeroed row (Embedding.reset_parameters): padding_idx."""
    rec = record_and_compare(tmp_path, lambda: torch.nn.Embedding(10, 4, padding_idx=padding_idx),
                             lambda m: m.reset_parameters())
    assert rec.specs["weight"]["padding_idx"] == padding_idx


@pytest.mark.parametrize("kind", KINDS)
def test_transformers_padding_token(tmp_path, kind):
    """A config with pad_token_id: _init_weights zeroes that embedding row."""
    tf = _transformers()
    tf.logging.set_verbosity_error()
    cfg = small_config(tf, kind, pad_token_id=5)
    build = lambda: tf.AutoModelForCausalLM.from_config(cfg)  # noqa: E731
    rec = record_and_compare(tmp_path, build, lambda m: m.apply(m._init_weights))
    emb = "model.embed_tokens.weight" if kind == "llama" else "transformer.wte.weight"
    assert rec.specs[emb].get("padding_idx") == (5 if kind == "llama" else None)


def test_trunc_normal_outside_two_std_names_the_parameter():
    with torch.device("meta"):
        lin = torch.nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"^weight: .*not one initializer"):
        with record_init(module=lin):
            torch.nn.init.trunc_normal_(lin.weight, std=0.02)     # a, b = -2, 2: 100 std


def test_unnamed_tensor_and_unwritten_parameters():
    scratch = torch.empty(3, 3, device="meta")
    with pytest.raises(ValueError, match="no module holds"):
        with record_init():
            scratch.normal_()
    with torch.device("meta"):
        lin = torch.nn.Linear(4, 3)
    with pytest.warns(UserWarning, match="bias"):
        with record_init(module=lin) as rec:
            torch.nn.init.normal_(lin.weight)
    assert rec.unrecorded == ["bias"] and list(rec.specs) == ["weight"]


def test_names_from_the_call_stack_without_module(tmp_path):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(6, 2)

        def init_weights(self):
            torch.nn.init.normal_(self.fc.weight, std=0.1)
            torch.nn.init.zeros_(self.fc.bias)

    with torch.device("meta"):
        net = Net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with record_init() as rec:
            net.init_weights()
    assert list(rec.specs) == ["fc.weight", "fc.bias"]


def test_failed_block_records_nothing_and_bad_module():
    with torch.device("meta"):
        lin = torch.nn.Linear(4, 3)
    rec = record_init(module=lin)
    with pytest.raises(RuntimeError, match="boom"):
        with rec:
            torch.nn.init.normal_(lin.weight)
            raise RuntimeError("boom")
    assert rec.specs == {}
    with pytest.raises(TypeError, match="module"):
        record_init(module="model")
