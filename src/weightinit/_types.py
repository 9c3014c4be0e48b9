"""The type aliases of the public signatures, declared once.

Annotations only: nothing here imports torch, jax or dask at run time (their
types are named under ``TYPE_CHECKING`` where they are used).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, SupportsIndex, TypeAlias, TypeVar

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:   # never at run time: annotations must not import torch
    import torch

    from .generator import Generator

__all__ = ["ShapeLike", "DTypeLike", "SeedLike", "StreamLike", "RegionLike", "ThreadsLike",
           "AxesLike", "FanLike", "Spec", "Specs", "Array", "PresetFunction", "TensorT", "ModuleT",
           "Rules", "GeneratorLike", "DimChunksLike", "ChunksLike"]

#: A weight's global shape: an int (1-D) or a sequence of ints.
ShapeLike: TypeAlias = "SupportsIndex | Sequence[SupportsIndex]"
#: The Philox key: None (OS entropy), an int in [0, 2**64) or a SeedSequence.
SeedLike: TypeAlias = "int | np.random.SeedSequence | None"
#: A stream: an int in [0, 2**64) or a name (hashed with SHA-256).
StreamLike: TypeAlias = "int | str"
#: The part of the global shape to generate: None, a slice or slices (step 1).
RegionLike: TypeAlias = "slice | tuple[slice, ...] | None"
#: ``generator=`` of the torch-style fills: a CPU torch.Generator, a
#: weightinit.Generator or None (``seed`` gives the key).
GeneratorLike: TypeAlias = "torch.Generator | Generator | None"
#: One dimension's ``chunks=`` (dask): a block size (-1 or None: the whole
#: dimension; "auto" or bytes, "64MiB") or the block sizes themselves.
DimChunksLike: TypeAlias = "SupportsIndex | str | None | Sequence[SupportsIndex]"
#: ``chunks=`` of weightinit.dask, as ``dask.array.core.normalize_chunks``
#: takes it: one size for every dimension, or one per dimension (a sequence,
#: or a mapping axis -> size).
ChunksLike: TypeAlias = ("SupportsIndex | str | Sequence[DimChunksLike]"
                         " | Mapping[int, DimChunksLike]")
#: Threads for a fill: None (the default), a positive or a negative count.
ThreadsLike: TypeAlias = "int | None"
#: Fan axes: one axis or several.
AxesLike: TypeAlias = "int | Sequence[int]"
#: A fan override: None (computed) or a number.
FanLike: TypeAlias = "float | None"
#: One tensor's spec (docs/contract.md 7): ``{"name": ..., **parameters}``.
Spec: TypeAlias = "Mapping[str, Any]"
#: The specs of a file: tensor name -> spec.
Specs: TypeAlias = "Mapping[str, Spec]"
#: What the NumPy functions return.
Array: TypeAlias = "np.ndarray[Any, np.dtype[Any]]"
#: What the torch-style fills take and return (the same object): a torch
#: tensor or a NumPy array.
TensorT = TypeVar("TensorT", bound="torch.Tensor | np.ndarray[Any, np.dtype[Any]]")
#: A ``torch.nn.Module`` given and returned.
ModuleT = TypeVar("ModuleT", bound="torch.nn.Module")
#: ``rules=`` of weightinit.torch: ``{module type, name pattern or key: fill}``.
Rules: TypeAlias = "Mapping[Any, Any]"


class PresetFunction(Protocol):
    """The signature of the variance-scaling presets (``he_normal`` ...)."""

    __name__: str

    def __call__(self, shape: ShapeLike, *, seed: SeedLike = None, stream: StreamLike = 0,
                 dtype: DTypeLike = None, out: Array | None = None,
                 region: RegionLike = None, threads: ThreadsLike = None,
                 in_axis: AxesLike = -2, out_axis: AxesLike = -1,
                 batch_axis: AxesLike = (), fan_in: FanLike = None,
                 fan_out: FanLike = None) -> Array: ...
