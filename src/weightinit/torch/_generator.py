"""``generator=`` and 0-d tensor arguments of the ``torch.nn.init``-style functions.

A ``torch.Generator`` (CPU) gives the Philox key: 64 bits taken from it with
``torch.randint(0, 2**32, (2,), generator=g)`` (low word first), so
``torch.manual_seed(s)`` then ``generator=torch.default_generator`` is
reproducible, and successive calls advance it and differ, as in torch.
``stream=`` still applies. On DTensors every rank must hold the same
generator state (as ``torch.manual_seed`` on every rank gives), so all ranks
draw the same key.

A :class:`weightinit.Generator` gives its key and stream, and the fill takes
the next unused blocks of its stream for the tensor's *global* shape (as a
``wi.Generator`` call of that size would), so successive calls differ and a
sharded fill stays independent of the mesh. ``orthogonal_`` and ``sparse_``,
which draw more than one block per element, take a 64-bit key from the
generator's next block instead.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, NamedTuple, TypeVar

from ..generator import Generator, blocks_of


class Position(NamedTuple):
    """Where a ``wi.Generator`` fill starts: its key, stream and next block."""
    key: tuple[int, int]
    sid: int
    generator: Generator

    def start(self, shape: tuple[int, ...], dtype_name: str) -> int:
        """The block where a fill of ``shape`` starts (``Generator._start``):
        ValueError, consuming nothing, if it would run past the end of the
        stream, as the ``wi.Generator`` call of that size."""
        return self.generator._start(blocks_of(shape, dtype_name))

    def consume(self, shape: tuple[int, ...], dtype_name: str) -> None:
        """Advance past the blocks a ``wi.Generator`` call of ``shape`` uses."""
        self.generator._consume(blocks_of(shape, dtype_name))


def _number(value: Any) -> Any:
    """A 0-d torch tensor as its Python number; anything else unchanged."""
    if type(value).__module__.startswith("torch") and hasattr(value, "dim"):
        import torch
        if isinstance(value, torch.Tensor) and value.dim() == 0:
            return value.item()
    return value


def _torch_seed(generator) -> int:
    if str(generator.device) != "cpu":
        raise ValueError("generator must be a CPU torch.Generator; got one on "
                         f"{generator.device}")
    import torch
    low, high = torch.randint(0, 2**32, (2,), dtype=torch.int64, generator=generator).tolist()
    return low | (high << 32)


def _from_generator(generator, seed, stream, blocks: bool):
    """The ``seed`` a function receives for ``generator``."""
    if seed is not None:
        raise TypeError("give seed or generator, not both")
    if isinstance(generator, Generator):
        if stream != 0:
            raise TypeError("give stream or a weightinit.Generator (it has its stream), "
                            "not both")
        if blocks:
            return Position(generator._key, generator._stream, generator)
        low, high = generator.random_raw(2).tolist()
        return low | (high << 32)
    cls = type(generator)
    if cls.__module__.startswith("torch") and cls.__name__ == "Generator":
        return _torch_seed(generator)
    raise TypeError("generator must be a torch.Generator or a weightinit.Generator; "
                    f"got {cls.__name__}")


F = TypeVar("F", bound=Callable[..., Any])


def torch_arguments(blocks: bool = True) -> Callable[[F], F]:
    """Decorate a fill: 0-d tensors become numbers, ``generator=`` becomes ``seed``.

    A fill that takes ``generator=`` declares it in its own signature (the one
    users, ``inspect`` and type checkers see); the decorator turns it into
    ``seed`` before the call, so the body always sees ``generator=None``.
    Fills whose torch namesake has none (``constant_``, ``dirac_``) leave it
    out and refuse it. ``blocks``: the fill reads a :class:`Position`
    (element-wise fills); otherwise a ``wi.Generator`` gives a 64-bit key.
    """
    def decorate(func: F) -> F:
        takes_generator = "generator" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            generator = kwargs.pop("generator", None) if takes_generator else None
            args = tuple(_number(a) for a in args)
            kwargs = {k: (v if k in ("seed", "stream", "threads") else _number(v))
                      for k, v in kwargs.items()}
            if generator is not None:
                kwargs["seed"] = _from_generator(generator, kwargs.get("seed"),
                                                 kwargs.get("stream", 0), blocks)
            return func(tensor, *args, **kwargs)

        return wrapper  # type: ignore[return-value]
    return decorate


def deprecated_alias(meth: F) -> F:
    """The non-underscore name torch still has, warning as torch's ``_make_deprecate``."""
    import warnings
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = (f"{old_name}(...)\n\n.. warning::\n    This method is now "
                               f"deprecated in favor of :func:`{new_name}`.\n\n"
                               f"See :func:`{new_name}` for details.")
    return deprecated_init  # type: ignore[return-value]
