"""Hugging Face's sharded layout (docs/contract.md 7): the files and index
``save_pretrained`` writes, grouped as huggingface_hub groups them, read back
by transformers' ``from_pretrained`` with no missing or unexpected keys; all
files or none."""
from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest
from _hf_configs import small_config
from _extras import TEST, missing

import weightinit as wi
import weightinit._files as files
import weightinit.safetensors as st
from weightinit.safetensors import parse_shard_size, save_safetensors_sharded

pytest.importorskip("safetensors", reason=missing("safetensors", TEST))
from safetensors import safe_open  # noqa: E402

# fixtures of the file-fault tests: a small tmpfs that really fills up
from test_file_faults import posix_only, small_tmpfs  # noqa: E402,F401

KB = 1000


def _specs(sizes_kb, dtype="float32"):
    """One tensor per size (in KB of float32 data: 250 elements each)."""
    return {f"t{i}": {"shape": [n, 250], "init": "he_normal", "dtype": dtype}
            for i, n in enumerate(sizes_kb)}


def _stored(directory):
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("sizes,limit", [([6, 6, 2, 6, 2, 2], 10), ([3, 3, 3], 100),
                                         ([20, 1, 1, 20, 5], 10), ([5, 5], 5), ([1], 1)])
def test_grouping_and_names_are_huggingface_hubs(tmp_path, sizes, limit):
    hub = pytest.importorskip("huggingface_hub.serialization._base",
                              reason=missing("huggingface_hub"))
    specs = _specs(sizes)
    info = save_safetensors_sharded(tmp_path, specs, seed=0, max_shard_size=f"{limit}KB")
    split = hub.split_state_dict_into_shards_factory(
        {name: n * KB for name, n in zip(specs, sizes)}, get_storage_size=lambda n: n,
        filename_pattern="model{suffix}.safetensors", max_shard_size=limit * KB)
    names = [os.path.basename(f) for f in info["files"]]
    assert names == list(split.filename_to_tensors)
    for path, name in zip(info["files"], names):
        with safe_open(path, "np") as f:
            assert sorted(f.keys()) == sorted(split.filename_to_tensors[name])
            assert f.metadata()["format"] == "pt"
    if split.is_sharded:
        index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
        assert index["weight_map"] == split.tensor_to_filename
        assert index["metadata"] == {"total_size": split.metadata["total_size"],
                                     "total_parameters": sum(sizes) * 250}
        assert _stored(tmp_path) == sorted(names + ["model.safetensors.index.json"])
    else:
        assert info["index"] is None and _stored(tmp_path) == ["model.safetensors"]


@pytest.mark.parametrize("text", ["5GB", "1.5MB", "300KB", " 2TB ", "10gb", "7MB"])
def test_sizes_are_read_as_huggingface_hub_reads_them(text):
    hub = pytest.importorskip("huggingface_hub.serialization._base",
                              reason=missing("huggingface_hub"))
    assert parse_shard_size(text) == hub.parse_size_to_int(text)


def test_binary_units_and_bad_sizes():
    assert parse_shard_size("1GiB") == 2**30 and parse_shard_size(12345) == 12345
    for bad, kind in [("5 GB!", ValueError), ("GB", ValueError), ("0MB", ValueError),
                      ("-1KB", ValueError), ("nanGB", ValueError), (True, TypeError),
                      (1.5, TypeError), (0, ValueError)]:
        with pytest.raises(kind, match="max_shard_size"):
            parse_shard_size(bad)


def test_values_equal_one_file_and_the_initializers(tmp_path):
    specs = _specs([3, 4, 5, 6], dtype="bfloat16")
    info = save_safetensors_sharded(tmp_path / "", specs, seed=11, max_shard_size="4KB")
    wi.save_safetensors(tmp_path / "one.safetensors", specs, seed=11)
    with safe_open(str(tmp_path / "one.safetensors"), "np") as one:
        index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
        for name, file_name in index["weight_map"].items():
            with safe_open(str(tmp_path / file_name), "np") as shard:
                assert shard.get_tensor(name).tobytes() == one.get_tensor(name).tobytes()


def test_bad_input_writes_nothing(tmp_path):
    specs = _specs([1, 1])
    for kwargs, match in [({"max_shard_size": "5XB"}, "max_shard_size"),
                          ({"format": "tf"}, "format"), ({"seed": -1}, "seed"),
                          ({"metadata": {"format": "x"}}, "format")]:
        with pytest.raises(ValueError, match=match):
            save_safetensors_sharded(tmp_path, specs, **{"seed": 0, **kwargs})
    with pytest.raises(ValueError, match="shape"):
        save_safetensors_sharded(tmp_path, {"w": {"shape": [-1], "init": "zeros"}}, seed=0)
    with pytest.raises(FileNotFoundError):
        save_safetensors_sharded(tmp_path / "missing", specs, seed=0)
    assert _stored(tmp_path) == []


