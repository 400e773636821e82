"""Green modes: the same client calls, run synchronously, as futures, on gevent's hub or on asyncio.

PyTango's model (pytango-api.md §3), on tango_core's call plans: every I/O method of a proxy is
written once, as a call plan (``transport/calls.py``), and :func:`green_method` makes the public
method that runs that plan with the *executor* of the green mode in force:

=============  ====================  ============  ==============================================
mode           executor              default wait  ``wait=False`` returns
=============  ====================  ============  ==============================================
Synchronous    blocking sockets      True          ValueError("Not supported in synchronous mode")
Futures        a background loop     True          ``concurrent.futures.Future``
Gevent         gevent sockets        True          ``gevent.event.AsyncResult``
Asyncio        the running loop      **False**     ``asyncio.Future`` (await it)
=============  ====================  ============  ==============================================

The mode of a call: its ``green_mode=`` keyword, else the proxy's (``green_mode=`` at
construction, ``set_green_mode``), else the process-wide one (:func:`set_green_mode`, initially
from the ``PYTANGO_GREEN_MODE`` environment variable as in PyTango, else Synchronous).
``timeout=`` (seconds) bounds the *wait* for the result and has nothing to do with the device
timeout (``set_timeout_millis``), which every call keeps.

Unlike PyTango, no mode runs a call in a thread: asyncio and futures calls are multiplexed on
one connection per endpoint by the asyncio driver (futures mode uses one shared background loop
thread), gevent calls use gevent's own sockets.  Asyncio calls use the loop running in the
calling thread (any loop, so ``asyncio.run`` may be called again and again); with no running
loop, the thread that first used asyncio mode uses its current event loop (a new one if it has
none), to ``run_until_complete`` with ``wait=True`` or to run the returned future later, and
other threads run the call synchronously (PyTango's rule for calls from foreign threads).
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable

from ..idl.enums import GreenMode
from ..transport.calls import Plan, run_blocking
from .green_mode import get_green_mode, store_green_mode

__all__ = ["GreenMode", "get_green_mode", "set_green_mode", "get_executor", "green_method", "green_function",
           "event_delivery", "loop_callback", "SynchronousExecutor", "FuturesExecutor", "AsyncioExecutor",
           "GeventExecutor"]

_SYNC = GreenMode.Synchronous
_ASYNCIO = GreenMode.Asyncio


#: the process-wide mode as this module reads it on every call (a copy of green_mode's)
_mode: GreenMode | None = get_green_mode()


def set_green_mode(green_mode: GreenMode | None = None) -> None:
    """Set the process-wide default green mode (PyTango's advice: only in applications, never in
    libraries).  An unknown mode raises TypeError("Not a valid green mode"); a mode whose
    package is missing (gevent) raises ImportError; None keeps PyTango's behaviour (the mode
    becomes None, calls then run synchronously)."""
    global _mode
    get_executor(green_mode)
    store_green_mode(green_mode)
    _mode = green_mode


def _valid(mode: Any) -> GreenMode:
    try:
        if isinstance(mode, GreenMode):
            return mode
        if isinstance(mode, int) and not isinstance(mode, bool):
            return GreenMode(mode)
    except ValueError:
        pass
    raise TypeError("Not a valid green mode")


# -- executors ------------------------------------------------------------------------------------


class SynchronousExecutor:
    """Runs the plan in the calling thread with blocking sockets."""

    asynchronous = False
    default_wait = True

    def in_executor_context(self) -> bool:
        """Always: synchronous calls run in whichever thread makes them."""
        return True

    def execute(self, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)``, here and now (PyTango's executor protocol)."""
        return fn(*args, **kwargs)

    submit = execute

    def run(self, make_plan: Callable[[], Plan], wait: bool | None, timeout: float | None):
        if wait is not None and not wait or timeout:
            raise ValueError("Not supported in synchronous mode")
        return run_blocking(make_plan())


_get_running_loop = _start_plan = None  # asyncio.get_running_loop, transport.asyncio.start_plan (once used)


