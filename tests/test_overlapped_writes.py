"""Overlapped writes (docs/contract.md 7): the fill of window k+1 overlaps the
pwrite of window k, through two buffers and one writer thread; the file is
byte for byte the one serial writes give, and a write error or a fill error
stops the writer and leaves nothing."""
from __future__ import annotations

import errno
import threading
import time

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi
import weightinit._files as files
import weightinit.safetensors as st

pytest.importorskip("safetensors", reason=missing("safetensors", TEST))
from safetensors import safe_open  # noqa: E402

SPECS = {"emb": {"shape": [300, 70], "init": "he_normal", "dtype": "bfloat16"},
         "w": {"shape": [64, 33, 3], "init": "glorot_uniform", "dtype": "float32"},
         "q": {"shape": [48, 48], "init": "orthogonal", "dtype": "float64"},
         "b": {"shape": [33], "init": "zeros", "dtype": "float16"},
         "n": {"shape": [129], "init": {"name": "random_normal", "stddev": 0.5}}}


class SerialWriter:
    """WindowWriter's interface, each window written before the next is
    filled, in one thread: the reference."""

    def __init__(self, fd, *, window_bytes, write=None, direct=False):
        self.fd = fd

    def take(self, nbytes, offset=0):
        return np.empty(nbytes, np.uint8)

    def submit(self, buf, offset):
        files.pwrite_all(self.fd, buf, offset)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def _writer_threads():
    return [t for t in threading.enumerate() if t.name == "weightinit-writer"]


@pytest.mark.parametrize("window", [1000, 4096, 64 << 20])
def test_overlapped_writes_give_the_bytes_of_serial_writes(tmp_path, monkeypatch, window):
    monkeypatch.setattr(st, "_WINDOW_BYTES", window)
    wi.save_safetensors(tmp_path / "overlapped.safetensors", SPECS, seed=7)
    monkeypatch.setattr(st, "WindowWriter", SerialWriter)
    wi.save_safetensors(tmp_path / "serial.safetensors", SPECS, seed=7)
    assert ((tmp_path / "overlapped.safetensors").read_bytes()
            == (tmp_path / "serial.safetensors").read_bytes())


def test_values_equal_the_in_memory_initializers(tmp_path, monkeypatch):
    """With tiny windows and a slow disk (the filler waits on the writer
    at every window), each tensor is still the whole-array call's result."""
    monkeypatch.setattr(st, "_WINDOW_BYTES", 512)
    real = st.pwrite_all

    def slow(fd, data, offset):
        time.sleep(0.0005)
        real(fd, data, offset)

    monkeypatch.setattr(st, "pwrite_all", slow)
    seed = np.random.SeedSequence(1234)
    wi.save_safetensors(tmp_path / "m.safetensors", SPECS, seed=seed)
    with safe_open(str(tmp_path / "m.safetensors"), "np") as f:
        for name, spec in SPECS.items():
            init = spec["init"] if isinstance(spec["init"], str) else spec["init"]["name"]
            params = {} if isinstance(spec["init"], str) else {
                k: v for k, v in spec["init"].items() if k != "name"}
            want = getattr(wi, init)(tuple(spec["shape"]), seed=seed, stream=name,
                                     dtype=spec.get("dtype", "float32"), **params)
            got = f.get_tensor(name)
            assert got.tobytes() == want.tobytes(), name


def test_at_most_two_windows_are_in_flight(tmp_path, monkeypatch):
    """Two buffers: a fill never runs more than one window ahead of the
    writes (the RAM bound), and the buffers are reused."""
    monkeypatch.setattr(st, "_WINDOW_BYTES", 4096)
    state = {"taken": 0, "written": 0, "ahead": 0, "buffers": set()}
    real_take, real_write = files.WindowWriter.take, st.pwrite_all

    def take(self, nbytes, offset=0):
        buf = real_take(self, nbytes, offset)
        state["taken"] += 1
        state["ahead"] = max(state["ahead"], state["taken"] - state["written"])
        state["buffers"].add(buf.__array_interface__["data"][0])
        return buf

    def write(fd, data, offset):
        time.sleep(0.001)   # a slow disk: the filler gets ahead if it can
        real_write(fd, data, offset)
        state["written"] += offset > 0   # not the header

    monkeypatch.setattr(files.WindowWriter, "take", take)
    monkeypatch.setattr(st, "pwrite_all", write)
    wi.save_safetensors(tmp_path / "m.safetensors",
                        {"w": {"shape": [256, 256], "init": "he_normal"}}, seed=0)
    assert state["taken"] == 64 and state["written"] == 64
    assert state["ahead"] <= 2          # one being written, one being filled
    assert len(state["buffers"]) == 2


def test_a_write_error_mid_file_is_raised_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", 4096)
    real, calls = st.pwrite_all, {"n": 0}

    def full(fd, data, offset):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data, offset)

    monkeypatch.setattr(st, "pwrite_all", full)
    out = tmp_path / "m.safetensors"
    with pytest.raises(OSError) as info:
        wi.save_safetensors(out, {"w": {"shape": [256, 256], "init": "he_normal"}}, seed=0)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(out)
    assert list(tmp_path.iterdir()) == []
    assert _writer_threads() == []


def test_a_fill_error_stops_the_writer_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", 4096)
    real, calls = files.WindowWriter.submit, {"n": 0}

    def interrupted(self, buf, offset):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real(self, buf, offset)

    monkeypatch.setattr(files.WindowWriter, "submit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        wi.save_safetensors(tmp_path / "m.safetensors",
                            {"w": {"shape": [256, 256], "init": "he_normal"}}, seed=0)
    assert list(tmp_path.iterdir()) == []
    assert _writer_threads() == []


def test_fsync_once_per_file(tmp_path, monkeypatch):
    calls = []
    real = files.os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    monkeypatch.setattr(st, "_WINDOW_BYTES", 4096)
    wi.save_safetensors(tmp_path / "m.safetensors",
                        {"w": {"shape": [256, 256], "init": "he_normal"}}, seed=0)
    assert len(calls) == 2   # the file, once; then its folder (the new name)


def test_key_and_stream_are_derived_once_per_tensor(tmp_path, monkeypatch):
    """Not per window: a stream name is a SHA-256, a SeedSequence's key a
    generate_state call."""
    import weightinit._stream as stream
    monkeypatch.setattr(st, "_WINDOW_BYTES", 1024)
    seen = {"stream": 0, "key": 0}
    real_stream, real_key = stream.stream_id, stream.key_from_seed

    def counted_stream(s):
        seen["stream"] += isinstance(s, str)
        return real_stream(s)

    def counted_key(s):
        seen["key"] += isinstance(s, np.random.SeedSequence)
        return real_key(s)

    import weightinit.initializers as inits
    for module in (st, inits):
        monkeypatch.setattr(module, "stream_id", counted_stream)
        monkeypatch.setattr(module, "key_from_seed", counted_key)
    wi.save_safetensors(tmp_path / "m.safetensors",
                        {"w": {"shape": [64, 64], "init": "he_normal"}},   # 16 windows
                        seed=np.random.SeedSequence(3))
    assert seen["stream"] <= 2 and seen["key"] <= 3   # validation and the tensor, not 16
