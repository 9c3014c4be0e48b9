"""PyTorch init at model scale: weightinit.torch.init_module against torch's own
reset_parameters, one process against FSDP2 ranks, and the peak memory above
the parameters. Nothing here asserts a timing.

    python benchmarks/torch_init.py            # the table (a few minutes, 8 GB of RAM)
    python benchmarks/torch_init.py --quick    # GPT-2 small only

Rows:

* ``init_module`` of a GPT-2-small-like model (124 M parameters, float32,
  ``nn.Embedding``/``nn.Linear``/``nn.LayerNorm``, head tied to the token
  embedding) against calling each module's own ``reset_parameters``; the two
  alternate in one process, median of 3, both on 2 threads.
* A Llama-like model of 0.94 B parameters (hidden 2048, intermediate 5504,
  16 layers, vocab 32000, float32) built on the meta device and moved with
  ``to_empty``, each measurement in fresh processes: one process filling all
  of it (2 threads), then FSDP2 (``fully_shard`` per layer, gloo, 2 ranks)
  with each rank filling its own shards. The first fill after ``to_empty``
  ("cold", as in real use) also pays the kernel's page faults on the new
  memory; a second fill ("warm") is the fill alone. On a 2-core machine two
  concurrent ranks share the cores, so the ranks are timed twice: in turns
  (one rank fills while the other sleeps in a store wait, each with 2
  threads: a rank on a machine of its own) and concurrently (1 thread each:
  the cores shared). The rounds alternate the cases; medians are shown.
* Peak memory: the high-water mark of the resident set during the fill
  minus the resident set before it (``/proc/self/clear_refs``), less the
  bytes of parameters first touched by the fill: what the fill allocates
  beyond the parameters themselves.

``benchmarks/test_torch_init.py`` runs the in-process rows under
pytest-benchmark.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch

import weightinit.torch as wit

nn = torch.nn
SEED = 0
THREADS = 2


# -- models ----------------------------------------------------------------------

class GPT2Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)


class GPT2Small(nn.Module):
    """GPT-2 small's parameters (124 M) in torch.nn modules, head tied."""

    def __init__(self, vocab=50257, d=768, layers=12, positions=1024):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
        self.h = nn.ModuleList(GPT2Block(d) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight


class LlamaLayer(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = nn.RMSNorm(d), nn.RMSNorm(d)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (
            nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate_proj, self.up_proj = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)


class Llama1B(nn.Module):
    """The issue's Llama config (0.94 B parameters) in torch.nn modules."""

    def __init__(self, vocab=32000, d=2048, ff=5504, layers=16):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(LlamaLayer(d, ff) for _ in range(layers))
        self.norm = nn.RMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)


def on_meta(build):
    """``build()`` on the meta device, moved with ``to_empty``: nothing touched yet."""
    with torch.device("meta"):
        model = build()
    tied = getattr(model, "lm_head", None) is not None and isinstance(model, GPT2Small)
    model.to_empty(device="cpu")
    if tied:                                  # to_empty unties: tie again, as HF does
        model.lm_head.weight = model.wte.weight
    return model


def parameter_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


# -- the two ways to initialize ----------------------------------------------------------

def torch_reset(model):
    """Each module's own reset_parameters, as model construction does."""
    for module in model.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset) and next(module.parameters(recurse=False), None) is not None:
            reset()


def weightinit_init(model, threads=THREADS):
    wit.init_module(model, seed=SEED, threads=threads)


# -- measuring -------------------------------------------------------------------

def _status(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) * 1024


def measure(fn, model, untouched_bytes=0):
    """(seconds, bytes allocated beyond the parameters) of ``fn(model)``."""
    try:
        Path("/proc/self/clear_refs").write_text("5")     # reset the high-water mark
        before = _status("VmRSS")
    except OSError:
        before = None
    start = time.perf_counter()
    fn(model)
    seconds = time.perf_counter() - start
    extra = None if before is None else _status("VmHWM") - before - untouched_bytes
    return seconds, extra


def gpt2_rows(rounds=3):
    model = GPT2Small()                              # built (and touched) by torch
    size = parameter_bytes(model)
    times = {"torch": [], "weightinit": []}
    extras = {"torch": [], "weightinit": []}
    for _ in range(rounds):                          # alternate: the machine's load hits both
        for name, fn in (("torch", torch_reset), ("weightinit", weightinit_init)):
            seconds, extra = measure(fn, model)
            times[name].append(seconds)
            extras[name].append(extra)
    return {"case": "init_module, GPT-2-small-like (124 M, f32, tied head)",
            "params_bytes": size,
            "torch_s": statistics.median(times["torch"]),
            "weightinit_s": statistics.median(times["weightinit"]),
            "torch_extra": _max(extras["torch"]), "weightinit_extra": _max(extras["weightinit"]),
            "all_torch_s": times["torch"], "all_weightinit_s": times["weightinit"]}


