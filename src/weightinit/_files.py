"""Output files written safely (docs/contract.md section 7).

A file is written as a private temporary in the target folder, created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` under a fresh random name (so nobody can
plant a file or a symlink for us to write through), filled with positioned
writes, and published under the final name only when complete: with
``os.link`` (which never replaces an existing file) unless ``force``, with
``os.replace`` if it is. A full disk, an error, Ctrl-C or a kill never leave
a partial file under the final name. A temporary left by SIGKILL is named
``.NAME.weightinit-XXXXXXXX.tmp``; ``find DIR -name '.*.weightinit-*.tmp'``
lists them.
"""
from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["write_safely", "pwrite_all", "TEMP_PATTERN"]

TEMP_PATTERN = ".{name}.weightinit-{token}.tmp"
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_TOKEN_LENGTH = 8
_MAX_FILE_BYTES = (1 << 63) - 1   # off_t
_ATTEMPTS = 100     # as tempfile.mkstemp: names taken by others are skipped
_OPEN_FLAGS = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
# link() errors meaning "this filesystem has no hard links" (FAT, some FUSE)
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK,
             errno.ENOSYS}


def _random_token() -> str:
    """The random part of a temporary's name (tests patch it)."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_LENGTH))


def temporary_names(path: Path) -> Iterator[Path]:
    """Every name the temporary for ``path`` may take, in the order tried."""
    for _ in range(_ATTEMPTS):
        yield path.with_name(TEMP_PATTERN.format(name=path.name, token=_random_token()))


def _check_target(path: Path, nbytes: int, force: bool) -> None:
    """Everything that can be known before creating a file: the folder, the
    name, and the free space (os.statvfs) for ``nbytes``."""
    if nbytes > _MAX_FILE_BYTES:
        raise ValueError(f"{str(path)!r} would be {nbytes:,} bytes, more than a file can hold "
                         "(2**63 - 1)")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"folder {str(folder)!r} does not exist "
                                f"(needed for {str(path)!r})")
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"{str(path)!r} is a folder; name a file")
    if not force and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, f"{str(path)!r} exists; pass force=True "
                              "(--force) to overwrite it")
    if hasattr(os, "statvfs"):
        st = os.statvfs(folder)
        free = st.f_bavail * st.f_frsize
        if nbytes > free:
            raise OSError(errno.ENOSPC, f"{str(path)!r} needs {nbytes:,} bytes but its "
                          f"filesystem has {free:,} free")


def _create_temporary(path: Path) -> tuple[int, Path]:
    for name in temporary_names(path):
        try:
            return os.open(name, _OPEN_FLAGS, 0o666), name
        except FileExistsError:   # taken (perhaps a planted symlink): next name
            continue
        except OSError as err:    # a read-only or full filesystem: name the output
            raise OSError(err.errno, err.strerror, str(path)) from None
    raise FileExistsError(errno.EEXIST, f"no free temporary name for {str(path)!r} after "
                          f"{_ATTEMPTS} tries")


def _publish(tmp: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, f"{str(path)!r} was created by someone else "
                              "while this file was written; it is kept (pass force=True "
                              "(--force) to overwrite it)") from None
    except OSError as err:
        if err.errno not in _NO_LINKS:
            raise
        # No hard links here: check, then rename (the one case with a window).
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, f"{str(path)!r} exists; pass force=True "
                                  "(--force) to overwrite it") from None
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make the new name durable (best effort: not every OS opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_safely(path, nbytes: int, write: Callable[[int], None], *, force: bool = False) -> None:
    """Create ``path`` of ``nbytes`` bytes through a private temporary.

    ``write(fd)`` fills the temporary (already of size ``nbytes``, sparse)
    with positioned writes. The folder, the name and the free space are
    checked before anything is created; the temporary is removed on any
    error or interrupt; ``path`` appears only complete, and an existing
    ``path`` is replaced only if ``force``, whoever created it meanwhile.
    """
    path = Path(path)
    _check_target(path, nbytes, force)
    fd, tmp = _create_temporary(path)
    try:
        try:
            os.ftruncate(fd, nbytes)
            write(fd)
            os.fsync(fd)
        except OSError as err:
            if err.filename is not None or err.errno is None:
                raise
            # pwrite's errors (a full disk) name no file: name the output
            raise OSError(err.errno, err.strerror, str(path)) from None
        finally:
            os.close(fd)
        _publish(tmp, path, force)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(path.parent)


def pwrite_all(fd: int, data, offset: int) -> None:
    """Write all of ``data`` (bytes or a uint8 array) at ``offset``; pwrite
    may write less than asked. Where the OS has no pwrite, seek and write."""
    view = memoryview(data).cast("B")
    while view.nbytes:
        if _HAVE_PWRITE:
            written = os.pwrite(fd, view, offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, offset, os.SEEK_SET)
            written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, f"could not write at offset {offset} of the output file")
        view, offset = view[written:], offset + written


_HAVE_PWRITE = hasattr(os, "pwrite")
