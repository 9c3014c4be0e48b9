"""Tensor intake: a torch tensor, DTensor or NumPy array to fill, as a writeable
NumPy view of the memory this process holds and that view's place in the
global tensor (a :class:`~weightinit.torch._shards.Layout`).

Everything is checked here, before anything is written: dtype, device,
layout, contiguity, and that the memory exists (a meta tensor, or one whose
storage FSDP freed with ``resize_(0)``, is refused: filling it would be a
silent no-op or a write into freed memory).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from .._checks import FLOAT_DTYPE_NAMES
from ._shards import Layout, dtensor_layout

_TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16")


def _import_torch():
    import torch
    return torch


class _Target:
    """A tensor or array to fill.

    ``array`` is a writeable NumPy view of the local memory, ``layout`` its
    place in the global tensor (the whole of it unless ``obj`` is a DTensor),
    ``tensors`` the torch tensors whose version counters advance when done.
    """

    __slots__ = ("obj", "array", "layout", "tensors")

    def __init__(self, obj, array, layout, tensors=()):
        self.obj, self.array, self.layout, self.tensors = obj, array, layout, tensors

    @property
    def shape(self) -> tuple[int, ...]:
        """The global shape (fans and structure come from it)."""
        return self.layout.global_shape

    def done(self):
        """Tell autograd the tensor changed (as an in-place op would); return it."""
        if self.tensors:
            torch = _import_torch()
            for t in self.tensors:
                torch.autograd.graph.increment_version(t)
        return self.obj


def _target(tensor, name="tensor") -> _Target:
    if isinstance(tensor, np.ndarray):
        if tensor.dtype.name not in FLOAT_DTYPE_NAMES:
            raise TypeError(f"{name} must have dtype {', '.join(FLOAT_DTYPE_NAMES)}; "
                            f"got {tensor.dtype}")
        if not tensor.flags.writeable:
            raise ValueError(f"{name} is read-only")
        if not tensor.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous; got strides {tensor.strides}")
        if not tensor.flags.aligned or not tensor.dtype.isnative:
            raise ValueError(f"{name} must be aligned and in native byte order")
        # The base-class view reports the real buffer (a memoryview would
        # refuse bfloat16, which has no buffer-protocol format).
        held = np.ndarray.view(tensor, np.ndarray).nbytes
        needed = math.prod(tensor.shape) * tensor.itemsize
        if held != needed:   # a subclass whose shape lies about its buffer
            raise ValueError(f"{name}'s buffer holds {held} bytes but its shape "
                             f"{tuple(tensor.shape)} needs {needed}")
        return _Target(tensor, tensor, Layout.whole(tensor.shape))
    try:
        torch = _import_torch()
    except ImportError:
        torch = None
    if torch is None or not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a numpy.ndarray; "
                        f"got {type(tensor).__name__}")
    from torch.nn.parameter import UninitializedParameter
    if isinstance(tensor, UninitializedParameter):
        raise ValueError(f"{name} is an uninitialized parameter (a lazy module): run a forward "
                         "pass to materialize it first")
    if _is_dtensor(tensor):
        local = tensor._local_tensor
        layout = dtensor_layout(tensor, name)
        _check_local(torch, local, tensor, f"{name}'s local shard")
        return _Target(tensor, _numpy_view(torch, local), layout, (tensor, local))
    _check_local(torch, tensor, tensor, name)
    return _Target(tensor, _numpy_view(torch, tensor), Layout.whole(tensor.shape), (tensor,))


def _is_dtensor(tensor) -> bool:
    # No DTensor exists unless torch.distributed.tensor was imported: skip the
    # import (a third of a second) for plain tensors.
    module = sys.modules.get("torch.distributed.tensor")
    return module is not None and isinstance(tensor, module.DTensor)


def check_parameter(tensor, name) -> None:
    """What :func:`_target` checks, but a non-contiguous tensor passes
    (``init_module`` fills those through a contiguous copy, as torch does)."""
    torch = _import_torch()
    from torch.nn.parameter import UninitializedParameter
    if isinstance(tensor, UninitializedParameter):
        raise ValueError(f"parameter {name!r} is not materialized yet (a lazy module): run a "
                         "forward pass before init_module")
    if _is_dtensor(tensor):
        dtensor_layout(tensor, f"parameter {name!r}")
        _check_local(torch, tensor._local_tensor, tensor, f"parameter {name!r}'s local shard")
    else:
        _check_local(torch, tensor, tensor, f"parameter {name!r}", contiguous=False)


def _check_local(torch, tensor, outer, name, contiguous=True):
    """Refuse a tensor whose memory this process cannot fill in place."""
    if tensor.is_nested:   # before anything asks a nested tensor for its sizes
        raise TypeError(f"{name} must be a dense (strided) tensor; got a nested tensor")
    if tensor.layout != torch.strided:
        raise TypeError(f"{name} must be a dense (strided) tensor; got layout {tensor.layout}")
    dtype_name = str(tensor.dtype).replace("torch.", "")
    if dtype_name not in _TORCH_DTYPES:
        raise TypeError(f"{name} must have dtype torch.float32, torch.float64, "
                        f"torch.float16 or torch.bfloat16; got {tensor.dtype}")
    if tensor.device.type == "meta":
        raise ValueError(f"{name} is on the meta device: it has no memory to fill; allocate "
                         "it first (model.to_empty(device='cpu')), then initialize")
    if outer.is_inference() and not torch.is_inference_mode_enabled():
        # torch refuses in-place updates here; a NumPy view would bypass that
        raise RuntimeError(f"{name} is an inference tensor: in-place updates to it are "
                           "allowed only inside torch.inference_mode(), as in torch")
    if tensor.device.type != "cpu":
        raise ValueError(f"{name} must be on the CPU; got device {tensor.device}")
    if contiguous and not tensor.is_contiguous():
        raise ValueError(f"{name} must be contiguous; got shape {tuple(tensor.shape)} with "
                         f"strides {tuple(tensor.stride())} (fill a contiguous tensor, or "
                         "tensor.contiguous(), then copy back)")
    if tensor.is_neg():    # reads negate the memory: a NumPy view would not be the values
        raise ValueError(f"{name} has its negative bit set (a lazy negation view): fill "
                         "the tensor it views, or tensor.resolve_neg() and copy back")
    try:
        held = tensor.untyped_storage().nbytes()
    except (RuntimeError, NotImplementedError):
        raise TypeError(f"{name} is a {type(tensor).__name__} without storage of its own; "
                        "supported: plain tensors, Parameters and DTensors") from None
    extent = sum((n - 1) * abs(st) for n, st in zip(tensor.shape, tensor.stride())) + 1
    needed = (tensor.storage_offset() + extent) * tensor.element_size() if tensor.numel() else 0
    if held < needed:
        raise ValueError(f"{name}'s storage holds {held} bytes but the tensor needs {needed}: "
                         "its memory was freed (untyped_storage().resize_(0), as FSDP does "
                         "to unsharded parameters) or never allocated; initialize the sharded "
                         "parameters instead")


def _numpy_view(torch, tensor) -> np.ndarray:
    t = tensor.detach()
    try:
        if t.dtype == torch.bfloat16:
            import ml_dtypes
            return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.numpy()
    except RuntimeError as err:   # a subclass without real memory (FakeTensor, functorch)
        raise TypeError(f"tensor of type {type(tensor).__name__} has no CPU memory to fill "
                        f"({str(err).splitlines()[0]})") from None
