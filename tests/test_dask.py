"""weightinit.dask: any chunking equals the local call; a LocalCluster with
two worker processes computes the same; to_zarr round-trips."""
import numpy as np
import pytest
from _extras import TEST, missing

import weightinit as wi

da = pytest.importorskip("dask.array", reason=missing("dask", TEST))
import weightinit.dask as wid  # noqa: E402


@pytest.mark.parametrize("chunks", [(64, 50), (1000, 300), (7, 299), "auto", ((500, 300, 200), (1, 299))])
@pytest.mark.parametrize("name,params", [("he_normal", {}), ("glorot_uniform", {}),
                                         ("variance_scaling", {"scale": 0.1, "mode": "fan_out"}),
                                         ("random_normal", {"stddev": 0.3}), ("zeros", {})])
def test_any_chunking_equals_the_local_call(chunks, name, params):
    x = wid.from_initializer(name, (1000, 300), chunks=chunks, seed=5, stream="w", **params)
    local = getattr(wi, name)((1000, 300), seed=5, stream="w", **params)
    np.testing.assert_array_equal(x.compute(scheduler="threads"), local)


def test_orthogonal_blocks_slice_one_matrix():
    """Each block computes the whole QR and returns its part (small shape:
    the cost is a QR per block)."""
    x = wid.orthogonal((120, 30), chunks=(7, 11), seed=2, gain=1.5)
    np.testing.assert_array_equal(x.compute(), wi.orthogonal((120, 30), seed=2, gain=1.5))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_dtypes_and_3d(dtype):
    x = wid.he_uniform((6, 40, 50), chunks=(4, 16, 25), seed=1, dtype=dtype)
    assert x.dtype == wi._checks.resolve_dtype(dtype)
    np.testing.assert_array_equal(x.compute().view(np.uint8),
                                  wi.he_uniform((6, 40, 50), seed=1, dtype=dtype).view(np.uint8))


def test_seed_none_is_drawn_once_for_all_blocks():
    x = wid.random_uniform((100, 10), chunks=(10, 10))
    values = x.compute()
    np.testing.assert_array_equal(values, x.compute())   # same graph, same seed
    assert len(np.unique(values)) > 900


def test_bad_parameters_fail_at_construction():
    with pytest.raises(ValueError, match="mode"):
        wid.variance_scaling((10, 10), mode="fanin")
    with pytest.raises(ValueError, match="name"):
        wid.from_initializer("no_such", (10, 10))


def test_local_cluster_with_two_processes_and_zarr(tmp_path):
    distributed = pytest.importorskip("distributed", reason=missing("distributed", TEST))
    zarr = pytest.importorskip("zarr", reason=missing("zarr", TEST))
    x = wid.he_normal((2048, 512), chunks=(512, 256), seed=7, stream="encoder.0")
    local = wi.he_normal((2048, 512), seed=7, stream="encoder.0")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        np.testing.assert_array_equal(client.compute(x).result(), local)
        x.to_zarr(str(tmp_path / "w.zarr"))
    np.testing.assert_array_equal(zarr.open(str(tmp_path / "w.zarr"), mode="r")[...], local)


def test_names_are_a_token_of_everything_that_decides_the_values():
    """Two arrays that differ only in a parameter, the shape, the chunks, the
    region, the dtype, the seed or the stream must not share a graph name
    (Dask would take one's blocks for the other's)."""
    base = dict(shape=(1000, 1000), stddev=1.0, seed=0, stream=0, chunks=(500, 500))
    a = wid.random_normal(**base)
    variants = [dict(stddev=2.0), dict(shape=(1000, 999)), dict(chunks=(250, 1000)),
                dict(region=(slice(0, 500),), chunks=(250, 500)), dict(dtype="float64"),
                dict(seed=1), dict(seed=2**32), dict(stream=1), dict(stream="w"), dict(mean=0.5)]
    names = {a.name}
    for change in variants:
        b = wid.random_normal(**{**base, **change})
        assert b.name not in names, change
        names.add(b.name)
    assert wid.random_normal(**base).name == a.name          # same call, same graph
    assert wid.random_normal(**{**base, "seed": np.random.SeedSequence(5)}).name == \
        wid.random_normal(**{**base, "seed": np.random.SeedSequence(5)}).name


def test_two_arrays_in_one_compute_keep_their_own_blocks():
    import dask
    a = wid.random_normal((1000, 1000), stddev=1.0, seed=0, chunks=(500, 500))
    b = wid.random_normal((1000, 1000), stddev=2.0, seed=0, chunks=(500, 500))
    x, y = dask.compute(a, b, scheduler="threads")
    np.testing.assert_array_equal(x, wi.random_normal((1000, 1000), stddev=1.0, seed=0))
    np.testing.assert_array_equal(y, wi.random_normal((1000, 1000), stddev=2.0, seed=0))
    assert 0.9 < float((b - a).std().compute()) < 1.1


def test_different_chunkings_of_one_call_combine():
    a = wid.he_normal((1000, 300), seed=3, chunks=(500, 300))
    b = wid.he_normal((1000, 300), seed=3, chunks=(128, 64))
    assert float(abs(a - b).max().compute()) == 0.0
    np.testing.assert_array_equal((a + b).compute(), 2 * wi.he_normal((1000, 300), seed=3))


def test_region_is_the_same_part_of_the_whole():
    x = wid.glorot_uniform((600, 80), seed=4, region=(slice(100, 350), slice(8, 70)), chunks=64)
    assert x.shape == (250, 62)
    np.testing.assert_array_equal(x.compute(), wi.glorot_uniform((600, 80), seed=4)[100:350, 8:70])


def test_seed_sequence_is_the_key_it_gives():
    seq = np.random.SeedSequence(123)
    x = wid.he_uniform((64, 32), seed=seq, chunks=16)
    np.testing.assert_array_equal(x.compute(), wi.he_uniform((64, 32), seed=seq))


def test_package_attribute_is_the_dask_module():
    """``weightinit.dask`` (imported on first use) is this module, not weightinit.torch."""
    import subprocess
    import sys
    code = "import weightinit; print(weightinit.dask.__name__, weightinit.torch.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["weightinit.dask", "weightinit.torch"]
