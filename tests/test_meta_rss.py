"""A model built on the meta device, through module_specs or record_init and
save_safetensors, is never materialized: the peak RSS of a subprocess does
not grow with the model's size (two sizes, 8x apart; a generous margin,
well below what materializing the difference would take)."""
import json
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch is not installed (pip install torch)")

SCRIPT = r"""
import json, resource, sys
import torch
import weightinit, weightinit.torch as wt
layers, how, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with torch.device("meta"):
    model = torch.nn.Sequential(*[torch.nn.Linear(2048, 2048) for _ in range(layers)])
if how == "specs":
    specs = wt.module_specs(model)
else:
    with wt.record_init(module=model) as rec:
        for layer in model:
            layer.reset_parameters()
    specs = rec.specs
info = weightinit.save_safetensors(path, specs, seed=0, threads=1)
assert all(p.is_meta for p in model.parameters())
print(json.dumps({"bytes": info["bytes"],
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SMALL, LARGE = 2, 16          # 32 MiB and 256 MiB of float32 weights


def peak(tmp_path, layers, how):
    path = tmp_path / f"{how}-{layers}.safetensors"
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(layers), how, str(path)],
                         check=True, capture_output=True, text=True).stdout
    path.unlink()
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize("how", ["specs", "record"])
def test_peak_rss_does_not_grow_with_model_size(tmp_path, how):
    small, large = peak(tmp_path, SMALL, how), peak(tmp_path, LARGE, how)
    grown_bytes = large["bytes"] - small["bytes"]
    assert grown_bytes > 200 << 20
    grown_rss = (large["maxrss_kib"] - small["maxrss_kib"]) * 1024
    # materializing the difference would add grown_bytes; allow a quarter of it
    assert grown_rss < grown_bytes / 4, (small, large)
