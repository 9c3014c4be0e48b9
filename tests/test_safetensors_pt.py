import json
import math

import pytest

from weightinit.safetensors import save_safetensors


def _meta(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n))["__metadata__"]


def test_format_pt(tmp_path):
    p = tmp_path / "m.safetensors"
    save_safetensors(p, {"w": {"shape": [4, 3], "init": "zeros"}}, seed=0, format="pt")
    assert _meta(p)["format"] == "pt"
    with pytest.raises(ValueError, match="format"):
        save_safetensors(tmp_path / "x.safetensors", {"w": {"shape": [1], "init": "zeros"}},
                         seed=0, format="tf")


def test_torch_fans_bound(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    p = tmp_path / "m.safetensors"
    save_safetensors(p, {"w": {"shape": [512, 768], "init": "kaiming_uniform", "fans": "torch"}},
                     seed=0)
    w = st.load_file(p)["w"]
    bound = math.sqrt(6 / 768)   # torch.nn.init.kaiming_uniform_(a=0): fan_in = in = 768
    assert bound * 0.99 < abs(w).max() <= bound


def test_cli_format_pt(tmp_path):
    from weightinit.cli import main
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"seed": 0, "tensors": {"w": {"shape": [2], "init": "zeros"}}}))
    out = tmp_path / "m.safetensors"
    assert main(["init", str(spec), "-o", str(out), "--format", "pt", "--quiet"]) == 0
    assert _meta(out)["format"] == "pt"


def test_tied_weight_written_once_loads(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    emb = torch.nn.Embedding(5, 3)
    model = torch.nn.Sequential(emb, torch.nn.Linear(3, 5, bias=False))
    model[1].weight = emb.weight   # tied: one tensor under two names
    p = tmp_path / "m.safetensors"
    save_safetensors(p, {"0.weight": {"shape": [5, 3], "init": "random_normal"}}, seed=0,
                     format="pt")
    missing, unexpected = st.load_model(model, p)
    assert not missing and not unexpected
    assert torch.equal(model[1].weight, st.load_file(p)["0.weight"])


@pytest.mark.parametrize("window", [1000, 4096, 64 << 20])   # rows split across windows, and not
@pytest.mark.parametrize("padding_idx", [0, 17, -1])
def test_padding_idx_zeroes_one_row(tmp_path, monkeypatch, window, padding_idx):
    """``"padding_idx": k``: the draw with row k of axis 0 zeroed, whatever the windows."""
    import numpy as np

    import weightinit as wi
    import weightinit.safetensors as wst
    st = pytest.importorskip("safetensors.numpy")
    monkeypatch.setattr(wst, "_WINDOW_BYTES", window)
    p = tmp_path / "e.safetensors"
    save_safetensors(p, {"e": {"shape": [40, 300], "init": {"name": "random_normal",
                                                            "stddev": 0.02},
                               "padding_idx": padding_idx}}, seed=6)
    want = wi.random_normal((40, 300), stddev=0.02, seed=6, stream="e")
    want[padding_idx] = 0
    np.testing.assert_array_equal(st.load_file(p)["e"], want)
    assert json.loads(_meta(p)["weightinit.specs"])["e"]["padding_idx"] == padding_idx % 40


@pytest.mark.parametrize("spec, match", [
    ({"shape": [4, 3], "init": "zeros", "padding_idx": 4}, r"padding_idx must index axis 0"),
    ({"shape": [4, 3], "init": "zeros", "padding_idx": -5}, r"padding_idx must index axis 0"),
    ({"shape": [], "init": "zeros", "padding_idx": 0}, r"padding_idx must index axis 0"),
    ({"shape": [4, 3], "init": "zeros", "padding_idx": 1.0}, r"padding_idx must be an int"),
    ({"shape": [4, 3], "init": "zeros", "padding_idx": True}, r"padding_idx must be an int"),
])
def test_bad_padding_idx_names_the_field(tmp_path, spec, match):
    with pytest.raises(ValueError, match=r"tensors\['w'\]\." + match):
        save_safetensors(tmp_path / "x.safetensors", {"w": spec}, seed=0)
    assert list(tmp_path.iterdir()) == []
