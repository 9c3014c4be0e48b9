"""Regenerate tests/data/stability_sha256.json (only for a deliberate,
major-version change of a published stream; see tests/stability_cases.py)."""
import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "tests"))
import stability_cases  # noqa: E402

hashes = {name: stability_cases.digest(make(), rounded)
          for name, (make, rounded) in sorted(stability_cases.cases().items())}
path = root / "tests" / "data" / "stability_sha256.json"
path.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
print(f"wrote {len(hashes)} hashes to {path}")
