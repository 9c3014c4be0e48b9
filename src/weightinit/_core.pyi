"""Type stub of the compiled ``_core`` module (``_core.pyx``), the binding
to the C core; private, so its arguments are the Python layer's already
checked values."""
from collections.abc import Callable
from typing import Any

from ._types import Array

__test__: dict[str, str]   # Cython's table of the module's doctests

DIST_RAW: int
DIST_UNIFORM: int
DIST_NORMAL: int
DIST_TRUNCNORM: int
OUT_F32: int
OUT_F64: int
OUT_F16: int
OUT_BF16: int
OUT_U32: int
ISA_NAMES: tuple[str, ...]
MAX_NDIM: int
PARALLEL_MIN_ELEMENTS: int
OUT_FLAGS: int

def philox4x32(rounds: int, ctr: Any, key: Any) -> tuple[int, int, int, int]: ...
def bf16_bits(value: float) -> int: ...
def norm_cdf(z: float) -> float: ...
def norm_logcdf(z: float) -> float: ...
def build_info() -> dict[str, str]: ...
def best_isa() -> int: ...
def isa_compiled(isa: int) -> bool: ...
def fill(out: Any, dist: int, out_code: int, key0: int, key1: int, stream: int,
         base_block: int, global_shape: tuple[int, ...], start: tuple[int, ...],
         p0: float, p1: float, p2: float, p3: float, threads: int, isa: int) -> Any: ...
def fill_whole(plan_: tuple[Any, ...], out: Any, base_block: int, threads: int | None,
               resolve_threads: Callable[[int | None, int], int],
               selected_isa: Callable[[], int]) -> Array | None: ...
def draw_whole(gen: Any, dist: int, size: Any, dtype: Any, out: Any,
               params: tuple[Any, ...], threads: int | None) -> Array | None: ...
def fill_constant(out: Any, value: Any, threads: int) -> Any: ...
def fill_store_ceiling(out: Any, streaming: bool, threads: int) -> Any: ...
