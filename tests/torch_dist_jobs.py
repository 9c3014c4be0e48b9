"""Jobs for tests/test_torch_sharded.py, run as ``python torch_dist_jobs.py JOB
RANK WORLD STORE``: one process per rank, gloo on 127.0.0.1, a FileStore at
STORE. Each job checks many cases in one process group, asserting as it goes;
a failure exits non-zero with the traceback on stderr.

Every sharded fill runs under :func:`no_communication`, which makes any c10d
collective (through ``torch.distributed``'s functions or the dispatcher, as
DTensor and FSDP2 issue them) raise; the checks that gather afterwards run
outside it.
"""
import contextlib
import hashlib
import math
import os
import sys
import time
import traceback
import warnings
from datetime import timedelta
from functools import partial

import torch
import torch.distributed as dist
from torch.utils._python_dispatch import TorchDispatchMode

import weightinit.torch as wit

nn = torch.nn
SEED = 20240607
_COLLECTIVE_NAMESPACES = ("c10d", "_c10d_functional", "c10d_functional", "_dtensor")
_DIST_FUNCTIONS = ("all_reduce", "all_gather", "all_gather_into_tensor", "all_gather_object",
                   "broadcast", "broadcast_object_list", "reduce", "reduce_scatter",
                   "reduce_scatter_tensor", "all_to_all", "all_to_all_single", "barrier",
                   "scatter", "gather", "send", "recv", "isend", "irecv", "batch_isend_irecv",
                   "monitored_barrier", "gather_object", "scatter_object_list")


class _RefuseCollectives(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.namespace in _COLLECTIVE_NAMESPACES:
            raise AssertionError(f"communication during a sharded fill: {func}")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def no_communication():
    """Any collective inside raises AssertionError."""
    saved = {}

    def refuse(name):
        def call(*args, **kwargs):
            raise AssertionError(f"communication during a sharded fill: dist.{name}")
        return call
    for module in (dist, dist.distributed_c10d):
        for name in _DIST_FUNCTIONS:
            if hasattr(module, name):
                saved[(module, name)] = getattr(module, name)
                setattr(module, name, refuse(name))
    try:
        with _RefuseCollectives():
            yield
    finally:
        for (module, name), fn in saved.items():
            setattr(module, name, fn)


def check_guard(mesh):
    """The guard catches real collectives, so a quiet fill proves something."""
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor
    d = distribute_tensor(torch.zeros(8, 4), mesh, [Shard(0)] * mesh.ndim)
    calls = (lambda: dist.all_reduce(torch.ones(2)), dist.barrier, d.full_tensor,
             lambda: d.redistribute(mesh, [Replicate()] * mesh.ndim))
    for call in calls:
        try:
            with no_communication():
                call()
        except AssertionError as e:
            assert "communication during a sharded fill" in str(e), e
        else:
            raise AssertionError("the no-communication guard let a collective through")


def same_bits(a, b) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    as_int = {torch.float32: torch.int32, torch.float64: torch.int64,
              torch.float16: torch.int16, torch.bfloat16: torch.int16}[a.dtype]
    return torch.equal(a.contiguous().view(as_int), b.contiguous().view(as_int))


def digest(t) -> str:
    return hashlib.sha256(t.detach().contiguous().view(torch.uint8).numpy().tobytes()).hexdigest()


# -- every function on every placement ------------------------------------------

FUNCTIONS = [
    ("uniform_", (-0.5, 1.5), (12, 10)), ("normal_", (0.1, 0.3), (7, 5)),
    ("trunc_normal_", (0.0, 0.05, -0.08, 0.1), (12, 10)), ("constant_", (0.25,), (7, 5)),
    ("ones_", (), (7, 5)), ("zeros_", (), (7, 5)), ("eye_", (), (12, 10)), ("eye_", (), (7, 9)),
    ("dirac_", (2,), (8, 6, 3, 3)), ("dirac_", (), (6, 8, 3)),
    ("xavier_uniform_", (), (8, 6, 3, 3)), ("xavier_normal_", (0.5,), (12, 10)),
    ("kaiming_uniform_", (math.sqrt(5),), (8, 6, 3, 3)),
    ("kaiming_normal_", (0.0, "fan_out", "relu"), (12, 10)),
    ("orthogonal_", (), (12, 20)), ("orthogonal_", (1.5,), (20, 12)),
    ("orthogonal_", (), (8, 6, 3, 3)), ("sparse_", (0.3,), (40, 12)), ("sparse_", (0.5, 0.02), (7, 9)),
    ("uniform_", (), (5,)), ("normal_", (), (0, 4)),
    ("kaiming_uniform_", (), (12, 8)),     # _StridedShard(1): boxes not contiguous locally
]


def function_cases(mesh, placements_list, dtypes):
    """Each function, each placement, each dtype: local shard == the whole
    result's part, gathered == the whole result, bit for bit."""
    from torch.distributed.tensor import Replicate, distribute_tensor
    checked = 0
    for name, args, shape in FUNCTIONS:
        fn = getattr(wit, name)
        for dtype in dtypes:
            whole = fn(torch.empty(shape, dtype=dtype), *args, seed=SEED, stream=name)
            for placements in placements_list:
                if any(getattr(p, "dim", 0) >= len(shape) for p in placements):
                    continue
                if not _even_enough(shape, mesh, placements):
                    continue
                d = distribute_tensor(torch.full(shape, math.nan, dtype=dtype), mesh, placements)
                with no_communication():
                    out = fn(d, *args, seed=SEED, stream=name)
                assert out is d
                label = f"{name}{args} {shape} {dtype} {placements}"
                expected = distribute_tensor(whole, mesh, placements).to_local()
                assert same_bits(d.to_local(), expected), f"local shard differs: {label}"
                assert same_bits(d.full_tensor(), whole), f"gathered differs: {label}"
                if all(isinstance(p, Replicate) for p in placements):
                    hashes = [None] * dist.get_world_size()
                    dist.all_gather_object(hashes, digest(d.to_local()))
                    assert len(set(hashes)) == 1, f"replicas differ: {label}"
                checked += 1
    return checked


def refused_cases(mesh):
    """Shards whose place cannot be known locally are refused, nothing written."""
    from torch.distributed.tensor import DTensor, Shard
    rank, world = dist.get_rank(), dist.get_world_size()
    rows = 1 if rank % 2 == 0 else 3                 # torch.chunk's would be 2 each
    local = torch.full((rows, 4), 7.0)
    d = DTensor.from_local(local, mesh, [Shard(0)], run_check=False,
                           shape=(2 * world, 4), stride=(4, 1))
    try:
        with no_communication():
            wit.normal_(d, seed=SEED)
    except ValueError as e:
        assert "global offset is unknown without communication" in str(e), e
    else:
        raise AssertionError("a hand-made uneven shard was filled")
    assert (local == 7.0).all()


def _even_enough(shape, mesh, placements):
    """distribute_tensor needs _StridedShard's dimension evenly divisible."""
    from torch.distributed.tensor.placement_types import _StridedShard
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, _StridedShard):
            if shape[p.dim] % (p.split_factor * mesh.size(mesh_dim)):
                return False
    return True


