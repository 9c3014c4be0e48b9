"""The fills :func:`weightinit.torch.fast_init` has taken over and not written yet.

The mode records each fill here, keyed by the tensor's storage, and writes it
at the latest moment: just before torch code reads that storage, or when the
block ends. Three things follow, and they are why fills wait:

* the module tree that holds the tensor is complete by then (transformers
  initializes ``LlamaModel`` inside ``LlamaForCausalLM.__init__``, before it
  is attached as ``model``), so the stream is the parameter's final name;
* a fill that covers an earlier one replaces it: nobody could have seen the
  earlier values (``nn.Linear``'s own ``kaiming_uniform_`` is replaced by the
  ``normal_`` of ``_init_weights``, so each weight is generated once);
* a fill into a storage nothing references any more is dropped (the
  ``lm_head.weight`` that ``tie_weights`` replaces by the embedding).

The values do not depend on when they are written: a fill is a pure function
of (seed, stream, element index). Imported only once torch is in use.
"""
from __future__ import annotations

import math
import sys
import weakref
from dataclasses import dataclass

import torch

from .torch import normal_, sparse_, trunc_normal_, uniform_

# What each kind of fill runs; every one takes (tensor, *params, seed, stream, threads).
_RANDOM_FILLS = {"uniform": uniform_, "normal": normal_, "trunc_normal": trunc_normal_,
                 "sparse": sparse_}
CONSTANT = "constant"


def counter_stream(index: int) -> str:
    """The stream of the ``index``-th random fill of a block whose tensor has no name."""
    return f"#{index}"


def is_dtensor(tensor) -> bool:
    dtensor = sys.modules.get("torch.distributed.tensor")
    return dtensor is not None and isinstance(tensor, dtensor.DTensor)


def _local(tensor):
    return tensor._local_tensor if is_dtensor(tensor) else tensor


def storage_of(tensor):
    """The tensor's untyped storage (a DTensor's: its local shard's), or None."""
    try:
        return _local(tensor).untyped_storage()
    except (RuntimeError, NotImplementedError, TypeError):   # sparse, nested, fake ...
        return None


