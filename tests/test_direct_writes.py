"""Direct writes (weightinit._direct_io): large windows reach the file through
O_DIRECT in whole aligned blocks, their unaligned ends and small windows
buffered; the file is byte for byte the one buffered writes give, a
filesystem that refuses O_DIRECT gets buffered writes, and a write error
leaves nothing."""
from __future__ import annotations

import errno
import os
import threading

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi
import weightinit._direct_io as dio
import weightinit._files as files
import weightinit.safetensors as st

pytest.importorskip("safetensors", reason=missing("safetensors", TEST))

# Offsets that fall inside blocks: a header of whatever length, then a
# bfloat16 tensor of an odd byte count (every later tensor is unaligned).
SPECS = {"big": {"shape": [1531, 1025], "init": "he_normal"},
         "odd": {"shape": [777, 1001], "init": "glorot_uniform", "dtype": "bfloat16"},
         "small": {"shape": [3, 5], "init": "ones", "dtype": "bfloat16"}}
WINDOW = 3 << 20   # several windows per tensor, each above MIN_DIRECT_BYTES


def _direct_supported(folder) -> bool:
    fd = os.open(folder / "probe", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        direct = dio._open_direct(fd)
        if direct is None:
            return False
        os.close(direct)
        return True
    finally:
        os.close(fd)
        os.unlink(folder / "probe")


def _buffered_copy(tmp_path, monkeypatch, name="buffered.safetensors"):
    with monkeypatch.context() as m:
        m.setattr(dio, "_open_direct", lambda fd: None)
        wi.save_safetensors(tmp_path / name, SPECS, seed=3)
    return (tmp_path / name).read_bytes()


def _count_direct(monkeypatch):
    calls = []
    real = dio._pwrite_direct

    def counted(fd, view, offset):
        calls.append((offset, view.nbytes))
        return real(fd, view, offset)

    monkeypatch.setattr(dio, "_pwrite_direct", counted)
    return calls


def test_direct_writes_give_the_bytes_of_buffered_writes(tmp_path, monkeypatch):
    if not _direct_supported(tmp_path):
        pytest.skip(f"the filesystem of {tmp_path} refuses O_DIRECT")
    monkeypatch.setattr(st, "_WINDOW_BYTES", WINDOW)
    want = _buffered_copy(tmp_path, monkeypatch)
    calls = _count_direct(monkeypatch)
    wi.save_safetensors(tmp_path / "direct.safetensors", SPECS, seed=3)
    assert (tmp_path / "direct.safetensors").read_bytes() == want
    assert calls, "no window went through O_DIRECT"
    assert all(offset % dio.ALIGN == 0 and n % dio.ALIGN == 0 for offset, n in calls)
    direct_bytes = sum(n for _, n in calls)
    assert direct_bytes > 0.99 * len(want)   # all but the blocks shared by neighbours


def test_a_filesystem_refusing_o_direct_gets_buffered_writes(tmp_path, monkeypatch):
    """EINVAL at the first direct write (as tmpfs or FUSE say it): that
    window and every later one buffered, same bytes."""
    monkeypatch.setattr(st, "_WINDOW_BYTES", WINDOW)
    want = _buffered_copy(tmp_path, monkeypatch)
    calls = []

    def refused(fd, view, offset):
        calls.append(offset)
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(dio, "_open_direct", lambda fd: os.dup(fd))
    monkeypatch.setattr(dio, "_pwrite_direct", refused)
    wi.save_safetensors(tmp_path / "refused.safetensors", SPECS, seed=3)
    assert (tmp_path / "refused.safetensors").read_bytes() == want
    assert len(calls) == 1


@pytest.mark.parametrize("written", [dio.ALIGN, 5000, 0])
def test_short_direct_writes_are_completed(tmp_path, monkeypatch, written):
    """A direct write may write less: whole blocks go on direct, an odd
    count or nothing leaves the rest of the window to buffered writes.
    (A dup'ed plain descriptor stands in for the direct one, so odd
    counts can be written.)"""
    monkeypatch.setattr(st, "_WINDOW_BYTES", WINDOW)
    want = _buffered_copy(tmp_path, monkeypatch)

    def short(fd, view, offset):
        return os.pwrite(fd, view[:written], offset)

    monkeypatch.setattr(dio, "_open_direct", lambda fd: os.dup(fd))
    monkeypatch.setattr(dio, "_pwrite_direct", short)
    wi.save_safetensors(tmp_path / "short.safetensors", SPECS, seed=3)
    assert (tmp_path / "short.safetensors").read_bytes() == want


def test_a_direct_write_error_is_raised_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", WINDOW)
    calls = {"n": 0}

    def full(fd, view, offset):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.pwrite(fd, view, offset)

    monkeypatch.setattr(dio, "_open_direct", lambda fd: os.dup(fd))
    monkeypatch.setattr(dio, "_pwrite_direct", full)
    out = tmp_path / "m.safetensors"
    with pytest.raises(OSError) as info:
        wi.save_safetensors(out, SPECS, seed=3)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(out)
    assert list(tmp_path.iterdir()) == []
    assert [t for t in threading.enumerate() if t.name == "weightinit-writer"] == []


def test_the_direct_descriptor_is_closed(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", WINDOW)
    opened = []

    def tracked(fd):
        opened.append(os.dup(fd))
        return opened[-1]

    monkeypatch.setattr(dio, "_open_direct", tracked)
    wi.save_safetensors(tmp_path / "m.safetensors", SPECS, seed=3)
    assert len(opened) == 1
    with pytest.raises(OSError) as info:
        os.fstat(opened[0])
    assert info.value.errno == errno.EBADF


@pytest.mark.parametrize("offset", [0, 1, 100, dio.ALIGN - 1, 12345])
def test_window_buffers_sit_at_their_offsets_address_phase(offset):
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        with files.WindowWriter(fd, window_bytes=1 << 16) as writer:
            for nbytes in (1000, 1 << 16, 1 << 17):   # the last: larger than a window
                buf = writer.take(nbytes, offset)
                assert buf.nbytes == nbytes and buf.ctypes.data % dio.ALIGN == offset % dio.ALIGN
                writer.submit(buf, offset)
    finally:
        os.close(fd)


def test_small_windows_are_written_buffered_whole(tmp_path, monkeypatch):
    calls = _count_direct(monkeypatch)
    data = np.arange(dio.MIN_DIRECT_BYTES - 1, dtype=np.uint64).astype(np.uint8)
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        writes = dio.DirectWrites(fd, files.pwrite_all)
        writes(data, 0)
        writes.close()
        assert os.pread(fd, data.nbytes + 1, 0) == data.tobytes()
    finally:
        os.close(fd)
    assert calls == []
