"""The torch function mode behind :func:`weightinit.torch.fast_init`: which
torch calls it takes over, and how each maps to a ``weightinit.torch`` fill.

Every torch call inside the block reaches :meth:`FastInitMode.__torch_function__`
(torch's own mechanism for this, ``torch.overrides.TorchFunctionMode``).
Owned calls become fills in the :class:`~weightinit._torch_ledger.Ledger`;
every other call runs as torch's own, after the pending fills of any storage
it may read have been written. Imported only once torch is in use.
"""
from __future__ import annotations

import math
import sys
import threading
import warnings

import torch
from torch.overrides import TorchFunctionMode

from ._fans import torch_fans
from ._torch_ledger import (CONSTANT, Fill, Ledger, View, is_dtensor, stack_roots,
                            storage_of)
from .torch import calculate_gain, normal_, sparse_, trunc_normal_, uniform_

_TB = torch._C.TensorBase
_FILLABLE_DTYPES = frozenset((torch.float32, torch.float64, torch.float16, torch.bfloat16))
_INIT_MODULES = ("torch.nn.init", "transformers.initialization")
_GUARDED_MODULE = "transformers.initialization"     # skips tensors marked _is_hf_initialized
_VALIDATORS = {"uniform": uniform_, "normal": normal_, "trunc_normal": trunc_normal_,
               "sparse": sparse_}
_PASS = object()      # a handler's "not mine: let torch run it"


def _torch_init_code(name):
    """The code object of ``torch.nn.init.<name>`` (even while transformers has
    swapped the module attribute for its guarded wrapper)."""
    fn = getattr(torch.nn.init, name)
    if fn.__module__ != "torch.nn.init":
        fn = sys.modules["transformers.initialization"].TORCH_INIT_FUNCTIONS[name]
    return fn.__code__


# torch.nn.init functions that never dispatch to the mode themselves: the mode
# recognizes their frames when they call the tensor methods it owns.
_TRUNC_CODE = torch.nn.init._no_grad_trunc_normal_.__code__
_ORTHOGONAL_CODE = _torch_init_code("orthogonal_")
_SPARSE_CODE = _torch_init_code("sparse_")

_METHOD_WRAPPER = type(torch.Tensor.shape.__get__)

# Calls that read no tensor data (metadata, or a new view of the same storage,
# whose later reads are seen): pending fills stay pending.
_READS_NOTHING = frozenset((
    _TB.size, _TB.dim, _TB.numel, _TB.nelement, _TB.ndimension, _TB.stride,
    _TB.storage_offset, _TB.is_contiguous, _TB.element_size, _TB.is_floating_point,
    _TB.is_complex, _TB.get_device, _TB.__len__, _TB.requires_grad_, _TB.detach, _TB.view,
    _TB.view_as, _TB.t, _TB.transpose, _TB.permute, _TB.unsqueeze, _TB.squeeze, _TB.narrow,
    _TB.select, _TB.as_strided, _TB.expand, _TB.expand_as, _TB.split, _TB.chunk, _TB.unbind,
    torch.Tensor.__hash__))
# Calls that read only the metadata of their first argument.
_READS_SHAPE_OF_FIRST = frozenset((
    _TB.new_empty, _TB.new_zeros, _TB.new_ones, _TB.new_full, _TB.new_tensor,
    torch.empty_like, torch.zeros_like, torch.ones_like, torch.full_like))
_BASIC_INDEX = (int, slice, type(None), type(Ellipsis))


def _basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, _BASIC_INDEX) and not isinstance(i, bool) for i in items)


def _reads_nothing(func, args) -> bool:
    if func in _READS_NOTHING:
        return True
    if type(func) is _METHOD_WRAPPER and func.__name__ == "__get__":
        return True                      # a property: shape, dtype, data, T, ...
    return func is _TB.__getitem__ and len(args) == 2 and _basic_index(args[1])


