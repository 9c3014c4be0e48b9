"""The ``torch.nn.init`` functions whose values depend on the position or the whole tensor."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _fill, _plan
from .._checks import finite_float
from .._types import GeneratorLike, SeedLike, StreamLike, TensorT, ThreadsLike
from .._stream import key_from_seed, stream_id
from .._threads import resolve_threads
from ..initializers import orthonormal_q
from ._docs import _doc
from ._fills import _check_extras, _nonnegative, fill_local
from ._generator import torch_arguments
from ._tensors import _target


def eye_(tensor: TensorT, *,
         seed: SeedLike = None, stream: StreamLike = 0,
         threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    _check_extras(seed, stream, threads)
    if len(target.shape) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported; "
                         f"got shape {tuple(target.shape)}")
    _set_ones(target, (np.arange(min(target.shape)),) * 2)
    return target.done()


eye_.__doc__ = _doc("""\
    Fill a 2-D tensor with the identity matrix, as ``torch.nn.init.eye_``.

    Parameters
    ----------
{TENSOR}
        It must have 2 dimensions.
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Notes
    -----
    On a DTensor shard: zeros, and a one where the shard holds a global
    position ``(i, i)``.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import eye_
    >>> eye_(np.empty((2, 3), np.float32))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """)


@torch_arguments()
def dirac_(tensor: TensorT, groups: int = 1, *,
           seed: SeedLike = None, stream: StreamLike = 0,
           threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    _check_extras(seed, stream, threads)
    shape = tuple(target.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported; "
                         f"got shape {shape}")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    if shape[0] % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups; got {shape[0]} and groups={groups}")
    per_group = shape[0] // groups
    n = min(per_group, shape[1])
    d = np.tile(np.arange(n), int(groups))
    out_channel = np.repeat(np.arange(int(groups)) * per_group, n) + d
    centre = tuple(np.full(d.size, s // 2) for s in shape[2:])
    _set_ones(target, (out_channel, d) + centre)
    return target.done()


def _set_ones(target, coordinates):
    """Zeros, with ones at the global ``coordinates`` (one index array per
    dimension) that this process holds: the local part of eye_ or dirac_."""
    arr, layout = target.array, target.layout
    arr[...] = 0
    held = np.ones(coordinates[0].shape, bool)
    local = []
    for dim, index in enumerate(coordinates):
        mask, _ = layout.locate(dim, index)
        held &= mask
    for dim, index in enumerate(coordinates):
        local.append(layout.locate(dim, index[held])[1])
    arr[tuple(local)] = 1


dirac_.__doc__ = _doc("""\
    Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, as
    ``torch.nn.init.dirac_``: the convolution then preserves the identity
    of as many input channels as possible (per group).

    Parameters
    ----------
{TENSOR}
        Shape ``(out, in, *kernel)`` with 1 to 3 kernel dimensions.
    groups : int, default 1
        Number of groups; ``out`` must be divisible by it.
    seed, stream, threads : keyword-only
        Accepted (and validated) for a uniform signature; unused.

