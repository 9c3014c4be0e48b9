"""``weightinit init --from-hf config.json -o DIR`` and ``-o DIR``: the folder
transformers' ``from_pretrained`` loads; and the progress display."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _hf_configs import small_config
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

def _config(tmp_path, kind, **extra):
    transformers = pytest.importorskip("transformers", reason=missing("transformers"))
    pytest.importorskip("torch", reason=missing("torch"))
    config = small_config(transformers, kind, **extra)
    folder = tmp_path / f"{kind}-config"
    config.save_pretrained(folder)
    return folder / "config.json", transformers


def _in_memory(transformers, config_path, seed, dtype):
    """What the folder must hold: from_config under fast_init, in memory."""
    import torch

    from weightinit.torch import fast_init
    config = transformers.AutoConfig.from_pretrained(str(config_path))
    with fast_init(seed=seed):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    return model.state_dict(), torch


def test_from_hf_builds_nothing_in_memory(tmp_path, monkeypatch):
    """The specs come from a meta-device model: no parameter is materialized."""
    config, transformers = _config(tmp_path, "gpt2")
    from weightinit import cli
    seen = []
    real = transformers.AutoModelForCausalLM.from_config

    def spy(*args, **kwargs):
        model = real(*args, **kwargs)
        seen.append(model)
        return model

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", spy)
    specs, _ = cli._specs_from_hf(str(config))
    (model,) = seen
    assert all(t.is_meta for t in model.state_dict().values())
    assert "transformer.wte.weight" in specs and "lm_head.weight" not in specs   # tied: once


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
@pytest.mark.parametrize("shard", [None, "40KB"])
def test_from_hf_folder_loads_with_from_pretrained(tmp_path, kind, shard):
    """from_pretrained(DIR): no missing or unexpected keys, and every tensor
    equals from_config under fast_init in memory, bit for bit."""
    config, transformers = _config(tmp_path, kind)
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
    want, torch = _in_memory(transformers, config, 8, "bfloat16")
    state = model.state_dict()
    assert set(state) == set(want)
    for name, tensor in state.items():
        assert tensor.dtype == torch.bfloat16, name
        assert torch.equal(tensor.view(torch.int16), want[name].view(torch.int16)), name


@pytest.mark.parametrize("extra", [{}, {"pad_token_id": 5}], ids=["", "pad_token"])
def test_from_hf_float32_by_default(tmp_path, extra):
    config, transformers = _config(tmp_path, "llama", **extra)
    out = tmp_path / "out"
    assert main(["init", "--from-hf", str(config), "-o", str(out), "--seed", "2",
                 "--quiet"]) == 0
    model = transformers.AutoModelForCausalLM.from_pretrained(out)
    want, torch = _in_memory(transformers, config, 2, "float32")
    for name, tensor in model.state_dict().items():
        assert tensor.dtype == torch.float32, name
        assert torch.equal(tensor.view(torch.int32), want[name].view(torch.int32)), name


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
