"""Thread-count policy: ``threads=``, ``set_num_threads``, ``WEIGHTINIT_NUM_THREADS``,
``OMP_NUM_THREADS`` and threadpoolctl's limits (see :mod:`weightinit._threadpool`).

The count is only ever an argument to the C core (its worker pool keeps
threads, never a count); the process-wide default lives here.
"""
from __future__ import annotations

import numbers
import os

from . import _core
from ._env import getenv
from ._types import ThreadsLike

__all__ = ["get_num_threads", "set_num_threads", "resolve_threads"]

_ENV = "WEIGHTINIT_NUM_THREADS"
_OMP_ENV = "OMP_NUM_THREADS"
_MAX_THREADS = 256
_default: int | None = None   # set_num_threads value; None means "from env or CPUs"
_tp_automatic: int | None = None   # automatic count when a threadpoolctl limit began


def _available_cpus() -> int:
    # Asked on every call (about 1 us): a worker may pin itself after import.
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _parse_omp(value: str | None) -> int | None:
    # As OpenMP runtimes: the first entry of a nested list ("4,2"); a value
    # that is not a positive int is ignored (it is another library's setting).
    if value is None:
        return None
    try:
        count = int(value.split(",")[0])
    except ValueError:
        return None
    return min(count, _MAX_THREADS) if count >= 1 else None


# Read once, at import, as OpenMP runtimes read it at start-up: libraries set
# it in os.environ later for their child processes (dask's Nanny sets
# OMP_NUM_THREADS=1 before spawning workers), which must not throttle this one.
_OMP_AT_START = _parse_omp(os.environ.get(_OMP_ENV))


def _from_omp() -> int | None:
    return _OMP_AT_START


def _from_env() -> int | None:
    value = getenv(_ENV)
    if value is None or value.strip() == "":
        return _from_omp()
    try:
        count = int(value)
    except ValueError:
        raise ValueError(f"{_ENV} must be a positive integer; got {value!r}") from None
    if count < 1:
        raise ValueError(f"{_ENV} must be a positive integer; got {value!r}")
    return min(count, _MAX_THREADS)


def get_num_threads() -> int:
    """Number of threads a fill uses when ``threads=None``.

    ``set_num_threads(n)`` (or a ``threadpoolctl.threadpool_limits``) if
    in force, else ``WEIGHTINIT_NUM_THREADS`` if set, else
    ``OMP_NUM_THREADS`` if set to a positive int, else every CPU this
    process may run on.

    Examples
    --------
    >>> get_num_threads() >= 1
    True
    """
    if _default is not None:
        return _default
    env = _from_env()
    return env if env is not None else _available_cpus()


def set_num_threads(n: ThreadsLike) -> None:
    """Set the default thread count; ``None`` restores the automatic choice.

    Examples
    --------
    >>> set_num_threads(1); get_num_threads()
    1
    >>> set_num_threads(None)
    """
    global _default, _tp_automatic
    _default = None if n is None else resolve_threads(n)
    _tp_automatic = None


def set_num_threads_limit(n) -> None:
    """``set_num_threads`` as threadpoolctl calls it. Leaving a
    ``threadpool_limits`` block passes back the count read on entry; when
    the default was automatic on entry, that count restores the automatic
    choice (not a pinned copy of it)."""
    global _default, _tp_automatic
    n = resolve_threads(n)
    if _default is None:
        _tp_automatic = get_num_threads()
        _default = n
    elif _tp_automatic is not None and n == _tp_automatic:
        _default = _tp_automatic = None
    else:
        _default = n


# The C core keeps a fill of fewer elements than this on the calling thread
# whatever the count (two threads need this many per thread).
_SINGLE_THREAD_BELOW = 2 * _core.PARALLEL_MIN_ELEMENTS


def resolve_threads(threads, size=None) -> int:
    """Turn a ``threads=`` argument into a count >= 1.

    ``None`` means the default; a positive int is used as is (capped at
    256); a negative int counts back from the CPUs as in scikit-learn
    (-1 is all of them, -2 all but one); 0 is rejected. With ``size`` (the
    elements to fill) below what the core would ever split, the default is
    1 and the CPU affinity is not asked (0.5 us of a 3 us call).
    """
    if threads is None:
        if size is not None and size < _SINGLE_THREAD_BELOW:
            if _default is None:
                _from_env()          # still validated, as for any fill
            return 1
        return get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads must be None or a nonzero int; got {type(threads).__name__}")
    threads = int(threads)
    if threads == 0:
        raise ValueError("threads must be None or a nonzero int; got 0")
    if threads < 0:
        threads = max(1, _available_cpus() + 1 + threads)
    return min(threads, _MAX_THREADS)
