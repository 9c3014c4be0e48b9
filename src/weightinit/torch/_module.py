"""``init_module``: a whole ``torch.nn.Module`` re-initialized as its modules' reset methods."""
from __future__ import annotations

import hashlib
import math
import secrets
import warnings

from .._fans import torch_fans
from .._stream import key_from_seed
from .._threads import resolve_threads
from ._elementwise import (constant_, kaiming_uniform_, normal_, ones_, uniform_, xavier_normal_,
                           xavier_uniform_, zeros_)
from ._tensors import _import_torch


def _module_handlers(torch):
    """Known modules: (class, the name of its reset method, handler)."""
    nn = torch.nn
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd
    from torch.nn.modules.rnn import RNNBase, RNNCellBase

    def linear_like(mod, fill):
        fill("weight", kaiming_uniform_, a=math.sqrt(5))
        if mod.bias is not None:
            fan_in, _ = torch_fans(mod.weight.shape)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            fill("bias", uniform_, -bound, bound)

    def bilinear(mod, fill):
        bound = 1 / math.sqrt(mod.weight.size(1))
        fill("weight", uniform_, -bound, bound)
        if mod.bias is not None:
            fill("bias", uniform_, -bound, bound)

    def embedding(mod, fill):
        fill("weight", normal_)
        if mod.padding_idx is not None:
            with torch.no_grad():
                mod.weight[mod.padding_idx].fill_(0)

    def affine_norm(flag):
        def handler(mod, fill):
            if getattr(mod, flag):
                fill("weight", ones_)
                if getattr(mod, "bias", None) is not None:
                    fill("bias", zeros_)
        return handler

    def batch_norm(mod, fill):
        mod.reset_running_stats()
        affine_norm("affine")(mod, fill)

    def rnn(mod, fill):
        stdv = 1.0 / math.sqrt(mod.hidden_size) if mod.hidden_size > 0 else 0
        for name, _ in mod.named_parameters(recurse=False):
            fill(name, uniform_, -stdv, stdv)

    def attention(mod, fill):
        if mod._qkv_same_embed_dim:
            fill("in_proj_weight", xavier_uniform_)
        else:
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                fill(name, xavier_uniform_)
        if mod.in_proj_bias is not None:
            fill("in_proj_bias", constant_, 0.0)
            fill("out_proj.bias", constant_, 0.0)
        if mod.bias_k is not None:
            fill("bias_k", xavier_normal_)
        if mod.bias_v is not None:
            fill("bias_v", xavier_normal_)

    def prelu(mod, fill):
        fill("weight", constant_, mod.init)

    def transformer(mod, fill):
        for name, p in mod.named_parameters():
            if p.dim() > 1:
                fill(name, xavier_uniform_)

    return (
        (nn.Linear, "reset_parameters", linear_like),
        (_ConvNd, "reset_parameters", linear_like),
        (nn.Bilinear, "reset_parameters", bilinear),
        (nn.Embedding, "reset_parameters", embedding),
        (nn.EmbeddingBag, "reset_parameters", embedding),
        (_NormBase, "reset_parameters", batch_norm),
        (nn.LayerNorm, "reset_parameters", affine_norm("elementwise_affine")),
        (nn.GroupNorm, "reset_parameters", affine_norm("affine")),
        (nn.RMSNorm, "reset_parameters", affine_norm("elementwise_affine")),
        (RNNBase, "reset_parameters", rnn),
        (RNNCellBase, "reset_parameters", rnn),
        (nn.MultiheadAttention, "_reset_parameters", attention),
        (nn.PReLU, "reset_parameters", prelu),
        (nn.Transformer, "_reset_parameters", transformer),
    )


def _handler_for(mod, handlers):
    """The handler of the nearest known base class, if ``mod`` keeps its reset method."""
    for cls, method, handler in handlers:
        if isinstance(mod, cls):
            own = getattr(type(mod), method, None)
            if own is not None and own is getattr(cls, method, None):
                return handler
            return None
    return None


