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

from ._after_import import call_after_import

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


def install() -> None:
    """Register now if threadpoolctl is imported, else when it is."""
    call_after_import("threadpoolctl", _register)