def _tensors_in(values, depth=0):
    for value in values:
        if isinstance(value, torch.Tensor):
            yield value
        elif depth < 2 and isinstance(value, (list, tuple)):
            yield from _tensors_in(value, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            yield from _tensors_in(value.values(), depth + 1)


# Argument binding, with torch's names and defaults.
def _bind_normal(tensor, mean=0.0, std=1.0, *, generator=None):
    return tensor, mean, std, generator


def _bind_uniform(tensor, *args, generator=None, **kw):
    low = kw.pop("from", args[0] if len(args) > 0 else 0.0)
    high = kw.pop("to", args[1] if len(args) > 1 else 1.0)
    if kw or len(args) > 2:
        raise TypeError("uniform_() takes from, to and generator")
    return tensor, low, high, generator


def _bind_init_uniform(tensor, a=0.0, b=1.0, generator=None):
    return tensor, a, b, generator


def _bind_init_normal(tensor, mean=0.0, std=1.0, generator=None):
    return tensor, mean, std, generator


def _bind_init_kaiming(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    return tensor, a, mode, nonlinearity, generator


def _bind_init_constant(tensor, val):
    return tensor, val


def _bind_fill(tensor, value):
    return tensor, value


_active = threading.local()          # this thread's fast_init modes, innermost last


def _active_modes() -> list:
    if not hasattr(_active, "modes"):
        _active.modes = []
    return _active.modes


class FastInitMode(TorchFunctionMode):
    """The mode of one ``with fast_init(...)`` block (see :func:`fast_init`)."""

    def __init__(self, seed: int, threads, module=None):
        super().__init__()
        self.seed, self.threads = seed, threads
        self.ledger = Ledger(seed, threads, module)

    # -- entering and leaving -----------------------------------------------------

    def __enter__(self):
        modes = _active_modes()
        for outer in modes:          # an inner block's fills must not race the outer's
            outer.ledger.flush_all()
        super().__enter__()
        modes.append(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.ledger.flush_all()
        except Exception as flush_error:
            if exc is None:
                raise
            exc.add_note(f"fast_init could not write its pending fills: {flush_error!r}")
        finally:
            _active_modes().remove(self)
            super().__exit__(exc_type, exc, tb)

    # -- dispatch ------------------------------------------------------------------

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        try:
            handler = _HANDLERS.get(func)
        except TypeError:            # an unhashable callable
            handler = None
        if handler is None and getattr(func, "__module__", None) in _INIT_MODULES:
            handler = _INIT_HANDLERS.get(getattr(func, "__name__", None))
        if handler is not None:
            # by name, so that a subclass (record_init's mode) can override a handler
            result = getattr(self, handler.__name__)(func, args, kwargs, sys._getframe(1))
            if result is not _PASS:
                return result
        if self.ledger and not _reads_nothing(func, args):
            self._flush_read(func, args, kwargs)
        return func(*args, **kwargs)

    def _flush_read(self, func, args, kwargs):
        """Write the pending fills of every storage this call may read."""
        if func in _READS_SHAPE_OF_FIRST:
            args = args[1:]
        with torch._C.DisableTorchFunction():
            storages = [s for s in map(storage_of, _tensors_in((args, kwargs)))
                        if s is not None and self.ledger.pending(s)]
            if storages:
                self.ledger.flush(storages)

    # -- which tensors the mode fills --------------------------------------------

    def _owned_storage(self, tensor, *, autograd_records: bool):
        """The storage of ``tensor`` if the mode fills it, else None (torch does).

        Plain CPU tensors and parameters, and DTensors with CPU shards, of
        float32, float64, float16 or bfloat16. An in-place sampling call that
        autograd would record (``autograd_records``: grad enabled on a tensor
        that requires grad) is torch's, and so are inference tensors.
        Raises ValueError for a tensor without allocated storage."""
        if not isinstance(tensor, torch.Tensor):
            return None
        with torch._C.DisableTorchFunction():
            local = tensor._local_tensor if is_dtensor(tensor) else tensor
            if not (type(local) is torch.Tensor or isinstance(local, torch.nn.Parameter)):
                return None
            if local.device.type == "meta":
                raise ValueError(
                    f"fast_init cannot fill a meta tensor of shape {tuple(tensor.shape)}: it has "
                    "no storage. Build the model on the meta device outside fast_init, move "
                    "it with model.to_empty(device='cpu'), then run its init inside fast_init")
            if (local.device.type != "cpu" or local.layout != torch.strided
                    or local.dtype not in _FILLABLE_DTYPES or local.is_inference()):
                return None
            if autograd_records and torch.is_grad_enabled() and tensor.requires_grad:
                return None
            storage = local.untyped_storage()
            if local.numel():
                last = local.storage_offset() + sum(
                    (n - 1) * s for n, s in zip(local.shape, local.stride()))
                needed = (last + 1) * local.element_size()
                if storage.nbytes() < needed:
                    raise ValueError(
                        f"fast_init cannot fill a tensor of shape {tuple(tensor.shape)}: its "
                        f"storage is not allocated ({storage.nbytes()} of {needed} bytes; "
                        "freed by resize_(0), as FSDP does between uses). Fill it when "
                        "its storage is allocated")
        return storage

    def _take(self, tensor, storage, kind, params, frame, name_of=None):
        """Record a random fill (validated now, as torch would check it now)."""
        with torch._C.DisableTorchFunction():
            probe = torch.empty((0, 0) if kind == "sparse" else (0,), dtype=tensor.dtype)
            _VALIDATORS[kind](probe, *params, seed=self.seed, stream=0, threads=self.threads)
            name_view = View(name_of, storage_of(name_of)) if name_of is not None else None
            fill = Fill(kind, tuple(params), View(tensor, storage), self.ledger.next_index(),
                        name_view, stack_roots(frame))
        self.ledger.record(fill)
        return tensor

    # -- handlers: tensor methods -------------------------------------------------

    def _sample_method(self, func, args, kwargs, frame):
        """``Tensor.normal_`` / ``Tensor.uniform_`` (what most of torch.nn.init reaches)."""
        bind = _bind_normal if func is _TB.normal_ else _bind_uniform
        try:
            tensor, p0, p1, generator = bind(*args, **kwargs)
        except TypeError:                # a form torch accepts and this binding does not
            return _PASS
        if generator is not None:
            return _PASS                 # the caller asked for that generator's stream
        code = frame.f_code
        if code is _TRUNC_CODE:
            return self._trunc_draw(func, tensor, p0, p1, frame)
        storage = self._owned_storage(tensor, autograd_records=True)
        if storage is None:
            return _PASS
        kind, params, name_of = ("normal" if func is _TB.normal_ else "uniform"), (p0, p1), None
        local = frame.f_locals
        if code is _ORTHOGONAL_CODE and tensor is not local.get("tensor"):
            name_of = local.get("tensor")      # its Gaussian matrix: the target's stream
        elif code is _SPARSE_CODE and tensor is local.get("tensor") and not is_dtensor(tensor):
            kind, params = "sparse", (local["sparsity"], local["std"])
        return self._take(tensor, storage, kind, params, frame, name_of)

    def _trunc_draw(self, func, tensor, p0, p1, frame):
        """A draw inside ``torch.nn.init.trunc_normal_``. Its first draw, on the
        target, writes the final truncated-normal values; torch's rejection
        test is then answered "all accepted" (see :meth:`_trunc_check`), and
        the acceptance draws of its narrow-interval path are zeros
        (``log(0) < log_pdf``: every candidate is accepted)."""
        local = frame.f_locals
        target = local.get("tensor")
        if local.get("generator") is not None:
            return _PASS
        storage = self._owned_storage(target, autograd_records=False)
        if storage is None:
            return _PASS
        if tensor is target:
            params = (local["mean"], local["std"], local["a"], local["b"])
            return self._take(target, storage, "trunc_normal", params, frame)
        if func is _TB.uniform_:
            with torch._C.DisableTorchFunction(), torch.no_grad():
                return tensor.zero_()
        scratch = storage_of(tensor)     # a redraw of rejected values: never needed
        return self._take(tensor, scratch, "normal", (p0, p1), frame)

    def _trunc_check(self, func, args, kwargs, frame):
        """``result < lo`` / ``result > hi`` on values the mode drew inside
        ``trunc_normal_``: nothing is out of bounds (the ledger makes sure when
        it writes them), so the answer is a False scalar, with no pass over
        the tensor and the values still pending."""
        if frame.f_code is not _TRUNC_CODE or len(args) != 2:
            return _PASS
        local = frame.f_locals
        if args[0] is not local.get("tensor") or local.get("generator") is not None:
            return _PASS
        if self._owned_storage(args[0], autograd_records=False) is None:
            return _PASS
        with torch._C.DisableTorchFunction():
            return torch.zeros((), dtype=torch.bool)

    def _randperm(self, func, args, kwargs, frame):
        """``torch.randperm(rows)`` inside ``torch.nn.init.sparse_``: the rows
        that weightinit's ``sparse_`` zeroed in this column come first, so
        torch's own zeroing changes nothing and the global RNG is untouched."""
        if frame.f_code is not _SPARSE_CODE or kwargs or len(args) != 1:
            return _PASS
        local = frame.f_locals
        target = local.get("tensor")
        if local.get("generator") is not None or is_dtensor(target):
            return _PASS
        storage = self._owned_storage(target, autograd_records=False)
        if storage is None:
            return _PASS
        with torch._C.DisableTorchFunction():
            self.ledger.flush([storage])
            zero = target[:, local["col_idx"]] == 0
            return torch.cat((zero.nonzero().flatten(), (~zero).nonzero().flatten()))

    def _constant_method(self, func, args, kwargs, frame):
        if func is _TB.zero_:
            (tensor,), value = args, 0
        else:
            tensor, value = _bind_fill(*args, **kwargs)
        return self._constant(tensor, value, autograd_records=True)

    def _constant(self, tensor, value, *, autograd_records):
        """A constant into a storage with pending fills: it replaces those it
        covers, or waits behind them (a padding row zeroed after ``normal_``).
        Into any other storage, torch writes it at once."""
        if not self.ledger or isinstance(value, torch.Tensor):
            return _PASS
        with torch._C.DisableTorchFunction():
            storage = storage_of(tensor)
            if storage is None or not self.ledger.pending(storage):
                return _PASS
        storage = self._owned_storage(tensor, autograd_records=autograd_records)
        if storage is None:
            return _PASS
        with torch._C.DisableTorchFunction():
            view = View(tensor, storage)
        if not self.ledger.supersede(view):
            return _PASS
        self.ledger.record(Fill(CONSTANT, (value,), view))
        return tensor

    def _copy_method(self, func, args, kwargs, frame):
        """``dst.copy_(src)``: fills of ``dst`` that it overwrites are dropped."""
        if not self.ledger or not args:
            return _PASS
        with torch._C.DisableTorchFunction():
            dst = args[0]
            storage = storage_of(dst)
            others = [storage_of(t) for t in _tensors_in((args[1:], kwargs))]
            if (storage is not None and self.ledger.pending(storage)
                    and all(s is not storage for s in others)):
                self.ledger.supersede(View(dst, storage))
        return _PASS

    # -- handlers: torch.nn.init functions (torch's or transformers' wrappers) ----

    def _init_call(self, func, bind, args, kwargs):
        bound = bind(*args, **kwargs)
        tensor = bound[0]
        if func.__module__ == _GUARDED_MODULE and getattr(tensor, "_is_hf_initialized", False):
            return tensor, None          # transformers' guard: already initialized
        return tensor, bound

    def _init_uniform(self, func, args, kwargs, frame):
        tensor, bound = self._init_call(func, _bind_init_uniform, args, kwargs)
        if bound is None:
            return tensor
        _, a, b, generator = bound
        return self._init_random(tensor, "uniform", (a, b), generator, frame)

    def _init_normal(self, func, args, kwargs, frame):
        tensor, bound = self._init_call(func, _bind_init_normal, args, kwargs)
        if bound is None:
            return tensor
        _, mean, std, generator = bound
        return self._init_random(tensor, "normal", (mean, std), generator, frame)

    def _init_kaiming_uniform(self, func, args, kwargs, frame):
        tensor, bound = self._init_call(func, _bind_init_kaiming, args, kwargs)
        if bound is None:
            return tensor
        _, a, mode, nonlinearity, generator = bound
        if generator is not None or self._owned_storage(tensor, autograd_records=False) is None:
            return _PASS
        shape = tuple(tensor.shape)
        if 0 in shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=4)
            return tensor
        # torch's formula, step by step, so the bound is torch's to the last bit
        fan_in, fan_out = torch_fans(shape)
        lowered = mode.lower() if isinstance(mode, str) else mode
        if lowered not in ("fan_in", "fan_out"):
            raise ValueError(f"Mode {mode} not supported, please use one of "
                             "['fan_in', 'fan_out']")
        std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in if lowered == "fan_in"
                                                          else fan_out)
        limit = math.sqrt(3.0) * std
        return self._init_random(tensor, "uniform", (-limit, limit), None, frame)

    def _init_constant(self, func, args, kwargs, frame):
        tensor, bound = self._init_call(func, _bind_init_constant, args, kwargs)
        if bound is None:
            return tensor
        return self._constant(tensor, bound[1], autograd_records=False)

    def _init_random(self, tensor, kind, params, generator, frame):
        if generator is not None:
            return _PASS
        storage = self._owned_storage(tensor, autograd_records=False)
        if storage is None:
            return _PASS
        return self._take(tensor, storage, kind, params, frame)


_HANDLERS = {
    _TB.normal_: FastInitMode._sample_method,
    _TB.uniform_: FastInitMode._sample_method,
    _TB.fill_: FastInitMode._constant_method,
    _TB.zero_: FastInitMode._constant_method,
    _TB.copy_: FastInitMode._copy_method,
    _TB.lt: FastInitMode._trunc_check,
    _TB.gt: FastInitMode._trunc_check,
    _TB.__lt__: FastInitMode._trunc_check,
    _TB.__gt__: FastInitMode._trunc_check,
    torch.randperm: FastInitMode._randperm,
}

# torch.nn.init functions that dispatch to the mode themselves, by torch name
# (transformers' wrappers carry the same names and signatures).
_INIT_HANDLERS = {
    "uniform_": FastInitMode._init_uniform,
    "normal_": FastInitMode._init_normal,
    "kaiming_uniform_": FastInitMode._init_kaiming_uniform,
    "constant_": FastInitMode._init_constant,
}
