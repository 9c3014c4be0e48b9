"""Root pytest configuration: skip doctests of adapters whose optional
dependency is not installed (their tests skip with a reason instead)."""
import importlib.util

collect_ignore = []
for module, needs in (("src/weightinit/dask.py", "dask"), ("src/weightinit/torch.py", "torch"),
                      ("src/weightinit/jax.py", "jax")):
    if importlib.util.find_spec(needs) is None:
        collect_ignore.append(module)
