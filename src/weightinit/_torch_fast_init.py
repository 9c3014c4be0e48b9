"""``weightinit.torch.fast_init``: the init code users already have, on weightinit.

Exported by ``weightinit.torch``; the machinery lives in ``_torch_intercept``
(which torch calls are taken over) and ``_torch_ledger`` (when, and under
which stream, values are written), both imported only when a block starts,
so that importing ``weightinit.torch`` never imports torch.
"""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ._stream import key_from_seed
from ._threads import resolve_threads
from ._types import SeedLike, ThreadsLike

if TYPE_CHECKING:
    from types import TracebackType

    import torch

__all__ = ["fast_init", "FastInit"]


def checked_module(module):
    """``module=`` of fast_init and record_init: None or a torch.nn.Module."""
    if module is not None:
        import torch
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module or None; "
                            f"got {type(module).__name__}")
    return module


class FastInit:
    """The context manager returned by :func:`fast_init`; reusable, each
    ``with`` is a new block (its own counter and pending fills)."""

    def __init__(self, seed: SeedLike = None, *, threads: ThreadsLike = None,
                 module: torch.nn.Module | None = None) -> None:
        if seed is None:
            seed = secrets.randbits(64)
        key = key_from_seed(seed)
        self.seed: int = key[0] | (key[1] << 32)      # the same key, as one int
        resolve_threads(threads)
        self.threads = threads
        self.module = checked_module(module)
        self._modes: list[Any] = []

    def __enter__(self) -> FastInit:
        from ._torch_intercept import FastInitMode
        mode = FastInitMode(self.seed, self.threads, self.module)
        mode.__enter__()
        self._modes.append(mode)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool | None:
        return self._modes.pop().__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        module = "" if self.module is None else f", module={type(self.module).__name__}"
        return f"fast_init(seed={self.seed}, threads={self.threads}{module})"


