"""The ``weightinit`` command: init, tensor, safe files, Ctrl-C."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi
from weightinit.cli import main

safetensors = pytest.importorskip("safetensors", reason=missing("safetensors", TEST))
from safetensors import safe_open  # noqa: E402

SPEC = {"seed": 4, "tensors": {
    "dense.kernel": {"shape": [64, 32], "init": "he_normal", "dtype": "bfloat16"},
    "dense.bias": {"shape": [32], "init": "zeros"},
    "out.kernel": {"shape": [32, 10], "init": {"name": "variance_scaling", "scale": 0.5,
                                                "mode": "fan_avg", "distribution": "uniform"}},
}}


def _spec_file(tmp_path, doc=SPEC):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return path


def test_init_writes_the_spec(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["init", str(_spec_file(tmp_path)), "-o", str(out)]) == 0
    assert "3 tensors" in capsys.readouterr().out
    with safe_open(str(out), "np") as f:
        np.testing.assert_array_equal(
            f.get_tensor("out.kernel"),
            wi.variance_scaling((32, 10), 0.5, "fan_avg", "uniform", seed=4, stream="out.kernel"))
        assert f.metadata()["weightinit.seed"] == "4"


def test_seed_option_overrides_the_spec(tmp_path):
    out = tmp_path / "m.safetensors"
    assert main(["init", str(_spec_file(tmp_path)), "-o", str(out), "--seed", "9", "--quiet"]) == 0
    with safe_open(str(out), "np") as f:
        np.testing.assert_array_equal(f.get_tensor("dense.kernel").view(np.uint16),
                                      wi.he_normal((64, 32), seed=9, stream="dense.kernel",
                                                   dtype="bfloat16").view(np.uint16))


def test_shipped_spec_by_name(tmp_path):
    out = tmp_path / "mlp.safetensors"
    assert main(["init", "mlp_small", "-o", str(out), "--quiet"]) == 0
    with safe_open(str(out), "np") as f:
        assert f.get_tensor("dense_1.kernel").shape == (784, 512)


def test_shipped_gpt_spec_is_about_1_3b_parameters():
    from weightinit.cli import SPECS_DIR
    from weightinit.safetensors import load_spec_file, validate_specs
    seed, tensors = load_spec_file(SPECS_DIR / "gpt_1.3b.json")
    checked = validate_specs(tensors)
    total = sum(int(np.prod(t["shape"])) for t in checked.values())
    assert 1.2e9 < total < 1.4e9
    assert {t["dtype"].name for t in checked.values()} == {"bfloat16"}


def test_existing_output_is_kept_without_force(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"precious")
    assert main(["init", str(_spec_file(tmp_path)), "-o", str(out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main(["init", str(_spec_file(tmp_path)), "-o", str(out), "--quiet", "--force"]) == 0


@pytest.mark.parametrize("tensor,field", [
    ({"shape": [3, "x"], "init": "zeros"}, "shape"),
    ({"shape": [3, 3], "init": "glorot"}, "init"),
    ({"shape": [3, 3], "init": {"name": "variance_scaling", "distribution": "gauss"}}, "distribution"),
    ({"shape": [3, 3], "init": "zeros", "dtype": "complex64"}, "dtype"),
])
def test_bad_spec_names_the_field_and_writes_nothing(tmp_path, capsys, tensor, field):
    doc = {"seed": 0, "tensors": {"ok": {"shape": [2], "init": "ones"}, "bad": tensor}}
    out = tmp_path / "m.safetensors"
    assert main(["init", str(_spec_file(tmp_path, doc)), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad" in err and field in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]


def test_tensor_to_npy_and_safetensors(tmp_path):
    npy = tmp_path / "emb.npy"
    assert main(["tensor", "he_normal", "--shape", "500", "64", "--dtype", "float16",
                 "-o", str(npy), "--seed", "3", "--stream", "emb", "--quiet"]) == 0
    np.testing.assert_array_equal(np.load(npy), wi.he_normal((500, 64), seed=3, stream="emb",
                                                             dtype="float16"))
    st = tmp_path / "emb.safetensors"
    assert main(["tensor", "truncated_normal", "--shape", "10", "8", "--dtype", "bfloat16",
                 "--param", "stddev=0.02", "-o", str(st), "--seed", "3", "--stream", "emb",
                 "--quiet"]) == 0
    with safe_open(str(st), "np") as f:
        np.testing.assert_array_equal(
            f.get_tensor("emb").view(np.uint16),
            wi.truncated_normal((10, 8), stddev=0.02, seed=3, stream="emb",
                                dtype="bfloat16").view(np.uint16))


def test_tensor_bfloat16_npy_is_refused(tmp_path, capsys):
    out = tmp_path / "x.npy"
    assert main(["tensor", "zeros", "--shape", "4", "--dtype", "bfloat16", "-o", str(out)]) == 2
    assert ".safetensors" in capsys.readouterr().err
    assert not out.exists()


def test_console_script_and_module_agree():
    done = subprocess.run([sys.executable, "-m", "weightinit", "--help"], capture_output=True,
                          text=True, check=True)
    assert "init" in done.stdout and "tensor" in done.stdout and "bench" in done.stdout


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigint_leaves_no_file_and_no_temporary(tmp_path):
    """A run of several seconds (scalar kernel, one thread) interrupted
    part-way: non-zero exit, nothing under the final name, no temporary."""
    doc = {"seed": 0, "tensors": {f"layer{i}": {"shape": [2048, 4096], "init": "he_normal"}
                                  for i in range(16)}}
    out = tmp_path / "big.safetensors"
    env = dict(os.environ, WEIGHTINIT_ISA="scalar")
    child = subprocess.Popen([sys.executable, "-m", "weightinit", "init",
                              str(_spec_file(tmp_path, doc)), "-o", str(out), "--threads", "1",
                              "--quiet"], env=env, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and child.poll() is None, "never started writing"
        time.sleep(0.05)
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    err = child.communicate(timeout=30)[1]
    assert child.returncode != 0
    assert "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]


def test_main_job_keeps_an_existing_output_and_says_how_to_rerun(tmp_path, monkeypatch, capsys):
    """``python -m weightinit`` overwrote gpt_1.3b.safetensors although the
    README says files are kept unless --force."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gpt_1.3b.safetensors").write_bytes(b"last week's run")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("weightinit: error: gpt_1.3b.safetensors exists and is kept")
    assert "python -m weightinit --force" in err
    assert (tmp_path / "gpt_1.3b.safetensors").read_bytes() == b"last week's run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpt_1.3b.safetensors"]


