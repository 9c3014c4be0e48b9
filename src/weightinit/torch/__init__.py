"""``torch.nn.init`` on the weightinit stream: same names, formulas and fans.

Each function fills a CPU ``torch.Tensor`` (float32, float64, float16 or
bfloat16) in place, through a NumPy view of its memory (no copy), and
returns it, as its ``torch.nn.init`` namesake does; NumPy arrays are filled
the same way. Fans follow PyTorch's layout ``(out, in, *kernel)``. The
tensor must be contiguous: a non-contiguous one (a transposed view, a
channels-last weight) raises ``ValueError`` rather than being filled in a
different order. A tensor without memory to fill (on the meta device, or
whose storage FSDP freed with ``resize_(0)``) raises ``ValueError``: a
silent no-op would leave it uninitialized.

Each function takes the keyword-only extras ``seed`` (None: OS entropy),
``stream`` (int or str; name it after the parameter) and ``threads``, and the
values are those of the Keras-style functions: ``kaiming_uniform_(t, seed=s,
stream=n)`` equals ``weightinit.random_uniform(t.shape, -bound, bound,
seed=s, stream=n)``, so any shard can be generated on its own with
``region=``.

**DTensors** (``torch.distributed.tensor``: FSDP2's ``fully_shard``, with or
without ``CPUOffloadPolicy``, tensor parallel, HSDP; any 1-D or 2-D mesh;
``Shard(i)``, ``Replicate()``, uneven shards, FSDP2's ``_StridedShard``) are
filled shard by shard: each rank fills only its local tensor, through
``region=`` at the shard's global offset (found from its mesh coordinate and
the placements, :mod:`weightinit.torch._shards`), with fans from the global
shape, and communicates nothing. ``full_tensor()`` then equals the
one-process result bit for bit, and replicas hold the same bytes.
``eye_``, ``dirac_`` and ``sparse_`` compute what the local part needs
(``sparse_`` draws the words of the local columns over all rows to pick each
column's zero rows); ``orthogonal_`` factors the whole matrix on every rank
and keeps its part. A ``Partial`` placement is refused.

:func:`init_module` initializes a whole ``torch.nn.Module`` (plain or
sharded) the way its modules' ``reset_parameters`` do, or by your
``rules=``, every parameter once, on the stream named after it;
:func:`module_specs` gives what it would write as the specs of
:func:`weightinit.save_safetensors` (a model on the meta device is fine),
and :func:`record_init` records a model's own init code as such specs. This module
imports torch only when a torch tensor or module is given.
"""
from __future__ import annotations

from .._fans import calculate_gain
from ._elementwise import (constant_, kaiming_normal_, kaiming_uniform_, normal_, ones_,
                           trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_)
from ._module import init_module
from ._module_specs import module_specs
from ._structured import dirac_, eye_, orthogonal_, sparse_

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_", "init_module",
           "module_specs", "fast_init", "record_init"]

from .._torch_fast_init import fast_init  # noqa: E402  (its own module; uses the fills above)
from .._torch_record import record_init  # noqa: E402  (fast_init's recording form)

from ._generator import deprecated_alias as _deprecated  # noqa: E402

# The deprecated names torch.nn.init still has, warning as torch does.
uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
