"""pytest-benchmark: transformers' from_config of a 0.94 B-parameter Llama
(hidden 2048, intermediate 5504, 16 layers, 16 heads, vocab 32000, float32)
under weightinit.torch.fast_init against plain torch, 2 threads, in one group.

Run: ``python -m pytest benchmarks/test_fast_init_speed.py
--benchmark-group-by=group``. Each round builds a new model in this process;
the peak memory above the parameters is measured in a fresh process
(weightinit._bench_torch) and recorded as extra_info. Nothing here asserts a
timing: the target (>= 10x) is read off the table, and off
``weightinit bench --torch``, which measures the same calls.
"""
import gc

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from weightinit import _bench_torch  # noqa: E402
from weightinit.torch import fast_init  # noqa: E402

THREADS = 2
transformers.logging.set_verbosity_error()


def build():
    config = transformers.LlamaConfig(dtype="float32", **_bench_torch.LLAMA_1B)
    return transformers.AutoModelForCausalLM.from_config(config)


def plain():
    return build()


def fast():
    with fast_init(0, threads=THREADS):
        return build()


@pytest.mark.parametrize("path", ["plain", "fast_init"])
def test_from_config_llama_1b(benchmark, path):
    torch.set_num_threads(THREADS)
    benchmark.group = "from_config-llama-0.94B-float32"
    fresh = _bench_torch.run_one(path, THREADS)
    benchmark.extra_info["peak_extra_mib"] = fresh["peak_extra_bytes"] / 2**20
    benchmark.extra_info["fresh_process_seconds"] = fresh["seconds"]
    benchmark.pedantic({"plain": plain, "fast_init": fast}[path], setup=gc.collect,
                       rounds=3, iterations=1)
