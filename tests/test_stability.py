"""Stream stability: the SHA-256 of long outputs of every public initializer
must never change (docs/contract.md 2), and every public initializer must have
stored hashes."""
import json
from pathlib import Path

import pytest

import weightinit.torch as wit
import stability_cases as cases_module

STORED = json.loads((Path(__file__).parent / "data" / "stability_sha256.json").read_text())
CASES = cases_module.cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_hash_is_unchanged(name):
    assert name in STORED, f"{name} has no stored hash: run tools/make_stability_hashes.py"
    make, rounded = CASES[name]
    assert cases_module.digest(make(), rounded) == STORED[name], (
        f"{name} changed: a published stream differs (a breaking change, docs/contract.md 2)")


def test_every_public_initializer_has_stored_hashes():
    names = cases_module.public_functions()
    torch_names = [n for n in wit.__all__ if n.endswith("_")]
    missing = [n for n in names if not any(k.startswith(f"function:{n}:") for k in STORED)]
    missing += [n for n in torch_names if not any(k.startswith(f"torch:{n}:") for k in STORED)]
    assert not missing, f"public initializers without a stored hash: {missing}"


def test_no_stale_hashes():
    assert sorted(STORED) == sorted(CASES), "stored hashes and cases differ"
