"""The gevent driver: GIOP calls that yield to gevent's hub, over the sans-IO GIOPConnection.

Gevent mode must not block the other greenlets during a call, whether the program monkey-patched
the standard library or not.  So this driver uses gevent's own sockets and events explicitly:
one :class:`GeventEndpoint` per server endpoint and hub (thread), whose reader greenlet feeds the
sans-IO :class:`~tango_core.wire.connection.GIOPConnection` and wakes the greenlet waiting for
each reply by request id.  Many greenlets calling at once share the one TCP connection.

The same promises as the other drivers (``transport/sync.py``, ``transport/asyncio.py``): a
deadline per call (CallTimeout; the request id is forgotten and a late reply dropped, the
connection stays), ConnectFailed at once for a refused endpoint and within the connect timeout
otherwise, one re-send on a new connection after CloseConnection/EOF, ConnectionLost for
garbage or a MessageError; replies mean what ``calls.reply_result`` says.

:func:`run_plan` runs a call plan (``transport/calls.py``) in the calling greenlet.  ``Wait``
steps wait on the hub; ``Blocking`` steps run in gevent's thread pool (in place when the
standard library is monkey-patched, where blocking code is cooperative already).

This module imports gevent: only the gevent green mode loads it.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable

import gevent
import gevent.event
import gevent.lock
import gevent.monkey
import gevent.socket

from ..wire.connection import NEED_DATA, ConnectionClosed, GIOPConnection, LocalProtocolError, Role
from ..wire.giop import DEFAULT_MAX_MESSAGE_SIZE, LocateReply, Reply
from .connect import open_stream
from .calls import Blocking, Plan, ReadResult, Wait, WriteArgs, reply_result
from .errors import CallTimeout, ConnectFailed, ConnectionLost

__all__ = ["GeventEndpoint", "get_endpoint", "run_plan", "hub_callback", "os_thread_id"]

#: the OS thread id, even when ``threading`` is monkey-patched (then get_ident() names greenlets)
os_thread_id = gevent.monkey.get_original("_thread", "get_ident")


def _now() -> float:
    """The hub's clock, brought up to date first: the hub's cached time is that of its last loop
    iteration, which may be long ago when the program has not yielded to it for a while (a
    timer started from that stale time would fire at once)."""
    loop = gevent.get_hub().loop
    loop.update_now()
    return loop.now()


def _connect_timeout() -> float:
    from .sync import default_connect_timeout  # one definition of TANGOconnectTimeout
    return default_connect_timeout()


class _Waiter:
    """A greenlet waiting for one reply."""

    __slots__ = ("event", "reply", "error", "retryable")

    def __init__(self) -> None:
        self.event = gevent.event.Event()
        self.reply: Reply | None = None
        self.error: BaseException | None = None
        self.retryable = False


class _Link:
    """One TCP connection of an endpoint (a new one after each reconnect)."""

    def __init__(self, sock, max_message_size: int) -> None:
        self.sock = sock
        self.conn = GIOPConnection(Role.CLIENT, max_message_size=max_message_size)
        self.waiters: dict[int, _Waiter] = {}
        self.outbox: list[bytes] = []  # requests made while others were in flight, sent together
        self.flush_scheduled = False
        self.closed = False
        self.reader: gevent.Greenlet | None = None


class GeventEndpoint:
    """The GIOP connection to one endpoint for the greenlets of one hub."""

    def __init__(self, host: str, port: int, *, connect_timeout: float | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.host = host
        self.port = int(port)
        self.connect_timeout = _connect_timeout() if connect_timeout is None else connect_timeout
        self.max_message_size = max_message_size
        self._link: _Link | None = None
        self._send_lock = gevent.lock.Semaphore()  # connect + write one whole message
        self.connects = 0
        self.last_drop_reason = ""

    def __repr__(self) -> str:
        return f"GeventEndpoint({self.host}:{self.port})"

    @property
    def connected(self) -> bool:
        link = self._link
        return link is not None and not link.closed

    def invoke(self, object_key: bytes, operation: str, write_args: WriteArgs | None, read_result: ReadResult | None,
               timeout: float, version: tuple[int, int] = (1, 2)):
        """Send one request and wait (cooperatively) for its reply; ``read_result(body)`` or a
        transport error."""
        deadline = _now() + timeout
        resent = False
        while True:
            try:
                link, rid, waiter = self._send(object_key, operation, write_args, version, deadline)
            except ConnectFailed:
                if resent:
                    raise ConnectionLost(self.host, self.port,
                                         "peer closed the connection and cannot be reached again") from None
                raise
            remaining = deadline - _now()
            if not waiter.event.wait(max(remaining, 0.0)):
                if link.waiters.pop(rid, None) is not None:
                    link.conn.forget(rid)
                raise CallTimeout(self.host, self.port, operation, timeout)
            if waiter.error is not None:
                if waiter.retryable and not resent:
                    resent = True
                    continue
                raise waiter.error
            return reply_result(waiter.reply, read_result)

    def close(self) -> None:
        """Drop the TCP connection politely; waiting calls fail; the next call reconnects."""
        link = self._link
        if link is None:
            return
        try:
            with self._send_lock:
                link.sock.sendall(link.conn.send_close_connection())
        except (OSError, LocalProtocolError):
            pass
        self._end(link, link.conn.close("connection closed locally"))

    # -- internals ------------------------------------------------------------------------------

    def _send(self, object_key, operation, write_args, version, deadline):
        with self._send_lock:
            link = self._link
            if link is None or link.closed:
                link = self._open(deadline)
            rid, data = link.conn.send_request(object_key, operation, write_args, version=version)
            waiter = link.waiters[rid] = _Waiter()
            if len(link.waiters) == 1 and not link.outbox:
                self._write(link, data)  # an idle connection: out at once
            else:
                # other calls are in flight (many greenlets at once): the requests made before
                # the hub runs again go out together, in one write
                link.outbox.append(data)
                if not link.flush_scheduled:
                    link.flush_scheduled = True
                    gevent.spawn(self._flush, link)
        return link, rid, waiter

    def _flush(self, link: _Link) -> None:
        with self._send_lock:
            link.flush_scheduled = False
            outbox, link.outbox = link.outbox, []
            if outbox and not link.closed:
                self._write(link, b"".join(outbox))

    def _write(self, link: _Link, data: bytes) -> None:
        try:
            link.sock.sendall(data)
        except OSError as exc:
            self._end(link, link.conn.close(f"send failed: {exc.strerror or exc}"), retryable=True)

    def _open(self, deadline: float) -> _Link:
        remaining = deadline - _now()
        if remaining <= 0:
            raise ConnectFailed(self.host, self.port, "no time left to connect", timed_out=True)
        # TCP, or an omniORB server's unix-domain socket
        sock = open_stream(self.host, self.port, min(self.connect_timeout, remaining), gevent.socket.socket,
                           gevent.socket.create_connection)
        sock.settimeout(None)  # the reader waits as long as the connection lives
        link = _Link(sock, self.max_message_size)
        self._link = link
        self.connects += 1
        link.reader = gevent.spawn(self._read, link)
        return link

    def _read(self, link: _Link) -> None:
        conn, sock = link.conn, link.sock
        while not link.closed:
            try:
                n = sock.recv_into(conn.get_buffer())
            except OSError as exc:
                if not link.closed:
                    self._end(link, conn.close(f"receive failed: {exc.strerror or exc}"), retryable=True)
                return
            conn.buffer_updated(n)
            while True:
                event = conn.next_event()
                if event is NEED_DATA:
                    break
                kind = type(event)
                if kind is Reply or kind is LocateReply:
                    waiter = link.waiters.pop(event.request_id, None)
                    if waiter is not None:
                        waiter.reply = event
                        waiter.event.set()
                elif kind is ConnectionClosed:
                    self._end(link, event)
                    return

    def _end(self, link: _Link, closed: ConnectionClosed, retryable: bool | None = None) -> None:
        if link.closed:
            return
        link.closed = True
        if self._link is link:
            self._link = None
        self.last_drop_reason = closed.reason
        try:
            link.sock.close()
        except OSError:
            pass
        waiters = link.waiters
        link.waiters = {}
        again = closed.retryable if retryable is None else retryable
        for rid, waiter in waiters.items():
            waiter.error = ConnectionLost(self.host, self.port, closed.reason)
            waiter.retryable = again and rid not in closed.partly_answered
            waiter.event.set()
        if link.reader is not None and link.reader is not gevent.getcurrent():
            link.reader.kill(block=False)


# -- one pool of endpoints per hub ---------------------------------------------------------------

def get_endpoint(host: str, port: int) -> GeventEndpoint:
    """The shared endpoint ``host:port`` of the current thread's hub (connected lazily)."""
    hub = gevent.get_hub()
    pool = getattr(hub, "_tango_core_endpoints", None)
    if pool is None:
        pool = hub._tango_core_endpoints = {}
    key = (host.lower(), int(port))
    ep = pool.get(key)
    if ep is None:
        ep = pool[key] = GeventEndpoint(host, port)
    return ep