def fast_init(seed: SeedLike = None, *, threads: ThreadsLike = None,
              module: torch.nn.Module | None = None) -> FastInit:
    """Run existing PyTorch init code on weightinit's kernels, reproducibly.

    Inside ``with fast_init(seed):``, ``torch.nn.init``'s functions and the
    in-place sampling methods that init code calls (``Tensor.normal_``,
    ``Tensor.uniform_``) fill tensors through :mod:`weightinit.torch`, with
    torch's semantics (bounds, fans, gains, in place), on all cores, without
    touching torch's random generator. Model code runs unchanged:
    ``AutoModelForCausalLM.from_config(cfg)``, a module's
    ``reset_parameters()``, torchtitan's ``model.init_weights()`` after
    ``to_empty``. The mode is a ``torch.overrides.TorchFunctionMode``:
    nothing in torch or transformers is patched.

    Parameters
    ----------
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        The key of every fill in the block; None draws one from OS entropy
        (once, when ``fast_init`` is called).
    threads : int, optional, keyword-only
        Threads per fill (default: all CPUs allowed); values do not depend on it.
    module : torch.nn.Module, optional, keyword-only
        The model whose ``named_parameters()`` and ``named_buffers()`` name the
        tensors (matched by storage and view); given, the values equal
        :func:`weightinit.torch.init_module`'s for the same rule.

    Returns
    -------
    FastInit
        A context manager.

    Raises
    ------
    TypeError, ValueError
        For a bad ``seed``, ``threads`` or ``module``, at once; inside the
        block, for bad arguments of an init call (at the call, as torch) and
        for a tensor without allocated storage (meta, or ``resize_(0)``).

    Notes
    -----
    **Values.** A fill is ``weightinit.torch.<fn>(tensor, *args, seed=seed,
    stream=name)``: a pure function of the seed, the stream and the call's
    arguments, identical on any thread count and, for DTensor shards, on
    any mesh. The stream ``name`` is the tensor's qualified parameter or
    buffer name (``"model.layers.0.mlp.up_proj.weight"``; a tied weight
    under its first name) in the first module that holds it, of:

    1. ``module``, if given;
    2. the modules that are ``self`` in the Python frames of the call (the
       model whose ``__init__``, ``post_init`` or ``init_weights`` is running,
       a module's ``reset_parameters``), outermost first, looked up when the
       values are written (below), when the model tree is complete: so
       ``from_config`` names every parameter by its final name in the
       returned model, as ``model.named_parameters()`` gives it.

    The tensor must be that parameter exactly (same storage, offset, shape
    and strides; ``.data`` and ``detach()`` are). A tensor no module holds (a
    slice, a scratch buffer), or a name already given to another live
    tensor in the block (``m.reset_parameters()`` in a loop over modules
    with no model in the call stack), takes the stream ``"#n"``: the n-th
    random fill the block took over, counting from 0. Same code and seed,
    same bits.

    **When values are written.** Fills wait, by storage, until torch code is
    about to read the tensor (any call that may read its data: a forward
    pass, ``.sum()``, ``copy_`` from it, ``numpy()``, ``data_ptr()``) or the
    block ends, normally or by an exception. A fill that a later one covers
    is never written (``nn.Linear``'s ``kaiming_uniform_`` replaced by
    ``_init_weights``' ``normal_``: each weight is generated once), nor is a
    fill into a storage nothing references any more. Calls that read only
    shapes or make views (``size()``, ``.shape``, ``w[i]``, ``view``) wait.
    Entering a nested ``fast_init`` writes the outer block's pending fills
    first; the inner block then has its own seed and counter.

    **What the mode takes over**, on CPU tensors, parameters and DTensor
    shards of float32, float64, float16 and bfloat16, when no
    ``generator=`` is given:

    * ``torch.nn.init.uniform_, normal_, kaiming_uniform_, constant_`` (they
      dispatch to the mode; so do transformers' guarded wrappers, recognized by
      their torch names, and tensors marked ``_is_hf_initialized`` are
      skipped, as transformers' guard does);
    * ``Tensor.normal_``, ``Tensor.uniform_``, which ``xavier_uniform_``,
      ``xavier_normal_``, ``kaiming_normal_`` reach with their own formulas
      (the same bits as the ``weightinit.torch`` function of that name);
    * ``trunc_normal_``: its first draw writes
      ``weightinit.torch.trunc_normal_``'s values (inverse CDF, no
      rejection); torch's rejection test on them is answered "all accepted"
      without a pass over the tensor (the writer checks the bounds). For
      intervals of probability <= 0.3, torch's own two scratch tensors and
      arithmetic still run, and read the values at once;
    * ``orthogonal_``: its Gaussian matrix comes from the target's stream;
      the QR factorization is torch's (so not bit-equal to
      ``weightinit.torch.orthogonal_``, which factors in NumPy);
    * ``sparse_``: ``weightinit.torch.sparse_``'s values; its
      ``torch.randperm`` calls are answered from them (not for DTensors);
    * ``Tensor.fill_``, ``zero_``, ``copy_`` only to order them with pending
      fills (a padding row zeroed after its ``normal_``; a ``copy_`` or
      ``load_state_dict`` over a pending fill drops it).

    **What stays torch's.** Every other call runs as torch's own (after the
    pending fills it may read): torch factories (``torch.randn``,
    ``torch.rand``: they make new tensors whose values the caller uses at once,
    and owning them would change non-init randomness such as dropout), other
    random methods (``bernoulli_``, ``exponential_``, ``random_``), calls with
    an explicit ``generator`` (the caller asked for that stream), sampling
    that autograd would record (grad enabled on a tensor that requires grad;
    torch then refuses leaves as usual), inference tensors, other devices,
    dtypes (complex, integer, float8) and tensor subclasses (fake and
    functional tensors of ``torch.compile``). Those calls draw from torch's
    generator as usual; the calls the mode takes over never do.

    The mode is per thread (torch's mode stack is thread-local) and leaves
    torch as it was when the block ends.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import fast_init, kaiming_uniform_
    >>> class Net(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1, self.fc2 = torch.nn.Linear(16, 8), torch.nn.Linear(8, 4)
    >>> state = torch.random.get_rng_state()
    >>> with fast_init(seed=0):
    ...     net = Net()              # Linear.reset_parameters, inside Net.__init__
    >>> bool(torch.equal(state, torch.random.get_rng_state()))   # torch's RNG untouched
    True
    >>> w = kaiming_uniform_(torch.empty(8, 16), a=5 ** 0.5, seed=0, stream="fc1.weight")
    >>> bool(torch.equal(net.fc1.weight, w))       # the stream is its name in Net
    True
    >>> with fast_init(seed=0, module=net):
    ...     net.fc1.reset_parameters()             # named through module=
    >>> bool(torch.equal(net.fc1.weight, w))
    True
    """
    return FastInit(seed, threads=threads, module=module)
