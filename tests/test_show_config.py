"""``weightinit.show_config()`` (src/weightinit/_config.py): what this
installation runs, read from the same state the fills use."""
import json
import os
import subprocess
import sys

import weightinit as wi
from weightinit import _config


def run_config(**env):
    """config() in a fresh interpreter with ``env`` set (ISA and threads are
    read once at import)."""
    code = "import json, weightinit._config as c; print(json.dumps(c.config()))"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_config_reports_the_running_kernel_and_threads():
    cfg = _config.config()
    assert cfg["weightinit"] == wi.__version__
    assert cfg["isa"]["selected"] in cfg["isa"]["available"]
    assert set(cfg["isa"]["available"]) <= set(cfg["isa"]["compiled"])
    assert cfg["isa"]["best"] in cfg["isa"]["available"]
    assert cfg["threads"]["default"] == wi.get_num_threads()
    assert cfg["build"]["compiler"] and cfg["build"]["flags"]


def test_config_follows_the_environment():
    cfg = run_config(WEIGHTINIT_ISA="scalar", WEIGHTINIT_NUM_THREADS="1")
    assert cfg["isa"]["selected"] == "scalar"
    assert cfg["isa"]["WEIGHTINIT_ISA"] == "scalar"
    assert cfg["threads"] == {"default": 1, "WEIGHTINIT_NUM_THREADS": "1"}


def test_show_config_prints_what_config_returns(capsys):
    wi.show_config()
    lines = capsys.readouterr().out.splitlines()
    cfg = _config.config()
    assert lines[0].startswith(f"weightinit {cfg['weightinit']} ")
    assert f"kernel (ISA): {cfg['isa']['selected']} " in lines[1]
    assert any(line.strip() == f"threads: {cfg['threads']['default']}"
               or line.strip().startswith(f"threads: {cfg['threads']['default']}  (")
               for line in lines)
