"""Window writes that bypass the page cache (``O_DIRECT``) where the OS allows.

A buffered ``pwrite`` copies every byte into the page cache (2.5 s of CPU
for the 2.63 GB main job, taken from the fill threads) and ``fsync`` then
writes the pages out; ``O_DIRECT`` hands the buffer to the device. Its rule:
the file offset, the length and the buffer's address are multiples of the
block size. So a window is written in up to three parts: the blocks it
shares with its neighbours (its unaligned head and tail) buffered, the
aligned middle direct. :class:`_files.WindowWriter` places each window's
buffer at the address phase of its file offset, so the middle is aligned in
memory as it is in the file. The two kinds of write never touch the same
block, and the one ``fsync`` at the end makes both durable.

A window below :data:`MIN_DIRECT_BYTES` is written buffered whole (a direct
write waits for the device). Where ``O_DIRECT`` is refused (no ``O_DIRECT``
or ``/proc``, a filesystem that says ``EINVAL``: tmpfs on older kernels,
some FUSE) every write is buffered. Either way the bytes are the same.
"""
from __future__ import annotations

import errno
import mmap
import os
from collections.abc import Callable

import numpy as np

__all__ = ["ALIGN", "MIN_DIRECT_BYTES", "DirectWrites"]

#: the alignment a direct write needs: a page (at least 4 KiB), a multiple
#: of every common logical block size (512, 4096), so that no page holds
#: both bytes written direct and bytes written buffered; a device needing
#: more says EINVAL
ALIGN = max(4096, mmap.PAGESIZE)
#: windows shorter than this are written buffered whole
MIN_DIRECT_BYTES = 1 << 20
_O_DIRECT = getattr(os, "O_DIRECT", 0)


def _open_direct(fd: int) -> int | None:
    """A second descriptor of ``fd``'s file with ``O_DIRECT``, or None.

    Reopened through ``/proc/self/fd``, which names the open file itself,
    not a path: nobody can swap the file in between."""
    if not _O_DIRECT:   # pragma: no cover - not Linux
        return None
    try:
        return os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | _O_DIRECT | os.O_CLOEXEC)
    except OSError:
        return None


def _pwrite_direct(fd: int, view: memoryview, offset: int) -> int:
    """One direct ``pwrite``; the count written (tests fail it here)."""
    return os.pwrite(fd, view, offset)


class DirectWrites:
    """``write(data, offset)`` for one file: the aligned middle of each large
    window through ``O_DIRECT``, the rest through ``write(fd, data, offset)``
    (``_files.pwrite_all``). Close it when the writes are done.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from weightinit._files import pwrite_all
    >>> fd, name = tempfile.mkstemp()
    >>> writes = DirectWrites(fd, pwrite_all)
    >>> raw = np.full(3 * MIN_DIRECT_BYTES, 7, np.uint8)
    >>> start = -raw.ctypes.data % ALIGN + 100   # at offset 100's address phase
    >>> writes(raw[start:start + MIN_DIRECT_BYTES], 100)
    >>> writes.close()
    >>> data = open(name, "rb").read()
    >>> len(data), data[:100] == bytes(100), set(data[100:]) == {7}
    (1048676, True, True)
    >>> os.close(fd); os.unlink(name)
    """

    def __init__(self, fd: int, write: Callable[[int, object, int], None]):
        self._fd = fd
        self._write = write
        self._direct = _open_direct(fd)

    def __call__(self, data: np.ndarray, offset: int) -> None:
        view = memoryview(data).cast("B")
        head = -offset % ALIGN
        middle = (view.nbytes - head) // ALIGN * ALIGN if view.nbytes > head else 0
        if (self._direct is None or middle < MIN_DIRECT_BYTES
                or (data.ctypes.data + head) % ALIGN):
            self._write(self._fd, view, offset)
            return
        if head:
            self._write(self._fd, view[:head], offset)
        done = self._write_direct(view[head:head + middle], offset + head)
        if head + done < view.nbytes:   # the tail, or what the device refused
            self._write(self._fd, view[head + done:], offset + head + done)

    def _write_direct(self, view: memoryview, offset: int) -> int:
        """Bytes of ``view`` written direct, in whole blocks; 0 and buffered
        from now on if the filesystem refuses (EINVAL)."""
        done = 0
        while done < view.nbytes:
            try:
                written = _pwrite_direct(self._direct, view[done:], offset + done)
            except OSError as err:
                if err.errno != errno.EINVAL:
                    raise
                self.close()
                return done
            if written <= 0 or written % ALIGN:   # a short odd count: the rest buffered
                return done + max(written, 0)
            done += written
        return done

    def close(self) -> None:
        """Close the direct descriptor (the file's own stays open)."""
        if self._direct is not None:
            fd, self._direct = self._direct, None
            os.close(fd)
