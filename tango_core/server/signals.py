"""Operating-system signals sent to a device server, handed to the devices and classes that
asked for them (``register_signal(signo, own_handler=False)`` on a DeviceImpl or DeviceClass, whose
``signal_handler(signo)`` is then called), as cppTango's DServerSignal does.

Python runs signal handlers in the main thread between two bytecodes, wherever that thread is;
device code must not run there (it may wait for a lock the interrupted code holds), so by default
the handlers are called from a thread of their own, one signal after the other (cppTango's signal
thread).  ``own_handler=True`` asks for the handler to run in the signal handler itself, as
cppTango allows on Linux.  SIGINT and SIGTERM still stop the server after the handlers ran.

A handler can only be installed from the main thread (Python's rule): a device registering from a
command asks the server's main thread, which does it while it serves (``server_run``).  A server
started in another thread (a test context) has no main thread to ask: the registration is kept but
the signal is not caught, with a RuntimeWarning saying so.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import traceback
import warnings
from typing import Any, Callable

from ..idl.errors import DevError, DevFailed, ErrSeverity

__all__ = ["SignalDispatcher"]

#: what no process can catch
_UNCATCHABLE = frozenset(s for s in (getattr(signal, "SIGKILL", None), getattr(signal, "SIGSTOP", None)) if s)
#: signals that end the server once the registered handlers ran
_SHUTDOWN = frozenset({signal.SIGINT, signal.SIGTERM})


def _df(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))


class SignalDispatcher:
    """The signals of one server process: who registered for what, the Python handlers
    installed for them (and the handlers they replaced), the thread that calls device code."""

    def __init__(self, run_device_code: Callable[..., Any], request_shutdown: Callable[[], None],
                 in_main_thread: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self._run_device_code = run_device_code
        self._request_shutdown = request_shutdown
        #: runs a function in the main thread and returns its result (raises if it cannot)
        self._in_main_thread = in_main_thread
        self._lock = threading.Lock()
        self._listeners: dict[int, list[tuple[Any, bool]]] = {}   # signo -> [(device or class, own_handler)]
        self._previous: dict[int, Any] = {}                      # signo -> the handler ours replaced
        self._pending: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def register(self, listener: Any, signo: int, own_handler: bool = False) -> None:
        """``listener.signal_handler(signo)`` on each ``signo`` from now on."""
        origin = f"{type(listener).__name__}::register_signal"
        signo = int(signo)
        if not 0 < signo < signal.NSIG:
            raise _df("API_SignalOutOfRange", f"Signal number {signo} out of range", origin)
        if signo in _UNCATCHABLE:   # cppTango's text (the OS error is EINVAL)
            raise _df("API_CantInstallSignal", f"Can't install signal {signo}. OS error = 22", origin)
        with self._lock:
            listeners = self._listeners.setdefault(signo, [])
            if signo not in self._previous:
                try:
                    self._previous[signo] = self._install(signo, self._on_signal)
                except RuntimeError as exc:   # a server in a thread (test context): no main thread to ask
                    warnings.warn(f"signal {signo} registered by {listener!r} is not caught: {exc} (Python "
                                  "installs signal handlers from the main thread, which serves with Util.server_run "
                                  "/ run(), not in a test context)", RuntimeWarning, stacklevel=3)
                except (ValueError, OSError) as exc:
                    if not listeners:
                        del self._listeners[signo]
                    raise _df("API_CantInstallSignal", f"Can't install signal {signo}: {exc}", origin) from None
            listeners[:] = [(obj, own) for obj, own in listeners if obj is not listener]
            listeners.append((listener, bool(own_handler)))

    def unregister(self, listener: Any, signo: int) -> None:
        with self._lock:
            listeners = self._listeners.get(int(signo), [])
            listeners[:] = [(obj, own) for obj, own in listeners if obj is not listener]
            if not listeners:
                self._restore(int(signo))

    def forget(self, listener: Any) -> None:
        """``listener`` is deleted: it registered for nothing any more."""
        for signo in list(self._listeners):
            self.unregister(listener, signo)

    def owns(self, signo: int) -> bool:
        """Whether a handler of ours is installed for ``signo`` (it stops the server too)."""
        return signo in self._previous

    def close(self) -> None:
        with self._lock:
            for signo in list(self._previous):
                self._restore(signo)
            self._listeners.clear()
        if self._thread is not None:
            self._pending.put(None)

    # -- delivery ---------------------------------------------------------------------------------
    def _install(self, signo: int, handler: Any) -> Any:
        """``signal.signal(signo, handler)``, from the main thread: directly when called there,
        else through the server's main thread while it serves (a device registering in a
        command, running in a thread serving a client)."""
        if threading.current_thread() is threading.main_thread() or self._in_main_thread is None:
            return signal.signal(signo, handler)
        return self._in_main_thread(lambda: signal.signal(signo, handler))

    def _restore(self, signo: int) -> None:
        previous = self._previous.pop(signo, None)
        self._listeners.pop(signo, None)
        try:
            self._install(signo, previous if previous is not None else signal.SIG_DFL)
        except (ValueError, OSError, RuntimeError):   # nobody serves in the main thread: ours stays, idle
            pass

    def _on_signal(self, signo: int, _frame: Any) -> None:
        listeners = list(self._listeners.get(signo, ()))
        if any(not own for _, own in listeners):
            self._ensure_thread()
            self._pending.put(signo)
        for listener, own in listeners:
            if own:
                self._call(listener, signo)
        if signo in _SHUTDOWN and not any(not own for _, own in listeners):
            self._request_shutdown()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._deliver, name="tango-signals", daemon=True)
            self._thread.start()

    def _deliver(self) -> None:
        while True:
            signo = self._pending.get()
            if signo is None:
                return
            for listener, own in list(self._listeners.get(signo, ())):
                if not own:
                    self._run_device_code(self._call, listener, signo)
            if signo in _SHUTDOWN:
                self._request_shutdown()

    @staticmethod
    def _call(listener: Any, signo: int) -> None:
        try:
            listener.signal_handler(signo)
        except Exception:  # noqa: BLE001 - a handler's error is reported, the server goes on
            sys.stderr.write(f"signal_handler({signo}) of {listener!r} raised:\n")
            traceback.print_exc()
