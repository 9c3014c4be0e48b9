"""Shared test set-up: helper modules in tests/ (the pure-NumPy reference,
the stability cases) import by name under --import-mode=importlib; every
test has its own recorded-spec cache."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _private_spec_cache(tmp_path_factory, monkeypatch):
    """A fresh ``WEIGHTINIT_CACHE_DIR`` (weightinit._spec_cache): no test
    reads another's entries or writes into the user's ~/.cache."""
    monkeypatch.setenv("WEIGHTINIT_CACHE_DIR", str(tmp_path_factory.mktemp("spec-cache")))
