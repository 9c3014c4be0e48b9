"""File faults (docs/contract.md 7): files are written through private temporaries
and never replace or corrupt another file.

- a full disk (a small tmpfs, mounted when the test runs as root) is a clean
  OSError before anything is created, or while writing, with nothing left;
- a symlink planted at every temporary name the writer could choose is never
  followed (the names come from ``_files._random_token``, patched here);
- a file created under the final name while ours is written is kept;
- two saves to one path, from two threads or two processes, never mix;
- SIGKILL at random points leaves no file under the final name, only a
  temporary with the documented name;
- a shape of 2**60 elements is refused without allocating.

Each writer is tested in both formats (safetensors, and .npy through the CLI).
"""
from __future__ import annotations

import errno
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi
import weightinit._files as files
from weightinit.cli import main as cli_main

safetensors = pytest.importorskip("safetensors", reason=missing("safetensors", TEST))
from safetensors import safe_open  # noqa: E402

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics and signals")
SPEC = {"w": {"shape": [256, 64], "init": "he_normal", "dtype": "float32"},
        "b": {"shape": [64], "init": "zeros"}}


def _save_safetensors(path, force=False, seed=0):
    wi.save_safetensors(path, SPEC, seed=seed, force=force)


def _save_npy(path, force=False, seed=0):
    argv = ["tensor", "he_normal", "--shape", "256", "64", "-o", str(path), "--seed", str(seed),
            "--quiet"] + (["--force"] if force else [])
    code = cli_main(argv)
    if code == 2:
        raise FileExistsError(path)
    if code:
        raise OSError(f"exit code {code}")


WRITERS = {".safetensors": _save_safetensors, ".npy": _save_npy}


def _expected_npy(seed=0):
    return wi.he_normal((256, 64), seed=seed, stream=0)


def _is_complete(path: Path, seed=0) -> bool:
    if path.suffix == ".npy":
        return np.array_equal(np.load(path), _expected_npy(seed))
    with safe_open(str(path), "np") as f:
        return np.array_equal(f.get_tensor("w"), wi.he_normal((256, 64), seed=seed, stream="w"))


def _temporaries(folder: Path):
    return sorted(p.name for p in folder.iterdir() if ".weightinit-" in p.name)


# -- a full disk ---------------------------------------------------------------

@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MiB tmpfs: a real filesystem that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs (run the tests as root, as CI does)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"could not mount a tmpfs ({done.stderr.strip()}): needs root with "
                    "CAP_SYS_ADMIN, as in CI")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


BIG = ["tensor", "ones", "--shape", "1024", "1024", "--quiet"]     # 4 MiB > 1 MiB


