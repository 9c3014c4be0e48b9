"""``module_specs``: what :func:`~weightinit.torch.init_module` would write, as
the specs :func:`weightinit.save_safetensors` reads, without filling anything.

The rules are resolved by ``init_module``'s own plan (:class:`._module._Plan`,
built with ``check=False`` so that parameters on the meta device pass); each
fill of the plan becomes a spec through :func:`._specs.fill_spec`.
"""
from __future__ import annotations

from ._module import _Plan
from typing import TYPE_CHECKING, Any

from .._types import Rules as RulesLike
from ._rules import Rules
from ._tensors import _import_torch

if TYPE_CHECKING:
    import torch


def module_specs(model: torch.nn.Module, rules: RulesLike | None = None, *, prefix: str = "",
                 buffers: bool = True) -> dict[str, dict[str, Any]]:
    """The spec of every tensor :func:`init_module` would write, as
    :func:`weightinit.save_safetensors` reads them; nothing is filled.

    ``save_safetensors(path, module_specs(model), seed=s)`` writes the values
    ``init_module(model, seed=s)`` gives, bit for bit (each tensor on the
    stream named after it, as there), so the model can be built on the meta
    device (``torch.device("meta")``): no parameter is ever allocated, and
    the file of a model larger than the machine's memory can be written.

    Parameters
    ----------
    model : torch.nn.Module
        Parameters on any device (meta included) of dtype float32, float64,
        float16 or bfloat16.
    rules : dict, optional
        As :func:`init_module`'s ``rules=``; each fill must be an
        element-wise ``weightinit.torch`` function or a ``functools.partial``
        of one (below).
    prefix : str, default ""
        As :func:`init_module`'s: prepended (with a dot) to every name, which
        is also the stream.
    buffers : bool, default True
        Include the buffers the built-in rules reset (BatchNorm's
        ``running_mean`` and ``running_var``). BatchNorm's
        ``num_batches_tracked`` is int64, which a spec cannot hold: such a
        model needs ``buffers=False`` (parameters only).

    Returns
    -------
    dict
        ``{name: {"shape": [...], "dtype": "float32", "init": {"name": ...,
        **parameters}}}`` (plus ``"fans": "torch"`` where a catalogued
        initializer on torch's fans gives torch's bits, and ``"padding_idx"``
        for an ``Embedding``'s zeroed row) in the order the tensors are filled: a tied
        parameter once, under its first name, by its owner's rule, as
        :func:`init_module`. Parameters that init_module leaves as they are
        (a rule of ``None``; a module of unknown kind, with a warning) are
        not in it.

    Raises
    ------
    TypeError
        As :func:`init_module` (a bad ``model``, ``prefix`` or rule).
    ValueError
        Naming the parameter, for a fill that no spec expresses:
        ``orthogonal_``, ``sparse_``, ``dirac_``, ``eye_``, ``trunc_normal_``
        on other bounds than ``mean +- 2 std``, a callable of your own, and a module
        of unknown kind whose ``reset_parameters`` init_module would run (it
        draws from torch's generator); or naming a buffer of a dtype a spec
        cannot hold.

    Notes
    -----
    Each spec states the distribution's parameters as torch computes them
    from the shape, in torch's arithmetic: ``kaiming_uniform_(a=sqrt(5))``
    on a ``(256, 512)`` weight is ``{"name": "random_uniform", "minval":
    -b, "maxval": b}`` with ``b = 1/sqrt(512)`` to the last bit; ``normal_``
    is ``random_normal``; ``constant_``, ``ones_``, ``zeros_`` are
    ``constant``, ``ones``, ``zeros``. The file's ``weightinit.specs``
    metadata records them.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import module_specs
    >>> with torch.device("meta"):
    ...     net = torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.LayerNorm(4))
    >>> specs = module_specs(net)
    >>> list(specs)
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> specs["0.bias"]["init"]
    {'name': 'random_uniform', 'minval': -0.25, 'maxval': 0.25}
    >>> specs["1.weight"]
    {'shape': [4], 'dtype': 'float32', 'init': {'name': 'ones'}}

    Written and compared with ``init_module`` on a CPU copy:

    >>> import os, tempfile, weightinit
    >>> from safetensors.torch import load_file
    >>> from weightinit.torch import init_module
    >>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
    >>> _ = weightinit.save_safetensors(path, specs, seed=3)
    >>> cpu = init_module(torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.LayerNorm(4)),
    ...                   seed=3)
    >>> loaded = load_file(path)
    >>> all(torch.equal(loaded[k], v) for k, v in cpu.state_dict().items())
    True
    """
    torch = _import_torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str; got {type(prefix).__name__}")
    if not isinstance(buffers, bool):
        raise TypeError(f"buffers must be a bool; got {type(buffers).__name__}")
    plan = _Plan(model, torch, Rules(rules, torch.nn.Module), check=False)
    return plan.specs(prefix, buffers)