# -- running plans ------------------------------------------------------------------------------------

def _wait_future(future: Future, timeout: float | None):
    """A concurrent future's result, waiting on the hub (the future may be completed by another
    greenlet or by a real thread: the hub's async watcher is thread-safe)."""
    if not future.done():
        hub = gevent.get_hub()
        watcher = hub.loop.async_()
        done = gevent.event.Event()
        watcher.start(done.set)
        try:
            future.add_done_callback(lambda _f: watcher.send())
            hub.loop.update_now()  # a timer from a stale clock would fire at once (see _now)
            if not done.wait(timeout):
                raise TimeoutError(f"no result within {timeout} s")
        finally:
            watcher.stop()
            watcher.close()
    return future.result(0)


def _run_blocking_code(fn: Callable[[], Any]):
    if gevent.monkey.is_module_patched("socket"):
        return fn()  # blocking calls are cooperative already
    return gevent.get_hub().threadpool.apply(fn)


def run_plan(plan: Plan):
    """Run ``plan`` to its end in the calling greenlet, yielding to the hub while it waits."""
    send, throw = plan.send, plan.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = send(value) if error is None else throw(error)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        try:
            kind = type(step)
            if kind is tuple:  # Invoke
                target, operation, write_args, read_result, timeout = step
                value = get_endpoint(target.host, target.port).invoke(target.object_key, operation, write_args,
                                                                       read_result, timeout, target.version)
            elif kind is Wait:
                value = _wait_future(step.future, step.timeout)
            elif kind is Blocking:
                value = _run_blocking_code(step.fn)
            else:
                raise TypeError(f"a call plan yielded {step!r}, not a transport step")
        except BaseException as exc:  # noqa: BLE001 - handed to the plan (gevent.Timeout included)
            error = exc


def hub_callback(fn: Callable, hub: Any = None) -> Callable:
    """``fn(event)`` run in a new greenlet of ``hub`` (default: the current thread's), whatever
    thread calls it (event callbacks of gevent-mode proxies)."""
    loop = (hub or gevent.get_hub()).loop

    def deliver(event) -> None:
        try:
            loop.run_callback_threadsafe(gevent.spawn, fn, event)
        except Exception:  # noqa: BLE001 - the hub is gone
            pass

    deliver.__wrapped__ = fn  # type: ignore[attr-defined]
    return deliver