@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_full_disk_is_refused_before_creating_anything(small_tmpfs, capsys, suffix):
    out = small_tmpfs / f"x{suffix}"
    assert cli_main(BIG + ["-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("weightinit: error: ") and str(out) in err and "free" in err
    assert list(small_tmpfs.iterdir()) == []


@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_disk_filling_up_while_writing_is_a_clean_oserror(small_tmpfs, capsys, monkeypatch,
                                                          suffix):
    """The free-space check passes (another writer fills the disk meanwhile,
    here: statvfs reports plenty): the writes fail with ENOSPC, and the
    command exits 1 naming the file, leaving nothing. (The .npy path used a
    memory map: the process died of SIGBUS with a 4 MiB temporary left.)"""
    class Plenty:
        f_bavail, f_frsize = 1 << 40, 1
    monkeypatch.setattr(files.os, "statvfs", lambda folder: Plenty)
    out = small_tmpfs / f"x{suffix}"
    assert cli_main(BIG + ["-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err
    assert list(small_tmpfs.iterdir()) == []
    with pytest.raises(OSError) as info:
        wi.save_safetensors(small_tmpfs / "m.safetensors",
                            {"w": {"shape": [1024, 1024], "init": "ones"}}, seed=0)
    assert info.value.errno == errno.ENOSPC
    assert list(small_tmpfs.iterdir()) == []


NPY_FULL_CHILD = textwrap.dedent("""
    import sys
    import weightinit._files as files
    class Plenty:
        f_bavail, f_frsize = 1 << 40, 1
    files.os.statvfs = lambda folder: Plenty
    from weightinit.cli import main
    sys.exit(main(["tensor", "ones", "--shape", "1024", "1024", "--quiet", "-o", sys.argv[1]]))
""")


@posix_only
def test_npy_on_a_full_disk_does_not_die_of_sigbus(small_tmpfs):
    """In a child process, so that a SIGBUS (a memory-mapped write to a full
    tmpfs) shows as a failure instead of killing pytest."""
    done = subprocess.run([sys.executable, "-c", NPY_FULL_CHILD, str(small_tmpfs / "x.npy")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert list(small_tmpfs.iterdir()) == []


@posix_only
def test_read_only_folder_and_missing_folder_exit_1(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "m.safetensors"
    assert cli_main(["init", "mlp_small", "-o", str(missing), "--quiet"]) == 1
    assert "does not exist" in capsys.readouterr().err
    folder = tmp_path / "m.safetensors"
    folder.mkdir()
    assert cli_main(["init", "mlp_small", "-o", str(folder), "--quiet"]) == 1
    assert "is a folder" in capsys.readouterr().err


@posix_only
def test_read_only_filesystem_exits_1(small_tmpfs, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    out = small_tmpfs / "m.safetensors"
    assert cli_main(["tensor", "zeros", "--shape", "4", "-o", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("weightinit: error: ") and "Read-only file system" in err
    assert list(small_tmpfs.iterdir()) == []


# -- symlinks at the temporary names ------------------------------------------------

@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_symlink_at_every_temporary_name_is_never_followed(tmp_path, monkeypatch, suffix):
    """The name source yields 5 tokens; a symlink to a victim file is planted
    at each name they give (and at the old ``.NAME.<pid>.tmp``): the save
    fails cleanly and the victim is untouched. With one name left free, the
    save succeeds there and still follows no link."""
    tokens = [f"tok{i:05d}" for i in range(5)]
    monkeypatch.setattr(files, "_ATTEMPTS", len(tokens))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / f"m{suffix}"
    names = [out.with_name(files.TEMP_PATTERN.format(name=out.name, token=t)) for t in tokens]
    old_style = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    for name in names + [old_style, out.with_name(f".{out.name}.{os.getpid()}.tmp.npy")]:
        name.symlink_to(victim)

    monkeypatch.setattr(files, "_random_token", iter(tokens).__next__)
    with pytest.raises((FileExistsError, OSError)):
        WRITERS[suffix](out)
    assert victim.read_text() == "precious\n"
    assert not os.path.lexists(out)

    names[-1].unlink()                      # one name free: the last one tried
    monkeypatch.setattr(files, "_random_token", iter(tokens).__next__)
    WRITERS[suffix](out)
    assert victim.read_text() == "precious\n"
    assert out.is_file() and not out.is_symlink() and _is_complete(out)
    assert all(n.is_symlink() for n in names[:-1])      # the planted links are left alone
    assert not os.path.lexists(names[-1])


@posix_only
def test_temporary_names_have_the_documented_pattern(tmp_path):
    names = list(itertools.islice(files.temporary_names(tmp_path / "m.safetensors"), 50))
    assert len(set(names)) == 50
    for name in names:
        assert name.parent == tmp_path
        head, token = name.name[:-len(".tmp")].split(".weightinit-")
        assert head == ".m.safetensors" and len(token) == 8 and token.isalnum()


# -- a file created under the final name while ours is written ---------------------

@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_file_created_meanwhile_is_kept_unless_force(tmp_path, monkeypatch, suffix):
    """force=False was checked only before generating: a file created during
    the write was then replaced. The rule now holds at publication."""
    import weightinit.safetensors as st
    out = tmp_path / f"m{suffix}"
    real = st._write_tensor

    def other_writer_appears(*args, **kwargs):
        if not out.exists():
            out.write_text("someone else's\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "_write_tensor", other_writer_appears)
    with pytest.raises((FileExistsError, OSError)):
        WRITERS[suffix](out)
    assert out.read_text() == "someone else's\n"
    assert _temporaries(tmp_path) == []
    WRITERS[suffix](out, force=True)
    assert _is_complete(out)


# -- two saves to one path -------------------------------------------------------------

@posix_only
def test_two_threads_saving_to_one_path_never_mix(tmp_path):
    """They shared one temporary name (.NAME.<pid>.tmp): a file could hold
    parts of both seeds. Each now has its own; the result is one seed whole."""
    out = tmp_path / "m.safetensors"
    spec = {f"t{i}": {"shape": [512, 512], "init": "he_normal"} for i in range(8)}
    for force in (True, False):
        results = {}

        def save(seed):
            try:
                wi.save_safetensors(out, spec, seed=seed, force=force, threads=1)
                results[seed] = "ok"
            except FileExistsError:
                results[seed] = "exists"

        threads = [threading.Thread(target=save, args=(seed,)) for seed in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with safe_open(str(out), "np") as f:
            seed = int(f.metadata()["weightinit.seed"])
            assert seed in (1, 2)
            for name in spec:
                np.testing.assert_array_equal(
                    f.get_tensor(name), wi.he_normal((512, 512), seed=seed, stream=name))
        if force:
            assert results == {1: "ok", 2: "ok"}
        else:
            assert sorted(results.values()) == ["exists", "ok"] and results[seed] == "ok"
        assert _temporaries(tmp_path) == []
        out.unlink()


@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_two_processes_saving_to_one_path(tmp_path, suffix):
    """Without --force exactly one wins and the other exits 2 (it was
    silently replaced before); with --force both finish and the file is one
    of them, whole."""
    out = tmp_path / f"m{suffix}"
    for force in (False, True):
        argv = lambda seed: [sys.executable, "-m", "weightinit", "tensor", "he_normal",   # noqa: E731
                             "--shape", "8192", "2048", "-o", str(out), "--seed", str(seed),
                             "--threads", "1", "--quiet"] + (["--force"] * force)
        # about a second of filling each (scalar kernel, one thread): the two overlap
        env = dict(os.environ, WEIGHTINIT_ISA="scalar")
        children = [subprocess.Popen(argv(seed), stderr=subprocess.PIPE, text=True, env=env)
                    for seed in (1, 2)]
        codes = [c.wait(timeout=120) for c in children]
        errs = [c.stderr.read() for c in children]
        if force:
            assert codes == [0, 0], errs
        else:
            assert sorted(codes) == [0, 2], errs
            assert "exists" in errs[codes.index(2)] or "created by someone else" in errs[codes.index(2)]
        if suffix == ".npy":
            got = np.load(out)
            assert any(np.array_equal(got, wi.he_normal((8192, 2048), seed=s)) for s in (1, 2))
        else:
            with safe_open(str(out), "np") as f:
                got = f.get_tensor("m")
            assert any(np.array_equal(got, wi.he_normal((8192, 2048), seed=s, stream="m"))
                       for s in (1, 2))
        assert _temporaries(tmp_path) == []
        out.unlink()


# -- SIGKILL --------------------------------------------------------------------------------

PACED_CHILD = textwrap.dedent("""
    # The CLI, with every positioned write reported on stdout and held until
    # the parent answers on stdin: the parent kills it at an exact point.
    import os, sys
    import weightinit._npy as npy
    import weightinit.safetensors as st
    from weightinit._files import pwrite_all
    st._WINDOW_BYTES = 1 << 20
    def paced(fd, data, offset):
        pwrite_all(fd, data, offset)
        os.write(1, b"w")
        os.read(0, 1)
    st.pwrite_all = npy.pwrite_all = paced
    from weightinit.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@posix_only
@pytest.mark.parametrize("suffix", [".safetensors", ".npy"])
def test_sigkill_at_random_points_leaves_no_file_under_the_final_name(tmp_path, suffix):
    """SIGKILL at 8 seeded random points of a write (before the first write,
    or right after write k of the header and the 1 MiB windows): nothing
    under the final name, at most a temporary with the documented pattern.
    A run let through to the end gives the complete file."""
    spec = {"seed": 3, "tensors": {f"layer{i}": {"shape": [256, 1024], "init": "he_normal"}
                                   for i in range(16)}}
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    writes = 17 if suffix == ".safetensors" else 9        # the header, then 1 MiB windows

    def start(out):
        if suffix == ".npy":
            argv = ["tensor", "he_normal", "--shape", "2048", "1024", "--seed", "3", "-o", str(out)]
        else:
            argv = ["init", str(spec_path), "-o", str(out)]
        return subprocess.Popen([sys.executable, "-c", PACED_CHILD, *argv, "--quiet"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, bufsize=0)

    rng = random.Random(20240917 + len(suffix))
    points = sorted(rng.sample(range(-1, writes), 8))
    for run, point in enumerate(points):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        out = folder / f"big{suffix}"
        child = start(out)
        if point < 0:
            time.sleep(rng.uniform(0.0, 0.3))                 # during start-up
        else:
            for _ in range(point):
                assert child.stdout.read(1) == b"w"
                child.stdin.write(b"k")
            assert child.stdout.read(1) == b"w"               # write point + 1 is done
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert not os.path.lexists(out), f"killed at point {point}: a file under the final name"
        for p in folder.iterdir():
            assert p.name.startswith(f".{out.name}.weightinit-") and p.name.endswith(".tmp"), p

    out = tmp_path / f"whole{suffix}"
    child = start(out)
    for _ in range(writes):
        assert child.stdout.read(1) == b"w"
        child.stdin.write(b"k")
    assert child.wait(timeout=60) == 0
    if suffix == ".npy":
        np.testing.assert_array_equal(np.load(out), wi.he_normal((2048, 1024), seed=3))
    else:
        with safe_open(str(out), "np") as f:
            assert sorted(f.keys()) == sorted(spec["tensors"])
            np.testing.assert_array_equal(f.get_tensor("layer15"),
                                          wi.he_normal((256, 1024), seed=3, stream="layer15"))


# -- sizes that cannot be files -------------------------------------------------------------

HUGE_CHILD = textwrap.dedent("""
    import resource, sys
    import weightinit as wi
    from weightinit.safetensors import _windows
    # the address space this process has now, plus 512 MiB: no room for a plan
    with open("/proc/self/status") as f:
        vm = next(int(l.split()[1]) for l in f if l.startswith("VmSize:")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + (512 << 20), vm + (512 << 20)))
    first = list(zip(range(3), _windows((2**30, 2**30), 16 << 20)))
    print(first[2][1])
    try:
        wi.save_safetensors(sys.argv[1], {"w": {"shape": [2**30, 2**30], "init": "he_normal"}},
                            seed=0)
    except OSError as err:
        print("OSError", err.errno)
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_huge_shape_fails_fast_without_allocating(tmp_path):
    """(2**30, 2**30): the window plan is arithmetic (the old one took 24 GB,
    here a MemoryError under a 512 MiB allowance), and the 4 EiB file is
    refused by the free-space check before anything is created."""
    done = subprocess.run([sys.executable, "-c", HUGE_CHILD, str(tmp_path / "m.safetensors")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    third, result = done.stdout.split("\n")[:2]
    assert third == "(slice(0, 1, None), slice(33554432, 50331648, None))"
    assert result == f"OSError {errno.ENOSPC}"
    assert list(tmp_path.iterdir()) == []


def test_file_larger_than_an_offset_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"more than a file can hold"):
        wi.save_safetensors(tmp_path / "m.safetensors",
                            {f"w{i}": {"shape": [2**31, 2**31], "init": "zeros"} for i in range(2)},
                            seed=0)
    assert list(tmp_path.iterdir()) == []
