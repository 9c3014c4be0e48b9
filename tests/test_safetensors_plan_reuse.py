"""Files write each elementwise tensor from one plan: checked once with its
spec, moved to the file's key and the tensor's stream once, and filled
window by window with nothing validated or hashed again; the bytes are the
initializer's (docs/contract.md 7)."""
import numpy as np
import pytest

import weightinit as wi
import weightinit.safetensors as st
from weightinit import _npy, _plan
from weightinit.safetensors import SpecError, validate_specs
from _safetensors_bytes import tensors

SPECS = {"w": {"shape": [70, 33], "init": "he_normal"},
         "u": {"shape": [40, 9], "init": {"name": "random_uniform", "minval": -1, "maxval": 2},
               "dtype": "float16"},
         "q": {"shape": [12, 5], "init": "orthogonal"}}


def test_windows_fill_one_plan_per_tensor(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", 1 << 10)      # many windows per tensor
    hashed, filled, built = [], [], []
    real_sid, real_fill, real_make = st.stream_id, _plan.Plan.fill, _plan.make
    monkeypatch.setattr(st, "stream_id", lambda s: hashed.append(s) or real_sid(s))
    monkeypatch.setattr(_plan.Plan, "fill",
                        lambda self, *a, **k: filled.append(self) or real_fill(self, *a, **k))
    monkeypatch.setattr(_plan, "make", lambda *a, **k: built.append(a) or real_make(*a, **k))
    path = tmp_path / "m.safetensors"
    st.save_safetensors(path, SPECS, seed=11)
    # w's plan is made once, with its spec (key and stream 0), not per window
    assert [(a[1], a[3], a[4]) for a in built if a[1] == (70, 33)] == [((70, 33), (0, 0), 0)]
    assert sorted(hashed) == ["q", "u", "w"]  # each name hashed once
    w_fills = [p for p in filled if p.shape == (70, 33)]
    assert len(w_fills) >= 9 and len({id(p) for p in w_fills}) == 1   # one plan, many windows
    assert validate_specs(SPECS)["q"]["plan"] is None   # orthogonal has no plan: fn per window
    got = tensors(path)
    assert got["w"][1] == wi.he_normal((70, 33), seed=11, stream="w").tobytes()
    assert got["u"][1] == wi.random_uniform((40, 9), -1, 2, seed=11, stream="u",
                                            dtype="float16").tobytes()
    assert got["q"][1] == wi.orthogonal((12, 5), seed=11, stream="q").tobytes()


def test_npy_windows_match_the_initializer(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_WINDOW_BYTES", 1 << 9)
    path = tmp_path / "x.npy"
    _npy.save_npy(path, "truncated_normal", (33, 17), seed=4, stream="layer",
                  params={"stddev": 0.5}, dtype="float64")
    assert (np.load(path) == wi.truncated_normal((33, 17), stddev=0.5, seed=4, stream="layer",
                                                 dtype="float64")).all()


@pytest.mark.parametrize("init, words", [
    ({"name": "he_normal", "bogus": 1}, "he_normal() got an unexpected keyword argument 'bogus'"),
    ({"name": "random_uniform", "minval": 2, "maxval": 1}, "minval"),
    ({"name": "constant", "value": "x"}, "value"),            # no plan: the probe's error
])
def test_spec_errors_are_the_initializers(init, words):
    with pytest.raises(SpecError, match="tensors\\['t'\\].init: ") as err:
        validate_specs({"t": {"shape": [4, 4], "init": init}})
    assert words in str(err.value)
