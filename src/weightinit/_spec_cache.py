"""The recorded-spec cache of ``weightinit init --from-hf``.

Recording a transformers model's ``init_weights`` needs torch and
transformers imported (seconds, ~400 MiB); a second run of the same config
needs neither: its specs and ``config.json`` text are read from an entry
keyed by sha256 over the canonical config JSON, the torch and transformers
versions (read from their installed metadata, which imports nothing),
weightinit's version and sources and ``STREAM_VERSION``. The seed and
``--dtype`` are not in the key: specs hold neither (the dtype is applied to
a recording made without it).

Entries live in ``$WEIGHTINIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/weightinit``,
else ``~/.cache/weightinit``; each is written through a private temporary
published by an atomic rename (docs/contract.md 7). An entry that cannot be
read, does not parse, or whose checksum or key does not match is ignored (so
re-recorded and overwritten), never used. The cache is best effort: a folder
that cannot be written only means no entry.
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from . import __version__
from ._env import getenv
from ._files import pwrite_all, write_safely
from ._stream import STREAM_VERSION

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "load", "store", "versions_match"]

CACHE_ENV = "WEIGHTINIT_CACHE_DIR"
CACHE_FORMAT = 1   # the entry's layout; bump when it changes
_PACKAGES = ("torch", "transformers")   # whose versions decide a recording
_SOURCES = Path(__file__).parent        # weightinit's own recording code


def cache_dir() -> Path | None:
    """The cache folder (``$WEIGHTINIT_CACHE_DIR``, ``$XDG_CACHE_HOME/weightinit``
    or ``~/.cache/weightinit``), or None when no home is known."""
    explicit = getenv(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = getenv("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):   # the XDG spec: a relative value is ignored
        return Path(xdg) / "weightinit"
    try:
        return Path.home() / ".cache" / "weightinit"
    except RuntimeError:   # no HOME and no passwd entry
        return None


def _installed_versions() -> dict[str, str] | None:
    try:
        return {name: metadata.version(name) for name in _PACKAGES}
    except metadata.PackageNotFoundError:
        return None


def versions_match(modules: dict[str, object]) -> bool:
    """Whether the imported ``{"torch": torch, "transformers": transformers}``
    are the versions the key names (a second copy on ``sys.path`` could
    shadow the installed one); an entry is stored only then."""
    installed = _installed_versions()
    return installed is not None and all(
        str(getattr(modules[name], "__version__", None)) == installed[name] for name in _PACKAGES)


def _sources_digest() -> str:
    """sha256 over weightinit's Python sources: an edited checkout (same
    version number, other recording code) never reads an old entry."""
    digest = hashlib.sha256()
    for path in sorted(_SOURCES.rglob("*.py")):
        digest.update(path.relative_to(_SOURCES).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(config_bytes: bytes) -> str | None:
    """The entry's key for a ``config.json``'s bytes, or None when the
    config is not JSON or torch or transformers is not installed (then the
    recording path reports it)."""
    try:
        config = json.loads(config_bytes)
    except (ValueError, RecursionError):   # UnicodeDecodeError is a ValueError
        return None
    installed = _installed_versions()
    if installed is None:
        return None
    try:
        canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return None
    parts = {"format": CACHE_FORMAT, "config": canonical, **installed,
             "weightinit": __version__, "sources": _sources_digest(),
             "stream": STREAM_VERSION}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry_path(key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"from-hf-{key}.json"


def load(key: str) -> tuple[dict, bytes] | None:
    """``(specs, config.json bytes)`` of the entry ``key``, or None when
    there is none or it is unreadable, corrupt or another key's."""
    path = _entry_path(key)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_bytes())
        payload = entry["payload"]
        if (entry["format"] != CACHE_FORMAT or entry["key"] != key
                or hashlib.sha256(payload.encode()).hexdigest() != entry["sha256"]):
            return None
        data = json.loads(payload)
        specs, config = data["specs"], data["config"]
    except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return None
    if not (isinstance(specs, dict) and isinstance(config, str)
            and all(isinstance(k, str) and isinstance(v, dict) for k, v in specs.items())):
        return None
    return specs, config.encode("utf-8")


def store(key: str, specs: dict, config: bytes) -> bool:
    """Write the entry ``key`` (through a private temporary, replacing an
    old or corrupt one). Returns whether it was written: specs that JSON
    would not give back unchanged, or a folder that cannot be written, mean
    no entry."""
    path = _entry_path(key)
    if path is None:
        return False
    record = {"specs": specs, "config": config.decode("utf-8")}
    try:
        payload = json.dumps(record)
        if json.loads(payload) != record:   # e.g. a tuple or a NaN: not what a hit would read
            return False
        data = json.dumps({"format": CACHE_FORMAT, "key": key,
                           "sha256": hashlib.sha256(payload.encode()).hexdigest(),
                           "payload": payload}).encode()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_safely(path, len(data), lambda fd: pwrite_all(fd, data, 0), force=True)
    except (OSError, ValueError, TypeError, RecursionError, UnicodeDecodeError):
        return False
    return True
