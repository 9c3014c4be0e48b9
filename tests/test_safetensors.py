"""save_safetensors: files read back by the real safetensors library equal
the in-memory initializer calls; metadata; bounded RAM; safe failure."""
import json
import math
import os
import subprocess
import sys
import textwrap

# safetensors' NumPy reader knows "bfloat16" only once ml_dtypes registered it
# (the writer no longer imports it)
import ml_dtypes  # noqa: F401
import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi
from weightinit.safetensors import _windows

safetensors = pytest.importorskip("safetensors", reason=missing("safetensors", TEST))
from safetensors import safe_open  # noqa: E402

SPECS = {
    "encoder.0.weight": {"shape": [300, 200], "init": "he_normal", "dtype": "bfloat16"},
    "encoder.0.bias": {"shape": [200], "init": "zeros", "dtype": "float16"},
    "scalar": {"shape": [], "init": {"name": "constant", "value": 3.0}, "dtype": "float64"},
    "conv": {"shape": [3, 3, 16, 32], "init": {"name": "variance_scaling", "scale": 2.0,
                                               "mode": "fan_avg", "distribution": "uniform"},
             "dtype": "float32"},
    "emb": {"shape": [1000, 64], "init": {"name": "random_normal", "stddev": 0.02}, "dtype": "float64"},
    "line": {"shape": [1001], "init": "glorot_uniform", "dtype": "float32"},
    "q": {"shape": [64, 32], "init": "orthogonal", "dtype": "float32"},
}


def _expected(name, spec, seed):
    init = spec["init"]
    fname, params = (init, {}) if isinstance(init, str) else (
        init["name"], {k: v for k, v in init.items() if k != "name"})
    return getattr(wi, fname)(tuple(spec["shape"]), seed=seed, stream=name, dtype=spec["dtype"], **params)


def _bits(a):
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("st") / "model.safetensors"
    wi.save_safetensors(path, SPECS, seed=11)
    return path


def test_numpy_reads_back_every_tensor_bit_for_bit(written):
    with safe_open(str(written), "np") as f:
        assert sorted(f.keys()) == sorted(SPECS)
        for name, spec in SPECS.items():
            got = f.get_tensor(name)
            want = _expected(name, spec, 11)
            assert got.shape == tuple(spec["shape"])
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(_bits(got), _bits(want), err_msg=name)


def test_torch_reads_back_bfloat16_and_others(written):
    torch = pytest.importorskip("torch", reason=missing("torch"))
    with safe_open(str(written), "pt") as f:
        w = f.get_tensor("encoder.0.weight")
        assert w.dtype == torch.bfloat16
        want = _expected("encoder.0.weight", SPECS["encoder.0.weight"], 11)
        np.testing.assert_array_equal(_bits(w.view(torch.int16).numpy()), _bits(want))
        assert f.get_tensor("scalar").item() == 3.0


def test_metadata_records_seed_and_specs(written):
    with safe_open(str(written), "np") as f:
        meta = f.metadata()
    assert meta["weightinit.seed"] == "11"
    assert meta["weightinit.version"] == wi.__version__
    recorded = json.loads(meta["weightinit.specs"])
    assert recorded["conv"]["init"] == {"name": "variance_scaling", "scale": 2.0,
                                        "mode": "fan_avg", "distribution": "uniform"}
    assert recorded["encoder.0.weight"]["dtype"] == "bfloat16"


def test_adding_a_tensor_changes_no_other(tmp_path):
    small = {k: SPECS[k] for k in ("line", "emb")}
    wi.save_safetensors(tmp_path / "a.safetensors", small, seed=3)
    wi.save_safetensors(tmp_path / "b.safetensors", SPECS, seed=3)
    with safe_open(str(tmp_path / "a.safetensors"), "np") as a, \
            safe_open(str(tmp_path / "b.safetensors"), "np") as b:
        for name in small:
            np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name))


def test_small_windows_give_the_same_file(tmp_path, monkeypatch):
    import weightinit.safetensors as st
    wi.save_safetensors(tmp_path / "big.safetensors", SPECS, seed=2)
    monkeypatch.setattr(st, "_WINDOW_BYTES", 1000)
    wi.save_safetensors(tmp_path / "small.safetensors", SPECS, seed=2)
    assert (tmp_path / "big.safetensors").read_bytes() == (tmp_path / "small.safetensors").read_bytes()


@pytest.mark.parametrize("shape,limit", [((4, 3), 100), ((5, 7, 3), 10), ((5, 7, 3), 2),
                                         ((10,), 3), ((), 5), ((3, 0, 2), 4), ((2, 9), 4)])
