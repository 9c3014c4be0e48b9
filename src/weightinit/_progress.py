"""Progress of long writes: a tqdm bar when tqdm is installed, else one
plain line on stderr every few seconds when stderr is a terminal (bytes
done, bytes/s, ETA); nothing when disabled (``--quiet``) or when nothing
would be shown (not a terminal, no tqdm)."""
from __future__ import annotations

import sys
import time

__all__ = ["progress"]

#: seconds between plain lines, and before the first (short writes show nothing)
_PLAIN_INTERVAL = 3.0


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} GiB"   # pragma: no cover - the loop returns


class _PlainLines:
    """``tqdm``'s ``update``/``close`` as plain lines on ``stream``."""

    def __init__(self, total: int, stream, desc: str = "weightinit"):
        self.total, self.stream, self.desc = total, stream, desc
        self.done = 0
        self.start = self.last = time.monotonic()
        self.printed = False

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= _PLAIN_INTERVAL:
            self.last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()
            self.printed = True

    def line(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        percent = 100.0 * self.done / self.total if self.total else 100.0
        eta = f"{left:.0f} s" if left != float("inf") else "?"
        return (f"{self.desc}: {percent:5.1f}% {_bytes(self.done)} of {_bytes(self.total)}, "
                f"{_bytes(rate)}/s, ETA {eta}")

    def close(self) -> None:
        if self.printed:   # the last line says it finished
            self.stream.write(self.line(time.monotonic()) + "\n")
            self.stream.flush()


def progress(total_bytes: int, enabled: bool, stream=None):
    """An object with ``update(nbytes)`` and ``close()``, or None when
    nothing is shown.

    Examples
    --------
    >>> progress(10, enabled=False) is None
    True
    """
    if not enabled:
        return None
    stream = sys.stderr if stream is None else stream
    try:
        from tqdm import tqdm
    except ImportError:
        isatty = getattr(stream, "isatty", None)
        if isatty is None or not isatty():
            return None
        return _PlainLines(total_bytes, stream)
    return tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024,
                desc="weightinit", mininterval=0.5, delay=1.0, file=stream)
