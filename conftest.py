"""Root pytest configuration: skip doctests of adapters whose optional
dependency is not installed (their tests skip with a reason instead)."""
import importlib.util

_ADAPTERS = {
    "dask": ["src/weightinit/dask.py"],
    "torch": ["src/weightinit/torch", "src/weightinit/_torch_fast_init.py",
              "src/weightinit/_torch_intercept.py", "src/weightinit/_torch_ledger.py",
              "src/weightinit/_bench_torch.py"],
    "jax": ["src/weightinit/jax.py"],
}
collect_ignore = [path for needs, paths in _ADAPTERS.items()
                  if importlib.util.find_spec(needs) is None for path in paths]
