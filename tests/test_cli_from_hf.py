"""``weightinit init --from-hf config.json -o DIR`` and ``-o DIR``: the folder
transformers' ``from_pretrained`` loads; and the progress display."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _extras import missing

import weightinit as wi
import weightinit._progress as progress_module
from weightinit.cli import main

safetensors = pytest.importorskip("safetensors", reason=missing("safetensors"))
from safetensors import safe_open  # noqa: E402

SPEC = {"seed": 3, "tensors": {f"h.{i}.weight": {"shape": [100, 100], "init": "he_normal"}
                               for i in range(3)}}


def test_init_spec_into_a_folder_is_hugging_faces_layout(tmp_path, capsys):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "model"
    assert main(["init", str(spec), "-o", str(out), "--max-shard-size", "50KB", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert sorted(set(index["weight_map"].values())) == [
        f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    with safe_open(str(out / "model-00002-of-00003.safetensors"), "np") as f:
        assert f.metadata()["format"] == "pt"
        np.testing.assert_array_equal(f.get_tensor("h.1.weight"),
                                      wi.he_normal((100, 100), seed=3, stream="h.1.weight"))
    assert main(["init", str(spec), "-o", str(tmp_path / "one"), "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["model.safetensors"]


def test_a_failed_folder_write_removes_the_folder_it_created(tmp_path, capsys):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "model"
    assert main(["init", str(spec), "-o", str(out), "--max-shard-size", "5XB"]) == 2
    assert "max_shard_size" in capsys.readouterr().err and not out.exists()
    assert main(["init", str(spec), "-o", str(tmp_path / "m.safetensors"),
                 "--max-shard-size", "5GB"]) == 2
    assert "--max-shard-size needs -o DIR" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_init_takes_a_spec_or_from_hf(tmp_path, capsys):
    assert main(["init", "-o", str(tmp_path / "d")]) == 2
    assert main(["init", "mlp_small", "--from-hf", "c.json", "-o", str(tmp_path / "d")]) == 2
    assert main(["init", "mlp_small", "--dtype", "bfloat16", "-o", str(tmp_path / "d")]) == 2
    assert capsys.readouterr().err.count("weightinit: error:") == 3
    assert list(tmp_path.iterdir()) == []


# -- --from-hf --------------------------------------------------------------------------

def _config(tmp_path, kind):
    transformers = pytest.importorskip("transformers", reason=missing("transformers"))
    pytest.importorskip("torch", reason=missing("torch"))
    if kind == "llama":
        config = transformers.LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128,
                                          num_hidden_layers=2, num_attention_heads=4,
                                          num_key_value_heads=2, max_position_embeddings=64)
    else:
        config = transformers.GPT2Config(vocab_size=512, n_embd=64, n_layer=2, n_head=4,
                                         n_positions=64)
    folder = tmp_path / f"{kind}-config"
    config.save_pretrained(folder)
    return folder / "config.json", transformers


def _shape_specs(model):
    """A stand-in for weightinit.torch.module_specs (built in parallel):
    each tensor of the state dict once (tied ones under their first name),
    from shapes only (the model is on the meta device)."""
    specs, seen = {}, set()
    for name, tensor in model.state_dict(keep_vars=True).items():
        assert tensor.device.type == "meta"     # nothing was materialized
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        init = {"name": "random_normal", "stddev": 0.02} if tensor.ndim >= 2 else "ones"
        specs[name] = {"shape": list(tensor.shape), "init": init,
                       "dtype": str(tensor.dtype).removeprefix("torch.")}
    return specs


def test_from_hf_without_module_specs_is_a_clear_error(tmp_path, capsys, monkeypatch):
    config, _ = _config(tmp_path, "gpt2")
    import weightinit.torch as wtorch
    monkeypatch.delattr(wtorch, "module_specs", raising=False)
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "out")]) == 2
    assert "weightinit.torch.module_specs" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
@pytest.mark.parametrize("shard", [None, "40KB"])
def test_from_hf_folder_loads_with_from_pretrained(tmp_path, monkeypatch, kind, shard):
    config, transformers = _config(tmp_path, kind)
    import torch

    import weightinit.torch as wtorch
    monkeypatch.setattr(wtorch, "module_specs", _shape_specs, raising=False)
    out = tmp_path / "out"
    argv = ["init", "--from-hf", str(config), "-o", str(out), "--seed", "8", "--quiet",
            "--dtype", "bfloat16"] + (["--max-shard-size", shard] if shard else [])
    assert main(argv) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "config.json" in names
    assert ("model.safetensors.index.json" in names) == (shard is not None)
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    model, report = transformers.AutoModelForCausalLM.from_pretrained(
        out, output_loading_info=True, dtype="auto")
    assert not report["missing_keys"] and not report["unexpected_keys"]
    state = model.state_dict()
    for name, tensor in state.items():
        assert tensor.dtype == torch.bfloat16, name
        if tensor.ndim >= 2:
            want = wi.random_normal(tuple(tensor.shape), stddev=0.02, seed=8, stream=name,
                                    dtype="bfloat16")
            if kind == "gpt2" and name == "lm_head.weight":   # tied: wte's values
                want = wi.random_normal(tuple(tensor.shape), stddev=0.02, seed=8,
                                        stream="transformer.wte.weight", dtype="bfloat16")
            got = tensor.view(torch.int16).numpy()
            assert np.array_equal(got, want.view(np.int16)), name


# -- progress ----------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_progress_lines_without_tqdm(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)   # import tqdm fails
    clock = iter([0.0, 0.0, 1.0, 4.0, 8.0, 9.0])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    stream = _Terminal()
    bar = progress_module.progress(4 << 20, True, stream=stream)
    for _ in range(4):
        bar.update(1 << 20)
    bar.close()
    lines = stream.getvalue().splitlines()
    # t=4: 3 MiB in 4 s, 1 MiB left; the last line at close, 100%
    assert lines[0] == "weightinit:  75.0% 3.0 MiB of 4.0 MiB, 768.0 KiB/s, ETA 1 s"
    assert lines[-1].startswith("weightinit: 100.0% 4.0 MiB of 4.0 MiB") and len(lines) == 3
    assert progress_module.progress(10, True, stream=io.StringIO()) is None   # not a terminal
    assert progress_module.progress(10, False, stream=_Terminal()) is None    # --quiet


def test_tqdm_when_installed():
    pytest.importorskip("tqdm", reason=missing("tqdm"))
    bar = progress_module.progress(10, True, stream=io.StringIO())
    assert type(bar).__module__.startswith("tqdm")
    bar.close()
