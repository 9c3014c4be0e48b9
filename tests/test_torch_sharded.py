"""Sharded fills on real torch.distributed process groups (gloo on 127.0.0.1,
CPU): every weightinit.torch function on DTensors of every placement (1-D and
2-D meshes, Shard(i), Replicate(), uneven and empty shards, _StridedShard) and
init_module on FSDP2 models (CPUOffloadPolicy, HSDP, TP + FSDP2, meta device +
to_empty, tied weights, rules) equal the one-process result bit for bit, with
no communication during the fills (tests/torch_dist_jobs.py asserts it), and
replicas hold the same bytes.

Each test starts one job of 2 or 4 processes that checks all its cases in one
process group, bounded in time: a hang fails, it never blocks.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("this torch has no torch.distributed with gloo", allow_module_level=True)

WORKER = Path(__file__).resolve().parent / "torch_dist_jobs.py"


def run_job(job: str, world: int, timeout: float) -> str:
    """Run ``job`` on ``world`` ranks; return rank 0's output. Fails (killing
    every rank) as soon as one rank fails, or when ``timeout`` seconds pass."""
    env = dict(os.environ, WEIGHTINIT_NUM_THREADS="1", OMP_NUM_THREADS="1",
               GLOO_SOCKET_IFNAME="lo", PYTHONWARNINGS="ignore")
    with tempfile.TemporaryDirectory(prefix="wi-dist-") as tmp:
        logs = [(open(Path(tmp, f"out{r}"), "w+"), open(Path(tmp, f"err{r}"), "w+"))
                for r in range(world)]
        procs = [subprocess.Popen([sys.executable, str(WORKER), job, str(r), str(world),
                                   str(Path(tmp, "store"))], stdout=out, stderr=err, env=env)
                 for r, (out, err) in enumerate(logs)]
        deadline = time.monotonic() + timeout
        failure, first = None, 0            # first: the rank that failed first
        try:
            while failure is None:
                running = [p.poll() is None for p in procs]
                bad = [r for r, p in enumerate(procs) if p.returncode not in (None, 0)]
                if bad:
                    first = bad[0]
                    failure = f"rank {first} exited with {procs[first].returncode}"
                elif not any(running):
                    break
                elif time.monotonic() > deadline:
                    failure = f"timed out after {timeout:.0f} s"
                time.sleep(0.05)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        text = []
        for r, (out, err) in enumerate(logs):
            out.seek(0), err.seek(0)
            text.append((out.read(), err.read()))
            out.close(), err.close()
    if failure:
        # every failed rank's stderr, the first first (a rank that fails makes
        # the others fail with "connection closed by peer")
        failed = [first] + [r for r, p in enumerate(procs)
                            if r != first and p.returncode not in (0, None, -9)]
        report = "".join(f"\n--- rank {r} stderr ---\n{text[r][1][-4000:]}" for r in failed)
        pytest.fail(f"{job} on {world} ranks: {failure}{report}")
    return text[0][0]


def test_two_ranks():
    out = run_job("sharded", 2, timeout=300)
    assert "sharded cases equal" in out and "FSDP2 models equal" in out


def test_four_ranks_and_2d_meshes():
    out = run_job("sharded", 4, timeout=420)
    assert "sharded cases equal" in out and "FSDP2 models equal" in out


def test_hf_llama_under_fsdp2_two_ranks():
    pytest.importorskip("transformers", reason="pip install transformers")
    out = run_job("hf", 2, timeout=300)
    assert "HF Llama sharded equals one process" in out
