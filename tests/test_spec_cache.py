"""The recorded-spec cache of ``weightinit init --from-hf``
(weightinit._spec_cache): a hit writes the same bytes as a recording and
imports neither torch nor transformers; a corrupt entry is recorded again;
the key follows the config; ``--no-cache``; where the cache lives."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import missing
from _hf_configs import small_config

from weightinit import _spec_cache
from weightinit.cli import main

ARGS = ["--seed", "4", "--dtype", "bfloat16", "--quiet", "--max-shard-size", "40KB"]


def _config(tmp_path, name="config", **extra):
    transformers = pytest.importorskip("transformers", reason=missing("transformers"))
    pytest.importorskip("torch", reason=missing("torch"))
    folder = tmp_path / name
    small_config(transformers, "llama", **extra).save_pretrained(folder)
    return folder / "config.json"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _entries() -> list[Path]:
    folder = _spec_cache.cache_dir()
    return sorted(folder.glob("from-hf-*.json")) if folder.is_dir() else []


def _recordings(monkeypatch) -> list[str]:
    """The configs recorded from now on (a spy on cli._record_hf)."""
    from weightinit import cli
    seen, real = [], cli._record_hf
    monkeypatch.setattr(cli, "_record_hf", lambda path: seen.append(path) or real(path))
    return seen


def test_a_hit_writes_the_bytes_of_a_recording(tmp_path, monkeypatch):
    config = _config(tmp_path)
    seen = _recordings(monkeypatch)
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "miss")] + ARGS) == 0
    assert len(_entries()) == 1 and len(seen) == 1
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "hit")] + ARGS) == 0
    assert len(seen) == 1   # not recorded again
    miss, hit = _files(tmp_path / "miss"), _files(tmp_path / "hit")
    assert len(miss) > 3 and hit == miss
    # another seed and dtype: the same entry, and the bytes of a recording
    other = ["--seed", "5", "--quiet", "--max-shard-size", "40KB"]
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "hit2")] + other) == 0
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "miss2"), "--no-cache"]
                + other) == 0
    assert len(seen) == 2 and len(_entries()) == 1
    assert _files(tmp_path / "hit2") == _files(tmp_path / "miss2") != miss


def test_a_hit_imports_neither_torch_nor_transformers(tmp_path):
    config = _config(tmp_path)
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "miss")] + ARGS) == 0
    code = ("import sys; from weightinit.cli import main; rc = main(sys.argv[1:]); "
            "print(rc, 'torch' in sys.modules, 'transformers' in sys.modules, "
            "'ml_dtypes' in sys.modules)")
    argv = ["init", "--from-hf", str(config), "-o", str(tmp_path / "hit")] + ARGS
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         check=True, env=os.environ.copy()).stdout.split()
    assert out == ["0", "False", "False", "False"]   # ARGS' bfloat16 needs no ml_dtypes
    assert _files(tmp_path / "hit") == _files(tmp_path / "miss")


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "other_key", "folder"])
def test_a_corrupt_entry_is_recorded_again(tmp_path, monkeypatch, damage):
    config = _config(tmp_path)
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "first")] + ARGS) == 0
    (entry,) = _entries()
    text = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(text[: len(text) // 2])
    elif damage == "flip":   # valid JSON, another stddev: only the checksum tells
        assert b"0.02" in text
        entry.write_bytes(text.replace(b"0.02", b"0.03", 1))
    elif damage == "garbage":
        entry.write_bytes(b"\xff\x00 not json")
    elif damage == "other_key":
        data = json.loads(text)
        data["key"] = "0" * 64
        entry.write_text(json.dumps(data))
    else:   # unreadable: a folder where the file should be
        entry.unlink()
        entry.mkdir()
    seen = _recordings(monkeypatch)
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "again")] + ARGS) == 0
    assert len(seen) == 1
    assert _files(tmp_path / "again") == _files(tmp_path / "first")
    if damage != "folder":   # re-written, and read from then on
        assert entry.read_bytes() == text
        assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "third")] + ARGS) == 0
        assert len(seen) == 1
    assert not list(entry.parent.glob(".*.tmp"))   # no temporary left behind


def test_the_key_follows_the_config_not_its_spelling(tmp_path):
    config = _config(tmp_path)
    key = _spec_cache.cache_key(config.read_bytes())
    assert key is not None and len(key) == 64
    respelled = json.dumps(json.loads(config.read_bytes()), indent=None, sort_keys=False)
    assert _spec_cache.cache_key(respelled.encode()) == key
    other = _config(tmp_path, "other", num_hidden_layers=3)
    assert _spec_cache.cache_key(other.read_bytes()) != key
    assert _spec_cache.cache_key(b"{not json") is None
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "a"), "--quiet"]) == 0
    assert main(["init", "--from-hf", str(other), "-o", str(tmp_path / "b"), "--quiet"]) == 0
    assert len(_entries()) == 2
    assert _files(tmp_path / "a")["config.json"] != _files(tmp_path / "b")["config.json"]


def test_no_cache_neither_reads_nor_writes(tmp_path, monkeypatch, capsys):
    config = _config(tmp_path)
    seen = _recordings(monkeypatch)
    for name in ("a", "b"):
        assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / name), "--no-cache"]
                    + ARGS) == 0
    assert len(seen) == 2 and _entries() == []
    assert main(["init", "mlp_small", "-o", str(tmp_path / "m.safetensors"), "--no-cache"]) == 2
    assert "--no-cache is for --from-hf" in capsys.readouterr().err


def test_where_the_cache_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("WEIGHTINIT_CACHE_DIR", str(tmp_path / "explicit"))
    assert _spec_cache.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("WEIGHTINIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _spec_cache.cache_dir() == tmp_path / "xdg" / "weightinit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")   # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _spec_cache.cache_dir() == tmp_path / "home" / ".cache" / "weightinit"


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    config = _config(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("WEIGHTINIT_CACHE_DIR", str(blocker / "cache"))   # under a file
    assert main(["init", "--from-hf", str(config), "-o", str(tmp_path / "out")] + ARGS) == 0
    assert (tmp_path / "out" / "config.json").is_file()
