"""The torch function mode behind :func:`weightinit.torch.record_init`.

The recording form of :func:`~weightinit.torch.fast_init`'s mode: the same torch
function mode (:class:`~weightinit._torch_intercept.FastInitMode`) takes over
the same calls and its ledger names each fill the same way, but at the end
of the block each fill becomes a spec (:func:`weightinit.torch._specs.fill_spec`)
instead of values, so no tensor needs memory. What cannot be a spec (a fill
whose values are then read or changed, ``orthogonal_``, ``sparse_``, a copy
from another tensor, a fill of part of a tensor) is a ``ValueError`` naming
the tensor, at the call. Imported only once torch is in use.
"""
from __future__ import annotations

import sys

import torch

from ._torch_intercept import _FILLABLE_DTYPES, _PASS, _TB, FastInitMode, _bind_fill
from ._torch_ledger import (_RANDOM_FILLS, CONSTANT, Fill, Ledger, View, _geometry_names,
                            is_dtensor, stack_roots, storage_of)
from .torch._specs import dtype_name, fill_spec
from .torch import constant_

_TORCH_INIT_FILE = torch.nn.init.__file__
_TRUNC_CODE = torch.nn.init._no_grad_trunc_normal_.__code__
_IS_META = torch.Tensor.is_meta           # its __get__ reaches the mode (a new wrapper each time)


def _describe(tensor) -> str:
    return f"a tensor of shape {tuple(tensor.shape)}"


def _non_persistent(roots, name) -> bool:
    """Whether ``name`` is a non-persistent buffer (not in ``state_dict()``, so
    never in a model file: rotary ``inv_freq``) in a module of ``roots``."""
    owner, _, local = name.rpartition(".")
    for ref in roots:
        module = ref()
        try:
            mod = module.get_submodule(owner) if owner else module
        except AttributeError:
            continue
        if local in getattr(mod, "_non_persistent_buffers_set", ()):
            return True
    return False


class _RecordLedger(Ledger):
    """The ledger of a recording block: its fills become ``specs``, never values."""

    def __init__(self, module=None):
        super().__init__(0, None, module)
        self.specs: dict[str, dict] = {}

    def roots(self, extra=()) -> tuple:
        return ((self.module_ref,) if self.module_ref is not None else ()) + tuple(extra)

    def name_now(self, tensor, frame) -> str | None:
        """The name a fill of ``tensor`` would be written under, looked up now."""
        with torch._C.DisableTorchFunction():
            storage = storage_of(tensor)
            if storage is None:
                return None
            view = View(tensor, storage)
            roots = self.roots(stack_roots(frame))
            for ref in roots:
                module = ref()
                if module is not None:
                    name = _geometry_names(module).get(view.geometry)
                    if name is not None:
                        return name
        return None

    def flush(self, storages) -> None:
        """Torch code is about to read recorded values: a spec cannot say what follows."""
        for storage in storages:
            slot = self._slots.get(id(storage))
            if slot is None or slot.storage_ref() is not storage:
                continue
            fill = slot.fills[-1]
            with torch._C.DisableTorchFunction():
                name = self.stream_of(fill)
            where = fill.view.describe() if name.startswith("#") else repr(name)
            raise ValueError(f"record_init: the init code uses the values it gave {where} "
                             f"({fill.kind}) (in-place arithmetic, a copy or a read of them): "
                             "data-dependent init cannot be recorded as a spec")

    def discard(self) -> None:
        """Forget every recorded fill (the block failed)."""
        self._slots.clear()

    def _write_slot(self, slot, names) -> None:
        # a slot is named by the first of its fills that covers a named tensor
        with torch._C.DisableTorchFunction():
            named = [(f, self.stream_of(f, names)) for f in slot.fills]
        fill, name = next(((f, n) for f, n in named if not n.startswith("#")), named[-1])
        if name.startswith("#"):
            raise ValueError(f"record_init: a {fill.kind} fill of {fill.view.describe()} that no "
                             "module holds as a parameter or buffer has no name to be written "
                             "under; pass module= (the model) to record_init")
        if _non_persistent(self.roots(fill.roots), name):
            return                 # not part of the model's file
        padding_idx = _padding_row(slot.fills)
        if padding_idx is not None:
            fill = slot.fills[0]
        elif len(slot.fills) > 1:
            kinds = " then ".join(f.kind for f in slot.fills)
            raise ValueError(f"record_init: {name!r} is filled in parts ({kinds}), which no "
                             "spec expresses (a spec holds one fill of the whole tensor, and a "
                             "zeroed row of axis 0: padding_idx)")
        if fill.name_view is not None:
            raise ValueError(f"record_init: {name!r} is filled from a scratch tensor "
                             "(orthogonal_), which no spec expresses")
        fn = constant_ if fill.kind == CONSTANT else _RANDOM_FILLS[fill.kind]
        if fill.kind == "sparse":
            raise ValueError(f"record_init: {name!r} is filled by sparse_, which no spec "
                             "expresses")
        dtype = dtype_name(fill.view.dtype, name)
        self.specs[name] = fill_spec(fn, fill.params, {}, fill.view.size, dtype, name)
        if padding_idx is not None:
            self.specs[name]["padding_idx"] = padding_idx


