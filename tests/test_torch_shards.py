"""Layouts of DTensor shards (weightinit.torch._shards) against torch's own
splitting: for every size, mesh, coordinate and placement list, the global
indices a Layout gives equal those torch's placements put on that rank
(Shard._split_tensor and _StridedShard._split_tensor applied left to right on
an index tensor, exactly as distribute_tensor places data). No process group
is needed: the layout is a function of the coordinate and the placements."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
placement_types = pytest.importorskip("torch.distributed.tensor.placement_types",
                                      reason="this torch has no torch.distributed.tensor")
Shard, Replicate, Partial = (placement_types.Shard, placement_types.Replicate,
                             placement_types.Partial)
_StridedShard = placement_types._StridedShard

from weightinit.torch._shards import Layout, placements_layout  # noqa: E402


def torch_indices(shape, mesh_shape, coordinate, placements, dim):
    """The global indices along ``dim`` that torch's placements give this
    coordinate: the placements on ``dim`` split an index vector, in order."""
    index = torch.arange(shape[dim])
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, (Shard, _StridedShard)) and p.dim == dim:
            split = _StridedShard(0, split_factor=p.split_factor) \
                if isinstance(p, _StridedShard) else Shard(0)
            pieces, _ = split._split_tensor(index, mesh_shape[mesh_dim], with_padding=False)
            index = pieces[coordinate[mesh_dim]]
    return index.numpy()


PLACEMENTS_1D = [(Shard(0),), (Replicate(),)] + [(_StridedShard(0, split_factor=f),)
                                                 for f in (1, 2, 3)]
PLACEMENTS_2D = [(a, b) for a in (Shard(0), Replicate(), _StridedShard(0, split_factor=2),
                                  _StridedShard(0, split_factor=3), Shard(1))
                 for b in (Shard(0), Replicate(), Shard(1))]


@pytest.mark.parametrize("mesh_shape", [(1,), (2,), (3,), (4,), (2, 2), (2, 3), (3, 2)])
def test_layout_indices_equal_torch_split(mesh_shape):
    checked = 0
    placement_sets = PLACEMENTS_1D if len(mesh_shape) == 1 else PLACEMENTS_2D
    for rows, cols in itertools.product(range(0, 14), (1, 5)):
        shape = (rows, cols)
        for placements in placement_sets:
            for coordinate in itertools.product(*(range(n) for n in mesh_shape)):
                layout = placements_layout(shape, mesh_shape, coordinate, placements)
                for dim in (0, 1):
                    expected = torch_indices(shape, mesh_shape, coordinate, placements, dim)
                    np.testing.assert_array_equal(
                        layout.index(dim), expected,
                        err_msg=f"{shape} {mesh_shape} {coordinate} {placements} dim {dim}")
                checked += 1
    assert checked == 28 * len(placement_sets) * int(np.prod(mesh_shape))


def test_boxes_cover_the_local_array_once():
    layout = placements_layout((12, 8), (2, 2), (1, 0),
                               (_StridedShard(1, split_factor=2), Shard(0)))
    assert layout.runs == (((0, 6),), ((2, 2), (6, 2)))
    seen = np.zeros(layout.local_shape, int)
    full = np.arange(96).reshape(12, 8)
    local = np.empty(layout.local_shape, int)
    for g, loc in layout.boxes():
        seen[loc] += 1
        local[loc] = full[g]
    assert (seen == 1).all()
    np.testing.assert_array_equal(local, layout.gather(full))
    np.testing.assert_array_equal(local, full[np.ix_(layout.index(0), layout.index(1))])


def test_locate():
    layout = Layout((10,), [[(2, 3), (7, 2)]])          # rows 2, 3, 4, 7, 8
    held, local = layout.locate(0, [0, 3, 7, 8, 9])
    np.testing.assert_array_equal(held, [False, True, True, True, False])
    np.testing.assert_array_equal(local, [1, 3, 4])


def test_partial_and_unknown_placements_are_refused():
    with pytest.raises(ValueError, match="Partial placement on mesh dimension 0"):
        placements_layout((4, 4), (2,), (0,), (Partial(),))

    class Odd(placement_types.Placement):
        pass
    with pytest.raises(TypeError, match="supported: Shard"):
        placements_layout((4, 4), (2,), (0,), (Odd(),))
