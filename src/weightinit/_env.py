"""Fast reads of the environment variables that every fill consults.

``os.environ.get`` costs about 1 us for a variable that is not set (it
raises and catches a KeyError inside), a third of a small fill. On POSIX
``os.environ`` keeps its contents in a bytes dict, which reads in 50 ns and
which ``os.environ[...] = ...``, ``monkeypatch.setenv`` and ``del`` keep up
to date; elsewhere the plain lookup is used.
"""
from __future__ import annotations

import os

__all__ = ["getenv"]

_DATA = getattr(os.environ, "_data", None)
_FAST = os.name == "posix" and isinstance(_DATA, dict)
_KEYS: dict = {}


def getenv(name: str) -> str | None:
    """``os.environ.get(name)``, quickly.

    Examples
    --------
    >>> import os
    >>> os.environ["WEIGHTINIT_EXAMPLE"] = "7"
    >>> getenv("WEIGHTINIT_EXAMPLE")
    '7'
    >>> del os.environ["WEIGHTINIT_EXAMPLE"]; getenv("WEIGHTINIT_EXAMPLE") is None
    True
    """
    if not _FAST:
        return os.environ.get(name)
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = os.fsencode(name)
    value = _DATA.get(key)
    return None if value is None else os.fsdecode(value)
