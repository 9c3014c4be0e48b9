"""``weightinit.show_config()``: what this installation runs, as NumPy's
``show_config`` reports its build."""
from __future__ import annotations

import os
import platform

import numpy as np

from . import _core
from ._fill import ISA_NAMES, isa_available, selected_isa
from ._threads import get_num_threads

__all__ = ["show_config", "config"]


def config() -> dict:
    """The configuration as a dict (see :func:`show_config`).

    Examples
    --------
    >>> cfg = config()
    >>> cfg["isa"]["selected"] in ("scalar", "avx2", "avx512")
    True
    """
    from . import __version__
    return {
        "weightinit": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "isa": {"selected": ISA_NAMES[selected_isa()],
                "best": ISA_NAMES[_core.best_isa()],
                "available": [n for n in ISA_NAMES if isa_available(n)],
                "compiled": [n for i, n in enumerate(ISA_NAMES) if _core.isa_compiled(i)],
                "WEIGHTINIT_ISA": os.environ.get("WEIGHTINIT_ISA")},
        "threads": {"default": get_num_threads(),
                    "WEIGHTINIT_NUM_THREADS": os.environ.get("WEIGHTINIT_NUM_THREADS")},
        "build": _core.build_info(),
    }


def show_config() -> None:
    """Print the version, the kernel (ISA) in use, threads and build flags.

    Examples
    --------
    >>> show_config()  # doctest: +ELLIPSIS
    weightinit ...
    """
    cfg = config()
    isa, threads, build = cfg["isa"], cfg["threads"], cfg["build"]
    print(f"weightinit {cfg['weightinit']} (python {cfg['python']}, numpy {cfg['numpy']}, "
          f"{cfg['machine']})")
    print(f"  kernel (ISA): {isa['selected']}  best for this CPU: {isa['best']}  "
          f"available: {', '.join(isa['available'])}  compiled: {', '.join(isa['compiled'])}")
    if isa["WEIGHTINIT_ISA"]:
        print(f"  WEIGHTINIT_ISA={isa['WEIGHTINIT_ISA']}")
    print(f"  threads: {threads['default']}"
          + (f"  (WEIGHTINIT_NUM_THREADS={threads['WEIGHTINIT_NUM_THREADS']})"
             if threads["WEIGHTINIT_NUM_THREADS"] else ""))
    print(f"  compiler: {build['compiler']}")
    print(f"  core flags: {build['flags']}")
