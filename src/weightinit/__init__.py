"""weightinit: fast, reproducible weight initialization on the CPU.

Every sample is a pure function of (seed, stream, element index) of the
Philox4x32-10 generator, so results are bit-identical for any thread count,
region (shard) or CPU. See README.md and docs/contract.md.

The PyTorch-style in-place functions live in :mod:`weightinit.torch` and
the ``jax.nn.initializers``-style ones in :mod:`weightinit.jax`
(``import weightinit.torch``, or ``weightinit.torch`` after
``import weightinit``: each is imported on first use).
"""
__version__ = "0.1.0"   # first: submodules record it (safetensors metadata)

from typing import TYPE_CHECKING, Any

from ._config import show_config
from ._fill import isa_available
from ._stream import key_from_seed, stream_id
from ._threads import get_num_threads, set_num_threads
from .generator import Generator, default_rng
# The initializers' functions, classes and get, named by the catalogue
# (_catalogue.py, docs/contract.md 4); __all__ below takes the same names.
from . import initializers as _initializers
from .initializers import *  # noqa: F403
from .safetensors import save_safetensors, save_safetensors_sharded
from ._keras import deserialize, register_keras, serialize
from . import _keras, _threadpool

if TYPE_CHECKING:
    # What type checkers see: `import *` of a computed __all__ gives them no
    # names (tests/test_type_hints.py checks this list is the catalogue's).
    from . import dask, jax, torch
    from ._bitgen import Philox4x32
    from .initializers import (
        STFT, Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, Initializer,
        LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform,
        TruncatedNormal, VarianceScaling, Zeros, constant, get, glorot_normal, glorot_uniform,
        he_normal, he_uniform, identity, kaiming_normal, kaiming_uniform, lecun_normal,
        lecun_uniform, ones, orthogonal, random_normal, random_uniform, stft,
        truncated_normal, variance_scaling, xavier_normal, xavier_uniform, zeros)

_keras.install()        # Keras registration: now, or right after `import keras`
_threadpool.install()   # threadpoolctl lists and limits weightinit; imports nothing

__all__ = ["Generator", "default_rng", "Philox4x32", "get_num_threads", "set_num_threads",
           "deserialize", "register_keras", "serialize",
           "isa_available", "show_config", "key_from_seed", "stream_id", "__version__",
           # initializers (docs/contract.md 4)
           *_initializers.__all__,
           # files (docs/contract.md 7)
           "save_safetensors", "save_safetensors_sharded"]


def __getattr__(name: str) -> Any:
    # weightinit.torch, weightinit.dask and weightinit.jax need optional
    # packages: import them only when asked for.
    if name in ("torch", "dask", "jax"):
        import importlib
        return importlib.import_module("." + name, __name__)
    if name == "Philox4x32":
        # Lazy: the BitGenerator imports numpy.random (+50 ms on import weightinit).
        from ._bitgen import Philox4x32
        return Philox4x32
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