def job_functions(world):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor.placement_types import _StridedShard
    start = time.perf_counter()
    mesh = init_device_mesh("cpu", (world,))
    check_guard(mesh)
    one_d = [[Shard(0)], [Shard(1)], [Shard(-1)], [Replicate()], [_StridedShard(0, split_factor=2)],
             [_StridedShard(1, split_factor=2)]]
    dtypes = [torch.float32, torch.bfloat16, torch.float64, torch.float16]
    checked = function_cases(mesh, one_d, dtypes if world == 2 else dtypes[:2])
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        check_guard(mesh2)
        two_d = [[Shard(0), Shard(1)], [Shard(1), Shard(0)], [Shard(0), Shard(0)],
                 [Replicate(), Shard(0)], [Shard(1), Replicate()], [Replicate(), Replicate()],
                 [_StridedShard(0, split_factor=2), Shard(0)],
                 [_StridedShard(1, split_factor=2), Shard(1)]]
        checked += function_cases(mesh2, two_d, [torch.float32, torch.bfloat16])
    refused_cases(mesh)
    print(f"rank {dist.get_rank()}: {checked} sharded cases equal "
          f"({time.perf_counter() - start:.1f} s)", flush=True)


# -- init_module on FSDP2 / HSDP / TP models ---------------------------------------

class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.up = nn.Linear(d, 3 * d)
        self.down = nn.Linear(3 * d, d)


class TinyLM(nn.Module):
    """Embedding tied to the head, blocks of known modules, uneven dims."""

    def __init__(self, vocab=101, d=16, layers=2):
        super().__init__()
        self.wte = nn.Embedding(vocab, d, padding_idx=3)
        self.blocks = nn.ModuleList(Block(d) for _ in range(layers))
        self.conv = nn.Conv1d(d, 6, 3)
        self.norm = nn.RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight


RULES = {"*.down.weight": partial(wit.normal_, std=0.01), "*.up.bias": wit.zeros_,
         nn.Conv1d: {"weight": wit.orthogonal_}}


def full_state(model):
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))


def compare_states(sharded, reference, label):
    assert sharded.keys() == reference.keys(), label
    for name, value in reference.items():
        got = sharded[name]
        assert same_bits(got, value), f"{label}: {name} differs from the one-process model"


