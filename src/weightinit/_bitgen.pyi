"""Type stub of the compiled ``_bitgen`` module (``_bitgen.pyx``): what
type checkers see of ``Philox4x32``, which ``inspect`` cannot read."""
from collections.abc import Mapping
from typing import Any, Literal, SupportsIndex, overload

import numpy as np
from numpy.random import BitGenerator, SeedSequence
from typing_extensions import disjoint_base

from ._types import SeedLike, ShapeLike, StreamLike

__all__ = ["Philox4x32", "JUMP_BLOCKS"]

JUMP_BLOCKS: int

@disjoint_base   # a Cython extension type: no class derives from it and another such base
class Philox4x32(BitGenerator):
    def __init__(self, seed: SeedLike = None, stream: StreamLike = 0) -> None: ...
    @property
    def state(self) -> dict[str, Any]: ...
    @state.setter
    def state(self, value: Mapping[str, Any], /) -> None: ...
    @overload
    def random_raw(self, size: None = None, output: Literal[True] = True) -> int: ...
    @overload
    def random_raw(self, size: ShapeLike,
                   output: Literal[True] = True) -> np.ndarray[Any, np.dtype[np.uint64]]: ...
    @overload
    def random_raw(self, size: ShapeLike | None, output: Literal[False]) -> None: ...
    @overload
    def random_raw(self, size: ShapeLike | None = None, *, output: Literal[False]) -> None: ...
    def advance(self, delta: SupportsIndex) -> Philox4x32: ...
    def jumped(self, jumps: SupportsIndex = 1) -> Philox4x32: ...
    @classmethod
    def _at(cls, seed_seq: SeedSequence, key: tuple[int, int], stream: int,
            counter: int) -> Philox4x32: ...
