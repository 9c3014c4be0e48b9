"""fast_init on DTensor shards: the same init code on 1, 2 and 4 ranks (gloo
on 127.0.0.1, processes started here, bounded in time) gives, gathered, the
bits of one process filling plain tensors; replicated parameters have the
same bytes on every rank; no rank draws from torch's RNG."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
if not torch.distributed.is_available():
    pytest.skip("this torch build has no torch.distributed", allow_module_level=True)

import fast_init_dtensor_worker as worker  # noqa: E402  (tests/ is on sys.path)

import weightinit.torch as wt  # noqa: E402

WORKER = Path(worker.__file__)
TIMEOUT = 300          # seconds for all ranks of one run (the machine may be shared)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(cases, world, out_dir):
    """Start ``world`` worker processes running ``cases``; return, per case,
    each rank's saved tensors."""
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", WEIGHTINIT_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(WORKER), ",".join(cases), str(rank),
                               str(world), str(port), str(out_dir)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for rank in range(world)]
    try:
        outputs = [p.communicate(timeout=TIMEOUT) for p in procs]
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
            p.communicate()
        pytest.fail(f"{cases} on {world} ranks did not finish within {TIMEOUT} s")
    codes = [p.returncode for p in procs]
    if 3 in codes:
        pytest.skip("weightinit.torch cannot fill DTensors in this build: "
                    + outputs[codes.index(3)][1].strip()[-300:])
    for code, (_, err) in zip(codes, outputs):
        assert code == 0, err[-3000:]
    return {case: [torch.load(out_dir / f"{case}-rank{r}.pt") for r in range(world)]
            for case in cases}


def reference(case):
    """One process, plain tensors, the same init code and seed."""
    if case == "modules":
        model = worker.Net()
        with wt.fast_init(worker.SEED, module=model):
            model.init_weights()
    else:
        with torch.random.fork_rng(devices=[]), wt.fast_init(worker.SEED):
            model = worker.build(case)             # from_config, named by the mode
    return {name: p.detach() for name, p in model.named_parameters()}


def has_transformers() -> bool:
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


# ranks -> cases run by one set of processes (transformers is imported once per rank)
WORLDS = {1: ("modules", "llama"), 2: ("modules", "llama", "gpt2"), 4: ("modules",)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cache = {}

    def get(world):
        if world not in cache:
            cases = [c for c in WORLDS[world] if c == "modules" or has_transformers()]
            cache[world] = run_ranks(cases, world, tmp_path_factory.mktemp(f"world{world}"))
        return cache[world]
    return get


@pytest.mark.parametrize("case, world", [(c, w) for w, cases in WORLDS.items() for c in cases])
def test_gathered_shards_equal_one_process(case, world, runs):
    if case != "modules" and not has_transformers():
        pytest.skip("needs transformers (pip install transformers)")
    ranks = runs(world)[case]
    expect = reference(case)
    for saved in ranks:
        assert list(saved["full"]) == list(expect)
        for name, tensor in expect.items():
            assert torch.equal(saved["full"][name], tensor), name
    if case == "modules":
        for name in ("norm.weight", "norm.bias"):                 # Replicate()
            for saved in ranks:
                assert torch.equal(saved["local"][name], ranks[0]["local"][name]), name
