"""fast_init with Hugging Face transformers 5: from_config of a Llama and a
GPT-2 built from small configs in the test (nothing downloaded). Each
parameter has the distribution its _init_weights asks for, its final name
gives its stream, two runs give the same bits, torch's RNG is untouched."""
import math

import pytest
from _hf_configs import small_config

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
transformers = pytest.importorskip("transformers",
                                   reason="needs transformers (pip install transformers)")
stats = pytest.importorskip("scipy.stats", reason="needs scipy")
pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes")

import weightinit.torch as wt  # noqa: E402
from weightinit.torch import fast_init  # noqa: E402

transformers.logging.set_verbosity_error()
SEED = 7


def llama_config(**extra):
    return small_config(transformers, "llama", **{"pad_token_id": 0, **extra})   # a padding row


def gpt2_config(**extra):
    return small_config(transformers, "gpt2", **extra)


CONFIGS = {"llama": llama_config, "gpt2": gpt2_config}


def build(config, seed=SEED):
    with fast_init(seed=seed):
        return transformers.AutoModelForCausalLM.from_config(config)


def expected_rule(kind, config, name, tensor):
    """What the model's _init_weights gives ``name``: ("normal", std), or a constant."""
    std = config.initializer_range
    if tensor.dim() == 1:
        if name.endswith("bias"):
            return ("constant", 0.0)
        return ("constant", 1.0)                    # RMSNorm / LayerNorm weights
    if kind == "gpt2" and name.endswith("c_proj.weight"):
        return ("normal", std / math.sqrt(2 * config.n_layer))
    return ("normal", std)


@pytest.fixture(params=sorted(CONFIGS))
def case(request):
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    config = CONFIGS[request.param]()
    model = build(config)
    assert torch.equal(state, torch.random.get_rng_state()), "torch's RNG was consumed"
    return request.param, config, model


def test_distributions_match_init_weights(case):
    kind, config, model = case
    pad = getattr(config, "pad_token_id", None)
    for name, p in model.named_parameters():
        rule, value = expected_rule(kind, config, name, p)
        x = p.detach().double()
        if rule == "constant":
            assert (x == value).all(), name
            continue
        if kind == "llama" and name.endswith("embed_tokens.weight"):
            assert (x[pad] == 0).all(), "padding row"
            x = torch.cat([x[:pad], x[pad + 1:]])
        result = stats.kstest(x.flatten().numpy(), stats.norm(0, value).cdf)
        assert result.pvalue > 1e-3, (name, result)


def test_streams_are_the_final_parameter_names(case):
    """Each weight equals weightinit.torch.normal_ with stream = its name in the
    returned model, although transformers initializes the inner model (as
    ``model``/``transformer``) before it is attached."""
    kind, config, model = case
    pad = getattr(config, "pad_token_id", None)
    for name, p in model.named_parameters():
        rule, std = expected_rule(kind, config, name, p)
        if rule != "normal":
            continue
        expect = wt.normal_(torch.empty_like(p), 0.0, std, seed=SEED, stream=name)
        if kind == "llama" and name.endswith("embed_tokens.weight"):
            expect[pad] = 0
        assert torch.equal(p, expect), name


def test_two_runs_bit_identical_and_seed_matters(case):
    kind, config, model = case
    again = build(config)
    other = build(config, seed=SEED + 1)
    for (name, p), q, r in zip(model.state_dict().items(), again.state_dict().values(),
                               other.state_dict().values()):
        assert torch.equal(p, q), name
        if p.dim() == 2:
            assert not torch.equal(p, r), name


def test_same_structure_and_buffers_as_plain_from_config(case):
    kind, config, model = case
    with torch.random.fork_rng(devices=[]):
        plain = transformers.AutoModelForCausalLM.from_config(config)
    assert list(model.state_dict()) == list(plain.state_dict())
    for (name, b), (_, c) in zip(model.named_buffers(), plain.named_buffers()):
        assert torch.equal(b, c), name                # rotary frequencies, masks
    for (name, p), (_, q) in zip(model.named_parameters(), plain.named_parameters()):
        assert p.shape == q.shape and p.dtype == q.dtype, name


def test_gpt2_tied_embedding():
    model = build(gpt2_config())
    assert model.lm_head.weight is model.transformer.wte.weight
    expect = wt.normal_(torch.empty(512, 64), 0.0, 0.02, seed=SEED, stream="transformer.wte.weight")
    assert torch.equal(model.lm_head.weight, expect)


def test_bfloat16_model_is_float32_rounded():
    """Same names, same streams: the bf16 model is the f32 model rounded."""
    f32 = build(llama_config())
    bf16 = build(llama_config(dtype="bfloat16"))
    for (name, p), q in zip(f32.named_parameters(), bf16.parameters()):
        assert q.dtype == torch.bfloat16
        assert torch.equal(p.to(torch.bfloat16), q), name


def test_forward_inside_the_block_sees_initialized_weights():
    config = llama_config()
    ids = torch.tensor([[1, 5, 9, 3]])
    with fast_init(seed=SEED):
        model = transformers.AutoModelForCausalLM.from_config(config)
        inside = model(ids).logits
    outside = model(ids).logits
    assert torch.equal(inside, outside)
    assert torch.equal(model.lm_head.weight,
                       wt.normal_(torch.empty(512, 64), 0.0, 0.02, seed=SEED, stream="lm_head.weight"))