def test_an_existing_file_is_kept_and_nothing_else_is_written(tmp_path):
    specs = _specs([3, 3, 3])
    (tmp_path / "model-00002-of-00003.safetensors").write_text("keep")
    with pytest.raises(FileExistsError):
        save_safetensors_sharded(tmp_path, specs, seed=0, max_shard_size="3KB")
    assert _stored(tmp_path) == ["model-00002-of-00003.safetensors"]
    assert (tmp_path / "model-00002-of-00003.safetensors").read_text() == "keep"
    save_safetensors_sharded(tmp_path, specs, seed=0, max_shard_size="3KB", force=True)
    assert len(_stored(tmp_path)) == 4


def test_a_write_error_in_a_later_shard_leaves_nothing(tmp_path, monkeypatch):
    real, calls = st.pwrite_all, {"n": 0}

    def failing(fd, data, offset):
        calls["n"] += 1
        if calls["n"] == 4:   # header and data per shard: the second shard's data
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data, offset)

    monkeypatch.setattr(st, "pwrite_all", failing)
    with pytest.raises(OSError) as info:
        save_safetensors_sharded(tmp_path, _specs([3, 3, 3]), seed=0, max_shard_size="3KB")
    assert info.value.errno == errno.ENOSPC
    assert "model-00002-of-00003.safetensors" in info.value.filename
    assert _stored(tmp_path) == []


def test_a_failure_while_publishing_unpublishes(tmp_path, monkeypatch):
    """The first shard is already under its name when the second cannot be
    published: it is removed again."""
    real, calls = files._publish, {"n": 0}

    def failing(tmp, path, force):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(tmp, path, force)

    monkeypatch.setattr(files, "_publish", failing)
    with pytest.raises(KeyboardInterrupt):
        save_safetensors_sharded(tmp_path, _specs([3, 3, 3]), seed=0, max_shard_size="3KB")
    assert calls["n"] == 2 and _stored(tmp_path) == []


@posix_only
def test_a_full_disk_is_refused_for_all_the_shards_together(small_tmpfs):   # noqa: F811
    """Each 400 KB shard fits the 1 MiB disk; the four together do not."""
    with pytest.raises(OSError) as info:
        save_safetensors_sharded(small_tmpfs, _specs([400] * 4), seed=0, max_shard_size="400KB")
    assert info.value.errno == errno.ENOSPC and "free" in str(info.value)
    assert _stored(small_tmpfs) == []


@posix_only
def test_a_disk_filling_up_mid_write_leaves_nothing(small_tmpfs, monkeypatch):   # noqa: F811
    class Plenty:
        f_bavail, f_frsize = 1 << 40, 1
    monkeypatch.setattr(files.os, "statvfs", lambda folder: Plenty)
    with pytest.raises(OSError) as info:
        save_safetensors_sharded(small_tmpfs, _specs([400] * 4), seed=0, max_shard_size="400KB")
    assert info.value.errno == errno.ENOSPC
    assert _stored(small_tmpfs) == []


# -- read back by transformers -------------------------------------------------------------

def _small_model(kind):
    transformers = pytest.importorskip("transformers", reason=missing("transformers"))
    torch = pytest.importorskip("torch", reason=missing("torch"))
    config = small_config(transformers, kind)
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(config), torch, transformers


def _specs_of(model):
    """A spec per tensor of the state dict, each shared storage (tied
    weights) once, under its first name, as save_pretrained keeps it."""
    specs, seen = {}, set()
    for name, tensor in model.state_dict().items():
        ptr = tensor.untyped_storage().data_ptr()
        if ptr in seen:
            continue
        seen.add(ptr)
        init = {"name": "random_normal", "stddev": 0.02} if tensor.ndim >= 2 else "ones"
        specs[name] = {"shape": list(tensor.shape), "init": init, "dtype": "float32"}
    return specs


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
@pytest.mark.parametrize("limit", ["40KB", "5GB"])
def test_from_pretrained_loads_every_key(tmp_path, kind, limit):
    model, torch, transformers = _small_model(kind)
    model.config.save_pretrained(tmp_path)
    specs = _specs_of(model)
    info = save_safetensors_sharded(tmp_path, specs, seed=5, max_shard_size=limit)
    assert (len(info["files"]) > 1) == (limit == "40KB")
    loaded, report = transformers.AutoModelForCausalLM.from_pretrained(
        tmp_path, output_loading_info=True, dtype=torch.float32)
    assert report["missing_keys"] in ([], set()) and report["unexpected_keys"] in ([], set())
    assert not report.get("mismatched_keys")
    state = loaded.state_dict()
    for name, spec in specs.items():
        want = wi.random_normal(tuple(spec["shape"]), stddev=0.02, seed=5, stream=name) \
            if len(spec["shape"]) >= 2 else np.ones(spec["shape"], np.float32)
        np.testing.assert_array_equal(state[name].numpy(), want, err_msg=name)