def _launch(argv_list, timeout=900):
    """Run copies of this script (one per argv), in parallel; their JSON results."""
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", PYTHONWARNINGS="ignore")
    procs = [subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE,
                              text=True, env=env) for argv in argv_list]
    outs = [p.communicate(timeout=timeout)[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"benchmark job failed: {[p.returncode for p in procs]}")
    return [json.loads(out.strip().splitlines()[-1]) for out in outs]


def one_process(how: str):
    """The 0.94 B model filled in a fresh process: cold (first touch of the
    memory to_empty gave, as in real use) and warm (a second fill)."""
    return _launch([["--case", "whole", "--how", how]])[0]


def fsdp2_ranks(world: int, mode: str):
    """The FSDP2 job on ``world`` gloo ranks in fresh processes; each rank's result."""
    with tempfile.TemporaryDirectory(prefix="wi-bench-") as tmp:
        store = str(Path(tmp, "store"))
        return _launch([["--case", "rank", "--rank", str(r), "--world", str(world), "--store",
                         store, "--mode", mode] for r in range(world)])


def _whole_main(how):
    torch.set_num_threads(THREADS)
    fn = torch_reset if how == "torch" else weightinit_init
    model = on_meta(Llama1B)
    size = parameter_bytes(model)
    cold, extra = measure(fn, model, untouched_bytes=size)
    warm, _ = measure(fn, model)
    print(json.dumps({"cold": cold, "warm": warm, "extra": extra}), flush=True)


def _rank_main(rank, world, store_path, mode):
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    threads = THREADS if mode == "turns" else max(1, THREADS // world)
    torch.set_num_threads(threads)
    dist.init_process_group("gloo", init_method=f"file://{store_path}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=600))
    mesh = init_device_mesh("cpu", (world,))
    with torch.device("meta"):
        model = Llama1B()
    for layer in model.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    model.to_empty(device="cpu")
    local = sum(p.to_local().numel() * p.element_size() for p in model.parameters())
    # Ranks wait for each other through the store, which sleeps while it
    # waits: a gloo barrier spins and would take a core from a filling rank.
    store = dist.distributed_c10d._get_default_store()
    wait = timedelta(seconds=600)
    dist.barrier()
    result = {"rank": rank, "threads": threads, "local_bytes": local}
    for phase, untouched in (("cold", local), ("warm", 0)):
        if mode == "turns" and rank:
            store.wait([f"{phase} {rank - 1}"], wait)
        seconds, extra = measure(lambda m: weightinit_init(m, threads), model,
                                 untouched_bytes=untouched)
        result[phase] = seconds
        if phase == "cold":
            result["extra"] = extra
        store.set(f"{phase} {rank}", "1")
        store.wait([f"{phase} {r}" for r in range(world)], wait)
    dist.destroy_process_group()
    print(json.dumps(result), flush=True)


# -- the table -----------------------------------------------------------------------

def _max(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _mib(n):
    # page accounting can put the high-water mark a page or two below the parameters
    return "n/a" if n is None else f"{max(n, 0) / 2 ** 20:.0f} MiB"


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main(quick: bool, with_torch_1b: bool, rounds: int):
    torch.set_num_threads(THREADS)
    print(f"# {cpu_name()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {THREADS} "
          f"threads, median of {rounds}; load average {os.getloadavg()[0]:.1f} at the start",
          flush=True)
    print("| case | torch | weightinit | ratio | peak above the parameters |")
    print("|---|---|---|---|---|")
    g = gpt2_rows(rounds)
    print(f"| {g['case']} vs its modules' reset_parameters | {g['torch_s']:.2f} s | "
          f"{g['weightinit_s']:.3f} s | {g['torch_s'] / g['weightinit_s']:.1f}x faster | "
          f"torch {_mib(g['torch_extra'])}, weightinit {_mib(g['weightinit_extra'])} |",
          flush=True)
    if not quick:
        runs = {"weightinit": [], "torch": [], "turns": [], "concurrent": []}
        for _ in range(rounds):                    # alternate: the machine's load hits all
            runs["weightinit"].append(one_process("weightinit"))
            if with_torch_1b:
                runs["torch"].append(one_process("torch"))
            runs["turns"].append(fsdp2_ranks(2, "turns"))
            runs["concurrent"].append(fsdp2_ranks(2, "concurrent"))
        med = {k: {phase: statistics.median(r[phase] for r in v) for phase in ("cold", "warm")}
               for k, v in runs.items() if v and k in ("weightinit", "torch")}
        one = med["weightinit"]
        torch_cell, speed = "-", "-"
        if "torch" in med:
            torch_cell = f"{med['torch']['cold']:.2f} s (warm {med['torch']['warm']:.2f} s)"
            speed = f"{med['torch']['cold'] / one['cold']:.1f}x faster"
        extra = _mib(_max(r["extra"] for r in runs["weightinit"]))
        print(f"| Llama-like 0.94 B f32, one process, first fill after to_empty | {torch_cell} | "
              f"{one['cold']:.2f} s (warm {one['warm']:.2f} s) | {speed} | {extra} |",
              flush=True)
        for mode, label in (("turns", "in turns, 2 threads each"),
                            ("concurrent", "concurrently, 1 thread each")):
            cells, ratios = [], []
            for rank in range(2):
                cold = statistics.median(job[rank]["cold"] for job in runs[mode])
                warm = statistics.median(job[rank]["warm"] for job in runs[mode])
                cells.append(f"rank {rank} {cold:.2f} s (warm {warm:.2f} s)")
                ratios.append((cold / one["cold"], warm / one["warm"]))
            worst = (max(r[0] for r in ratios), max(r[1] for r in ratios))
            extra = _mib(_max(r["extra"] for job in runs[mode] for r in job))
            print(f"| FSDP2, 2 gloo ranks, each filling its shard ({label}) | - | "
                  f"{', '.join(cells)} | {worst[0]:.2f}x the one-process time "
                  f"(warm {worst[1]:.2f}x) | {extra} |", flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="GPT-2 small only")
    parser.add_argument("--with-torch-1b", action="store_true",
                        help="also time torch's reset_parameters on the 0.94 B model")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each case")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--how", help=argparse.SUPPRESS)
    parser.add_argument("--rank", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case == "whole":
        _whole_main(args.how)
    elif args.case == "rank":
        _rank_main(args.rank, args.world, args.store, args.mode)
    else:
        main(args.quick, args.with_torch_1b, args.rounds)
