"""``weightinit bench --torch``: transformers' ``from_config`` under
:func:`weightinit.torch.fast_init` against the plain torch path, same session.

Every run is a fresh process (``python -m weightinit._bench_torch``), so that
each gets fresh memory from the kernel, as a user's run does, and its own
peak RSS; plain and fast_init runs alternate and the table gives medians.
A run with transformers' ``no_init_weights`` measures what ``from_config``
costs without any init (building modules, lazily allocated memory) and what
first writing that memory costs (page faults): the floor under both paths.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

LLAMA_1B = {"hidden_size": 2048, "intermediate_size": 5504, "num_hidden_layers": 16,
            "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 32000}
_TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
         "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 128}
CASES = ("plain", "fast_init", "no_init")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(case: str, threads: int, config: dict, seed: int = 0) -> dict:
    """One run of ``case`` in this process (a fresh one: see :func:`run`)."""
    import torch
    import transformers
    from transformers.initialization import no_init_weights

    from .torch import fast_init
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)

    def build(cfg):
        return transformers.AutoModelForCausalLM.from_config(
            transformers.LlamaConfig(dtype="float32", **cfg))

    with torch.random.fork_rng(devices=[]):
        build(_TINY)                                  # imports and lazy set-up, untimed
        with fast_init(seed, threads=threads):
            build(_TINY)
    before = _rss_bytes()
    result = {"case": case, "threads": threads}
    start = time.perf_counter()
    if case == "plain":
        model = build(config)
    elif case == "fast_init":
        block = fast_init(seed, threads=threads)
        block.__enter__()
        try:
            model = build(config)
            result["construct_s"] = time.perf_counter() - start
        finally:
            written = time.perf_counter()
            block.__exit__(None, None, None)
        result["write_s"] = time.perf_counter() - written
    elif case == "no_init":
        with no_init_weights():
            model = build(config)
        result["seconds"] = time.perf_counter() - start
        for key in ("first_write_s", "second_write_s"):
            written = time.perf_counter()
            with torch.no_grad():
                for p in model.parameters():
                    p.fill_(0.0)
            result[key] = time.perf_counter() - written
    else:
        raise ValueError(f"case must be one of {', '.join(CASES)}; got {case!r}")
    result.setdefault("seconds", time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # KiB on Linux
    params = list(model.parameters())
    result["param_bytes"] = sum(p.numel() * p.element_size() for p in params)
    result["params"] = sum(p.numel() for p in params)
    result["peak_extra_bytes"] = peak - before - result["param_bytes"]
    if case != "no_init":
        with torch.no_grad():
            result["stats"] = {name: [float(v) for v in reversed(torch.std_mean(p))]
                               for name, p in model.named_parameters()}
    return result


def run_one(case: str, threads: int = 2, config: dict | None = None,
            timeout: float = 900.0) -> dict:
    """:func:`measure` ``case`` in a fresh process; return its result."""
    config = dict(LLAMA_1B if config is None else config)
    out = subprocess.run([sys.executable, "-m", "weightinit._bench_torch", case, str(threads),
                          json.dumps(config)], capture_output=True, text=True,
                         timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the {case} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(threads: int = 2, repeats: int = 3, config: dict | None = None) -> list[dict]:
    """Alternate plain and fast_init runs ``repeats`` times, then one no_init
    run, each in a fresh process; return their results."""
    order = [case for _ in range(repeats) for case in ("plain", "fast_init")] + ["no_init"]
    return [run_one(case, threads, config) for case in order]


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else sum(values[len(values) // 2 - 1:
                                                                       len(values) // 2 + 1]) / 2


def _distribution_line(results) -> str:
    """How far apart the per-parameter distributions of the two paths are."""
    plain = next(r["stats"] for r in results if r["case"] == "plain")
    fast = next(r["stats"] for r in results if r["case"] == "fast_init")
    worst, constants_equal, random = 0.0, True, 0
    for name, (mean, std) in plain.items():
        f_mean, f_std = fast[name]
        if std == 0.0:
            constants_equal &= (f_std == 0.0 and f_mean == mean)
        else:
            random += 1
            worst = max(worst, abs(f_std / std - 1.0))
    return (f"per-parameter distributions, fast_init vs plain: std within {100 * worst:.3f}% "
            f"on all {random} random tensors; constant tensors (norms) "
            f"{'identical' if constants_equal else 'DIFFERENT'}")


def table(results, header: str = "") -> str:
    """The ``--torch`` table: medians, ratio to plain, peak memory above the parameters."""
    by_case = {case: [r for r in results if r["case"] == case] for case in CASES}
    plain = _median([r["seconds"] for r in by_case["plain"]])
    first = results[0]
    gib = first["param_bytes"] / 2**30
    lines = [header] if header else []
    lines.append(f"from_config of a Llama of {first['params'] / 1e9:.3f} B parameters, float32 "
                 f"({gib:.2f} GiB), {first['threads']} threads; medians of fresh processes")
    head = f"{'path':<44}{'median':>9}  {'runs (s)':<22}{'x plain':>8}{'peak - params':>15}"
    lines += [head, "-" * len(head)]

    def row(label, runs, key="seconds", ratio=True, memory=True):
        secs = [r[key] for r in runs]
        med = _median(secs)
        extra = _median([r["peak_extra_bytes"] for r in runs]) / 2**20
        lines.append(f"{label:<44}{med:>8.2f}s  {' '.join(f'{s:.2f}' for s in secs):<22}"
                     + (f"{plain / med:>8.2f}" if ratio else f"{'':>8}")
                     + (f"{extra:>11.0f} MiB" if memory else ""))

    row("plain torch (transformers' own init)", by_case["plain"])
    row("weightinit.torch.fast_init", by_case["fast_init"])
    row("  of which: building + recording the fills", by_case["fast_init"], "construct_s",
        ratio=False, memory=False)
    row("  of which: writing the fills (block exit)", by_case["fast_init"], "write_s",
        ratio=False, memory=False)
    if by_case["no_init"]:
        row("from_config, no init (modules, lazy memory)", by_case["no_init"], ratio=False,
            memory=False)
        row("  first write of its memory (page faults)", by_case["no_init"], "first_write_s",
            ratio=False, memory=False)
        row("  second write (memory bandwidth)", by_case["no_init"], "second_write_s",
            ratio=False, memory=False)
    lines.append(_distribution_line(results))
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))))
