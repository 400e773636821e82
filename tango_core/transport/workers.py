"""A few daemon worker threads for blocking work that must stay off an event loop or a caller.

A ``ThreadPoolExecutor``'s workers are not daemons: a call left running at exit would keep the
interpreter -- and the user's shell -- from quitting.  These are.  The asynchronous calls of the
client (``*_asynch``) and the ``Blocking`` step of call plans (``transport/calls.py``) run here.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

__all__ = ["DaemonPool", "blocking_pool"]


class DaemonPool:
    """Up to ``workers`` daemon threads (started on demand) taking jobs from one queue."""

    def __init__(self, workers: int = 8, name: str = "tango_core-worker") -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = workers
        self._name = name
        self._started = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], Any]) -> Future:
        """Run ``fn()`` in a worker; a ``concurrent.futures.Future`` of its outcome."""
        future: Future = Future()
        with self._lock:
            if self._started < self._workers:
                self._started += 1
                threading.Thread(target=self._work, name=f"{self._name}-{self._started}", daemon=True).start()
        self._queue.put((future, fn))
        return future

    def _work(self) -> None:
        while True:
            future, fn = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever collects the result
                future.set_exception(exc)
            else:
                future.set_result(result)


_blocking: DaemonPool | None = None
_lock = threading.Lock()


def blocking_pool() -> DaemonPool:
    """The pool of the ``Blocking`` plan step (4 workers)."""
    global _blocking
    if _blocking is None:
        with _lock:
            if _blocking is None:
                _blocking = DaemonPool(4, name="tango_core-blocking")
    return _blocking
