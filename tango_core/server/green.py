"""Green modes of a device server: which one it runs in, and the hub of gevent servers.

PyTango's rule (``tango.server.run``): a device class's own ``green_mode``, else the ``green_mode``
given to ``run()`` (or to ``DeviceTestContext``), else the process-wide mode
(``tango_core.set_green_mode``, ``PYTANGO_GREEN_MODE``); all the classes of one server must agree.

* Asyncio: ``async def`` device methods run on the server's event loop (``ServerRuntime.
  run_coroutine``); the thread serving a request waits for its coroutine, the loop never waits
  for a request.  No per-device lock: requests interleave at their awaits (PyTango's NO_SYNC).
* Gevent: device code runs in one gevent hub, in a greenlet per request (:class:`GeventHub`), so
  greenlets that device code spawns (an instrument poller started in ``init_device``) keep running
  between requests, and ``gevent.sleep`` or gevent-mode proxies yield to the other requests.  No
  per-device lock either.  When the standard library is monkey-patched the server's own threads
  are greenlets of that hub already, and device code runs where it is called.
* Synchronous and Futures: device code runs in the thread serving the request, one request at a
  time per device (PyTango runs futures servers synchronously too).
"""

from __future__ import annotations

import contextvars
import sys
import threading
from typing import Any, Callable

from ..client.green_mode import get_green_mode
from ..idl.enums import GreenMode

__all__ = ["server_green_mode", "GeventHub", "get_worker", "set_worker", "server_worker"]

#: the executor of the device server started last in this process (PyTango's server worker)
_worker: Any = None


def server_worker(mode: GreenMode, loop: Any = None) -> Any:
    """The executor of a server in ``mode`` (PyTango's worker): the client executor of that mode,
    bound to the server's event loop for an asyncio server (``loop``)."""
    from ..client.green import AsyncioExecutor, get_executor

    if mode == GreenMode.Asyncio:
        return AsyncioExecutor(loop)
    return get_executor(mode)


def set_worker(worker: Any) -> None:
    global _worker
    _worker = worker


def get_worker() -> Any:
    """The executor of the device server started last in this process (it stays after the server
    stops, as PyTango's); before any server, the executor of the process-wide green mode.
    ``get_worker().execute(fn, *args)`` runs ``fn`` where the server runs device code (an asyncio
    server's loop: from another thread it waits for the result)."""
    if _worker is None:
        from ..client.green import get_executor
        return get_executor()
    return _worker


def server_green_mode(class_specs: list, green_mode: Any = None) -> GreenMode:
    """The one green mode of a server's classes (``class_specs``: (class, class-class, name) triples)."""
    default = green_mode if green_mode is not None else get_green_mode()
    modes = set()
    for klass, _class_class, _name in class_specs:
        mode = getattr(klass, "green_mode", None)
        if mode is None:
            mode = default
        modes.add(GreenMode(mode) if mode is not None else GreenMode.Synchronous)
    if len(modes) > 1:
        raise ValueError(f"Devices with mixed green modes cannot be run in the same device server process. "
                         f"Modes: {modes}. Classes: {[name for _k, _c, name in class_specs]}.")
    return modes.pop() if modes else GreenMode.Synchronous


class GeventHub:
    """A thread running a gevent hub, where the device code of a gevent server runs."""

    @classmethod
    def for_mode(cls, mode: GreenMode) -> "GeventHub | None":
        """The hub a server in ``mode`` needs (None: device code runs where it is called)."""
        if mode != GreenMode.Gevent:
            return None
        import gevent.monkey

        if gevent.monkey.is_module_patched("threading"):
            return None  # the server's threads are greenlets of the main hub already
        return cls()

    def __init__(self) -> None:
        import gevent

        self._gevent = gevent
        self._hub: Any = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="tango_core gevent hub", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _main(self) -> None:
        self._hub = self._gevent.get_hub()
        self._ready.set()
        while True:  # a pending timer keeps the hub running (an idle hub would stop with LoopExit)
            self._gevent.sleep(3600)

    def call(self, fn: Callable[..., Any], args: tuple, context: Any = None) -> Any:
        """``fn(*args)`` in a new greenlet of the hub; waits (the calling thread) for its outcome.
        ``context`` (a servant's CallContext) is what ``current_call()`` answers in that greenlet;
        the greenlet sees the calling thread's context variables (the associated device of
        sub-device diagnostics)."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        done = threading.Event()
        outcome: list = []
        variables = contextvars.copy_context()

        def run() -> None:
            if context is not None:
                self._gevent.getcurrent().tango_call = context
            try:
                outcome.append((True, variables.run(fn, *args)))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                outcome.append((False, exc))
            finally:
                done.set()

        self._hub.loop.run_callback_threadsafe(self._gevent.spawn, run)
        done.wait()
        ok, value = outcome[0]
        if ok:
            return value
        raise value


def greenlet_call() -> Any:
    """The CallContext of the request the current greenlet serves (gevent servers), or None."""
    greenlet = sys.modules.get("greenlet")
    if greenlet is None:
        return None
    return getattr(greenlet.getcurrent(), "tango_call", None)
