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
import queue
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ._direct_io import ALIGN, DirectWrites

__all__ = ["write_safely", "write_all_safely", "pwrite_all", "WindowWriter", "TEMP_PATTERN"]

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
    check_free_space(folder, nbytes, str(path))


def check_free_space(folder: Path, nbytes: int, what: str) -> None:
    """An ENOSPC OSError naming ``what`` if ``folder``'s filesystem has less
    than ``nbytes`` free (os.statvfs; skipped where there is none)."""
    if hasattr(os, "statvfs"):
        st = os.statvfs(folder)
        free = st.f_bavail * st.f_frsize
        if nbytes > free:
            raise OSError(errno.ENOSPC, f"{what!r} needs {nbytes:,} bytes but its "
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


def _fill_temporary(path: Path, nbytes: int, write: Callable[[int], None]) -> Path:
    """A complete, fsynced private temporary for ``path`` (not published);
    removed on any error or interrupt."""
    fd, tmp = _create_temporary(path)
    try:
        try:
            os.ftruncate(fd, nbytes)
            write(fd)
            os.fsync(fd)   # once per file: the writes before it are not synced one by one
        except OSError as err:
            if err.filename is not None or err.errno is None:
                raise
            # pwrite's errors (a full disk) name no file: name the output
            raise OSError(err.errno, err.strerror, str(path)) from None
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_safely(path, nbytes: int, write: Callable[[int], None], *, force: bool = False) -> None:
    """Create ``path`` of ``nbytes`` bytes through a private temporary.

    ``write(fd)`` fills the temporary (already of size ``nbytes``, sparse)
    with positioned writes. The folder, the name and the free space are
    checked before anything is created; the temporary is removed on any
    error or interrupt; ``path`` appears only complete, and an existing
    ``path`` is replaced only if ``force``, whoever created it meanwhile.
    """
    write_all_safely([(Path(path), nbytes, write)], force=force)


def write_all_safely(files: Sequence[tuple[Path, int, Callable[[int], None]]], *,
                     force: bool = False) -> None:
    """Create several files, all or none: each ``(path, nbytes, write)`` as
    :func:`write_safely` does, every temporary completed before the first is
    published (in the order given: put the file readers look for first last).

    The free space for all of them together is checked before anything is
    created. On any error or interrupt every temporary is removed and every
    file already published by this call is unlinked again (with ``force``,
    a file it replaced is not restored).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_all_safely([(d / "a", 2, lambda fd: pwrite_all(fd, b"ab", 0)),
    ...                   (d / "b", 1, lambda fd: pwrite_all(fd, b"c", 0))])
    >>> (d / "a").read_bytes(), (d / "b").read_bytes()
    (b'ab', b'c')
    """
    files = [(Path(path), nbytes, write) for path, nbytes, write in files]
    for path, nbytes, _ in files:
        _check_target(path, nbytes, force)
    folders: dict[Path, int] = {}
    for path, nbytes, _ in files:
        folders[path.parent] = folders.get(path.parent, 0) + nbytes
    if len(files) > 1:   # together (one file was checked by _check_target)
        for folder, nbytes in folders.items():
            check_free_space(folder, nbytes, str(folder))
    temporaries, published = [], []
    try:
        for path, nbytes, write in files:
            temporaries.append((_fill_temporary(path, nbytes, write), path))
        while temporaries:
            tmp, path = temporaries[0]
            _publish(tmp, path, force)
            temporaries.pop(0)
            published.append(path)
    except BaseException:
        for tmp, _ in temporaries:
            _unlink_quietly(tmp)
        for path in published:
            _unlink_quietly(path)
        raise
    for folder in folders:
        _fsync_folder(folder)


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


class WindowWriter:
    """Positioned writes overlapped with the filling of the next window.

    Two buffers and one writer thread: :meth:`take` hands out a buffer (it
    waits only while both are in use, that is, for the write of the window
    before the last one), :meth:`submit` queues it to be written at an
    offset and returns at once. So filling window k+1 overlaps writing
    window k, and RAM is two windows. :meth:`close` waits for the writes and
    raises the first write error (a full disk), as does the next
    :meth:`take` after one. Use it as a context manager: leaving it, even by
    an exception, stops the thread. With ``direct``, large windows bypass
    the page cache (:mod:`._direct_io`): each buffer starts at the address
    phase of its file offset, so its aligned part can go straight to the
    device.

    Examples
    --------
    >>> import os, tempfile
    >>> fd, name = tempfile.mkstemp()
    >>> with WindowWriter(fd, window_bytes=4) as w:
    ...     for k in range(3):
    ...         buf = w.take(4)
    ...         buf[:] = k
    ...         w.submit(buf, 4 * k)
    >>> os.pread(fd, 12, 0)
    b'\\x00\\x00\\x00\\x00\\x01\\x01\\x01\\x01\\x02\\x02\\x02\\x02'
    >>> os.close(fd); os.unlink(name)
    """

    _BUFFERS = 2

    def __init__(self, fd: int, *, window_bytes: int, write: Callable | None = None,
                 direct: bool = False):
        self._fd = fd
        self._window_bytes = window_bytes
        write = write if write is not None else pwrite_all
        self._direct = DirectWrites(fd, write) if direct else None
        self._write: Callable = (self._direct if self._direct is not None
                                 else lambda data, offset: write(fd, data, offset))
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(self._BUFFERS):
            self._free.put([np.empty(0, np.uint8)])
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._slots: dict[int, list] = {}
        self._thread = threading.Thread(target=self._run, name="weightinit-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._pending.get()
            if item is None:
                return
            slot, data, offset = item
            if self._error is None:   # after an error: only hand the buffers back
                try:
                    self._write(data, offset)
                except BaseException as err:   # noqa: BLE001 - re-raised in the caller
                    self._error = err
            self._free.put(slot)

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def take(self, nbytes: int, offset: int = 0) -> np.ndarray:
        """A uint8 buffer of ``nbytes`` to fill and write at ``offset`` (one
        of the two, grown when needed; a larger one than a window is not
        kept). Its address is ``offset`` modulo :data:`_direct_io.ALIGN`."""
        slot = self._free.get()
        if self._error is not None:
            self._free.put(slot)
            self._raise_error()
        room = nbytes + ALIGN   # for the address phase
        if nbytes > self._window_bytes:
            raw = np.empty(room, np.uint8)
        else:
            if slot[0].nbytes < room:
                slot[0] = np.empty(room, np.uint8)
            raw = slot[0]
        start = (offset - raw.ctypes.data) % ALIGN
        buf = raw[start:start + nbytes]
        self._slots[id(buf)] = slot
        return buf

    def submit(self, buf: np.ndarray, offset: int) -> None:
        """Queue ``buf`` (from :meth:`take`) to be written at ``offset``."""
        self._pending.put((self._slots.pop(id(buf)), buf, offset))

    def close(self) -> None:
        """Wait for every queued write; raise the first write error."""
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()
        if self._direct is not None:
            self._direct.close()
        self._raise_error()

    def __enter__(self) -> WindowWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
            return
        # an error in the filling: stop the writer, keep the first error
        self._pending.put(None)
        self._thread.join()
        if self._direct is not None:
            self._direct.close()
