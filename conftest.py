"""Doctest collection of the package: modules for optional frameworks are
left out when the framework is missing (their tests in tests/ skip with the
reason and the install command)."""
import importlib.util


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


collect_ignore = [] if _installed("jax") else ["src/weightinit/jax.py"]
