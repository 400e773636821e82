"""The asyncio driver: GIOP calls on an event loop, over the sans-IO :class:`~tango_core.wire.connection.GIOPConnection`.

One :class:`AsyncEndpoint` per server endpoint (host, port) and event loop, shared by every
asyncio proxy of that endpoint.  Its TCP connection is an ``asyncio.BufferedProtocol`` whose
received octets go straight into the GIOP connection's buffer (zero copy); each Reply event is
handed to the call waiting for its request id.  A thousand concurrent calls are a thousand
entries in a dict on one TCP connection, not a thousand threads.

Behaviour, the same as the blocking driver's (``transport/sync.py``) where both apply:

* Every call has a deadline on the loop's clock (``loop.call_at``); when it passes the call
  fails with :class:`CallTimeout`, its request id is forgotten and a late reply is dropped: the
  connection stays usable.  Cancelling a call (the task awaiting it is cancelled) does the same.
* A refused endpoint fails at once with :class:`ConnectFailed`; the connect itself is bounded by
  the connect timeout (``TANGOconnectTimeout``, default 2 s) and by the first call's deadline.
  Requests made while connecting are encoded at once and written when the connection is up.
* When the peer sends CloseConnection or closes the stream, the requests without reply are
  re-sent once on a new connection; if that is impossible they fail with :class:`ConnectionLost`.
  Garbage, an oversized message or a MessageError fail the waiting calls with ConnectionLost.
* Replies mean what :func:`~tango_core.transport.calls.reply_result` says (the drivers share it).

Two ways to call: ``await endpoint.invoke(...)`` (a coroutine), and :func:`start_plan`, which
runs a call plan (``transport/calls.py``) on the loop and returns an ``asyncio.Future`` of its
result.  ``start_plan`` drives the plan from the transport's callbacks, without a Task: the first
request is written before ``start_plan`` returns, and the reply resumes the plan directly from
``buffer_updated`` -- one loop wake-up per round trip, the least asyncio allows.  A big reply
(an image) arrives in slices of the server's socket buffer; once one slice is in, what else has
arrived is read at once, in the same turn of the loop, rather than one turn per slice.

Only the loop's thread may use an endpoint (asyncio's rule); :func:`get_endpoint` keeps one
pool of endpoints per loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from concurrent.futures import Future as ThreadFuture
from typing import Any, Callable

from ..wire.connection import NEED_DATA, ConnectionClosed, GIOPConnection, LocalProtocolError, Role
from ..wire.giop import DEFAULT_MAX_MESSAGE_SIZE, LocateReply, Reply
from .addresses import is_unix
from .connect import connect_failed
from .calls import Blocking, Plan, ReadResult, Wait, WriteArgs, reply_result
from .errors import CallTimeout, ConnectFailed, ConnectionLost
from .workers import blocking_pool

__all__ = ["AsyncEndpoint", "get_endpoint", "start_plan", "close_endpoints"]

Callback = Callable[[Any, "BaseException | None"], None]


def _connect_timeout() -> float:
    from .sync import default_connect_timeout  # one definition of TANGOconnectTimeout
    return default_connect_timeout()


class _Call:
    """One request waiting for its reply (or for the connection, then its reply)."""

    __slots__ = ("endpoint", "link", "rid", "object_key", "operation", "write_args", "read_result", "version",
                 "deadline", "timeout", "callback", "resent", "done")

    def __init__(self, endpoint: "AsyncEndpoint", object_key: bytes, operation: str, write_args: WriteArgs | None,
                 read_result: ReadResult | None, version: tuple[int, int], timeout: float, deadline: float,
                 callback: Callback) -> None:
        self.endpoint = endpoint
        self.link: _Link | None = None
        self.rid = 0
        self.object_key = object_key
        self.operation = operation
        self.write_args = write_args
        self.read_result = read_result
        self.version = version
        self.timeout = timeout
        self.deadline = deadline
        self.callback = callback
        self.resent = False
        self.done = False

    def cancel(self) -> None:
        """Stop waiting: the request id is forgotten (a late reply is dropped), nobody is called back."""
        if self.done:
            return
        self.done = True
        self._detach()

    def _detach(self) -> None:
        link = self.link
        if link is not None:
            if link.calls.pop(self.rid, None) is not None:
                link.conn.forget(self.rid)
            self.link = None

    def finish(self, value: Any, error: BaseException | None) -> None:
        if self.done:
            return
        self.done = True
        self._detach()
        self.callback(value, error)

    def expire(self) -> None:
        """The deadline has passed (the endpoint's sweep calls this)."""
        link = self.link
        ep = self.endpoint
        if link is not None and link.transport is None and not link.closed:
            # still connecting: what the blocking driver reports for a connect that ran out of time
            self.finish(None, ConnectFailed(ep.host, ep.port, f"connect timed out after {self.timeout:g} s",
                                            timed_out=True))
        else:
            self.finish(None, CallTimeout(ep.host, ep.port, self.operation, self.timeout))


class _Link(asyncio.BufferedProtocol):
    """One TCP connection of an endpoint (a new one after each reconnect)."""

    def __init__(self, endpoint: "AsyncEndpoint") -> None:
        self.endpoint = endpoint
        self.conn = GIOPConnection(Role.CLIENT, max_message_size=endpoint.max_message_size)
        self.transport: asyncio.Transport | None = None
        self.calls: dict[int, _Call] = {}
        self.backlog: list[bytes] = []  # requests encoded while connecting, or waiting for _flush
        self.flush_scheduled = False
        self.closed = False
        self.connector: asyncio.Task | None = None
        self.sock: socket.socket | None = None  # the transport's socket: see buffer_updated

    # -- sending ------------------------------------------------------------------------------

    def send(self, call: _Call) -> None:
        """Encode ``call``'s request on this connection and write it (or queue it while connecting).
        Encoding errors (a value that does not fit its type) propagate; nothing is sent then."""
        rid, data = self.conn.send_request(call.object_key, call.operation, call.write_args, version=call.version)
        call.link, call.rid = self, rid
        calls = self.calls
        calls[rid] = call
        transport = self.transport
        if transport is None:
            self.backlog.append(data)
        elif len(calls) == 1 and not self.backlog:
            transport.write(data)  # an idle connection: out at once (one await after the other)
        else:
            # other calls are in flight (a gathered batch): the requests made in this loop
            # iteration go out together, in one write (one system call instead of hundreds)
            self.backlog.append(data)
            if not self.flush_scheduled:
                self.flush_scheduled = True
                self.endpoint.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        backlog, self.backlog = self.backlog, []
        if backlog and self.transport is not None and not self.closed:
            self.transport.write(b"".join(backlog))

    # -- asyncio.BufferedProtocol -------------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family != getattr(socket, "AF_UNIX", None):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        if self.closed:  # gave up while connecting
            transport.abort()
            return
        self.transport = transport
        # the selector transport's own socket (CPython's; another loop's transport has none):
        # buffer_updated reads the rest of a big reply from it directly
        raw = getattr(transport, "_sock", None)
        self.sock = raw if isinstance(raw, socket.socket) else None
        if self.backlog:
            transport.writelines(self.backlog)
            self.backlog.clear()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.conn.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        conn = self.conn
        conn.buffer_updated(nbytes)
        sock = self.sock
        if sock is not None and conn.exact_buffer and not self.closed:
            # In the middle of a big frame (an image): take what has arrived meanwhile at once.
            # The server writes a big reply in slices of its socket's buffer (~200 KB over a
            # unix-domain socket); a loop turn for each slice cost ~20% of a 504 KB image read.
            # A failed or ended receive is left to the transport's own next read to report.
            while True:
                view = conn.get_buffer()
                try:
                    n = sock.recv_into(view)
                except OSError:  # BlockingIOError: nothing more yet
                    break
                finally:
                    view = None
                if not n:
                    break
                conn.buffer_updated(n)
                if not conn.exact_buffer:
                    break
        self._events()

    def eof_received(self) -> bool:
        self.conn.receive_data(b"")
        self._events()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.receive_data(b"")
        self._events()

    # -- events -------------------------------------------------------------------------------

    def _events(self) -> None:
        conn = self.conn
        calls = self.calls
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                return
            kind = type(event)
            if kind is Reply or kind is LocateReply:
                call = calls.pop(event.request_id, None)
                if call is None:
                    continue
                call.link = None
                try:
                    value, error = reply_result(event, call.read_result), None
                except Exception as exc:  # noqa: BLE001 - the caller's outcome
                    value, error = None, exc
                call.finish(value, error)
            elif kind is ConnectionClosed:
                self._ended(event)
                return

    def _ended(self, closed: ConnectionClosed) -> None:
        """The connection is over: re-send what may be re-sent once, fail the rest."""
        if self.closed and not self.calls:
            return
        self.closed = True
        ep = self.endpoint
        ep._forget(self)
        ep.last_drop_reason = closed.reason
        if self.transport is not None:
            self.transport.abort()
        waiting = list(self.calls.values())
        self.calls.clear()
        for call in waiting:
            call.link = None
            if call.done:
                continue
            if closed.retryable and not call.resent and call.rid not in closed.partly_answered:
                call.resent = True
                try:
                    ep._send(call)
                except Exception as exc:  # noqa: BLE001
                    call.finish(None, exc)
            else:
                call.finish(None, ConnectionLost(ep.host, ep.port, closed.reason))

    def abandon(self, reason: str) -> None:
        """Close locally (endpoint closed, connect failed): every waiting call fails."""
        if self.closed:
            return
        self._ended(self.conn.close(reason))
        self.closed = True


class AsyncEndpoint:
    """The GIOP connection to one endpoint, on one event loop, shared by its callers."""

    def __init__(self, host: str, port: int, loop: asyncio.AbstractEventLoop | None = None, *,
                 connect_timeout: float | None = None, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.host = host
        self.port = int(port)
        self.loop = loop or asyncio.get_running_loop()
        self.connect_timeout = _connect_timeout() if connect_timeout is None else connect_timeout
        self.max_message_size = max_message_size
        self._link: _Link | None = None
        self.connects = 0  # TCP connections opened (tests, diagnostics)
        self.last_drop_reason = ""
        # one timer per endpoint, at the earliest deadline of its calls (not one timer per call)
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._sweep_at = 0.0

    def __repr__(self) -> str:
        return f"AsyncEndpoint({self.host}:{self.port})"

    @property
    def connected(self) -> bool:
        """True while a TCP connection is up (not merely being opened)."""
        link = self._link
        return link is not None and link.transport is not None and not link.closed

    @property
    def dropped_replies(self) -> int:
        """Replies that came for calls nobody waited for any more (on the current connection)."""
        link = self._link
        return link.conn.dropped_replies if link is not None else 0

    # -- calling --------------------------------------------------------------------------------

    def call(self, object_key: bytes, operation: str, write_args: WriteArgs | None, read_result: ReadResult | None,
             timeout: float, version: tuple[int, int], callback: Callback) -> _Call:
        """Send one request; ``callback(value, error)`` is called once, later, from the loop (never
        from inside this call).  Returns the call (``.cancel()`` it to stop waiting).  An argument
        that does not encode raises here, before anything is sent."""
        deadline = self.loop.time() + timeout
        call = _Call(self, object_key, operation, write_args, read_result, version, timeout, deadline, callback)
        self._send(call)
        return call

    def _arm(self, when: float) -> None:
        if self._sweep_timer is not None:
            self._sweep_timer.cancel()
        self._sweep_timer = self.loop.call_at(when, self._sweep)
        self._sweep_at = when

    def _sweep(self) -> None:
        """Time out the calls whose deadline has passed; wake up again at the next deadline."""
        self._sweep_timer = None
        link = self._link
        if link is None:
            return
        now = self.loop.time()
        expired = [call for call in link.calls.values() if call.deadline <= now]
        for call in expired:
            call.expire()
        link = self._link
        if link is not None and link.calls:
            self._arm(min(call.deadline for call in link.calls.values()))

    async def invoke(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
                     read_result: ReadResult | None, timeout: float, version: tuple[int, int] = (1, 2)):
        """Coroutine form of :meth:`call`: the decoded result, or the transport error raised."""
        future = self.loop.create_future()

        def done(value, error, future=future):
            if not future.done():
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)

        call = self.call(object_key, operation, write_args, read_result, timeout, version, done)
        try:
            return await future
        finally:
            call.cancel()  # a no-op once answered; forgets the request if we were cancelled

    def close(self) -> None:
        """Drop the TCP connection; waiting calls fail with ConnectionLost; the next call reconnects."""
        link = self._link
        self._link = None
        if link is not None:
            if link.transport is not None and not link.closed:
                try:
                    link.transport.write(link.conn.send_close_connection())
                except (LocalProtocolError, RuntimeError):
                    pass
            if link.connector is not None and not link.connector.done():
                link.connector.cancel()
            link.abandon("connection closed locally")

    # -- internals ------------------------------------------------------------------------------

    def _send(self, call: _Call) -> None:
        link = self._link
        if link is None or link.closed:
            link = self._open()
        link.send(call)
        if self._sweep_timer is None or call.deadline < self._sweep_at:  # (a re-sent call keeps its deadline)
            self._arm(call.deadline)

    def _open(self) -> _Link:
        link = _Link(self)
        self._link = link
        self.connects += 1
        link.connector = self.loop.create_task(self._connect(link))
        return link

    def _forget(self, link: _Link) -> None:
        if self._link is link:
            self._link = None

    async def _connect(self, link: _Link) -> None:
        try:
            if is_unix(self.host, self.port):  # an omniORB server's unix-domain socket
                connecting = self.loop.create_unix_connection(lambda: link, self.host)
            else:
                connecting = self.loop.create_connection(lambda: link, self.host, self.port)
            await asyncio.wait_for(connecting, self.connect_timeout)
        except asyncio.CancelledError:
            link.abandon("connect cancelled")
            raise
        except BaseException as exc:  # noqa: BLE001 - every waiting call learns why
            if isinstance(exc, asyncio.TimeoutError):  # (not yet TimeoutError itself on Python 3.10)
                exc = TimeoutError()
            error = connect_failed(self.host, self.port, exc, self.connect_timeout)
            self._forget(link)
            link.closed = True
            waiting = list(link.calls.values())
            link.calls.clear()
            for call in waiting:
                call.link = None
                if call.resent:  # the peer went away in the middle of the call
                    call.finish(None, ConnectionLost(self.host, self.port,
                                                     "peer closed the connection and cannot be reached again"))
                else:
                    call.finish(None, error)


# -- one pool of endpoints per event loop --------------------------------------------------------

_pools: dict[asyncio.AbstractEventLoop, dict[tuple[str, int], AsyncEndpoint]] = {}
_pools_lock = threading.Lock()


def _pool(loop: asyncio.AbstractEventLoop) -> dict[tuple[str, int], AsyncEndpoint]:
    pool = _pools.get(loop)
    if pool is None:
        with _pools_lock:
            # a new loop (asyncio.run() again): forget the endpoints of the loops closed since
            for old in [old for old in _pools if old.is_closed()]:
                del _pools[old]
            pool = _pools.setdefault(loop, {})
    return pool


def get_endpoint(host: str, port: int, loop: asyncio.AbstractEventLoop | None = None) -> AsyncEndpoint:
    """The shared endpoint ``host:port`` of ``loop`` (default: the running loop); connected lazily."""
    loop = loop or asyncio.get_running_loop()
    pool = _pool(loop)
    key = (host.lower(), int(port))
    ep = pool.get(key)
    if ep is None:
        ep = pool[key] = AsyncEndpoint(host, port, loop)
    return ep


def close_endpoints(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Close every endpoint of ``loop`` (default: the running loop), e.g. before the loop closes."""
    loop = loop or asyncio.get_running_loop()
    with _pools_lock:
        pool = _pools.pop(loop, {})
    for ep in pool.values():
        ep.close()


# -- running call plans ---------------------------------------------------------------------------

class _PlanRun:
    """Drives one call plan from transport callbacks; completes ``future`` with its outcome."""

    __slots__ = ("plan", "future", "loop", "pool")

    def __init__(self, plan: Plan, future: asyncio.Future, loop: asyncio.AbstractEventLoop,
                 pool: dict[tuple[str, int], AsyncEndpoint]) -> None:
        self.plan = plan
        self.future = future
        self.loop = loop
        self.pool = pool

    def resume(self, value: Any, error: BaseException | None) -> None:
        """Continue the plan with an outcome, until it needs to wait again or ends."""
        future = self.future
        if future.done():  # cancelled meanwhile: the call is dropped (its reply with it)
            self.plan.close()
            return
        plan = self.plan
        while True:
            try:
                step = plan.send(value) if error is None else plan.throw(error)
            except StopIteration as stop:
                future.set_result(stop.value)
                return
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - the caller's outcome
                future.set_exception(exc)
                return
            value, error = None, None
            if type(step) is tuple:  # Invoke
                target, operation, write_args, read_result, timeout = step
                ep = self.pool.get(target.key)
                if ep is None:
                    ep = get_endpoint(target.host, target.port, self.loop)
                try:
                    ep.call(target.object_key, operation, write_args, read_result, timeout, target.version,
                            self.resume)
                except Exception as exc:  # noqa: BLE001 - e.g. an argument that does not encode
                    error = exc
                    continue
                return
            if type(step) is Wait:
                self._wait(step.future, step.timeout)
                return
            if type(step) is Blocking:
                self._wait(blocking_pool().submit(step.fn), None)
                return
            error = TypeError(f"a call plan yielded {step!r}, not a transport step")

    def _wait(self, thread_future: ThreadFuture, timeout: float | None) -> None:
        loop = self.loop
        state = {"done": False}

        def finish(value, error):
            if state["done"]:
                return
            state["done"] = True
            if timer is not None:
                timer.cancel()
            self.resume(value, error)

        def from_any_thread(f: ThreadFuture) -> None:
            def outcome():
                try:
                    finish(f.result(), None)
                except BaseException as exc:  # noqa: BLE001
                    finish(None, exc)
            try:
                loop.call_soon_threadsafe(outcome)
            except RuntimeError:  # loop closed meanwhile
                pass

        timer = None
        if timeout is not None:
            timer = loop.call_later(timeout, finish, None, TimeoutError(f"no result within {timeout} s"))
        thread_future.add_done_callback(from_any_thread)

_last_pool: tuple = (None, None)  # (loop, its endpoints): start_plan's cache of _pool(loop)


def start_plan(plan: Plan, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Future:
    """Run ``plan`` on ``loop`` (default: the running one); an ``asyncio.Future`` of its result.

    The plan starts at once (its first request is written, or queued behind the connect, before
    this returns).  Cancelling the future drops the call: when what the plan waits for comes --
    the reply, which is then dropped, or the call's deadline -- the plan is closed (its
    ``finally`` blocks run) instead of resumed; the connection stays usable.  (Noticed then
    rather than at once: a done-callback on every future would cost each call a loop callback,
    ~10% of a gathered batch.)  Must be called in the loop's thread.
    """
    global _last_pool
    loop = loop or asyncio.get_running_loop()
    cached_loop, pool = _last_pool
    if cached_loop is not loop:
        pool = _pool(loop)
        _last_pool = (loop, pool)
    future = loop.create_future()
    _PlanRun(plan, future, loop, pool).resume(None, None)
    return future
