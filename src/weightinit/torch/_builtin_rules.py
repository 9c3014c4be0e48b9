"""The built-in rules of :func:`~weightinit.torch.init_module`: each known
``torch.nn`` module's ``reset_parameters``, step for step, on weightinit's
functions.

A handler ``handler(module, plan)`` states what its module's reset method
does through ``plan.fill(name, function, *args, **kwargs)`` (fill the
parameter ``name``, relative to the module, as ``function`` would) and
``plan.reset_buffers(callable)`` (a reset of buffers, run as it is).
"""
from __future__ import annotations

import math

from .._fans import torch_fans
from ._elementwise import (constant_, kaiming_uniform_, normal_, ones_, uniform_, xavier_normal_,
                           xavier_uniform_, zeros_)
from ._tensors import _target


def embedding_normal_(tensor, padding_idx=None, *, seed=None, stream=0, threads=None):
    """``normal_(0, 1)`` with row ``padding_idx`` zeroed, as
    ``nn.Embedding.reset_parameters``; on a shard, the row is zeroed only
    where this process holds it.

    Examples
    --------
    >>> import numpy as np
    >>> w = embedding_normal_(np.empty((4, 3), np.float32), padding_idx=2, seed=0)
    >>> w[2]
    array([0., 0., 0.], dtype=float32)
    """
    normal_(tensor, seed=seed, stream=stream, threads=threads)
    if padding_idx is not None:
        target = _target(tensor)
        _, local = target.layout.locate(0, [padding_idx])
        target.array[local] = 0
        target.done()
    return tensor


def module_handlers(torch):
    """Known modules: (class, the name of its reset method, handler); the first match counts."""
    nn = torch.nn
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd
    from torch.nn.modules.rnn import RNNBase, RNNCellBase

    def linear_like(mod, plan):
        plan.fill("weight", kaiming_uniform_, a=math.sqrt(5))
        if mod.bias is not None:
            fan_in, _ = torch_fans(mod.weight.shape)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            plan.fill("bias", uniform_, -bound, bound)

    def bilinear(mod, plan):
        bound = 1 / math.sqrt(mod.weight.size(1))
        plan.fill("weight", uniform_, -bound, bound)
        if mod.bias is not None:
            plan.fill("bias", uniform_, -bound, bound)

    def embedding(mod, plan):
        plan.fill("weight", embedding_normal_, padding_idx=mod.padding_idx)

    def affine_norm(flag):
        def handler(mod, plan):
            if getattr(mod, flag):
                plan.fill("weight", ones_)
                if getattr(mod, "bias", None) is not None:
                    plan.fill("bias", zeros_)
        return handler

    def batch_norm(mod, plan):
        plan.reset_buffers(mod.reset_running_stats)
        affine_norm("affine")(mod, plan)

    def rnn(mod, plan):
        stdv = 1.0 / math.sqrt(mod.hidden_size) if mod.hidden_size > 0 else 0
        for name, _ in mod.named_parameters(recurse=False):
            plan.fill(name, uniform_, -stdv, stdv)

    def attention(mod, plan):
        if mod._qkv_same_embed_dim:
            plan.fill("in_proj_weight", xavier_uniform_)
        else:
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                plan.fill(name, xavier_uniform_)
        if mod.in_proj_bias is not None:
            plan.fill("in_proj_bias", constant_, 0.0)
            plan.fill("out_proj.bias", constant_, 0.0)
        if mod.bias_k is not None:
            plan.fill("bias_k", xavier_normal_)
        if mod.bias_v is not None:
            plan.fill("bias_v", xavier_normal_)

    def prelu(mod, plan):
        plan.fill("weight", constant_, mod.init)

    def transformer(mod, plan):
        for name, p in mod.named_parameters():
            if p.dim() > 1:
                plan.fill(name, xavier_uniform_)

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


def handler_for(mod, handlers):
    """The handler of the nearest known base class, if ``mod`` keeps its reset method."""
    for cls, method, handler in handlers:
        if isinstance(mod, cls):
            own = getattr(type(mod), method, None)
            if own is not None and own is getattr(cls, method, None):
                return handler
            return None
    return None
