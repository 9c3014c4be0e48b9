"""Benchmarks are run explicitly: ``python -m pytest benchmarks`` (needs
pytest-benchmark); the test command's testpaths never collect them. Helper
modules here (torch_init.py) import by name under --import-mode=importlib."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
