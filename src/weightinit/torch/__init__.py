"""``torch.nn.init`` on the weightinit stream: same names, formulas and fans.

Each function fills a CPU ``torch.Tensor`` (float32, float64, float16 or
bfloat16) in place, through a NumPy view of its memory (no copy), and
returns it, as its ``torch.nn.init`` namesake does; NumPy arrays are filled
the same way. Fans follow PyTorch's layout ``(out, in, *kernel)``. The
tensor must be contiguous: a non-contiguous one (a transposed view, a
channels-last weight) raises ``ValueError`` rather than being filled in a
different order. Meta tensors are left alone, as PyTorch does.

Each function takes the keyword-only extras ``seed`` (None: OS entropy),
``stream`` (int or str; name it after the parameter) and ``threads``, and the
values are those of the Keras-style functions: ``kaiming_uniform_(t, seed=s,
stream=n)`` equals ``weightinit.random_uniform(t.shape, -bound, bound,
seed=s, stream=n)``, so any shard can be generated on its own with
``region=``.

:func:`init_module` re-initializes a whole ``torch.nn.Module`` the way its
modules' ``reset_parameters`` do, every parameter on the stream named after
it. This module imports torch only when a torch tensor or module is given.
"""
from __future__ import annotations

from .._fans import calculate_gain
from ._elementwise import (constant_, kaiming_normal_, kaiming_uniform_, normal_, ones_,
                           trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_)
from ._module import init_module
from ._structured import dirac_, eye_, orthogonal_, sparse_

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_", "init_module",
           "fast_init"]

from .._torch_fast_init import fast_init  # noqa: E402  (its own module; uses the fills above)
