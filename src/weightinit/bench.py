"""``weightinit bench``: weightinit against NumPy, PyTorch and Keras, one run.

Every number in the table is measured in the same process, so ratios are
comparable even on a noisy shared machine: medians of repeated calls; two
memory-write ceilings, each a threaded fill of the same buffer on every
thread, one with plain stores (what the kernels use) and one with
streaming (non-temporal) stores, printed as their own rows and as each
fill's share of them (``%st``, ``%nt``); and the peak extra memory of a
call that allocates its own output (tracemalloc, which sees NumPy's
allocations but not PyTorch's).
"""
from __future__ import annotations

import json
import math
import time
import tracemalloc
from dataclasses import asdict, dataclass

import numpy as np

from . import _core
from ._checks import resolve_dtype
from ._fill import ISA_NAMES, selected_isa
from ._threads import get_num_threads
from .generator import Generator
from .initializers import TRUNCATION_CORRECTION

__all__ = ["run", "main_table", "CASES"]

# The three fills of the speed targets, with the fan of a square layer.
CASES = ("uniform", "normal", "truncnorm")
_FAN = 4096
_GLOROT_LIMIT = math.sqrt(6.0 / (2 * _FAN))
_XAVIER_STD = math.sqrt(2.0 / (2 * _FAN))
_HE_STD = math.sqrt(2.0 / _FAN) / TRUNCATION_CORRECTION


@dataclass
class Row:
    case: str
    dtype: str
    size: int
    threads: int
    impl: str
    seconds: float
    samples_per_s: float
    gb_per_s: float
    plain_store_fraction: float       # of the plain-store ceiling's bytes/s
    streaming_store_fraction: float   # of the streaming-store ceiling's bytes/s
    speedup_vs_this: float     # this row's time / weightinit's time
    peak_extra_mib: float | None


def _median_time(fn, min_total=0.2, max_repeats=50, min_repeats=3) -> float:
    fn()  # warm-up: page faults, imports, lazy init
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < min_total
                                       and len(times) < max_repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def _peak_extra_mib(fn, output_bytes: int) -> float:
    tracemalloc.start()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return max(0.0, (peak - output_bytes) / 2**20)


def _ours(case, size, dtype, threads, out):
    g = Generator(0, "bench")
    if case == "uniform":
        return lambda: g.uniform(-_GLOROT_LIMIT, _GLOROT_LIMIT, size, dtype=dtype, out=out, threads=threads)
    if case == "normal":
        return lambda: g.normal(0.0, _XAVIER_STD, size, dtype=dtype, out=out, threads=threads)
    return lambda: g.truncated_normal(0.0, _HE_STD, -2.0, 2.0, size, dtype=dtype, out=out, threads=threads)


def _numpy_baselines(case, size, dtype):
    rng = np.random.default_rng(0)
    if dtype.name != "float32":
        return {}
    out = np.empty(size, np.float32)
    if case == "uniform":
        return {"numpy random(out=)": (lambda: rng.random(dtype=np.float32, out=out), None),
                "numpy uniform().astype": (None, lambda: rng.uniform(-_GLOROT_LIMIT, _GLOROT_LIMIT, size).astype(np.float32))}
    if case == "normal":
        return {"numpy standard_normal(out=)": (lambda: rng.standard_normal(dtype=np.float32, out=out), None)}
    return {}


def _torch_baselines(case, size, dtype):
    try:
        import torch
    except ImportError:
        return {}
    tdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16,
              "float64": torch.float64, "float16": torch.float16}[dtype.name]
    t = torch.empty(size, dtype=tdtype)
    init = torch.nn.init
    if case == "uniform":
        return {"torch uniform_": (lambda: t.uniform_(-_GLOROT_LIMIT, _GLOROT_LIMIT), None),
                "torch kaiming_uniform_": (lambda: init.kaiming_uniform_(t.view(-1, _FAN) if size % _FAN == 0 else t.view(1, -1)), None)}
    if case == "normal":
        return {"torch normal_": (lambda: t.normal_(0.0, _XAVIER_STD), None)}
    return {"torch trunc_normal_": (lambda: init.trunc_normal_(t, 0.0, _HE_STD, -2 * _HE_STD, 2 * _HE_STD), None)}


