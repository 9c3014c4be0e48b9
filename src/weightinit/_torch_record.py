"""``weightinit.torch.record_init``: a model's own init code, run on the meta
device, recorded as the specs :func:`weightinit.save_safetensors` reads.

Exported by ``weightinit.torch``; the mode lives in ``_torch_record_mode``,
imported when a block starts, so that importing ``weightinit.torch`` never
imports torch.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ._torch_fast_init import checked_module

if TYPE_CHECKING:
    from types import TracebackType

    import torch

__all__ = ["RecordInit", "record_init"]


class RecordInit:
    """The context manager returned by :func:`record_init`; after the block,
    ``specs`` holds what it recorded and ``unrecorded`` the parameters of
    ``module`` it did not write."""

    def __init__(self, *, module: torch.nn.Module | None = None, warn: bool = True) -> None:
        self._warn = warn
        self.module = checked_module(module)
        self.specs: dict[str, dict] = {}
        self.unrecorded: list[str] = []
        self._mode: Any = None

    def __enter__(self) -> RecordInit:
        if self._mode is not None:
            raise RuntimeError("record_init: this block is already running")
        from ._torch_record_mode import _RecordMode
        self._mode = _RecordMode(self.module)
        self._mode.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool | None:
        mode, self._mode = self._mode, None
        result = mode.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.specs = dict(mode.ledger.specs)
            if self.module is not None:
                self.unrecorded = [n for n, _ in self.module.named_parameters()
                                   if n not in self.specs]
                if self.unrecorded and self._warn:
                    warnings.warn("record_init: the init code did not write these parameters "
                                  f"(they are not in specs): {', '.join(self.unrecorded)}",
                                  stacklevel=2)
        return result

    def __repr__(self) -> str:
        module = "" if self.module is None else f"module={type(self.module).__name__}"
        return f"record_init({module})"


def record_init(*, module: torch.nn.Module | None = None) -> RecordInit:
    """Record a model's own init code as specs for
    :func:`weightinit.save_safetensors`, on a model built on the meta device.

    The recording form of :func:`fast_init`: inside ``with record_init(module=
    model) as rec:``, the calls ``fast_init`` takes over (``torch.nn.init``'s
    functions and transformers' wrappers, ``Tensor.normal_``, ``uniform_``,
    ``fill_``, ``zero_``) are recorded instead of filled, and at the end of
    the block ``rec.specs`` holds ``{name: spec}``. Then
    ``save_safetensors(path, rec.specs, seed=s)`` writes, bit for bit, what
    ``with fast_init(seed=s, module=model_on_cpu):`` and the same init code
    give in memory, and nothing of the model is ever allocated. The seed is
    not needed to record: it is given when the file is written.

    Parameters
    ----------
    module : torch.nn.Module, optional, keyword-only
        The model whose names name the tensors (and their streams), as
        ``fast_init``'s ``module=``. Without it, names come from the modules
        on the call stack; a fill that none names is an error.

    Returns
    -------
    RecordInit
        A context manager; after the block ``specs`` (a dict, in the order
        the tensors were first filled) and ``unrecorded`` (the names of
        ``module``'s parameters the code did not write, which also get a
        warning: their values would be whatever the constructor left).

    Raises
    ------
    TypeError
        For a ``module`` that is not a ``torch.nn.Module``.
    ValueError
        Inside the block, naming the tensor, for a call that no spec can
        express: the init code reads or changes a tensor's recorded values
        (``w.mul_(2)`` after ``normal_``, a forward pass), ``copy_`` into a
        parameter, ``fill_`` with a tensor, ``orthogonal_``, ``sparse_``,
        ``dirac_``, a fill of part of a tensor (an Embedding's padding row);
        or a dtype a spec cannot hold. At the end of the block, for a fill
        of a tensor no module names. Nothing is ever written.

    Notes
    -----
    Names and specs are ``fast_init``'s: each tensor's spec is the fill that
    ``fast_init`` would write (the last one that covers it), with the
    distribution's parameters as ``fast_init`` computes them
    (:func:`module_specs` explains the form). ``trunc_normal_`` (which on a
    meta tensor returns before sampling) is recorded all the same, for the
    interval ``mean +- 2 std`` that a spec holds. Transformers 5 builds its
    models on the meta device and initializes them after; record its
    ``_init_weights``:

    .. code-block:: python

        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
        with record_init(module=model) as rec:
            model.apply(model._init_weights)
        save_safetensors("model.safetensors", rec.specs, seed=0, format="pt")

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import record_init
    >>> with torch.device("meta"):
    ...     net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Linear(4, 2))
    >>> with record_init(module=net) as rec:
    ...     for layer in net:
    ...         _ = torch.nn.init.normal_(layer.weight, std=0.02)
    ...         _ = torch.nn.init.zeros_(layer.bias)
    >>> rec.specs["0.weight"]["init"], rec.specs["1.bias"]["init"]
    ({'name': 'random_normal', 'mean': 0.0, 'stddev': 0.02}, {'name': 'zeros'})
    """
    return RecordInit(module=module)