def test_windows_cover_each_element_once_in_order(shape, limit):
    cover = np.zeros(shape, int)
    order = np.arange(math.prod(shape)).reshape(shape)
    last = -1
    for region in _windows(shape, limit):
        piece = order[region].reshape(-1)
        assert piece.size <= max(limit, 1) or piece.size == 0
        if piece.size:
            assert piece[0] == last + 1 and (np.diff(piece) == 1).all()   # contiguous, C order
            last = piece[-1]
        cover[region] += 1
    assert (cover == 1).all()


@pytest.mark.parametrize("specs,field", [
    ({"w": {"shape": [3, -1], "init": "he_normal"}}, "shape"),
    ({"w": {"shape": [3, 3], "init": "he_nromal"}}, "init"),
    ({"w": {"shape": [3, 3], "init": {"name": "variance_scaling", "mode": "fanin"}}}, "mode"),
    ({"w": {"shape": [3, 3], "init": {"name": "random_normal", "stddev": -1}}}, "stddev"),
    ({"w": {"shape": [3, 3], "init": "he_normal", "dtype": "int8"}}, "dtype"),
    ({"w": {"shape": [3, 3], "init": "he_normal", "dtpye": "float32"}}, "dtpye"),
    ({"w": {"init": "he_normal"}}, "shape"),
    ({"w": {"shape": [3, 3], "init": {"name": "he_normal", "seed": 1}}}, "seed"),
    ({"w": [3, 3]}, "tensors['w']"),
    ({}, "specs"),
])
def test_bad_specs_are_rejected_before_writing(tmp_path, specs, field):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        wi.save_safetensors(path, specs, seed=0)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_needs_force(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        wi.save_safetensors(path, {"w": SPECS["line"]}, seed=0)
    assert path.read_bytes() == b"keep me"
    wi.save_safetensors(path, {"w": SPECS["line"]}, seed=0, force=True)
    with safe_open(str(path), "np") as f:
        assert f.get_tensor("w").shape == (1001,)


def test_error_mid_write_leaves_no_file(tmp_path, monkeypatch):
    import weightinit.safetensors as st
    calls = {"n": 0}
    real = st._write_tensor

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "_write_tensor", failing)
    with pytest.raises(OSError, match="disk full"):
        wi.save_safetensors(tmp_path / "m.safetensors", SPECS, seed=0)
    assert list(tmp_path.iterdir()) == []


RSS_CHILD = textwrap.dedent("""
    import sys
    import weightinit as wi
    import weightinit.safetensors as st
    st._WINDOW_BYTES = 4 << 20
    specs = {f"layer{i}.weight": {"shape": [2048, 2048], "init": "he_normal", "dtype": "float32"}
             for i in range(8)}                           # 8 x 16 MiB
    specs["embedding"] = {"shape": [8192, 4096], "init": "he_normal", "dtype": "float32"}  # 128 MiB
    def status_kib(field):   # VmHWM is this process's own peak; ru_maxrss
        with open("/proc/self/status") as f:   # would include the parent's
            return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))
    wi.he_normal((64, 64), seed=0)    # warm up: everything imported and cached
    before = status_kib("VmRSS")
    wi.save_safetensors(sys.argv[1], specs, seed=0, threads=2)
    print((status_kib("VmHWM") - before) // 1024)   # peak above the RSS before, MiB
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_peak_rss_stays_far_below_model_size(tmp_path):
    """A 256 MiB model (one tensor of 128 MiB) written with 4 MiB windows:
    peak RSS grows by less than the 64 MiB cap (a quarter of the model)."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, str(tmp_path / "m.safetensors")],
                         capture_output=True, text=True, check=True)
    grown_mib = int(out.stdout.strip())
    assert grown_mib < 64, f"peak RSS grew by {grown_mib} MiB for a 256 MiB model"
    assert os.path.getsize(tmp_path / "m.safetensors") > 256 * 2**20


def _strict_json(text):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_metadata_is_strict_json_and_records_the_stream_version(written):
    from weightinit._stream import STREAM_VERSION
    with safe_open(str(written), "np") as f:
        meta = f.metadata()
    assert meta["weightinit.stream"] == str(STREAM_VERSION)
    header_len = int.from_bytes(written.read_bytes()[:8], "little")
    _strict_json(written.read_bytes()[8:8 + header_len])       # the whole header
    _strict_json(meta["weightinit.specs"])


def test_nan_parameter_is_refused_not_written_as_bare_nan(tmp_path):
    """A NaN constant was recorded as bare ``NaN`` in weightinit.specs."""
    with pytest.raises(ValueError, match=r"tensors\['c'\].init: parameters must be JSON values"):
        wi.save_safetensors(tmp_path / "m.safetensors",
                            {"c": {"shape": [3], "init": {"name": "constant", "value": float("nan")}}},
                            seed=0)
    assert list(tmp_path.iterdir()) == []


