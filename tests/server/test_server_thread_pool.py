"""The device server's thread pool (tango_core.transport.server.ThreadPool): a connection's
reader holds its pool thread for as long as the connection lives, so work submitted while an
idle thread is only being woken must still get a thread of its own at once."""

from __future__ import annotations

import threading
import time

from tango_core.transport.server import ThreadPool


def _wait_idle(pool: ThreadPool, n: int) -> None:
    deadline = time.monotonic() + 10
    while pool._idle != n:
        assert time.monotonic() < deadline, f"pool threads idle: {pool._idle}, expected {n}"
        time.sleep(0.01)


def test_work_submitted_while_an_idle_thread_wakes_up_gets_its_own_thread():
    """Two long tasks submitted back to back with one idle thread: both start at once.  The
    woken thread counts as idle until it runs again, so the second submit must not count on it
    (it did: the second task waited for the first to end, as a new connection's reader waited
    for another connection to close)."""
    for _ in range(10):
        pool = ThreadPool("pool-test")
        release = threading.Event()
        try:
            pool.submit(lambda: None)
            _wait_idle(pool, 1)
            started = [threading.Event(), threading.Event()]

            def task(i: int) -> None:
                started[i].set()
                release.wait(10)
            pool.submit(lambda: task(0))
            pool.submit(lambda: task(1))
            assert started[0].wait(5) and started[1].wait(5), "a task waited for another to end"
            assert pool.thread_count == 2
        finally:
            release.set()
            pool.shutdown()
