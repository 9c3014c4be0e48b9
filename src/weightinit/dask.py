"""The initializers as Dask arrays (docs/contract.md section 7).

Each block is generated on its own through ``region=`` with fans from the
global shape, so the array is bit-identical to the local call for any
chunking, and blocks can be computed on any worker of a
``dask.distributed`` cluster (the task carries only the seed, stream and
parameters, never data).

Examples
--------
>>> import weightinit.dask as wid
>>> x = wid.he_normal((1000, 300), chunks=(256, 128), seed=0)
>>> x.chunks[0]
(256, 256, 256, 232)
>>> import weightinit as wi
>>> bool((x.compute() == wi.he_normal((1000, 300), seed=0)).all())
True
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ._catalogue import FUNCTION_NAMES
from ._checks import normalize_region, normalize_shape, resolve_dtype
from ._stream import key_from_seed, stream_id
from ._types import ChunksLike, DTypeLike, RegionLike, SeedLike, ShapeLike, StreamLike

try:
    import dask.array as da
    from dask.base import tokenize
except ImportError as err:  # pragma: no cover - optional dependency
    raise ImportError("weightinit.dask needs dask: pip install 'dask[array]'") from err

__all__ = ["from_initializer"]


class DaskInitializer(Protocol):
    """The signature of ``weightinit.dask.<name>``."""

    def __call__(self, shape: ShapeLike, *, chunks: ChunksLike = "auto", seed: SeedLike = None,
                 stream: StreamLike = 0, dtype: DTypeLike = None, region: RegionLike = None,
                 **params: Any) -> da.Array: ...


def _block(fn: Any, shape: tuple[int, ...], seed: int, stream: int, dtype: np.dtype[Any],
           params: dict[str, Any], start: tuple[int, ...],
           block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, np.dtype[Any]]:
    return fn(shape, seed=seed, stream=stream, dtype=dtype,
              region=_block_region(start, block_info), threads=1, **params)


def _plan_block(plan: Any, start: tuple[int, ...],
                block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, np.dtype[Any]]:
    return plan.fill(_block_region(start, block_info), threads=1)


def _block_region(start: tuple[int, ...],
                  block_info: dict[Any, Any] | None) -> tuple[slice, ...] | None:
    assert block_info is not None       # dask passes it to every block
    location = block_info[None]["array-location"]
    return tuple(slice(s + a, s + b) for s, (a, b) in zip(start, location)) or None


def from_initializer(name: str, shape: ShapeLike, *, chunks: ChunksLike = "auto",
                     seed: SeedLike = None, stream: StreamLike = 0, dtype: DTypeLike = None,
                     region: RegionLike = None, **params: Any) -> da.Array:
    """A Dask array whose blocks are ``weightinit.<name>(shape, region=block)``.

    Parameters
    ----------
    name : str
        A weightinit initializer, e.g. ``"he_normal"``.
    shape : int or tuple of int
        The global shape (fans come from it).
    chunks : int, str, sequence or mapping, default "auto"
        Block sizes, as in ``dask.array`` (``"auto"``, ``"64MiB"``, ``50``,
        ``(256, -1)``, ``{0: 100}``, ``((60, 40), (30,))``); any chunking
        gives the same values.
    seed : int, SeedSequence or None
        None draws one seed now, so every block shares it.
    region : slice or tuple of slices, optional
        The part of ``shape`` the array holds (default all): the array
        equals ``weightinit.<name>(shape, ...)[region]``.
    stream, dtype, **params
        As for the initializer. Blocks run one thread each (Dask provides
        the parallelism).

    Notes
    -----
    The graph's name is a token (``dask.base.tokenize``) of everything that
    decides the values: for the elementwise initializers the plan's token
    (:attr:`weightinit._plan.Plan.token`: distribution, parameters, global
    shape, dtype, key and stream), for the others the initializer and its
    arguments; then the region and the chunks. Two arrays share blocks only when their
    values are the same, as for Dask's own arrays.

    Examples
    --------
    >>> import weightinit.dask as wid
    >>> a = wid.random_normal((100, 100), stddev=1.0, seed=0, chunks=50)
    >>> b = wid.random_normal((100, 100), stddev=2.0, seed=0, chunks=50)
    >>> a.name != b.name
    True
    """
    from . import initializers
    if name not in getattr(initializers, "__all__", ()) or not name[:1].islower() or name == "get":
        raise ValueError(f"name must be a weightinit initializer; got {name!r}")
    fn = getattr(initializers, name)
    shape = normalize_shape(shape)
    dtype = resolve_dtype(dtype)
    start, size = normalize_region(region, shape)
    # Blocks carry the key as the int seed that gives it (docs/contract.md 2), so a
    # SeedSequence is not shipped to every task and the token is exact.
    key0, key1 = key_from_seed(seed)
    seed = key0 | (key1 << 32)
    stream = stream_id(stream)
    if name in initializers._PLAN_BUILDERS:
        # One plan, validated now (not on a worker later), shipped to every
        # block; the graph's token is the plan's.
        plan = initializers.plan(name, shape, seed=seed, stream=stream, dtype=dtype, **params)
        block = functools.partial(_plan_block, plan, start)
        what = plan.token
    else:
        # Validate every parameter now, on an empty region, not on a worker later.
        fn(shape, seed=seed, stream=stream, dtype=dtype,
           region=tuple(slice(0, 0) for _ in shape) or None, **params)
        block = functools.partial(_block, fn, shape, seed, stream, dtype, params, start)
        what = (name, sorted(params.items()), shape, dtype.str, dtype.name, seed, stream)
    chunks = da.core.normalize_chunks(chunks, size, dtype=dtype)
    token = tokenize(what, start, size, chunks)
    return da.map_blocks(block, chunks=chunks, dtype=dtype,
                         meta=np.empty((0,) * len(shape), dtype),
                         name=f"weightinit-{name}-{token}")


def _make(name: str) -> DaskInitializer:
    def initializer(shape: ShapeLike, *, chunks: ChunksLike = "auto", seed: SeedLike = None,
                    stream: StreamLike = 0, dtype: DTypeLike = None, region: RegionLike = None,
                    **params: Any) -> da.Array:
        return from_initializer(name, shape, chunks=chunks, seed=seed, stream=stream,
                                dtype=dtype, region=region, **params)
    initializer.__name__ = initializer.__qualname__ = name
    initializer.__doc__ = (f"``weightinit.{name}`` as a Dask array of any ``chunks``; "
                           "see :func:`from_initializer`.")
    return initializer


_NAMES = FUNCTION_NAMES  # the catalogue (docs/contract.md 4)
for _name in _NAMES:
    globals()[_name] = _make(_name)
__all__ += list(_NAMES)

if TYPE_CHECKING:   # the loop above, as type checkers see it (tests/test_type_hints.py
    # checks these are the catalogue's names)
    variance_scaling: DaskInitializer
    glorot_uniform: DaskInitializer
    glorot_normal: DaskInitializer
    he_uniform: DaskInitializer
    he_normal: DaskInitializer
    lecun_uniform: DaskInitializer
    lecun_normal: DaskInitializer
    random_uniform: DaskInitializer
    random_normal: DaskInitializer
    truncated_normal: DaskInitializer
    orthogonal: DaskInitializer
    identity: DaskInitializer
    zeros: DaskInitializer
    ones: DaskInitializer
    constant: DaskInitializer
    stft: DaskInitializer
    xavier_uniform: DaskInitializer
    xavier_normal: DaskInitializer
    kaiming_uniform: DaskInitializer
    kaiming_normal: DaskInitializer
