"""weightinit in threadpoolctl: ``threadpool_info()`` lists it and
``threadpool_limits(n)`` sets its default thread count.

threadpoolctl finds libraries by scanning the loaded shared objects; the
controller below matches the ``_core`` extension by its file name and by
symbols only weightinit's C core exports, and its get/set go to
:mod:`weightinit._threads`. ``import weightinit`` never imports
threadpoolctl: if it is already imported the controller is registered at
once, else a meta-path hook registers it when threadpoolctl is imported.
"""
from __future__ import annotations

import sys

__all__ = ["install"]

_registered = False


def _register(threadpoolctl) -> None:
    global _registered
    if _registered or not hasattr(threadpoolctl, "register"):   # threadpoolctl < 3.0
        return
    from . import _threads, __version__

    class WeightinitController(threadpoolctl.LibController):
        user_api = "weightinit"
        internal_api = "weightinit"
        filename_prefixes = ("_core",)
        check_symbols = ("wi_select_kernel", "wi_build_flags")   # another _core.*.so lacks them

        def get_num_threads(self):
            return _threads.get_num_threads()

        def set_num_threads(self, num_threads):
            _threads.set_num_threads_limit(num_threads)

        def get_version(self):
            return __version__

    threadpoolctl.register(WeightinitController)
    _registered = True


class _ImportHook:
    """Registers the controller right after threadpoolctl's first import."""

    def find_spec(self, name, path=None, target=None):
        if name != "threadpoolctl":
            return None
        import importlib.util
        sys.meta_path.remove(self)          # once, and no recursion below
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _register(module)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Register now if threadpoolctl is imported, else when it is."""
    module = sys.modules.get("threadpoolctl")
    if module is not None:
        _register(module)
    elif not any(isinstance(f, _ImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _ImportHook())
