"""Faults: Ctrl-C during a long fill, and memory that must not grow.

The long fill runs in a child process on the scalar kernel with one thread,
so it lasts several seconds on any machine; SIGINT must raise
KeyboardInterrupt within about a second, and the next call must work.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import weightinit as wi

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import weightinit as wi
    out = np.empty(1 << 27, np.float32)
    g = wi.Generator(0)
    print("start", flush=True)
    try:
        g.truncated_normal(size=out.shape, dtype=np.float32, out=out, threads=1)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        small = wi.Generator(1).random(8, dtype=np.float32)
        again = wi.Generator(1).random(8, dtype=np.float32)
        print("next-call-ok" if (small == again).all() else "next-call-bad", flush=True)
""")


def default_sigint():
    """In the child: SIGINT as a terminal sends it. A shell's background job
    inherits it ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_sigint_stops_a_long_fill_within_a_second():
    env = dict(os.environ, WEIGHTINIT_ISA="scalar")
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env,
                             preexec_fn=default_sigint)
    try:
        assert child.stdout.readline().strip() == "start"
        time.sleep(0.5)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        line = child.stdout.readline().strip()
        latency = time.monotonic() - sent
        assert line == "interrupted", f"fill ran to the end ({line!r}): not interruptible"
        assert latency < 1.5, f"took {latency:.2f} s to stop after SIGINT"
        assert child.stdout.readline().strip() == "next-call-ok"
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_repeated_calls_do_not_grow_rss():
    out = np.empty(100_000, np.float32)

    def calls():
        for i in range(1000):
            g = wi.Generator(i, stream=f"layer.{i}")
            g.truncated_normal(0.0, 0.02, size=out.shape, dtype=np.float32, out=out, threads=2)
            g.standard_normal(1000, dtype=np.float64)
            g.uniform(-1, 1, (10, 10), dtype="float16")

    calls()   # warm-up: caches, thread stacks, allocator pools
    before = _rss_bytes()
    calls()
    grown = _rss_bytes() - before
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 1000 calls"