def test_numpy_scalar_parameters_are_recorded_as_numbers(tmp_path):
    path = tmp_path / "m.safetensors"
    wi.save_safetensors(path, {"w": {"shape": [4, 4], "init": {"name": "random_normal",
                                                              "stddev": np.float32(0.5)}}}, seed=0)
    with safe_open(str(path), "np") as f:
        assert json.loads(f.metadata()["weightinit.specs"])["w"]["init"]["stddev"] == 0.5


@pytest.mark.parametrize("seq", [np.random.SeedSequence(12345),
                                 np.random.SeedSequence([1, 2, 3]),
                                 np.random.SeedSequence(7).spawn(2)[1]])
def test_seed_sequence_is_recorded_as_its_entropy(tmp_path, seq):
    """It was recorded as its multi-line repr. Now weightinit.seed is the
    entropy and weightinit.seed_sequence rebuilds the sequence exactly."""
    path = tmp_path / "m.safetensors"
    wi.save_safetensors(path, {"w": {"shape": [8, 8], "init": "he_normal"}}, seed=seq)
    with safe_open(str(path), "np") as f:
        meta = f.metadata()
        got = f.get_tensor("w")
    assert json.loads(meta["weightinit.seed"]) == seq.entropy
    rebuilt = np.random.SeedSequence(**json.loads(meta["weightinit.seed_sequence"]))
    np.testing.assert_array_equal(got, wi.he_normal((8, 8), seed=rebuilt, stream="w"))
    np.testing.assert_array_equal(got, wi.he_normal((8, 8), seed=seq, stream="w"))


def test_user_metadata_is_kept_and_may_be_any_mapping(tmp_path):
    import types
    path = tmp_path / "m.safetensors"
    wi.save_safetensors(path, {"w": {"shape": [2], "init": "ones"}}, seed=0,
                        metadata=types.MappingProxyType({"author": "me", "run": "7"}))
    with safe_open(str(path), "np") as f:
        assert f.metadata()["author"] == "me" and f.metadata()["weightinit.seed"] == "0"


def test_reserved_tensor_name_is_refused(tmp_path):
    """A tensor named __metadata__ replaced the file's metadata: the save
    reported success and the file could not be read."""
    with pytest.raises(ValueError, match=r"tensors\['__metadata__'\]: .*reserved"):
        wi.save_safetensors(tmp_path / "m.safetensors",
                            {"w": SPECS["line"], "__metadata__": SPECS["line"]}, seed=0)
    assert list(tmp_path.iterdir()) == []


def test_header_over_the_readers_100_mb_is_refused_before_writing(tmp_path):
    """The safetensors reader refuses a header over 100,000,000 bytes; such a
    file was written and could not be read. A 50 MB tensor name (recorded
    twice: as the key and in weightinit.specs) makes one."""
    from weightinit.safetensors import _MAX_HEADER_BYTES
    assert _MAX_HEADER_BYTES == 100_000_000
    name = "x" * 50_000_000
    with pytest.raises(ValueError, match=r"header would be 100,000,\d{3} bytes, more than the "
                                         r"100,000,000"):
        wi.save_safetensors(tmp_path / "m.safetensors", {name: {"shape": [1], "init": "zeros"}},
                            seed=0)
    assert list(tmp_path.iterdir()) == []


def test_spec_file_with_a_duplicate_tensor_name_is_refused(tmp_path):
    """json.load keeps the last of two equal keys: one tensor silently lost."""
    from weightinit.safetensors import load_spec_file
    path = tmp_path / "spec.json"
    path.write_text('{"seed": 0, "tensors": {"w": {"shape": [2], "init": "zeros"},'
                    ' "w": {"shape": [3], "init": "ones"}}}')
    with pytest.raises(ValueError, match=r"spec.json: duplicate key 'w'"):
        load_spec_file(path)


def test_window_plan_is_arithmetic():
    """Window k is found from k by division; the count is prod(leading axes)
    * chunks. (A 2**60-element plan, which the old planner materialized, is
    tried under a memory limit in test_file_faults.)"""
    import itertools
    first = list(itertools.islice(_windows((2**20, 2**30), 1 << 24), 65))
    assert first[0] == (slice(0, 1), slice(0, 1 << 24))
    assert first[63] == (slice(0, 1), slice(63 << 24, 64 << 24))
    assert first[64] == (slice(1, 2), slice(0, 1 << 24))
    assert sum(1 for _ in _windows((7, 5, 3), 4)) == 7 * 5
