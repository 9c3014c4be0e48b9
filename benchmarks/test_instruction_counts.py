"""Instructions per sample, every kernel x dtype x ISA this CPU runs.

Exact counts of retired user-space instructions of one single-thread
``wi_fill`` call, by ptrace single-stepping (``tools/count_instructions.sh``):
the one speed figure a shared, noisy machine cannot blur. The table is
printed and stored in pytest-benchmark's ``extra_info``; nothing is asserted.
Single-stepping is slow (about 7 minutes for the full table at 4096 samples
on a 2-vCPU KVM guest)::

    python -m pytest benchmarks/test_instruction_counts.py -s \
        --benchmark-columns=rounds

``WI_COUNT_N`` sets the samples per fill (default 4096); ``WEIGHTINIT_AVX512BF16=0``
counts AVX-512 bfloat16 with the integer rounding instead of vcvtne2ps2bf16.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "count_instructions.sh"


def parse_table(text: str) -> dict[str, float]:
    """Map ``"dist/dtype/isa"`` to instructions per sample from the tool's output.

    Examples
    --------
    >>> parse_table("n = 8\\ndist dtype scalar avx2\\nuniform f32 69.84 7.45\\n")
    {'uniform/f32/scalar': 69.84, 'uniform/f32/avx2': 7.45}
    """
    lines = [line.split() for line in text.splitlines() if line.strip()]
    isas = lines[1][2:]
    table = {}
    for row in lines[2:]:
        for isa, value in zip(isas, row[2:]):
            table[f"{row[0]}/{row[1]}/{isa}"] = float(value)
    return table


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which(os.environ.get("CC", "gcc")) is None,
                    reason="needs Linux ptrace and a C compiler")
def test_instructions_per_sample(benchmark):
    benchmark.group = "instructions per sample (ptrace count)"
    n = os.environ.get("WI_COUNT_N", "4096")
    result = {}

    def run():
        result["text"] = subprocess.run(["sh", str(TOOL), n], check=True, capture_output=True,
                                        text=True).stdout

    benchmark.pedantic(run, rounds=1, iterations=1)
    print("\n" + result["text"])
    benchmark.extra_info["n"] = int(n)
    benchmark.extra_info["instructions_per_sample"] = parse_table(result["text"])