class AsyncioExecutor:
    """Runs the plan on the calling thread's running loop (an ``asyncio.Future``).

    ``loop``: the executor of an asyncio device server (``get_worker()``) is bound to the server's
    event loop: :meth:`in_executor_context` is true on that loop only, and :meth:`execute` /
    :meth:`submit` run functions there from any thread."""

    asynchronous = True
    default_wait = False

    def __init__(self, loop=None) -> None:
        global _get_running_loop, _start_plan
        import asyncio

        from ..transport.asyncio import start_plan

        _get_running_loop, _start_plan = asyncio.get_running_loop, start_plan
        self._thread: int | None = None
        self.loop = loop

    def in_executor_context(self) -> bool:
        """Whether the calling code runs where this executor runs its calls: on its event loop
        (a server's), else on an event loop running in this thread or in the thread that first
        used it without one."""
        try:
            running = _get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is not None:
            return running is self.loop
        return running is not None or threading.get_ident() == self._thread

    def submit(self, fn: Callable, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` (a coroutine function, or a plain function) on the bound
        loop; a ``concurrent.futures.Future`` of its result."""
        import asyncio

        if self.loop is None:
            raise RuntimeError("submit() needs an executor bound to an event loop (a server's: get_worker())")

        async def call():
            result = fn(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(call(), self.loop)

    def execute(self, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the executor's loop: called directly when already there (a
        coroutine function then returns its coroutine, to await), else submitted and waited for."""
        if self.loop is None or self.in_executor_context():
            return fn(*args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    def _own_loop(self):
        """With no running loop: the thread's current event loop (a new one if it has none or it
        is closed), if the call comes from the executor's thread; None from other threads."""
        import asyncio
        import warnings

        ident = threading.get_ident()
        if self._thread is None:
            self._thread = ident
        if ident != self._thread:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        return loop

    def run(self, make_plan: Callable[[], Plan], wait: bool | None, timeout: float | None):
        try:
            loop = _get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            if wait:
                raise RuntimeError("Loop is already running")
            if self._thread is None:
                self._thread = threading.get_ident()
            return _start_plan(make_plan(), loop)
        loop = self._own_loop()
        if loop is None:  # another thread, no loop: as PyTango, the call runs synchronously
            return run_blocking(make_plan())
        future = _start_plan(make_plan(), loop)
        if not wait:
            return future
        import asyncio

        return loop.run_until_complete(asyncio.wait_for(future, timeout))


class FuturesExecutor:
    """Runs the plan on a shared background loop thread (a ``concurrent.futures.Future``);
    ``wait=True`` without timeout simply runs it in the calling thread."""

    asynchronous = True
    default_wait = True

    def __init__(self) -> None:
        self._loop = None
        self._lock = threading.Lock()
        self._loop_thread: int | None = None

    def in_executor_context(self) -> bool:
        """Whether the calling code runs on the executor's background loop thread."""
        return self._loop_thread is not None and threading.get_ident() == self._loop_thread

    def _background_loop(self):
        import asyncio

        with self._lock:
            loop = self._loop
            if loop is None or loop.is_closed():
                loop = self._loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    self._loop_thread = threading.get_ident()
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=serve, name="tango_core-futures-loop", daemon=True).start()
                ready.wait()
            return loop

    def submit(self, make_plan: Callable[[], Plan]):
        """Start the plan on the background loop; a ``concurrent.futures.Future`` of its result."""
        from concurrent.futures import Future

        from ..transport.asyncio import start_plan

        loop = self._background_loop()
        result: Future = Future()

        def start() -> None:
            if not result.set_running_or_notify_cancel():
                return
            try:
                future = start_plan(make_plan(), loop)
            except BaseException as exc:  # noqa: BLE001 - e.g. wrong arguments to the method
                result.set_exception(exc)
                return

            def copy(f) -> None:
                error = f.exception()
                if error is None:
                    result.set_result(f.result())
                else:
                    result.set_exception(error)
            future.add_done_callback(copy)

        loop.call_soon_threadsafe(start)
        return result

    def run(self, make_plan: Callable[[], Plan], wait: bool | None, timeout: float | None):
        if wait is None:
            wait = True
        if wait and timeout is None:
            return run_blocking(make_plan())
        future = self.submit(make_plan)
        if not wait:
            return future
        return future.result(timeout)


class GeventExecutor:
    """Runs the plan in the calling greenlet on gevent sockets (``wait=False``: in a new greenlet,
    a ``gevent.event.AsyncResult``)."""

    asynchronous = True
    default_wait = True

    def __init__(self) -> None:
        from ..transport import gevent as driver  # ImportError without gevent, as PyTango

        self._driver = driver
        self._thread = driver.os_thread_id()

    def in_executor_context(self) -> bool:
        """Whether the calling code runs in the thread (the gevent hub) this executor serves."""
        return self._driver.os_thread_id() == self._thread

    def run(self, make_plan: Callable[[], Plan], wait: bool | None, timeout: float | None):
        import gevent
        import gevent.event

        if wait is None:
            wait = True
        if self._driver.os_thread_id() != self._thread:
            return run_blocking(make_plan())  # another thread's call runs synchronously, as in PyTango
        run_plan = self._driver.run_plan
        if wait and timeout is None:
            return run_plan(make_plan())
        result = gevent.event.AsyncResult()

        def work() -> None:
            try:
                result.set(run_plan(make_plan()))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever gets the result
                result.set_exception(exc)

        gevent.spawn(work)
        if not wait:
            return result
        gevent.get_hub().loop.update_now()  # the timeout counts from now, not from the hub's last run
        return result.get(timeout=timeout)


_executors: dict[GreenMode, Any] = {_SYNC: SynchronousExecutor()}
_executors_lock = threading.Lock()
_FACTORIES = {GreenMode.Futures: FuturesExecutor, GreenMode.Asyncio: AsyncioExecutor,
              GreenMode.Gevent: GeventExecutor}


def get_executor(green_mode: GreenMode | None = None):
    """The executor of ``green_mode`` (default: the process-wide mode)."""
    mode = green_mode if green_mode is not None else _mode
    mode = _SYNC if mode is None else _valid(mode)
    executor = _executors.get(mode)
    if executor is None:
        with _executors_lock:
            executor = _executors.get(mode)
            if executor is None:
                executor = _executors[mode] = _FACTORIES[mode]()
    return executor


# -- green methods ----------------------------------------------------------------------------------

_GREEN_PARAMS = [inspect.Parameter("green_mode", inspect.Parameter.KEYWORD_ONLY, default=None),
                 inspect.Parameter("wait", inspect.Parameter.KEYWORD_ONLY, default=None),
                 inspect.Parameter("timeout", inspect.Parameter.KEYWORD_ONLY, default=None)]


def green_method(plan_fn: Callable[..., Plan], *, name: str | None = None, consume_green_mode: bool = True):
    """The public method that runs ``plan_fn(self, *args, **kwargs)`` in the call's green mode.

    ``wait=``, ``timeout=`` and ``green_mode=`` are taken out of the keywords (``green_mode`` is
    left in them when ``consume_green_mode`` is False: ``subscribe_event`` and the proxy
    factories need it).  The method carries ``plan_fn``'s docstring and signature (plus the
    three keywords); ``method.plan`` is ``plan_fn``.
    """

    def method(self, *args, **kwargs):
        __tracebackhide__ = True  # IPython and pytest show the caller's line and the plan's, not this relay
        if not kwargs:  # the common call: no keywords at all
            mode = getattr(self, "_green_mode", None)
            if mode is None:
                mode = _mode
            if mode is _SYNC or mode is None:
                return run_blocking(plan_fn(self, *args))
            if mode is _ASYNCIO and _get_running_loop is not None:  # the common asyncio call
                try:
                    loop = _get_running_loop()
                except RuntimeError:
                    pass
                else:
                    return _start_plan(plan_fn(self, *args), loop)
            return get_executor(mode).run(lambda: plan_fn(self, *args), None, None)
        wait = timeout = mode = None
        if "wait" in kwargs or "timeout" in kwargs or "green_mode" in kwargs:
            wait = kwargs.pop("wait", None)
            timeout = kwargs.pop("timeout", None)
            mode = kwargs.pop("green_mode", None) if consume_green_mode else kwargs.get("green_mode")
        if mode is None:
            mode = getattr(self, "_green_mode", None)
            if mode is None:
                mode = _mode
        if (mode is _SYNC or mode is None) and wait is None and timeout is None:
            return run_blocking(plan_fn(self, *args, **kwargs))
        return get_executor(mode).run(lambda: plan_fn(self, *args, **kwargs), wait, timeout)

    functools.update_wrapper(method, plan_fn)
    method.__name__ = name = name or plan_fn.__name__.strip("_").removesuffix("_plan")
    owner = plan_fn.__qualname__.rpartition(".")[0]
    method.__qualname__ = f"{owner}.{name}" if owner else name
    method.plan = plan_fn  # type: ignore[attr-defined]
    sig = inspect.signature(plan_fn)
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    have = {p.name for p in params}
    params += [p for p in _GREEN_PARAMS if p.name not in have]
    params += [p for p in sig.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
    method.__signature__ = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)  # type: ignore
    del method.__wrapped__
    return method


def green_function(plan_fn: Callable[..., Plan], *, name: str | None = None):
    """:func:`green_method` for a factory (no proxy yet): ``green_mode=`` or the process-wide mode."""

    def function(*args, **kwargs):
        __tracebackhide__ = True  # see green_method
        wait = kwargs.pop("wait", None)
        timeout = kwargs.pop("timeout", None)
        mode = kwargs.get("green_mode")
        if mode is None:
            mode = _mode
        if (mode is _SYNC or mode is None) and wait is None and timeout is None:
            return run_blocking(plan_fn(*args, **kwargs))
        return get_executor(mode).run(lambda: plan_fn(*args, **kwargs), wait, timeout)

    functools.update_wrapper(function, plan_fn)
    del function.__wrapped__
    function.__name__ = function.__qualname__ = name or plan_fn.__name__
    function.plan = plan_fn  # type: ignore[attr-defined]
    return function


# -- event callbacks ----------------------------------------------------------------------------------


def event_delivery(green_mode: GreenMode | None) -> Callable[[Callable], Callable] | None:
    """How a subscription made now, in ``green_mode``, calls its callback (None: in the event
    thread, as in synchronous and futures modes).

    Asyncio: on the loop running in this thread (``async def`` callbacks are awaited there as
    tasks, plain ones called there), never in the ZMQ threads.  Gevent: in a new greenlet of this
    thread's hub.
    """
    if green_mode is GreenMode.Asyncio:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return sync_callback_warned  # called in the event thread, as without a green mode
        return functools.partial(loop_callback, loop=loop)
    if green_mode is GreenMode.Gevent:
        import gevent

        from ..transport import gevent as driver

        # the subscriber's hub, found now: the subscription itself is made in a worker thread
        return functools.partial(driver.hub_callback, hub=gevent.get_hub())
    return None


def _warn_sync_callback(fn: Callable) -> None:
    """PyTango's asyncio executor warns once per function given as a plain (not ``async def``)
    callback, when it is first called."""
    from .warn_once import warn_once

    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or f"{fn}"
    warn_once(f"Sync {name} function called: support of sync functions in PyTango's Asyncio mode is "
              f"deprecated. Use 'async def' instead of 'def'.",
              key=f"deprecated:tango.asyncio_executor:sync_function:{name}", category=DeprecationWarning)


def sync_callback_warned(fn: Callable) -> Callable:
    """An asyncio-mode callback subscribed with no running loop: ``async def`` ones are left to
    the caller; a plain one is called as is, with PyTango's deprecation warning first."""
    if inspect.iscoroutinefunction(fn):
        return fn

    def call(event) -> None:
        _warn_sync_callback(fn)
        fn(event)

    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call


def loop_callback(fn: Callable, loop) -> Callable:
    """``fn(event)`` scheduled on ``loop`` from any thread: a task for a coroutine function, a
    plain call otherwise (errors go to the loop's exception handler).  Events that come after
    the loop closed are dropped."""
    is_coroutine = inspect.iscoroutinefunction(fn)

    def on_loop(event) -> None:
        if is_coroutine:
            loop.create_task(fn(event))
        else:
            _warn_sync_callback(fn)
            fn(event)

    def deliver(event) -> None:
        try:
            loop.call_soon_threadsafe(on_loop, event)
        except RuntimeError:  # the loop is closed
            pass

    deliver.__wrapped__ = fn  # type: ignore[attr-defined]
    return deliver
