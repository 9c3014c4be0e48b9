"""Doctest collection of the package: modules for optional frameworks are
left out when the framework is missing (their tests in tests/ skip with the
reason and the install command)."""
import importlib.util

collect_ignore = [] if importlib.util.find_spec("jax") else ["src/weightinit/jax.py"]
