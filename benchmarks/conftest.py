"""Benchmarks are run explicitly: ``python -m pytest benchmarks`` (needs
pytest-benchmark); the test command's testpaths never collect them."""
