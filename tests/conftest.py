"""Shared test set-up: helper modules in tests/ (the pure-NumPy reference,
the stability cases) import by name under --import-mode=importlib."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
