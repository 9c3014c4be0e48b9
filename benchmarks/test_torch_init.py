"""pytest-benchmark: weightinit.torch.init_module against torch's own
reset_parameters on a GPT-2-small-like model, and the 0.94 B Llama-like model
filled whole in one process (fresh from ``to_empty``) and as FSDP2 rank r of 2
fills its shard. The rank runs alone here, in a process that is rank r of a
fake process group (torch's test backend: no peers, and no communication is
needed), so its time is the rank's own work, as on a machine of its own; the
same job on real gloo ranks is ``python benchmarks/torch_init.py``.

Run: ``python -m pytest benchmarks/test_torch_init.py --benchmark-group-by=group``.
Each round gets fresh parameter memory from ``to_empty``, but rounds after
the first may get memory the allocator kept (fewer page faults);
``torch_init.py`` times first fills in fresh processes. ``extra_info``
records the bytes allocated beyond the parameters. Nothing here asserts a
timing.
"""
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed")

import torch_init as cases  # noqa: E402  (benchmarks/torch_init.py)


@pytest.fixture(scope="module")
def gpt2():
    torch.set_num_threads(cases.THREADS)
    return cases.GPT2Small()


@pytest.mark.parametrize("how", ["torch reset_parameters", "weightinit init_module"])
def test_gpt2_small(benchmark, gpt2, how):
    benchmark.group = "GPT-2-small-like, 124 M f32"
    fn = cases.torch_reset if how.startswith("torch") else cases.weightinit_init
    extras = []

    def run():
        extras.append(cases.measure(fn, gpt2)[1])
    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    benchmark.extra_info["bytes beyond the parameters"] = cases._max(extras)


def fresh(model):
    """New, untouched parameter memory before each round (page faults count)."""
    model.to_empty(device="cpu")


@pytest.fixture
def llama():
    torch.set_num_threads(cases.THREADS)
    return cases.on_meta(cases.Llama1B)


@pytest.mark.parametrize("how", ["torch reset_parameters", "weightinit init_module"])
def test_llama_1b_one_process(benchmark, llama, how):
    benchmark.group = "Llama-like 0.94 B f32, fresh from to_empty"
    fn = cases.torch_reset if how.startswith("torch") else cases.weightinit_init
    size = cases.parameter_bytes(llama)
    extras = []

    def run():
        extras.append(cases.measure(fn, llama, untouched_bytes=size)[1])
    benchmark.pedantic(run, setup=lambda: fresh(llama), rounds=3)
    benchmark.extra_info["bytes beyond the parameters"] = cases._max(extras)


@pytest.fixture(params=[0, 1], ids=["rank 0", "rank 1"])
def fsdp2_rank(request):
    dist = pytest.importorskip("torch.distributed")
    fake_pg = pytest.importorskip("torch.testing._internal.distributed.fake_pg")
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    torch.set_num_threads(cases.THREADS)
    dist.init_process_group("fake", store=fake_pg.FakeStore(), rank=request.param, world_size=2)
    try:
        mesh = init_device_mesh("cpu", (2,))
        with torch.device("meta"):
            model = cases.Llama1B()
        for layer in model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        yield model
    finally:
        dist.destroy_process_group()


def test_llama_1b_fsdp2_rank_of_2(benchmark, fsdp2_rank):
    benchmark.group = "Llama-like 0.94 B f32, fresh from to_empty"
    local = sum(p.to_local().numel() * p.element_size() for p in fsdp2_rank.parameters())
    extras = []

    def run():
        extras.append(cases.measure(cases.weightinit_init, fsdp2_rank, untouched_bytes=local)[1])
    benchmark.pedantic(run, setup=lambda: fresh(fsdp2_rank), rounds=3)
    benchmark.extra_info["bytes beyond the parameters"] = cases._max(extras)
