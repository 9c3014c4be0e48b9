"""Tensor intake: a torch tensor or NumPy array to fill, as a writeable NumPy view."""
from __future__ import annotations

import numpy as np

from .._checks import FLOAT_DTYPE_NAMES

_TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16")


def _import_torch():
    import torch
    return torch


# -- tensor <-> NumPy view -----------------------------------------------------

class _Target:
    """A tensor or array to fill: ``array`` is a writeable NumPy view of its memory."""

    __slots__ = ("obj", "array", "is_torch", "skip")

    def __init__(self, obj, array, is_torch, skip=False):
        self.obj, self.array, self.is_torch, self.skip = obj, array, is_torch, skip

    @property
    def shape(self):
        return self.array.shape if self.array is not None else tuple(self.obj.shape)

    def done(self):
        """Tell autograd the tensor changed (as an in-place op would); return it."""
        if self.is_torch and not self.skip:
            torch = _import_torch()
            torch.autograd.graph.increment_version(self.obj)
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
        return _Target(tensor, tensor, False)
    try:
        torch = _import_torch()
    except ImportError:
        torch = None
    if torch is None or not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a numpy.ndarray; "
                        f"got {type(tensor).__name__}")
    if tensor.layout != torch.strided:
        raise TypeError(f"{name} must be a dense (strided) tensor; got layout {tensor.layout}")
    dtype_name = str(tensor.dtype).replace("torch.", "")
    if dtype_name not in _TORCH_DTYPES:
        raise TypeError(f"{name} must have dtype torch.float32, torch.float64, "
                        f"torch.float16 or torch.bfloat16; got {tensor.dtype}")
    if tensor.device.type == "meta":
        return _Target(tensor, None, True, skip=True)
    if tensor.is_inference() and not torch.is_inference_mode_enabled():
        # torch refuses in-place updates here; a NumPy view would bypass that
        raise RuntimeError(f"{name} is an inference tensor: in-place updates to it are "
                           "allowed only inside torch.inference_mode(), as in torch")
    if tensor.device.type != "cpu":
        raise ValueError(f"{name} must be on the CPU; got device {tensor.device}")
    if not tensor.is_contiguous():
        raise ValueError(f"{name} must be contiguous; got shape {tuple(tensor.shape)} with "
                         f"strides {tuple(tensor.stride())} (fill a contiguous tensor, or "
                         "tensor.contiguous(), then copy back)")
    t = tensor.detach()
    if dtype_name == "bfloat16":
        import ml_dtypes
        array = t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    else:
        array = t.numpy()
    return _Target(tensor, array, True)
