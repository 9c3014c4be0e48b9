"""Run a callback once a module has been imported, without importing it.

``weightinit`` registers itself with Keras and threadpoolctl, but importing
either at ``import weightinit`` would cost hundreds of milliseconds. So a
``sys.meta_path`` finder wraps the module's loader and calls back right after
the module's own code has run, then removes itself.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Callable

__all__ = ["call_after_import"]


class _AfterImport:
    """A finder that answers only for ``name``, once."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]):
        self.name, self.callback = name, callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)          # once, and no recursion below
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            run(module)
            self.callback(module)

        loader.exec_module = exec_module
        return spec


def call_after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call ``callback(module)`` after the first ``import name`` (now if it is
    imported already); a second call for the same name adds nothing.

    Examples
    --------
    >>> import sys
    >>> seen = []
    >>> call_after_import("json", lambda module: seen.append(module.__name__))
    >>> "json" not in sys.modules or seen == ["json"]
    True
    """
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, callback))
