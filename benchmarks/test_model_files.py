"""pytest-benchmark: the main job (``python -m weightinit``: the shipped 1.3 B
bfloat16 spec into one 2.63 GB file, fsynced) against
``dd if=/dev/zero bs=64M count=N conv=fsync`` of the same size on the same
disk, in one group (each case's rounds in turn; the machine is noisy); and
``weightinit init --from-hf`` of a 0.94 B-parameter Llama config (hidden
2048, intermediate 5504, 16 layers, 16 heads, vocabulary 32000; bfloat16,
``--max-shard-size 1GB``, two shards), cold (an empty recorded-spec cache:
torch and transformers imported) and warm (the cache has the config),
against dd of the same bytes, with the command's peak RSS (``/usr/bin/time
-f %M`` of the process itself: a child's ``ru_maxrss`` would count pytest's
RSS at the fork) in ``extra_info``. Targets: main job <= 1.3x dd; from-hf
<= 1.5x dd and <= 300 MiB.

Run: ``python -m pytest benchmarks/test_model_files.py --benchmark-group-by=group``
(add ``--benchmark-columns=min,median,max``). Both run as fresh processes,
as a user runs them; the main job's time includes Python's start and the
imports. Nothing here asserts a timing: the target (main job <= 1.3x dd) is
read off the table. ``WEIGHTINIT_BENCH_DIR`` picks the folder (default: a
temporary folder, on the disk of ``$TMPDIR``).
"""
import json
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


LLAMA_1B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
    "intermediate_size": 5504, "num_hidden_layers": 16, "num_attention_heads": 16,
    "num_key_value_heads": 16, "vocab_size": 32000, "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
}
LLAMA_PARAMS = 940_640_256   # embedding + 16 layers + norm + lm_head, bfloat16: 2 bytes each
TIME = "/usr/bin/time"


def from_hf(folder, config, rss):
    argv = [sys.executable, "-m", "weightinit", "init", "--from-hf", str(config),
            "-o", str(folder / "llama"), "--dtype", "bfloat16", "--seed", "0",
            "--max-shard-size", "1GB", "--quiet", "--force"]
    if os.access(TIME, os.X_OK):
        argv = [TIME, "-f", "%M", "-o", str(folder / "rss.txt")] + argv
    env = {**os.environ, "WEIGHTINIT_CACHE_DIR": str(folder / "cache")}
    subprocess.run(argv, cwd=folder, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)
    if (folder / "rss.txt").exists():
        rss.append(int((folder / "rss.txt").read_text().split()[-1]) / 1024)   # KiB -> MiB


def _clean_hf(folder, cold):
    shutil.rmtree(folder / "llama", ignore_errors=True)
    if cold:
        shutil.rmtree(folder / "cache", ignore_errors=True)
    (folder / "dd.bin").unlink(missing_ok=True)
    return (), {}


@pytest.mark.parametrize("case", ["dd conv=fsync", "weightinit init --from-hf cold",
                                  "weightinit init --from-hf warm"])
def test_from_hf_vs_dd(benchmark, folder, case):
    if shutil.which("dd") is None:
        pytest.skip("dd is not installed")
    pytest.importorskip("transformers")
    config = folder / "llama_1b.json"
    config.write_text(json.dumps(LLAMA_1B))
    nbytes = LLAMA_PARAMS * 2
    count = -(-nbytes // DD_BLOCK)
    benchmark.group = f"init --from-hf Llama 0.94B bf16 ({nbytes / 1e9:.2f} GB, 1GB shards) vs dd"
    benchmark.extra_info["bytes"] = nbytes if case != "dd conv=fsync" else count * DD_BLOCK
    rss: list[float] = []
    if case == "dd conv=fsync":
        fn = lambda: dd(folder, count)   # noqa: E731
    else:
        fn = lambda: from_hf(folder, config, rss)   # noqa: E731
    cold = case.endswith("cold")
    if case.endswith("warm"):
        from_hf(folder, config, [])   # the cache entry
    benchmark.pedantic(fn, setup=lambda: _clean_hf(folder, cold), rounds=5, iterations=1)
    if rss:
        benchmark.extra_info["peak_rss_mib"] = max(rss)
        benchmark.extra_info["peak_rss_mib_median"] = sorted(rss)[len(rss) // 2]
