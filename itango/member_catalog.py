"""Attribute and command names of devices, for completion, fetched in the background.

A TAB must never wait for a device server: the lists are fetched by worker threads and kept
for a while.  A completion request waits at most ``wait`` seconds for a fetch it has just
started (so the first TAB on a live device usually has its answer), otherwise it returns
nothing and the next TAB finds the list in the cache.  Since no TAB waits for a fetch
longer than that, the fetch itself may take as long as Tango's usual call timeout: a slow
but working device (a busy server, a loaded machine) still gets its lists for the next TAB,
where a short timeout would fail it every time.  Failures (dead server, unknown device) are
remembered too, for a shorter time, so a dead server costs one timeout, not one per
keystroke.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the first fetch starts, not at start-up
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Members", "MemberCatalog"]


@dataclass(frozen=True)
class Members:
    """What one fetch learnt about a device."""

    attributes: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    error: str | None = None
    fetched_at: float = field(default_factory=time.monotonic)


class MemberCatalog:
    """Cache of :class:`Members` keyed by a case-insensitive device key."""

    def __init__(self, *, ttl: float = 60.0, error_ttl: float = 5.0, wait: float = 0.3,
                 timeout_ms: int = 3000):
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.wait = wait
        self.timeout_ms = timeout_ms
        self._cache: dict[str, Members] = {}
        self._inflight: dict[str, "Future"] = {}
        self._lock = threading.Lock()
        self._pool: "ThreadPoolExecutor | None" = None

    def _executor(self) -> "ThreadPoolExecutor":
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="itango-members")
        return self._pool

    def get(self, key: str, make_proxy: Callable[[], Any], *, wait: float | None = None,
            owned: bool = True) -> Members | None:
        """The members of the device ``key``, or None when not known within ``wait`` seconds
        (only the request that starts a fetch waits for it).

        ``make_proxy()`` gives the DeviceProxy to ask; ``owned=False`` means it is the user's
        own object, whose timeout must not be changed (its own timeout then bounds the fetch,
        which runs in a worker thread anyway).
        """
        key = key.lower()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                age = now - cached.fetched_at
                if age < (self.error_ttl if cached.error else self.ttl):
                    return cached
            future = self._inflight.get(key)
            started = future is None
            if started:
                future = self._executor().submit(self._fetch, key, make_proxy, owned)
                self._inflight[key] = future
        if not started and not future.done():
            # a TAB already waited for this fetch: a slow device delays only the first one
            return cached if cached is not None and not cached.error else None
        try:
            return future.result(timeout=self.wait if wait is None else wait)
        except Exception:  # still running (TimeoutError) or the fetch itself broke
            return cached if cached is not None and not cached.error else None

    def _fetch(self, key: str, make_proxy: Callable[[], Any], owned: bool = True) -> Members:
        try:
            proxy = make_proxy()
            if owned:
                try:
                    proxy.set_timeout_millis(self.timeout_ms)
                except Exception:
                    pass
            attributes = tuple(str(a) for a in proxy.get_attribute_list())
            try:
                commands = tuple(str(c) for c in proxy.get_command_list())
            except Exception:
                commands = tuple(str(c.cmd_name) for c in proxy.command_list_query())
            members = Members(attributes, commands)
        except Exception as exc:
            members = Members(error=f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._cache[key] = members
            self._inflight.pop(key, None)
        return members

    def forget(self) -> None:
        """Drop every cached list (``%refreshdb``)."""
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
