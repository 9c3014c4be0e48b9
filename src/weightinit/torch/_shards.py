"""Where a local shard lies in its global tensor, from a DTensor's placements alone.

A :class:`Layout` is the global shape plus, per dimension, the *runs* of the
local tensor: ``(global_start, length)`` pairs in local order, so local
positions ``0 .. length-1`` of the first run are global ``global_start ..``,
the next run follows, and so on. A plain tensor has one run per dimension
covering it; a ``Shard`` or ``Replicate`` placement keeps one run per
dimension; FSDP2 + tensor parallel's ``_StridedShard`` can leave several.
The product of the runs of all dimensions splits the local tensor into
boxes, each the ``region=`` of one fill of the global shape.

Everything is computed from the mesh coordinate of this rank and the
placements (``torch.chunk``'s rule, as DTensor and FSDP2 shard): no
communication, ever.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

Runs = tuple[tuple[int, int], ...]


class Layout:
    """A local array's place in the global tensor.

    Examples
    --------
    >>> lay = Layout((6, 4), ([(2, 2), (5, 1)], [(0, 4)]))   # rows 2, 3, 5
    >>> lay.local_shape
    (3, 4)
    >>> [(g, l) for g, l in lay.boxes()]  # doctest: +NORMALIZE_WHITESPACE
    [((slice(2, 4, None), slice(0, 4, None)), (slice(0, 2, None), slice(0, 4, None))),
     ((slice(5, 6, None), slice(0, 4, None)), (slice(2, 3, None), slice(0, 4, None)))]
    >>> lay.index(0)
    array([2, 3, 5])
    """

    __slots__ = ("global_shape", "runs")

    def __init__(self, global_shape, runs):
        self.global_shape = tuple(int(n) for n in global_shape)
        self.runs = tuple(_merged(r) for r in runs)

    @classmethod
    def whole(cls, shape) -> Layout:
        """The layout of an unsharded tensor of ``shape``."""
        return cls(shape, [[(0, int(n))] if n else [] for n in shape])

    @property
    def local_shape(self) -> tuple[int, ...]:
        return tuple(sum(n for _, n in r) for r in self.runs)

    @property
    def is_whole(self) -> bool:
        return self.local_shape == self.global_shape and all(
            len(r) <= 1 for r in self.runs)

    def boxes(self):
        """Yield ``(global_region, local_region)`` tuples of slices covering the local array."""
        per_dim = []
        for runs in self.runs:
            spans, local = [], 0
            for start, n in runs:
                spans.append((slice(start, start + n), slice(local, local + n)))
                local += n
            per_dim.append(spans)
        for combo in itertools.product(*per_dim):
            yield tuple(g for g, _ in combo), tuple(loc for _, loc in combo)

    def index(self, dim: int) -> np.ndarray:
        """The global index of every local position along ``dim`` (int64)."""
        runs = self.runs[dim]
        if not runs:
            return np.empty(0, np.int64)
        return np.concatenate([np.arange(s, s + n, dtype=np.int64) for s, n in runs])

    def locate(self, dim: int, global_index) -> tuple[np.ndarray, np.ndarray]:
        """For global indices along ``dim``: which are held here, and their local positions.

        Returns ``(held, local)``: a boolean mask over ``global_index`` and
        the local positions of the held ones.
        """
        global_index = np.asarray(global_index, np.int64)
        held = np.zeros(global_index.shape, bool)
        local = np.zeros(global_index.shape, np.int64)
        offset = 0
        for start, n in self.runs[dim]:
            inside = (global_index >= start) & (global_index < start + n)
            held |= inside
            local[inside] = global_index[inside] - start + offset
            offset += n
        return held, local[held]

    def gather(self, full: np.ndarray) -> np.ndarray:
        """The local part of ``full``, an array of the global shape."""
        if self.is_whole:
            return full
        return full[np.ix_(*(self.index(d) for d in range(len(self.global_shape))))]


def _merged(runs) -> Runs:
    """``runs`` without empty runs, neighbours that continue each other joined."""
    out: list[tuple[int, int]] = []
    for start, n in runs:
        start, n = int(start), int(n)
        if n == 0:
            continue
        if out and out[-1][0] + out[-1][1] == start:
            out[-1] = (out[-1][0], out[-1][1] + n)
        else:
            out.append((start, n))
    return tuple(out)


def _take(runs: Runs, lo: int, hi: int) -> Runs:
    """The runs of local positions ``lo .. hi-1`` (renumbered from 0)."""
    out, pos = [], 0
    for start, n in runs:
        a, b = max(lo, pos), min(hi, pos + n)
        if a < b:
            out.append((start + a - pos, b - a))
        pos += n
    return tuple(out)


def _chunk(runs: Runs, chunks: int, index: int) -> Runs:
    """Piece ``index`` of ``torch.chunk(x, chunks)`` of a dimension (empty past the end)."""
    size = sum(n for _, n in runs)
    step = math.ceil(size / chunks) if size else 0
    return _take(runs, min(index * step, size), min((index + 1) * step, size))


def _strided(runs: Runs, split_factor: int, chunks: int, index: int) -> Runs:
    """``_StridedShard(split_factor)``: chunk into ``split_factor`` pieces, each
    into ``chunks``, and keep piece ``index`` of every one, in order (as
    ``torch.distributed.tensor.placement_types._StridedShard._split_tensor``)."""
    out: list[tuple[int, int]] = []
    for j in range(split_factor):
        out.extend(_chunk(_chunk(runs, split_factor, j), chunks, index))
    return _merged(out)


def dtensor_layout(dtensor, name: str = "tensor") -> Layout:
    """The layout of this rank's local shard of ``dtensor``.

    Raises
    ------
    ValueError
        For a ``Partial`` placement (its local values are summands, not a
        part of the tensor), or a local shape the placements do not give
        (a ``DTensor.from_local`` with hand-made uneven shards).
    TypeError
        For a placement this module does not know.
    """
    from torch.distributed.tensor.placement_types import Partial, Replicate, Shard, _StridedShard
    shape = tuple(dtensor.shape)
    mesh = dtensor.device_mesh
    coordinate = mesh.get_coordinate()
    local_shape = tuple(dtensor._local_tensor.shape)
    if coordinate is None:                       # this rank is not in the mesh: nothing here
        return Layout(shape, [[] for _ in shape])
    runs = [((0, n),) if n else () for n in shape]
    for mesh_dim, placement in enumerate(dtensor.placements):
        chunks, index = mesh.size(mesh_dim), coordinate[mesh_dim]
        if isinstance(placement, _StridedShard):
            dim = placement.dim % len(shape)
            runs[dim] = _strided(runs[dim], int(placement.split_factor), chunks, index)
        elif isinstance(placement, Shard):
            dim = placement.dim % len(shape)
            runs[dim] = _chunk(runs[dim], chunks, index)
        elif isinstance(placement, Replicate):
            continue
        elif isinstance(placement, Partial):
            raise ValueError(f"{name} has a Partial placement on mesh dimension {mesh_dim}: its "
                             "local values are summands, not a part of the tensor; initialize "
                             "it as Replicate() or Shard(i) and redistribute")
        else:
            raise TypeError(f"{name} has placement {placement!r}; supported: Shard(i), "
                            "Replicate() and FSDP2's _StridedShard")
    layout = Layout(shape, runs)
    if layout.local_shape != local_shape:
        raise ValueError(f"{name}'s local shard has shape {local_shape}, but its placements "
                         f"{tuple(dtensor.placements)} give {layout.local_shape} for global "
                         f"shape {shape} at mesh coordinate {tuple(coordinate)} (torch.chunk's "
                         "rule); its global offset is unknown without communication")
    return layout