{RETURNS}

    Notes
    -----
    On a DTensor shard: zeros, and a one where the shard holds one of the
    global positions of the delta.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import dirac_
    >>> w = dirac_(np.empty((2, 2, 3), np.float32))
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """)


@torch_arguments(blocks=False)
def orthogonal_(tensor: TensorT, gain: float = 1, *,
                generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
                threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    shape = tuple(target.shape)
    if len(shape) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported; "
                         f"got shape {shape}")
    gain = finite_float(gain, "gain")
    key, sid = key_from_seed(seed), stream_id(stream)
    nthreads = resolve_threads(threads)
    if math.prod(shape) == 0:
        return tensor
    arr = target.array
    rows = shape[0]
    cols = math.prod(shape) // rows
    work = np.dtype(np.float64 if arr.dtype.name == "float64" else np.float32)
    flat = _plan.make(_fill.NORMAL, (rows, cols), work, key, sid,
                      (0.0, 1.0, 0.0, 0.0)).fill(threads=nthreads).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q = orthonormal_q(flat)
    if rows < cols:
        q = q.T
    q = target.layout.gather((gain * q).reshape(shape))
    if arr.dtype.name in ("float16", "bfloat16"):
        q = q.astype(np.float32)
    arr[...] = q
    return target.done()


orthogonal_.__doc__ = _doc("""\
    Fill with a (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``.

    The tensor is seen as ``(shape[0], numel // shape[0])``; a standard
    normal matrix of that shape (from the stream) is transposed if it has
    fewer rows than columns, factored ``Q R`` (float64 LAPACK), ``Q`` is
    multiplied by ``sign(diag(R))`` (a zero counts as +1) and transposed
    back, then scaled by ``gain``.

    Parameters
    ----------
{TENSOR}
        At least 2 dimensions.
    gain : float, default 1
{EXTRAS}

{RETURNS}

    Notes
    -----
    The factorization needs the whole matrix: on a DTensor shard, every
    rank generates the whole normal matrix from the stream and factors it
    itself (no communication, the same bits as one process), then keeps its
    part, so each rank pays the whole QR and its float64 memory.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to
       the nonlinear dynamics of learning in deep linear neural networks",
       ICLR 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import orthogonal_
    >>> w = orthogonal_(np.empty((3, 5), np.float64), seed=0)
    >>> bool(np.allclose(w @ w.T, np.eye(3)))
    True
    """)


@torch_arguments(blocks=False)
def sparse_(tensor: TensorT, sparsity: float, std: float = 0.01, *,
            generator: GeneratorLike = None, seed: SeedLike = None, stream: StreamLike = 0,
            threads: ThreadsLike = None) -> TensorT:
    target = _target(tensor)
    shape = tuple(target.shape)
    if len(shape) != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported; got shape {shape}")
    sparsity = finite_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1]; got {sparsity}")
    std = _nonnegative(std, "std")
    key, sid = key_from_seed(seed), stream_id(stream)
    nthreads = resolve_threads(threads)
    arr, layout = target.array, target.layout
    rows, cols = shape
    num_zeros = math.ceil(sparsity * rows)
    if std == 0.0:
        arr[...] = 0
    else:
        fill_local(arr, layout, _fill.NORMAL, key, sid, params=(0.0, std, 0.0, 0.0),
                   threads=nthreads)
    if num_zeros and arr.size:
        per_block = 2 if arr.dtype.name == "float64" else 4
        after = -(-rows * cols // per_block)           # the blocks after the samples' blocks
        local_rows = None if layout.runs[0] == ((0, rows),) else layout.index(0)
        row_of = np.arange(rows, dtype=np.uint64)[:, None]
        batch = max(1, _SPARSE_BATCH_ELEMENTS // rows)
        local_col = 0
        words_plan = _plan.make(_fill.RAW, tuple(shape), np.dtype(np.uint32), key, sid,
                                base_block=after)
        for first, n in layout.runs[1]:
            for b in range(0, n, batch):
                m = min(batch, n - b)
                words = words_plan.fill((slice(None), slice(first + b, first + b + m)),
                                        threads=nthreads)
                # (word, row) pairs are distinct: the num_zeros smallest per
                # column are those of a stable argsort of the words
                keys = (words.astype(np.uint64) << np.uint64(32)) | row_of
                kth = np.partition(keys, num_zeros - 1, axis=0)[num_zeros - 1]
                zero = (keys if local_rows is None else keys[local_rows]) <= kth
                arr[:, local_col + b:local_col + b + m][zero] = 0
            local_col += n
    return target.done()


# Columns of sparse_'s zero choice handled at once: rows x batch words, keys
# and partition scratch stay within about 20 bytes x this.
_SPARSE_BATCH_ELEMENTS = 1 << 21


sparse_.__doc__ = _doc("""\
    Fill a 2-D tensor as a sparse matrix, as ``torch.nn.init.sparse_``.

    Normal samples with standard deviation ``std``, then in every column
    ``ceil(sparsity * rows)`` entries, at random rows, set to zero.

    Parameters
    ----------
{TENSOR}
        It must have 2 dimensions.
    sparsity : float
        Fraction of each column set to zero, in [0, 1].
    std : float, default 0.01
{EXTRAS}

{RETURNS}

    Notes
    -----
    The zero rows of a column are those of its ``ceil(sparsity * rows)``
    smallest random words (a random permutation, as ``torch.randperm``),
    taken from the same stream just after the blocks of the normal samples,
    so the result is a pure function of (seed, stream). The choice is made
    column batch by column batch (a partition per column of the pairs
    (word, row)), so a DTensor shard draws the words of its own columns over
    all rows: a row-sharded rank draws whole columns, no communication.

    References
    ----------
    .. [1] J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.torch import sparse_
    >>> w = sparse_(np.empty((10, 4), np.float32), sparsity=0.3, seed=0)
    >>> (w == 0).sum(axis=0)
    array([3, 3, 3, 3])
    """)
