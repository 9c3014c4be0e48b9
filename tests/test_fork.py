"""Threads and processes: a threaded fill works after os.fork(), and
concurrent fills from many Python threads each get their own right result."""
import os
import threading
import time

import numpy as np
import pytest

import weightinit as wi

SIZE = (500, 401)    # 200,500 elements: large enough for 2 C threads


def expected_normal(seed):
    return wi.Generator(seed, "fork").standard_normal(SIZE, dtype=np.float32, threads=1)


def wait_for_child(pid, timeout=60.0):
    """The child's exit code; kill it and fail if it hangs (e.g. a deadlock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"child process did not finish within {timeout} s")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fill_fork_fill():
    """Fill with 2 threads, fork, fill with 2 threads in the child: same bits."""
    expected = expected_normal(1)
    parent = wi.Generator(1, "fork").standard_normal(SIZE, dtype=np.float32, threads=2)
    np.testing.assert_array_equal(parent.view(np.uint32), expected.view(np.uint32))
    pid = os.fork()
    if pid == 0:   # child: never return into pytest
        code = 2
        try:
            child = wi.Generator(1, "fork").standard_normal(SIZE, dtype=np.float32, threads=2)
            again = wi.Generator(1, "fork").standard_normal(SIZE, dtype=np.float32, threads=2)
            code = 0 if (np.array_equal(child.view(np.uint32), expected.view(np.uint32))
                         and np.array_equal(again.view(np.uint32), expected.view(np.uint32))) else 1
        finally:
            os._exit(code)
    assert wait_for_child(pid) == 0
    # and the parent still fills correctly afterwards
    after = wi.Generator(1, "fork").standard_normal(SIZE, dtype=np.float32, threads=2)
    np.testing.assert_array_equal(after.view(np.uint32), expected.view(np.uint32))


def test_concurrent_python_threads():
    """8 Python threads fill at once (GIL released), each with its own
    seed, distribution and dtype, and each gets the serial result."""
    jobs = []
    for k in range(8):
        dtype = [np.float32, np.float64][k % 2]
        method, params = [("standard_normal", {}), ("truncated_normal", {"a": -2.0, "b": 2.0}),
                          ("uniform", {"low": -1.0, "high": 1.0}), ("random", {})][k % 4]
        jobs.append((k, method, params, dtype))

    def run(k, method, params, dtype):
        return getattr(wi.Generator(k, "threads"), method)(
            size=SIZE, dtype=dtype, threads=2, **params)

    expected = [run(*job) for job in jobs]
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def worker(i):
        barrier.wait()
        for _ in range(3):
            results[i] = run(*jobs[i])
            if not np.array_equal(results[i], expected[i]):
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    for got, want in zip(results, expected):
        assert got is not None
        np.testing.assert_array_equal(got, want)


def test_concurrent_threads_share_one_out():
    """Threads filling disjoint regions of one shared ``out`` rebuild the whole."""
    whole = wi.Generator(3, "shared").normal(0.0, 2.0, SIZE, dtype=np.float32, threads=1)
    out = np.full(SIZE, np.nan, np.float32)
    rows = np.linspace(0, SIZE[0], 9).astype(int)

    def worker(r0, r1):   # out[r0:r1] is a C-contiguous view: written in place
        wi.Generator(3, "shared").normal(0.0, 2.0, SIZE, dtype=np.float32,
                                         region=(slice(r0, r1),), out=out[r0:r1], threads=2)

    threads = [threading.Thread(target=worker, args=(a, b)) for a, b in zip(rows, rows[1:])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    np.testing.assert_array_equal(out.view(np.uint32), whole.view(np.uint32))


def test_many_threads_fill_same_bytes_as_serial():
    """16 Python threads fill with threads=2 at once, most finding the C
    worker pool busy (so they start threads of their own): every result has
    the bytes of the same call made serially, with threads=1 and threads=2."""
    sizes = [(500, 401), (1 << 19,), (3, 100_003)]   # 2 pieces each; 2nd ends mid-chunk
    jobs = [(k, sizes[k % len(sizes)], [np.float32, np.float64][k % 2]) for k in range(16)]

    def run(k, size, dtype, threads):
        return wi.Generator(k, "pool").uniform(-1.0, 1.0, size, dtype=dtype, threads=threads)

    serial = [run(*job, threads=1) for job in jobs]
    for job, want in zip(jobs, serial):
        assert run(*job, threads=2).tobytes() == want.tobytes()
    mismatches = []
    barrier = threading.Barrier(len(jobs))

    def worker(i):
        barrier.wait()
        for _ in range(5):
            if run(*jobs[i], threads=2).tobytes() != serial[i].tobytes():
                mismatches.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()
    assert mismatches == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # 3.12+: fork with threads
def test_fork_while_another_thread_fills():
    """Fork while another Python thread fills with threads=2 (the pool may
    be mid-job): the child fills with 2 and 4 threads (new workers), and the
    parent's filling thread keeps getting the right bits."""
    expected = expected_normal(5)
    stop = threading.Event()
    wrong = []

    def filler():
        while not stop.is_set():
            got = wi.Generator(5, "fork").standard_normal(SIZE, dtype=np.float32, threads=2)
            if got.tobytes() != expected.tobytes():
                wrong.append(1)

    thread = threading.Thread(target=filler)
    thread.start()
    try:
        for _ in range(5):
            time.sleep(0.01)
            pid = os.fork()
            if pid == 0:   # child: never return into pytest
                code = 2
                try:
                    ok = all(wi.Generator(5, "fork").standard_normal(
                        SIZE, dtype=np.float32, threads=t).tobytes() == expected.tobytes()
                        for t in (2, 4, 2))
                    code = 0 if ok else 1
                finally:
                    os._exit(code)
            assert wait_for_child(pid) == 0
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert wrong == []