def fsdp_case(label, build, shard, rules=None, dtype=torch.float32, meta=True):
    """One process's init_module == the sharded model's, gathered."""
    reference = build().to(dtype)
    wit.init_module(reference, seed=SEED, rules=rules)
    ref_state = {k: v for k, v in reference.state_dict().items()}
    if meta:
        with torch.device("meta"):
            model = build().to(dtype)
    else:
        model = build().to(dtype)
    shard(model)
    if meta:
        model.to_empty(device="cpu")
    from torch.distributed.tensor import DTensor
    params = dict(model.named_parameters())
    assert all(isinstance(p, DTensor) for p in params.values()), label
    assert any(p.to_local().numel() < p.numel() for p in params.values()), label
    with no_communication():
        wit.init_module(model, seed=SEED, rules=rules)
    compare_states(full_state(model), ref_state, label)
    return model


def job_fsdp(world):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, fully_shard
    start = time.perf_counter()
    mesh = init_device_mesh("cpu", (world,))
    check_guard(mesh)

    def fsdp(model, mesh=mesh, **kw):
        for block in model.blocks:
            fully_shard(block, mesh=mesh, **kw)
        fully_shard(model, mesh=mesh, **kw)

    offload = partial(fsdp, offload_policy=CPUOffloadPolicy(pin_memory=False))
    for dtype in (torch.float32, torch.bfloat16):
        m = fsdp_case(f"FSDP2 {dtype}", TinyLM, fsdp, RULES, dtype)
        assert m.head.weight is m.wte.weight
        fsdp_case(f"FSDP2 + CPUOffloadPolicy {dtype}", TinyLM, offload, RULES, dtype)
    fsdp_case("FSDP2 built-in rules only", TinyLM, fsdp)
    unknown_module_on_dtensors(fsdp)
    fsdp_case("FSDP2 Shard(1)", TinyLM, partial(
        fsdp, shard_placement_fn=lambda p: _shard1(p, world)), RULES)
    if world == 4:
        from torch.distributed.tensor.parallel import (ColwiseParallel, RowwiseParallel,
                                                       parallelize_module)
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        fsdp_case("HSDP (Replicate, Shard(0))", TinyLM, partial(fsdp, mesh=mesh2), RULES)

        def tp_fsdp(model):
            for block in model.blocks:
                parallelize_module(block, mesh2["tp"], {"up": ColwiseParallel(),
                                                        "down": RowwiseParallel()})
            fsdp(model, mesh=mesh2["dp"])
        m = fsdp_case("TP + FSDP2 (_StridedShard)", TinyLM, tp_fsdp, RULES, meta=False)
        placements = [str(p) for p in m.blocks[0].up.weight.placements]
        assert placements == ["_S(0, 2)", "S(0)"], placements
    print(f"rank {dist.get_rank()}: FSDP2 models equal the one-process ones "
          f"({time.perf_counter() - start:.1f} s)", flush=True)


class Scale(nn.Module):
    """A module of unknown kind with its own reset_parameters."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(8, 3))

    def reset_parameters(self):
        nn.init.ones_(self.w)


def unknown_module_on_dtensors(shard):
    """Its reset_parameters runs (torch's code), with a warning on DTensors;
    a rule makes it weightinit's, like any parameter."""
    model = nn.Module()
    model.blocks = nn.ModuleList([Scale()])
    shard(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wit.init_module(model, seed=SEED)
    assert any("torch's own RNG fills" in str(w.message) for w in caught), caught
    assert (model.blocks[0].w.to_local() == 1).all()
    with no_communication():
        wit.init_module(model, seed=SEED, rules={Scale: wit.zeros_})
    assert (model.blocks[0].w.to_local() == 0).all()


def _shard1(param, world):
    from torch.distributed.tensor import Shard
    even = param.ndim > 1 and param.shape[1] % world == 0
    return Shard(1) if even else Shard(0)


# -- Hugging Face models ------------------------------------------------------------

def job_hf(world):
    import transformers
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from transformers.models.llama.modeling_llama import LlamaRMSNorm
    transformers.logging.set_verbosity_error()
    mesh = init_device_mesh("cpu", (world,))
    cfg = transformers.LlamaConfig(hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, vocab_size=333,
                                   tie_word_embeddings=True)
    std = cfg.initializer_range
    rules = {nn.Linear: partial(wit.normal_, std=std), nn.Embedding: partial(wit.normal_, std=std),
             LlamaRMSNorm: wit.ones_}

    def build():
        return transformers.LlamaForCausalLM(cfg)

    def shard(model):
        model.tie_weights()                # torch's to_empty unties; FSDP2 keeps the tie
        for layer in model.model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)

    model = fsdp_case("HF Llama under FSDP2", build, shard, rules, torch.bfloat16)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    print(f"rank {dist.get_rank()}: HF Llama sharded equals one process", flush=True)


def job_sharded(world):
    job_functions(world)
    job_fsdp(world)


JOBS = {"sharded": job_sharded, "hf": job_hf}


def main():
    job, rank, world, store = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank,
                                world_size=world, timeout=timedelta(seconds=60))
        JOBS[job](world)
        dist.barrier()
        dist.destroy_process_group()
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
