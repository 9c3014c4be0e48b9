"""The file writers' output dtypes, declared once: each one's name, the C
core's output code, item size, safetensors name and the NumPy dtypes a
writer uses (docs/contract.md 7).

A file needs only the bytes and the dtype's name, so a writer views its
window buffer as :attr:`OutKind.bits` (uint16 for bfloat16) and lets the
core write the output code's bits there. The NumPy dtype itself
(:attr:`OutKind.numpy`) is resolved only where an array of it must be made:
bfloat16's comes from ml_dtypes, whose import takes about a second.

Examples
--------
>>> k = kind_of("BF16")
>>> k.name, k.itemsize, k.safetensors, k.bits.name
('bfloat16', 2, 'BF16', 'uint16')
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core
from ._checks import resolve_dtype

__all__ = ["OutKind", "KINDS", "kind_of"]


@dataclass(frozen=True)
class OutKind:
    """One output dtype of the files.

    ``bits`` holds the same bytes as the dtype without being it (what a
    writer's buffer is viewed as); ``checks`` validates and samples as the
    dtype does (a plan is checked with it: bfloat16 samples are float32
    ones rounded, and only float64 is checked otherwise).
    """

    name: str
    code: int
    itemsize: int
    safetensors: str
    bits: np.dtype
    checks: np.dtype

    @property
    def numpy(self) -> np.dtype:
        """The NumPy dtype (bfloat16: ml_dtypes', imported now)."""
        return resolve_dtype(self.name)


KINDS: dict[str, OutKind] = {k.name: k for k in (
    OutKind("float64", _core.OUT_F64, 8, "F64", np.dtype(np.float64), np.dtype(np.float64)),
    OutKind("float32", _core.OUT_F32, 4, "F32", np.dtype(np.float32), np.dtype(np.float32)),
    OutKind("float16", _core.OUT_F16, 2, "F16", np.dtype(np.float16), np.dtype(np.float16)),
    OutKind("bfloat16", _core.OUT_BF16, 2, "BF16", np.dtype(np.uint16), np.dtype(np.float32)),
)}
_BY_NAME = {**{k.safetensors: k for k in KINDS.values()}, **KINDS}


def kind_of(dtype, name: str = "dtype") -> OutKind:
    """The :class:`OutKind` of ``dtype``: a name (NumPy's, safetensors'
    ``"BF16"``, ``"bf16"``) without importing anything, else anything
    :func:`~weightinit._checks.resolve_dtype` takes (its TypeError names
    ``name``)."""
    if isinstance(dtype, str):
        kind = _BY_NAME.get(dtype)
        if kind is None and dtype.lower() in ("bfloat16", "bf16"):   # as resolve_dtype
            kind = KINDS["bfloat16"]
        if kind is not None:
            return kind
    return KINDS[resolve_dtype(dtype, name=name).name]