def test_main_job_force_option_reaches_the_writer(tmp_path, monkeypatch):
    import weightinit.cli as cli
    calls = []
    monkeypatch.setattr(cli, "init_model", lambda *a, **k: calls.append((a, k)) or 0)
    assert main(["--force"]) == 0 and main([]) == 0
    assert [k["force"] for _, k in calls] == [True, False]
    assert calls[0][0] == ("gpt_1.3b", "gpt_1.3b.safetensors")


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"weightinit {wi.__version__}"


def test_list_shows_initializers_with_defaults_and_the_shipped_specs(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "variance_scaling   scale=1.0, mode='fan_in', distribution='truncated_normal'" in out
    assert "random_uniform     minval=-0.05, maxval=0.05" in out
    assert "kaiming_normal" in out and "(= he_normal)" in out
    # the catalogue's declarations: constraints, sampler, fan keywords
    assert "stddev: a finite float > 0" in out
    assert "mode: one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'" in out
    assert "[variance_scaling, random; fans: in_axis=-2, out_axis=-1, batch_axis=()" in out
    assert "ones               -  [constant, deterministic]" in out
    assert "gpt_1.3b           292 tensors, 1,315,819,520 parameters" in out
    assert "mlp_small" in out


@pytest.mark.parametrize("argv,field", [
    (["init", "mlp_small", "-o", "m.npy"], "-o/--output must end in .safetensors"),
    (["tensor", "zeros", "--shape", "4", "-o", "m.pt"], "must end in .npy or .safetensors"),
    (["tensor", "he_norml", "--shape", "4", "-o", "m.npy"], "did you mean 'he_normal'?"),
    (["init", "gpt_13b", "-o", "m.safetensors"], "did you mean 'gpt_1.3b'?"),
    (["tensor", "zeros", "--shape", "4", "-o", "m.npy", "--stream", "\u00b2"], "--stream"),
    (["tensor", "zeros", "--shape", "4", "-o", "m.safetensors", "--stream", "7"], "--stream"),
])
def test_errors_name_the_field_exit_2_and_write_nothing(tmp_path, monkeypatch, capsys, argv, field):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as done:        # argparse's usage errors
        code = done.code
    assert code == 2
    err = capsys.readouterr().err
    assert "weightinit: error: " in err and field in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_int_stream_goes_to_npy_and_names_to_safetensors(tmp_path):
    npy = tmp_path / "w.npy"
    assert main(["tensor", "he_normal", "--shape", "6", "5", "--stream", "7", "--seed", "1",
                 "-o", str(npy), "--quiet"]) == 0
    np.testing.assert_array_equal(np.load(npy), wi.he_normal((6, 5), seed=1, stream=7))
    st = tmp_path / "w.safetensors"
    assert main(["tensor", "he_normal", "--shape", "6", "5", "--seed", "1", "-o", str(st),
                 "--quiet"]) == 0
    with safe_open(str(st), "np") as f:     # the tensor's name, and so its stream, is the stem
        np.testing.assert_array_equal(f.get_tensor("w"), wi.he_normal((6, 5), seed=1, stream="w"))


NO_TRACEBACK = [
    ["init", "spec.json", "-o", "m.safetensors"],                    # RecursionError before
    ["tensor", "he_normal", "--shape", "4", "-o", "w.npy", "--stream", "\u00b2"],   # ValueError
    ["init", "shape4.json", "-o", "m.safetensors"],                  # TypeError after writing
    ["init", "mlp_small", "-o", "no/such/folder/m.safetensors"],      # OSError
    ["init", "mlp_small", "-o", "adir.safetensors"],                 # the target is a folder
]


@pytest.mark.parametrize("argv", NO_TRACEBACK, ids=["deep-json", "stream-superscript", "shape-int",
                                                    "missing-folder", "target-is-folder"])
def test_the_command_never_shows_a_traceback(tmp_path, argv):
    (tmp_path / "spec.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "shape4.json").write_text('{"seed": 0, "tensors": {"w": {"shape": 4, "init": "zeros"}}}')
    (tmp_path / "adir.safetensors").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run([sys.executable, "-m", "weightinit", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("weightinit: error: ") or "\nweightinit: error: " in done.stderr
    assert done.returncode == (1 if "folder" in done.stderr else 2), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_list_into_a_closed_pipe_is_quiet():
    """``weightinit list | head -1``: the reader has gone; no error, exit 0."""
    import subprocess
    import sys
    read_end, write_end = os.pipe()
    os.close(read_end)                  # every write to the pipe fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "weightinit", "list"], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 0 and proc.stderr == b""