def _padding_row(fills) -> int | None:
    """k when ``fills`` are a random fill of a dense tensor and then zeros in
    its row k of axis 0 (``Embedding(padding_idx=k)``, transformers'
    ``weight.data[padding_idx].zero_()``), else None."""
    if len(fills) != 2:
        return None
    whole, row = fills[0].view, fills[1].view
    if (fills[0].kind == CONSTANT or fills[1].kind != CONSTANT or fills[1].params[0] != 0
            or len(whole.size) < 1 or not whole.dense() or whole.dtype != row.dtype):
        return None
    rows, row_size, row_stride = whole.size[0], whole.size[1:], whole.stride[1:]
    k, rest = divmod(row.offset - whole.offset, whole.stride[0] or 1)
    same_row = row.size == row_size and row.stride == row_stride
    same_row = same_row or (row.size == (1, *row_size) and row.stride[1:] == row_stride)
    return k if same_row and rest == 0 and 0 <= k < rows else None


class _RecordMode(FastInitMode):
    """:class:`FastInitMode` whose ledger records specs; meta tensors are taken."""

    def __init__(self, module=None):
        super().__init__(0, None, module)
        self.ledger = _RecordLedger(module)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.ledger.discard()        # a failed block records nothing
        return super().__exit__(exc_type, exc, tb)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__self__", None) is _IS_META and args:
            self._meta_shortcut(args[0], sys._getframe(1))
        return super().__torch_function__(func, types, args, kwargs)

    def _meta_shortcut(self, tensor, frame):
        """torch.nn.init's ``trunc_normal_``, ``orthogonal_``, ``dirac_`` return at
        once on a meta tensor, after asking ``tensor.is_meta``: the mode hears
        the question. ``trunc_normal_`` is recorded; the others are refused."""
        if frame.f_code.co_filename != _TORCH_INIT_FILE:
            return
        local = frame.f_locals
        if local.get("tensor") is not tensor:
            return
        storage = self._owned_storage(tensor, autograd_records=False)
        if storage is None or not self._is_meta(tensor):
            return
        if frame.f_code is _TRUNC_CODE and local.get("generator") is None:
            params = (local["mean"], local["std"], local["a"], local["b"])
            self._take(tensor, storage, "trunc_normal", params, frame)
            return
        name = self.ledger.name_now(tensor, frame)
        raise ValueError(f"record_init: {name or _describe(tensor)!r}: torch.nn.init."
                         f"{frame.f_code.co_name.lstrip('_').replace('no_grad_', '')} cannot be "
                         "recorded as a spec (its values are not one element-wise initializer)")

    @staticmethod
    def _is_meta(tensor) -> bool:
        with torch._C.DisableTorchFunction():
            local = tensor._local_tensor if is_dtensor(tensor) else tensor
            return local.device.type == "meta"

    def _owned_storage(self, tensor, *, autograd_records: bool):
        """As :class:`FastInitMode`'s, and meta tensors are taken (their fills
        are only recorded). DTensors are refused (a spec is of a whole tensor)."""
        if not isinstance(tensor, torch.Tensor):
            return None
        if is_dtensor(tensor):
            raise ValueError("record_init records plain tensors (a model on the meta "
                             "device), not DTensors")
        if not self._is_meta(tensor):
            return super()._owned_storage(tensor, autograd_records=autograd_records)
        with torch._C.DisableTorchFunction():
            if not (type(tensor) is torch.Tensor or isinstance(tensor, torch.nn.Parameter)):
                return None
            if tensor.layout != torch.strided or tensor.dtype not in _FILLABLE_DTYPES:
                return None
            if autograd_records and torch.is_grad_enabled() and tensor.requires_grad:
                return None
            return tensor.untyped_storage()

    # -- constants and copies: recorded (or refused) on every taken tensor ---------

    def _constant_method(self, func, args, kwargs, frame):
        if func is _TB.zero_:
            (tensor,), value = args, 0
        else:
            tensor, value = _bind_fill(*args, **kwargs)
        return self._record_constant(tensor, value, True, frame)

    def _init_constant(self, func, args, kwargs, frame):
        from ._torch_intercept import _bind_init_constant
        tensor, bound = self._init_call(func, _bind_init_constant, args, kwargs)
        if bound is None:
            return tensor
        return self._record_constant(tensor, bound[1], False, frame)

    def _record_constant(self, tensor, value, autograd_records, frame):
        storage = self._owned_storage(tensor, autograd_records=autograd_records)
        if storage is None:
            name = self.ledger.name_now(tensor, frame) if isinstance(tensor, torch.Tensor) \
                else None
            if name is not None and tensor.dtype not in _FILLABLE_DTYPES:
                raise ValueError(f"record_init: {name!r} is {str(tensor.dtype)[6:]}, which a "
                                 "safetensors spec cannot hold (module_specs: buffers=False "
                                 "leaves buffers out)")
            return _PASS
        if isinstance(value, torch.Tensor):
            name = self.ledger.name_now(tensor, frame)
            raise ValueError(f"record_init: {name or _describe(tensor)!r} is filled with a "
                             "tensor's value, which a spec cannot express")
        with torch._C.DisableTorchFunction():
            view = View(tensor, storage)
        self.ledger.supersede(view)
        self.ledger.record(Fill(CONSTANT, (value,), view, -1, None, stack_roots(frame)))
        return tensor

    def _copy_method(self, func, args, kwargs, frame):
        if args and self._owned_storage(args[0], autograd_records=False) is not None:
            name = self.ledger.name_now(args[0], frame)
            if name is not None and not _non_persistent(self.ledger.roots(stack_roots(frame)),
                                                        name):
                raise ValueError(f"record_init: {name!r} is copied from another tensor "
                                 "(copy_), which a spec cannot express")
        return super()._copy_method(func, args, kwargs, frame)
