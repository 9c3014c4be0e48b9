"""weightinit: fast, reproducible weight initialization on the CPU.

Every sample is a pure function of (seed, stream, element index) of the
Philox4x32-10 generator, so results are bit-identical for any thread count,
region (shard) or CPU. See README.md and DESIGN.md.
"""
from ._fill import isa_available
from ._stream import key_from_seed, stream_id
from ._threads import get_num_threads, set_num_threads
from .generator import Generator, default_rng

__version__ = "0.1.0"

__all__ = ["Generator", "default_rng", "get_num_threads", "set_num_threads",
           "isa_available", "key_from_seed", "stream_id", "__version__"]