def _keras_baselines(case, size, dtype):
    """Keras's NumPy backend, the pure-NumPy user's baseline (needs keras + jax)."""
    import os
    if os.environ.get("KERAS_BACKEND", "numpy") != "numpy" or dtype.name != "float32" or size % _FAN:
        return {}
    try:
        import keras
    except Exception:  # noqa: BLE001 - absent or broken install: no baseline
        return {}
    shape = (size // _FAN, _FAN)
    if case == "truncnorm":
        return {"keras HeNormal (numpy)": (None, lambda: keras.initializers.HeNormal(seed=0)(shape))}
    if case == "uniform":
        return {"keras GlorotUniform (numpy)": (None, lambda: keras.initializers.GlorotUniform(seed=0)(shape))}
    return {}


def run(sizes=(10**3, 10**6, 2**24), threads=None, cases=CASES,
        dtypes=("float32", "bfloat16"), baselines=True):
    """Measure every case x dtype x size x threads; return the table rows."""
    all_threads = get_num_threads()
    thread_counts = threads or sorted({1, all_threads})
    rows = []
    for size in sizes:
        for dtype_name in dtypes:
            dtype = resolve_dtype(dtype_name)
            out = np.empty(size, dtype)
            bandwidth = _ceilings(out, all_threads)
            rows.extend(_row("ceiling", dtype, size, all_threads, f"{kind} stores", secs,
                             bandwidth, math.nan, None) for kind, secs in bandwidth.times.items())
            for case in cases:
                base_rows = []
                ours_by_threads = {}
                for t in thread_counts:
                    secs = _median_time(_ours(case, size, dtype, t, out))
                    peak = _peak_extra_mib(_ours(case, size, dtype, t, None), out.nbytes)
                    ours_by_threads[t] = secs
                    rows.append(_row(case, dtype, size, t, "weightinit", secs, bandwidth, 1.0, peak))
                if not baselines:
                    continue
                for group in (_numpy_baselines, _torch_baselines, _keras_baselines):
                    for name, (timed, fresh) in group(case, size, dtype).items():
                        fn = timed or fresh
                        secs = _median_time(fn, min_repeats=1 if size >= 2**26 else 3)
                        peak = _peak_extra_mib(fresh, out.nbytes) if fresh else None
                        best = min(ours_by_threads.values())
                        base_rows.append(_row(case, dtype, size, all_threads if name.startswith("torch") else 1,
                                              name, secs, bandwidth, secs / best, peak))
                rows.extend(base_rows)
    return rows


class _Ceilings:
    """Bytes/s of the two memory-write ceilings of one buffer, and their times."""

    def __init__(self, nbytes: int, times: dict):
        self.times = times
        self.plain = nbytes / times["plain"]
        self.streaming = nbytes / times["streaming"]


def _ceilings(out, threads) -> _Ceilings:
    """Plain and streaming stores over all of ``out`` on ``threads`` threads,
    alternated so both see the same machine."""
    runs = {"plain": [], "streaming": []}
    for _ in range(3):
        for kind in runs:
            streaming = kind == "streaming"
            runs[kind].append(_median_time(lambda: _core.fill_store_ceiling(out, streaming, threads),
                                           min_total=0.05))
    return _Ceilings(out.nbytes, {kind: sorted(t)[1] for kind, t in runs.items()})


def _row(case, dtype, size, threads, impl, secs, bandwidth, speedup, peak):
    nbytes = size * dtype.itemsize
    rate = nbytes / secs
    return Row(case, dtype.name, size, threads, impl, secs, size / secs, rate / 1e9,
               rate / bandwidth.plain, rate / bandwidth.streaming, speedup, peak)


def main_table(rows) -> str:
    """Render rows as a fixed-width text table: ``%st`` and ``%nt`` are a
    row's bytes/s over the plain- and streaming-store ceilings of its size
    and dtype (the ``ceiling`` rows), ``x ours`` its time over weightinit's."""
    head = (f"{'case':<10}{'dtype':<9}{'size':>11}{'thr':>4}  {'implementation':<29}"
            f"{'time':>10}{'Gsamp/s':>9}{'GB/s':>7}{'%st':>6}{'%nt':>6}{'x ours':>8}{'peak+MiB':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        peak = "" if r.peak_extra_mib is None else f"{r.peak_extra_mib:9.1f}"
        lines.append(f"{r.case:<10}{r.dtype:<9}{r.size:>11}{r.threads:>4}  {r.impl:<29}"
                     f"{r.seconds * 1e3:>8.3f}ms{r.samples_per_s / 1e9:>9.3f}{r.gb_per_s:>7.2f}"
                     f"{100 * r.plain_store_fraction:>5.0f}%{100 * r.streaming_store_fraction:>5.0f}%"
                     f"{'' if math.isnan(r.speedup_vs_this) else f'{r.speedup_vs_this:.2f}':>8}{peak}")
    return "\n".join(lines)


def header() -> str:
    """Machine and configuration line printed above the table."""
    import os
    import platform
    return (f"weightinit bench: {_cpu_model() or platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPUs, {get_num_threads()} threads, "
            f"ISA {ISA_NAMES[selected_isa()]}, numpy {np.__version__}")


def _cpu_model() -> str:
    """The CPU's model name and family/model numbers from /proc/cpuinfo (Linux)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break                      # the first CPU is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return ""
    name = fields.get("model name", "")
    if name and "cpu family" in fields:
        name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    return name


def to_json(rows) -> str:
    return json.dumps([asdict(r) for r in rows], indent=1)


def torch_table(threads: int = 2, repeats: int = 3) -> str:
    """``weightinit bench --torch``: from_config of a 0.94 B Llama under
    ``weightinit.torch.fast_init`` against plain torch, measured in this run
    (needs torch and transformers; see ``weightinit._bench_torch``)."""
    import os

    from . import _bench_torch
    load = os.getloadavg()[0]
    results = _bench_torch.run(threads=threads, repeats=repeats)
    title = (f"weightinit bench --torch: {_cpu_model() or 'CPU'}, {os.cpu_count()} CPUs, "
             f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    return _bench_torch.table(results, title)
