"""generator=, the loop over layers, deprecated aliases and 0-d tensor arguments."""
import math
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import weightinit as wi  # noqa: E402
import weightinit.torch as wit  # noqa: E402

WITH_GENERATOR = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                  "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]


def _call(name, t, **kw):
    return getattr(wit, name)(t, **kw)


@pytest.mark.parametrize("name", WITH_GENERATOR)
def test_manual_seed_reproduces_and_successive_calls_differ(name):
    torch.manual_seed(123)
    a = _call(name, torch.empty(8, 6), generator=torch.default_generator)
    b = _call(name, torch.empty(8, 6), generator=torch.default_generator)
    torch.manual_seed(123)
    c = _call(name, torch.empty(8, 6), generator=torch.default_generator)
    assert torch.equal(a, c)
    assert not torch.equal(a, b)


def test_explicit_torch_generator_is_its_64_bits_as_seed():
    g = torch.Generator().manual_seed(7)
    got = wit.normal_(torch.empty(5, 3), generator=g, stream="w")
    low, high = torch.randint(0, 2**32, (2,), dtype=torch.int64,
                              generator=torch.Generator().manual_seed(7)).tolist()
    want = wit.normal_(torch.empty(5, 3), seed=low | (high << 32), stream="w")
    assert torch.equal(got, want)


def test_sparse_takes_a_generator():
    g = torch.Generator().manual_seed(1)
    a, b = (wit.sparse_(torch.empty(6, 4), 0.5, generator=g) for _ in range(2))
    assert not torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_wi_generator_takes_its_next_blocks(dtype):
    g = wi.Generator(11, stream=3)
    x = wit.normal_(torch.empty(3, 5, dtype=dtype), generator=g)
    y = wit.uniform_(torch.empty(7, dtype=dtype), -1.0, 1.0, generator=g)
    ref = wi.Generator(11, stream=3)
    name = str(dtype).split(".")[1]
    assert np.array_equal(x.numpy(), ref.standard_normal((3, 5), dtype=name))
    assert np.array_equal(y.numpy(), ref.uniform(-1.0, 1.0, 7, dtype=name))
    assert g._next_block == ref._next_block


@pytest.mark.parametrize("kw", [{"seed": 0}, {"stream": 2}])
def test_generator_with_seed_or_stream_conflict(kw):
    gens = [wi.Generator(0)] if "stream" in kw else [wi.Generator(0), torch.Generator()]
    for g in gens:
        with pytest.raises(TypeError, match="generator|Generator"):
            wit.normal_(torch.empty(3), generator=g, **kw)


def test_generator_of_wrong_type_or_device():
    with pytest.raises(TypeError, match="generator"):
        wit.normal_(torch.empty(3), generator=0)
    # This machine has no accelerator: a stand-in with torch.Generator's name and a CUDA device.
    fake = type("Generator", (), {"__module__": "torch", "device": "cuda:0"})()
    t = torch.zeros(3)
    with pytest.raises(ValueError, match="CPU"):
        wit.normal_(t, generator=fake)
    assert not t.any()   # checked before any write


def test_no_generator_for_functions_torch_gives_none():
    with pytest.raises(TypeError):
        wit.constant_(torch.empty(3), 1.0, generator=torch.Generator())


def test_documented_loop_over_layers_gives_distinct_weights():
    layers = [torch.nn.Linear(16, 16) for _ in range(3)]
    g = torch.Generator().manual_seed(0)
    for layer in layers:
        wit.xavier_uniform_(layer.weight, generator=g)
    for i, layer in enumerate(layers):   # the other documented form: a stream per layer
        wit.xavier_uniform_(layer.bias.view(1, -1), seed=0, stream=f"{i}.bias")
    w = [layer.weight.detach() for layer in layers]
    assert not torch.equal(w[0], w[1]) and not torch.equal(w[1], w[2])
    b = [layer.bias.detach() for layer in layers]
    assert not torch.equal(b[0], b[1])


def test_pure_seed_calls_stay_pure():
    a = wit.xavier_uniform_(torch.empty(4, 4), seed=0)
    assert torch.equal(a, wit.xavier_uniform_(torch.empty(4, 4), seed=0))


ALIASES = {"uniform": (), "normal": (), "constant": (0.5,), "eye": (), "dirac": (),
           "xavier_uniform": (), "xavier_normal": (), "kaiming_uniform": (),
           "kaiming_normal": (), "orthogonal": (), "sparse": (0.5,)}