def _torch_seed(key, name) -> int:
    digest = hashlib.sha256(f"{key[0]}:{key[1]}:{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def init_module(module, seed=None, *, prefix="", threads=None):
    """Re-initialize every parameter of a ``torch.nn.Module`` as its modules'
    ``reset_parameters`` would, each on the stream named after it.

    Parameters
    ----------
    module : torch.nn.Module
        Parameters on the CPU, of dtype float32, float64, float16 or
        bfloat16 (non-contiguous ones, such as channels-last conv weights,
        are filled in logical order and copied in, as PyTorch does).
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        One key for the whole model; None draws one from OS entropy.
    prefix : str, default ""
        Prepended (with a dot) to every stream name, e.g. the module's name
        inside a larger model, so that the streams match that model's.
    threads : int, optional
        Threads for each fill.

    Returns
    -------
    module
        The same module.

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module``.
    ValueError
        For a lazy module whose parameters are not materialized yet, or a
        parameter that is not on the CPU.

    Notes
    -----
    Parameter ``p`` with qualified name ``name`` (as
    ``module.named_parameters()`` gives it, e.g.
    ``"encoder.layers.0.linear1.weight"``) uses ``stream=prefix + name``, so
    its values equal the corresponding function of this module called with
    ``seed`` and that stream, for any model that contains it.

    Modules are visited children first, as PyTorch constructs them (so
    ``MultiheadAttention`` zeroes ``out_proj.bias`` after ``out_proj``'s own
    ``Linear`` initialization, and ``nn.Transformer`` applies
    ``xavier_uniform_`` to all its matrices last). Known modules and their
    rules, each exactly as PyTorch 2.x:

    * ``Linear``, ``Conv*``/``ConvTranspose*`` (and lazy ones once
      materialized): weight ``kaiming_uniform_(a=sqrt(5))``, bias
      ``uniform_(-1/sqrt(fan_in), 1/sqrt(fan_in))``;
    * ``Bilinear``: weight and bias ``uniform_(-1/sqrt(in1), 1/sqrt(in1))``;
    * ``Embedding``, ``EmbeddingBag``: ``normal_(0, 1)``, row
      ``padding_idx`` zeroed;
    * ``BatchNorm*``, ``InstanceNorm*``, ``SyncBatchNorm``: running stats
      reset, weight ones, bias zeros; ``LayerNorm``, ``GroupNorm``,
      ``RMSNorm``: weight ones, bias zeros;
    * ``RNN``, ``LSTM``, ``GRU`` and their cells: every parameter
      ``uniform_(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``;
    * ``MultiheadAttention``: ``xavier_uniform_`` projections, zero
      ``in_proj_bias`` and ``out_proj.bias``, ``xavier_normal_`` ``bias_k``,
      ``bias_v``;
    * ``PReLU``: ``constant_(init)``; ``Transformer``: ``xavier_uniform_``
      on every parameter with more than one dimension.

    A subclass of these that overrides its reset method, or any other
    module with parameters of its own, is treated as unknown: if it has a
    ``reset_parameters`` (or ``_reset_parameters``) method, that method is
    called with PyTorch's global generator seeded from ``seed`` and the
    module's name inside ``torch.random.fork_rng`` (so the values are
    reproducible from ``seed`` but are PyTorch's samples, and the global
    generator is left as it was); otherwise its parameters are left as they
    are and a warning names them.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import init_module
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.LayerNorm(4))
    >>> _ = init_module(net, seed=0)
    >>> bool(net[0].weight.abs().max() < 8 ** -0.5), bool((net[1].weight == 1).all())
    (True, True)
    >>> from weightinit.torch import kaiming_uniform_
    >>> w = kaiming_uniform_(torch.empty(4, 8), a=5 ** 0.5, seed=0, stream="0.weight")
    >>> bool(torch.equal(w, net[0].weight))
    True
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str; got {type(prefix).__name__}")
    if seed is None:
        seed = secrets.randbits(64)
    key = key_from_seed(seed)
    resolve_threads(threads)
    from torch.nn.parameter import UninitializedParameter
    for name, p in module.named_parameters(prefix=prefix):
        if isinstance(p, UninitializedParameter):
            raise ValueError(f"parameter {name!r} is not materialized yet (a lazy module): "
                             "run a forward pass before init_module")
        if p.device.type not in ("cpu", "meta"):
            raise ValueError(f"parameter {name!r} must be on the CPU; got device {p.device}")
    handlers = _module_handlers(torch)
    untouched = []

    def fill_for(mod, mod_name):
        def fill(pname, fn, *args, **kwargs):
            tensor = mod.get_parameter(pname)
            stream = f"{mod_name}.{pname}" if mod_name else pname
            if tensor.is_contiguous() or tensor.device.type == "meta":
                fn(tensor, *args, seed=seed, stream=stream, threads=threads, **kwargs)
            else:
                tmp = torch.empty_like(tensor, memory_format=torch.contiguous_format)
                fn(tmp, *args, seed=seed, stream=stream, threads=threads, **kwargs)
                with torch.no_grad():
                    tensor.copy_(tmp)
        return fill

    seen = set()

    def visit(mod, mod_name):
        if id(mod) in seen:
            return
        seen.add(id(mod))
        for child_name, child in mod.named_children():
            visit(child, f"{mod_name}.{child_name}" if mod_name else child_name)
        handler = _handler_for(mod, handlers)
        if handler is not None:
            handler(mod, fill_for(mod, mod_name))
            return
        own = [n for n, _ in mod.named_parameters(recurse=False)]
        if not own:
            return
        reset = getattr(mod, "reset_parameters", None) or getattr(mod, "_reset_parameters", None)
        if callable(reset):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(_torch_seed(key, mod_name))
                with torch.no_grad():
                    reset()
        else:
            untouched.extend(f"{mod_name}.{n}" if mod_name else n for n in own)

    visit(module, prefix)
    if untouched:
        warnings.warn("init_module left these parameters as they were (their module has no "
                      f"known initialization and no reset_parameters): {', '.join(untouched)}",
                      stacklevel=2)
    return module
