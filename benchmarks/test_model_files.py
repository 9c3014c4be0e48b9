"""pytest-benchmark: the main job (``python -m weightinit``: the shipped 1.3 B
bfloat16 spec into one 2.63 GB file, fsynced) against
``dd if=/dev/zero bs=64M count=N conv=fsync`` of the same size on the same
disk, in one group, interleaved round by round (the machine is noisy).

Run: ``python -m pytest benchmarks/test_model_files.py --benchmark-group-by=group``
(add ``--benchmark-columns=min,median,max``). Both run as fresh processes,
as a user runs them; the main job's time includes Python's start and the
imports. Nothing here asserts a timing: the target (main job <= 1.3x dd) is
read off the table. ``WEIGHTINIT_BENCH_DIR`` picks the folder (default: a
temporary folder, on the disk of ``$TMPDIR``).
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from weightinit.cli import MAIN_OUTPUT, MAIN_SPEC, SPECS_DIR
from weightinit.safetensors import load_spec_file, validate_specs

DD_BLOCK = 64 << 20


def _main_job_bytes() -> int:
    _, specs = load_spec_file(SPECS_DIR / f"{MAIN_SPEC}.json")
    return sum(math.prod(t["shape"]) * t["dtype"].itemsize for t in validate_specs(specs).values())


@pytest.fixture(scope="module")
def folder():
    base = os.environ.get("WEIGHTINIT_BENCH_DIR")
    path = Path(tempfile.mkdtemp(prefix="weightinit-bench-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _run(argv, cwd):
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main_job(folder):
    _run([sys.executable, "-m", "weightinit", "--force"], folder)


def dd(folder, count):
    _run(["dd", "if=/dev/zero", f"of={folder / 'dd.bin'}", f"bs={DD_BLOCK}", f"count={count}",
          "conv=fsync"], folder)


def _clean(folder):
    for name in (MAIN_OUTPUT, "dd.bin"):
        (folder / name).unlink(missing_ok=True)
    return (), {}


@pytest.mark.parametrize("case", ["dd conv=fsync", "python -m weightinit"])
def test_main_job_vs_dd(benchmark, folder, case):
    if shutil.which("dd") is None:
        pytest.skip("dd is not installed")
    nbytes = _main_job_bytes()
    count = -(-nbytes // DD_BLOCK)   # at least as many bytes as the model file
    benchmark.group = f"main job 1.3B bf16 ({nbytes / 1e9:.2f} GB) vs dd"
    benchmark.extra_info["bytes"] = nbytes if case != "dd conv=fsync" else count * DD_BLOCK
    fn = (lambda: dd(folder, count)) if case == "dd conv=fsync" else (lambda: main_job(folder))
    benchmark.pedantic(fn, setup=lambda: _clean(folder), rounds=5, iterations=1)
