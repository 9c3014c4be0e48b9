"""One rank of tests/test_fast_init_dtensor.py (started by the test, not collected).

    python fast_init_dtensor_worker.py CASE[,CASE...] RANK WORLD PORT OUT_DIR

For each case: builds its model on the meta device, shards it, moves it to
the CPU with ``to_empty``, runs its own init code under
``fast_init(SEED, module=model)`` and saves, from every rank, the gathered
parameters and the local shards to OUT_DIR/CASE-rankR.pt.
Exit code 3: this weightinit.torch cannot fill DTensors.
"""
import os
import sys

import torch
import torch.distributed as dist

SEED = 21


def llama():
    import transformers
    config = transformers.LlamaConfig(hidden_size=64, intermediate_size=160,
                                      num_hidden_layers=2, num_attention_heads=4,
                                      num_key_value_heads=2, vocab_size=511)
    return transformers.AutoModelForCausalLM.from_config(config)


def gpt2():
    import transformers
    config = transformers.GPT2Config(n_embd=64, n_layer=3, n_head=4, vocab_size=509,
                                     n_positions=64, bos_token_id=0, eos_token_id=0,
                                     tie_word_embeddings=False)
    return transformers.AutoModelForCausalLM.from_config(config)


class Net(torch.nn.Module):
    """Plain torch modules, with uneven shard sizes on 2 and 4 ranks."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(101, 24)
        self.proj = torch.nn.Linear(24, 37)
        self.conv = torch.nn.Conv1d(5, 7, 3)
        self.norm = torch.nn.LayerNorm(37)
        self.gate = torch.nn.Linear(37, 24, bias=False)
        self.head = torch.nn.Linear(24, 13)

    def init_weights(self):             # torchtitan-style: its own init code
        for module in (self.embed, self.proj, self.conv, self.norm):
            module.reset_parameters()
        torch.nn.init.trunc_normal_(self.gate.weight, std=0.02, a=-0.03, b=0.03)
        torch.nn.init.xavier_normal_(self.head.weight)
        torch.nn.init.kaiming_normal_(self.proj.weight, mode="fan_out", nonlinearity="relu")
        torch.nn.init.uniform_(self.head.bias, -0.5, 0.5)


def build(case):
    return {"llama": llama, "gpt2": gpt2, "modules": Net}[case]()


def init_code(case, model):
    if case == "modules":
        model.init_weights()
    else:
        model.initialize_weights()       # what from_config runs in post_init


def shard(case, model, mesh):
    """FSDP2 on the blocks of the transformers models (not on the root:
    fully_shard gives the root a class of its own module, which transformers
    then takes for custom code and skips modules without parameters of their
    own, such as GPT-2's attention and its scaled c_proj); explicit
    placements (Shard(0), Shard(1), Shard(2), Replicate) for the plain modules."""
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor
    if case != "modules":
        from torch.distributed.fsdp import fully_shard
        blocks = model.model.layers if case == "llama" else model.transformer.h
        for block in blocks:
            fully_shard(block, mesh=mesh)
        return
    placements = {"embed.weight": Shard(1), "norm.weight": Replicate(),
                  "norm.bias": Replicate(), "conv.weight": Shard(2)}
    for name, param in list(model.named_parameters()):
        owner_name, _, attr = name.rpartition(".")
        owner = model.get_submodule(owner_name)
        placement = placements.get(name, Shard(0))
        owner.register_parameter(attr, torch.nn.Parameter(
            distribute_tensor(param.detach(), mesh, [placement])))


def run_case(case, rank, mesh, out_dir):
    import weightinit.torch as wt
    with torch.device("meta"):
        model = build(case)
    shard(case, model, mesh)
    model.to_empty(device="cpu")
    state = torch.random.get_rng_state()
    with wt.fast_init(SEED, module=model):
        init_code(case, model)
    if not torch.equal(state, torch.random.get_rng_state()):
        print(f"{case}: torch's RNG was consumed", file=sys.stderr)
        sys.exit(4)
    params = dict(model.named_parameters())
    if not any(map(is_dtensor, params.values())):
        print(f"{case}: nothing was sharded", file=sys.stderr)
        sys.exit(5)
    full = {n: p.full_tensor() if is_dtensor(p) else p for n, p in params.items()}
    local = {n: p.to_local().clone() if is_dtensor(p) else p for n, p in params.items()}
    torch.save({"full": full, "local": local}, os.path.join(out_dir, f"{case}-rank{rank}.pt"))


def is_dtensor(tensor) -> bool:
    from torch.distributed.tensor import DTensor
    return isinstance(tensor, DTensor)


def main():
    cases, rank, world, port, out_dir = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    try:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor import Shard, distribute_tensor

        import weightinit.torch as wt
        if set(cases.split(",")) - {"modules"}:
            import transformers
            transformers.logging.set_verbosity_error()
        mesh = init_device_mesh("cpu", (world,))
        try:
            wt.normal_(distribute_tensor(torch.empty(4, 4), mesh, [Shard(0)]), seed=0)
        except (TypeError, RuntimeError) as exc:
            print(f"no DTensor support: {exc}", file=sys.stderr)
            sys.exit(3)
        for case in cases.split(","):
            run_case(case, rank, mesh, out_dir)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