def test_aliases_are_torchs_set():
    torch_names = {n for n in dir(torch.nn.init)
                   if not n.startswith("_") and hasattr(torch.nn.init, n + "_")}
    assert torch_names == set(ALIASES)


@pytest.mark.parametrize("old", sorted(ALIASES))
def test_alias_warns_like_torch_and_equals_underscore_form(old):
    shape = (3, 2, 3) if old == "dirac" else (4, 3)
    kw = {} if old in ("constant", "eye", "dirac") else {"seed": 5}
    with pytest.warns(FutureWarning) as got:
        a = getattr(wit, old)(torch.empty(shape), *ALIASES[old], **kw)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        getattr(torch.nn.init, old)(torch.empty(shape), *ALIASES[old])
    assert str(got[0].message) == str(want[0].message)
    assert torch.equal(a, getattr(wit, old + "_")(torch.empty(shape), *ALIASES[old], **kw))


def test_zero_dim_tensors_are_numbers():
    assert torch.equal(wit.constant_(torch.empty(3), torch.tensor(3.0)), torch.full((3,), 3.0))
    for name, args, kw in [("uniform_", (torch.tensor(-0.5), torch.tensor(0.5)), {}),
                           ("normal_", (), {"mean": torch.tensor(1.0), "std": torch.tensor(2.0)}),
                           ("kaiming_uniform_", (), {"a": torch.tensor(0.1)}),
                           ("xavier_normal_", (torch.tensor(2.0),), {})]:
        got = getattr(wit, name)(torch.empty(4, 4), *args, seed=9, **kw)
        plain = tuple(a.item() for a in args)
        want = getattr(wit, name)(torch.empty(4, 4), *plain, seed=9,
                                  **{k: v.item() for k, v in kw.items()})
        assert torch.equal(got, want), name
    assert math.isclose(wit.sparse_(torch.empty(4, 4), torch.tensor(0.5), seed=1)
                        .eq(0).sum(0)[0].item(), 2)


ELEMENTWISE = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
               "kaiming_uniform_", "kaiming_normal_"]


@pytest.mark.parametrize("dtype, n, left", [(torch.float32, 40, 9), (torch.float64, 40, 19),
                                            (torch.float32, 5, 1)])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_wi_generator_fill_past_end_of_stream_is_refused(name, dtype, n, left):
    """A fill needing more blocks than the stream has left raises the
    Generator's ValueError, writes nothing and consumes nothing."""
    from weightinit.generator import PAST_END
    g = wi.Generator(3).advance(2**64 - left)
    t = torch.full((n // 5, 5), -7.25, dtype=dtype)
    with pytest.raises(ValueError, match=re.escape(PAST_END)):
        _call(name, t, generator=g)
    assert (t == -7.25).all() and g._next_block == 2**64 - left


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_wi_generator_fill_ending_exactly_at_end_of_stream(dtype):
    """The stream's last blocks are usable and equal the Generator call's."""
    name = str(dtype).split(".")[1]
    left = 10 if dtype == torch.float32 else 20
    g = wi.Generator(3).advance(2**64 - left)
    got = wit.normal_(torch.empty(40, dtype=dtype), generator=g)
    want = wi.Generator(3).advance(2**64 - left).standard_normal(40, dtype=name)
    assert np.array_equal(got.numpy(), want) and g._next_block == 2**64
    with pytest.raises(ValueError, match="past the end"):
        wit.normal_(torch.empty(1, dtype=dtype), generator=g)
    assert g._next_block == 2**64


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_wi_generator_empty_fill_at_end_of_stream(name):
    g = wi.Generator(3).advance(2**64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # torch's "zero-element tensors" warning
        t = _call(name, torch.empty(0, 4), generator=g)
    assert t.shape == (0, 4) and g._next_block == 2**64


def test_orthogonal_key_past_end_of_stream_is_refused():
    """orthogonal_ takes its key from the generator's next block: none left raises."""
    g = wi.Generator(3).advance(2**64)
    t = torch.full((4, 4), -7.25)
    with pytest.raises(ValueError, match="past the end"):
        wit.orthogonal_(t, generator=g)
    assert (t == -7.25).all() and g._next_block == 2**64