class View:
    """Where a fill writes: a storage, a dtype and the view's geometry (in elements).

    Geometry, not the tensor object, is what a fill is about, so that a later
    ``t_()`` on the tensor, or the tensor's death while its storage lives on
    in another view, changes nothing.
    """

    __slots__ = ("storage_ref", "key", "dtype", "offset", "size", "stride", "_tensor_ref",
                 "_dtensor")

    def __init__(self, tensor, storage):
        local = _local(tensor)
        self.storage_ref = weakref.ref(storage)
        self.key = id(storage)
        self.dtype = local.dtype
        self.offset = local.storage_offset()
        self.size = tuple(local.shape)
        self.stride = tuple(local.stride())
        self._tensor_ref = weakref.ref(tensor)
        # a DTensor is kept: its mesh and placements say where the shard lies
        self._dtensor = tensor if local is not tensor else None

    @property
    def geometry(self) -> tuple:
        return (self.key, self.dtype, self.offset, self.size, self.stride)

    def byte_extent(self) -> tuple[int, int]:
        """[start, stop) in bytes of the storage the view can touch."""
        if 0 in self.size:
            return (0, 0)
        item = self.dtype.itemsize
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        return (self.offset * item, (last + 1) * item)

    def dense(self) -> bool:
        """Whether the view is C-contiguous (so it writes every byte of its extent)."""
        expected = 1
        for n, s in zip(reversed(self.size), reversed(self.stride)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def covers(self, other: View) -> bool:
        start, stop = self.byte_extent()
        o_start, o_stop = other.byte_extent()
        return self.dense() and start <= o_start and o_stop <= stop

    def tensor(self):
        """A tensor for this view: the original if it is alive and unchanged."""
        if self._dtensor is not None:
            return self._dtensor
        storage = self.storage_ref()
        t = self._tensor_ref()
        if t is not None and t.untyped_storage() is storage and t.dtype == self.dtype and (
                t.storage_offset(), tuple(t.shape), tuple(t.stride())) == (
                self.offset, self.size, self.stride):
            return t
        view = torch.empty(0, dtype=self.dtype)
        return view.set_(storage, self.offset, self.size, self.stride)

    def describe(self) -> str:
        kind = "DTensor" if self._dtensor is not None else "tensor"
        return f"{kind} of shape {self.size} ({str(self.dtype).replace('torch.', '')})"


@dataclass(eq=False)
class Fill:
    """One fill taken over: ``kind`` with ``params`` (the weightinit.torch
    function's arguments after the tensor) into ``view``.

    ``index`` is its place among the block's random fills (its stream when
    ``name_view`` has no name), ``name_view`` the tensor whose name gives the
    stream (``view`` itself, or the target of ``orthogonal_``, whose Gaussian
    matrix is a scratch tensor), ``roots`` weak references to the modules found
    on the call stack, outermost first, where that name is looked up.
    """

    kind: str
    params: tuple
    view: View
    index: int = -1
    name_view: View | None = None
    roots: tuple = ()


class _Slot:
    __slots__ = ("storage_ref", "fills")

    def __init__(self, storage_ref):
        self.storage_ref, self.fills = storage_ref, []


def stack_roots(frame) -> tuple:
    """Weak references to the ``nn.Module`` objects that are ``self`` in the
    frames from ``frame`` outwards, outermost first, each once."""
    found, seen = [], set()
    module_type = torch.nn.Module
    while frame is not None:
        code = frame.f_code
        if code.co_argcount and code.co_varnames[0] == "self":
            obj = frame.f_locals.get("self")
            if isinstance(obj, module_type) and id(obj) not in seen:
                seen.add(id(obj))
                found.append(weakref.ref(obj))
        frame = frame.f_back
    found.reverse()
    return tuple(found)


def _geometry_names(module) -> dict:
    """{geometry: qualified name} of the module's parameters, then buffers
    (``named_parameters()`` order; a tied parameter under its first name)."""
    names = {}
    for named in (module.named_parameters(), module.named_buffers()):
        for name, tensor in named:
            storage = storage_of(tensor)
            if storage is None:
                continue
            local = _local(tensor)
            key = (id(storage), local.dtype, local.storage_offset(), tuple(local.shape),
                   tuple(local.stride()))
            names.setdefault(key, name)
    return names


class Ledger:
    """The block's pending fills, by storage, in the order they were recorded."""

    def __init__(self, seed: int, threads, module=None):
        self.seed, self.threads = seed, threads
        self.module_ref = weakref.ref(module) if module is not None else None
        self.random_fills = 0          # the counter behind unnamed streams
        self._slots: dict[int, _Slot] = {}
        self._names: dict[str, tuple] = {}   # stream name -> (storage ref, geometry) it went to

    def __bool__(self) -> bool:
        return bool(self._slots)

    # -- recording ---------------------------------------------------------------

    def next_index(self) -> int:
        index = self.random_fills
        self.random_fills += 1
        return index

    def record(self, fill: Fill) -> None:
        """Add ``fill``; drop the earlier fills of its storage that it covers."""
        slot = self._slots.get(fill.view.key)
        if slot is None or slot.storage_ref() is None:
            storage = fill.view.storage_ref()
            key = fill.view.key
            ref = weakref.ref(storage, lambda _ref, key=key: self._forget(key, _ref))
            slot = self._slots[key] = _Slot(ref)
        slot.fills = [f for f in slot.fills if not fill.view.covers(f.view)]
        slot.fills.append(fill)

    def supersede(self, view: View) -> bool:
        """A write (``copy_``, ``fill_``) is about to cover ``view``: drop the fills
        it covers. Return whether fills of that storage remain pending."""
        slot = self._slots.get(view.key)
        if slot is None:
            return False
        slot.fills = [f for f in slot.fills if not view.covers(f.view)]
        if not slot.fills:
            del self._slots[view.key]
            return False
        return True

    def pending(self, storage) -> bool:
        slot = self._slots.get(id(storage))
        return slot is not None and slot.storage_ref() is storage

    def _forget(self, key, ref):
        slot = self._slots.get(key)
        if slot is not None and slot.storage_ref is ref:
            del self._slots[key]

    # -- writing -----------------------------------------------------------------

    def flush(self, storages) -> None:
        """Write the pending fills of these storages (before torch reads them)."""
        names = {}
        for storage in storages:
            slot = self._slots.get(id(storage))
            if slot is not None and slot.storage_ref() is storage:
                del self._slots[id(storage)]
                self._write_slot(slot, names)

    def flush_all(self) -> None:
        names = {}
        while self._slots:
            key = next(iter(self._slots))
            slot = self._slots.pop(key)
            if slot.storage_ref() is not None:
                self._write_slot(slot, names)

    def _write_slot(self, slot, names) -> None:
        with torch._C.DisableTorchFunction(), torch.no_grad():
            for fill in slot.fills:
                if fill.kind == CONSTANT:
                    fill.view.tensor().fill_(fill.params[0])
                else:
                    self._write_random(fill, self.stream_of(fill, names))

    def stream_of(self, fill: Fill, names: dict | None = None):
        """The stream of a random fill: the name of ``fill.name_view`` in the
        outermost module that holds it (``module=`` first), else the counter's.
        A name already given to another tensor in this block is not reused."""
        names = {} if names is None else names
        view = fill.name_view or fill.view
        geometry = view.geometry
        roots = ((self.module_ref,) if self.module_ref is not None else ()) + fill.roots
        for ref in roots:
            module = ref()
            if module is None:
                continue
            table = names.get(id(module))
            if table is None:
                table = names[id(module)] = _geometry_names(module)
            name = table.get(geometry)
            if name is not None:
                owner = self._names.get(name)
                if owner is None or owner[0]() is None or owner[1] == geometry:
                    self._names[name] = (view.storage_ref, geometry)
                    return name
                break              # the name went to another live tensor: not twice
        return counter_stream(fill.index)

    def _write_random(self, fill: Fill, stream) -> None:
        fn = _RANDOM_FILLS[fill.kind]
        target = fill.view.tensor()
        kwargs = dict(seed=self.seed, stream=stream, threads=self.threads)
        try:
            if is_dtensor(target) or target.is_contiguous():
                fn(target, *fill.params, **kwargs)
            else:                  # a transposed view, a channels-last weight
                scratch = torch.empty(target.shape, dtype=target.dtype)
                fn(scratch, *fill.params, **kwargs)
                target.copy_(scratch)
        except TypeError as exc:
            if is_dtensor(target):
                raise TypeError(f"fast_init could not fill a {fill.view.describe()} (stream "
                                f"{stream!r}): this weightinit.torch has no DTensor support "
                                f"({exc})") from exc
            raise
        if fill.kind == "trunc_normal":
            _clamp_to_bounds(target, fill.params[2], fill.params[3])


def _clamp_to_bounds(tensor, a: float, b: float) -> None:
    """Keep a truncated normal inside [a, b] as the tensor's dtype holds them.

    The mode answers torch's own rejection test for the values (see the mode),
    so it makes sure the answer is true: the kernel keeps its samples inside
    in its working precision and rounding is monotone, so this one read pass
    (over the local shard only) finds nothing in practice; a value an ulp
    outside would be moved onto the bound."""
    local = _local(tensor)
    if local.numel() == 0:
        return
    low = local.new_tensor(a).item() if math.isfinite(a) else a
    high = local.new_tensor(b).item() if math.isfinite(b) else b
    smallest, largest = torch.aminmax(local)
    if smallest.item() < low or largest.item() > high:
        local.clamp_(low, high)
