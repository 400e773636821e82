"""The blocking driver: sockets and threads around the sans-IO GIOP connection.

All GIOP logic (request ids, CodeSets, framing, fragments, matching replies, why a connection
ended) is :class:`tango_core.wire.connection.GIOPConnection`'s.  This module only moves its
octets over a TCP socket, waits with deadlines, and shares one endpoint between threads.

Why one multiplexed connection per endpoint: a Tango server process serves all its devices (and
its admin device) on one port, and GIOP request ids let many calls be in flight on one TCP
connection.  So every DeviceProxy/Database of that endpoint shares one :class:`BlockingEndpoint`,
and replies are handed to waiting callers by request id, which lets 50 threads share one proxy.

Who reads the socket: the callers themselves, "leader/follower" style.  One waiting caller at a
time is the reader; it hands every reply it reads to its owner, and when its own reply has come
it steps down and another waiting caller takes over.  A lone caller therefore reads its own
reply with no thread switch (a dedicated reader thread made every call ~5x slower: two context
switches per reply).  An idle connection has no reader; a CloseConnection/EOF that arrived
meanwhile is read after the next request went out, and that request is re-sent.

Behaviour a caller can rely on:

* ``invoke`` never blocks longer than its ``timeout`` (connect + send + wait): every socket
  operation runs with the socket timeout set to what is left.  When the time runs out it raises
  :class:`CallTimeout`; the connection stays usable (a late reply is dropped by id) -- unless
  part of a reply had been received and no other call waits on the connection: then the
  connection is closed, so that nothing half received is kept (a header announcing 255 MiB
  cannot pin memory in the pool).
* A refused/unreachable endpoint raises :class:`ConnectFailed` at once; the connect itself is
  bounded by ``connect_timeout`` (env ``TANGOconnectTimeout`` in ms, default 2 s) and by what is
  left of the call's timeout.
* When the peer sends CloseConnection (omniORB does after ~180 s idle) or closes the socket, the
  connection is dropped and every request that had no reply yet is re-sent once on a fresh
  connection.  If the re-send cannot be done the caller gets :class:`ConnectionLost`.
* Garbage, a message over the size limit or a MessageError from the peer drop the connection and
  fail the waiting calls with :class:`ConnectionLost`.
* Ctrl-C in the middle of a write drops the connection (the stream may hold half a message);
  in the middle of a wait it just abandons the call.  A forked child starts with no connections.

The transport raises only ``transport.errors`` (plus ``wire`` codec errors from a caller's
``read_result`` and encoding errors from its ``write_args``); it knows nothing of Tango.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
from typing import Callable

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.connection import NEED_DATA, ConnectionClosed, GIOPConnection, LocalProtocolError, Role
from ..wire.giop import DEFAULT_MAX_MESSAGE_SIZE, Reply
from . import calls_to_self
from .connect import open_stream
from .calls import reply_result
from .errors import CallTimeout, ConnectFailed, ConnectionLost
from .idle_cpu import has_idle_core

__all__ = ["BlockingEndpoint", "get_endpoint", "drop_endpoint", "close_all_endpoints", "default_connect_timeout"]

DEFAULT_CONNECT_TIMEOUT = 2.0  # seconds, when TANGOconnectTimeout is not set

WriteArgs = Callable[[CDRWriter], None]
ReadResult = Callable[[CDRReader], object]

_monotonic = time.monotonic


def default_connect_timeout() -> float:
    """Connect timeout in seconds: ``TANGOconnectTimeout`` (ms) or 2 s."""
    value = os.environ.get("TANGOconnectTimeout")
    if value:
        try:
            ms = int(value)
            if ms > 0:
                return ms / 1000.0
        except ValueError:
            pass
    return DEFAULT_CONNECT_TIMEOUT


DEFAULT_REPLY_SPIN_US = 50


def reply_spin_seconds() -> float:
    """How long a lone caller polls for its reply before it sleeps in ``recv``: env
    ``TANGO_CORE_REPLY_SPIN_US`` (microseconds, 0 = never), default 50 us.

    Why: a thread that sleeps in ``recv`` and is woken by the reply pays the scheduler's wake-up
    (and on virtual machines the idle CPU's wake-up): 30-60 us measured here, as much as the
    whole round trip of a ``state()`` to a local server.  Polling first, without sleeping, for
    about one local round trip reads a quick reply at once; a slower reply costs at most this
    much CPU more before the caller sleeps as usual.  Nobody polls while other callers wait on
    the same connection (their replies keep the reader busy anyway), nor while the machine has
    no idle core (``idle_cpu.has_idle_core``: the poll would hold the core the server needs),
    and an endpoint whose replies keep missing the poll (a slow device) polls less and less often.
    """
    value = os.environ.get("TANGO_CORE_REPLY_SPIN_US")
    if value:
        try:
            return max(0.0, min(float(value), 10_000.0)) * 1e-6
        except ValueError:
            pass
    return DEFAULT_REPLY_SPIN_US * 1e-6


class _Pending:
    """A caller waiting for the reply to one request (fields guarded by the endpoint's state lock).

    A caller that waits while another reads sleeps on its own ``wake`` lock (held while it
    sleeps, released by whoever has its reply or hands it the reading), so a reply wakes its
    owner only -- never every waiting thread.
    """

    __slots__ = ("rid", "done", "reply", "error", "retryable", "wake", "sleeping", "unsent")

    def __init__(self, rid: int) -> None:
        self.rid = rid
        self.done = False
        self.reply: Reply | None = None
        self.error: Exception | None = None
        self.retryable = False
        self.unsent = False  # the link ended while the request still waited in its outbox
        self.wake: threading.Lock | None = None  # made on the first sleep
        self.sleeping = False

    def wake_up(self) -> None:
        """(Caller holds the state lock.)"""
        if self.sleeping:
            self.sleeping = False
            self.wake.release()


def _timeval(seconds: float) -> bytes:
    usec = max(1, int(seconds * 1e6))  # 0 would mean "no timeout"
    return _TIMEVAL.pack(usec // 1_000_000, usec % 1_000_000)


_TIMEVAL = struct.Struct("@ll")
_WAITALL = getattr(socket, "MSG_WAITALL", 0)
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
#: a request larger than this is written in slices, the deadline checked between them
_SEND_SLICE = 1024 * 1024


class _Link:
    """One TCP connection of an endpoint (a new one after each reconnect) and its GIOP state.

    The socket is in blocking mode; deadlines are the kernel's (SO_RCVTIMEO / SO_SNDTIMEO), set
    only when the time left of a call falls outside [t, 2t] of what is set, so that a run of calls
    with the same timeout costs no extra system call.  A receive that times out early is simply
    repeated with a shorter timeout.
    """

    __slots__ = ("sock", "conn", "waiters", "sleepers", "dead", "leader", "poll", "reader_poll", "rcvtimeo",
                 "sndtimeo", "local", "outbox", "closing")

    def __init__(self, sock: socket.socket, max_message_size: int) -> None:
        self.sock = sock
        self.conn = GIOPConnection(Role.CLIENT, max_message_size=max_message_size)
        self.waiters: dict[int, _Pending] = {}
        self.sleepers: dict[int, _Pending] = {}  # waiters asleep while another reads, oldest first
        self.dead = False
        self.leader = False  # a caller is reading this socket
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        self.poll = poller.poll  # poll(0): did anything arrive (a close?) while the link was idle
        # the reader's own (a poll object refuses two threads at once; the sender polls the other)
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        self.reader_poll = poller.poll
        self.rcvtimeo = 0.0
        self.sndtimeo = 0.0
        self.local: tuple[str, int] | None = None  # our address, noted when this process also serves
        # requests encoded while another thread was writing, and their callers (see _send)
        self.outbox: list[tuple[_Pending, bytes]] = []
        self.closing = False  # close() has begun: no more requests join the outbox

    def receive_timeout(self, remaining: float) -> None:
        """Make SO_RCVTIMEO at most ``remaining`` (the callers skip the call when it is already
        in [remaining/2, remaining])."""
        if not (remaining >= self.rcvtimeo >= 0.5 * remaining):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(remaining))
            self.rcvtimeo = remaining

    def send_timeout(self, remaining: float) -> None:
        """Make SO_SNDTIMEO at most ``remaining`` (as receive_timeout)."""
        if not (remaining >= self.sndtimeo >= 0.5 * remaining):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(remaining))
            self.sndtimeo = remaining


class BlockingEndpoint:
    """One endpoint (host, port): a TCP connection, re-opened on demand, shared and thread-safe.

    Locks: ``_send_lock`` serialises connecting and writing whole requests (whoever releases it
    writes the outbox after, see :meth:`_flush_outbox`); ``_encode_lock``
    guards the sending side of the GIOP connection (request ids) and the link's outbox: a
    request made while another thread holds the send lock is encoded into the outbox, and the
    holder writes it (with any others queued meanwhile, in one system call) before it lets go,
    and looks at the outbox again after (the queuing thread tried the lock after queuing, so
    nothing is left behind).  Why: with many threads on one endpoint, waiting for the send lock
    cost most calls a sleep, a wake-up and a GIL hand-over (0.7 per call with 40 threads).
    ``_state_lock`` guards the link, the leader flag, the sleepers and every receive-side call into the GIOP connection.
    The leader receives from the socket holding neither; other waiters sleep on their own lock
    (see :class:`_Pending`): the leader wakes the owner of each reply, and when it steps down,
    the oldest sleeper, to read next.  A waiter is added to ``link.waiters``
    without a lock (one dict store) and re-checks ``link.dead`` afterwards: ``_kill_locked``
    marks the link dead before it takes the waiters, so a waiter it missed sees ``dead``.
    """

    def __init__(self, host: str, port: int, connect_timeout: float | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.host = host
        self.port = int(port)
        self.connect_timeout = default_connect_timeout() if connect_timeout is None else connect_timeout
        self.max_message_size = max_message_size
        self.reply_spin = reply_spin_seconds()  # see reply_spin_seconds (0: sleep in recv at once)
        self._spin_misses = 0  # polls in vain in a row, and calls left that skip the poll: see _spin_missed
        self._spin_skips = 0
        self._send_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._link: _Link | None = None
        self.connects = 0            # TCP connections opened (tests, diagnostics)
        self.last_drop_reason = ""   # why the last TCP connection was dropped (diagnostics)

    def __repr__(self) -> str:
        return f"BlockingEndpoint({self.host}:{self.port})"

    # -- public API -------------------------------------------------------------------------

    def invoke(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
               read_result: ReadResult | None, timeout: float, version: tuple[int, int] = (1, 2)):
        """Send one request and wait for its reply; return ``read_result(body)`` (or None).

        Raises ConnectFailed, CallTimeout, ConnectionLost, SystemExceptionReply,
        UserExceptionReply or LocationForward.
        """
        deadline = _monotonic() + timeout
        resent = False
        unsent_retries = 0
        while True:
            try:
                link, pending = self._send(object_key, operation, write_args, version, deadline, timeout)
            except ConnectFailed:
                if resent:  # the peer went away in the middle of our call
                    raise ConnectionLost(self.host, self.port,
                                         "peer closed the connection and cannot be reached again") from None
                raise
            if not pending.done:
                if calls_to_self.noting:  # the server of this process may be the one we call
                    key = calls_to_self.waiting(link.local or self._local_address(link), pending.rid)
                    try:
                        answered = self._await(link, pending, deadline)
                    finally:
                        calls_to_self.done(key)
                else:
                    answered = self._await(link, pending, deadline)
                if not answered:
                    raise CallTimeout(self.host, self.port, operation, timeout)
            if pending.error is not None:
                if pending.unsent and unsent_retries < 3:
                    # never written: the server knows nothing of it, so this is no re-send
                    unsent_retries += 1
                    continue
                if pending.retryable and not resent:
                    resent = True
                    continue
                raise pending.error
            reply = pending.reply
            if reply.status == 0:  # ReplyStatus.NO_EXCEPTION, the common case, inline
                return read_result(reply.body) if read_result is not None else None
            return reply_result(reply, read_result)

    def close(self) -> None:
        """Drop the TCP connection (politely, with CloseConnection); the next call reconnects."""
        with self._state_lock:
            link = self._link
        if link is None:
            return
        link.closing = True  # a request made from now on waits for the send lock, then reconnects
        # never in the middle of another thread's message: take the send lock (briefly)
        if self._send_lock.acquire(timeout=1.0):
            try:
                with self._encode_lock:
                    data = link.conn.send_close_connection()
                link.send_timeout(0.5)
                link.sock.sendall(data)
            except OSError:
                pass
            finally:
                self._send_lock.release()
        self._kill(link, "connection closed by the client", retryable=False)

    @staticmethod
    def _local_address(link: _Link) -> tuple[str, int]:
        try:
            name = link.sock.getsockname()
        except OSError:
            name = ("", 0)
        # a unix-domain client socket has no name of its own: a key no TCP peer can have
        link.local = name[:2] if isinstance(name, tuple) else (f"unix:{name}", id(link))
        return link.local

    @property
    def connected(self) -> bool:
        """True while a TCP connection is open (an idle one is checked for a peer close first)."""
        with self._send_lock:
            with self._state_lock:
                link = self._link
                idle = link is not None and not link.dead and not link.waiters and not link.leader
            if idle and link.poll(0):
                self._check_idle(link)
        # every holder of the send lock writes what was queued meanwhile (see _send)
        if link is not None and link.outbox:
            self._flush_outbox(link, _monotonic() + 1.0)
        link = self._link
        return link is not None and not link.dead

    # -- sending ----------------------------------------------------------------------------

    def _send(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
              version: tuple[int, int], deadline: float, timeout: float) -> tuple[_Link, _Pending]:
        lock = self._send_lock
        if not lock.acquire(False):
            # Another thread is writing.  On a live connection our request joins its outbox and
            # that thread writes it after its own (see _write_outbox): no sleeping on the lock
            # and waking up again, which cost a thread switch and a GIL hand-over per call when
            # many threads share an endpoint.
            link = self._link
            if link is not None and not link.dead:
                pending = self._queue(link, object_key, operation, write_args, version)
                if pending is not None:
                    self._flush_outbox(link, deadline)  # in case the writer finished meanwhile
                    return link, pending
            # connecting (up to connect_timeout), or writing a big message: wait for it no
            # longer than this call may take
            if not lock.acquire(True, max(0.0, deadline - _monotonic())):
                raise CallTimeout(self.host, self.port, operation, timeout)
        link = None
        try:
            for attempt in (1, 2):
                link = self._link
                if link is not None and not link.waiters and not link.leader and link.poll(0):
                    # something arrived while nobody was reading: on an idle link, a close by
                    # the peer (stopped server, omniORB's idle scan), noticed before we send.
                    # (A busy link is not polled: the poll is a system call that lets other
                    # threads take the GIL, and its answer would be for the reader anyway.)
                    with self._state_lock:
                        idle = not link.dead and not link.waiters and not link.leader
                    if idle:
                        self._check_idle(link)
                if link is None or link.dead:
                    link = self._open_link(deadline)
                try:
                    with self._encode_lock:
                        rid, data = link.conn.send_request(object_key, operation, write_args, version=version)
                except LocalProtocolError:  # the link ended meanwhile
                    continue
                pending = _Pending(rid)
                link.waiters[rid] = pending
                if link.dead:  # it ended meanwhile (see the class docstring)
                    continue
                try:
                    remaining = deadline - _monotonic()
                    if remaining <= 0:
                        raise socket.timeout
                    if not remaining >= link.sndtimeo >= 0.5 * remaining:
                        link.send_timeout(remaining)
                    if len(data) <= _SEND_SLICE:
                        link.sock.sendall(data)
                    else:
                        self._send_big(link, data, deadline)
                except (socket.timeout, BlockingIOError):
                    # A half-written message corrupts the stream: this link is finished.
                    self._kill(link, "send timed out", retryable=True)
                    raise CallTimeout(self.host, self.port, operation, timeout) from None
                except OSError as exc:
                    # The peer closed/reset the socket before taking our request: nothing was
                    # processed, so one more try on a fresh connection is safe.
                    self._kill(link, f"send failed: {exc.strerror or exc}", retryable=True)
                    if attempt == 1:
                        continue
                    raise ConnectionLost(self.host, self.port, f"send failed: {exc.strerror or exc}") from None
                except BaseException:
                    # e.g. Ctrl-C in the shell in the middle of a big write: the stream may hold half a
                    # message, so this connection cannot be used any more
                    self._kill(link, "interrupted while sending", retryable=True)
                    raise
                if link.outbox:
                    self._write_outbox(link, deadline)
                return link, pending
            raise ConnectionLost(self.host, self.port, "connection dropped while sending")
        finally:
            lock.release()
            if link is not None and link.outbox:
                self._flush_outbox(link, deadline)

    def _queue(self, link: _Link, object_key: bytes, operation: str, write_args: WriteArgs | None,
               version: tuple[int, int]) -> _Pending | None:
        """Encode a request into ``link``'s outbox; None if the link ended (or the request is too
        big to wait there), for the caller to send it the usual way."""
        with self._encode_lock:
            if link.dead or link.closing:
                return None
            try:
                rid, data = link.conn.send_request(object_key, operation, write_args, version=version)
            except LocalProtocolError:  # the link ended meanwhile
                return None
            if len(data) > _SEND_SLICE:
                link.conn.forget(rid)
                return None
            pending = _Pending(rid)
            link.waiters[rid] = pending  # (an end of the link, under this lock too, will fail it)
            link.outbox.append((pending, data))
        return pending

    def _flush_outbox(self, link: _Link, deadline: float) -> None:
        """Write what waits in the outbox, unless another thread is writing (it will then: it
        looks at the outbox after it releases the send lock, and our request was queued before)."""
        lock = self._send_lock
        while link.outbox and not link.dead and lock.acquire(False):
            try:
                self._write_outbox(link, deadline)
            finally:
                lock.release()

    def _write_outbox(self, link: _Link, deadline: float) -> None:
        """(Caller holds the send lock.)  Write the queued requests, all in one system call.
        A failure ends the link, and each of their callers learns it from its own wait."""
        while not link.dead:
            with self._encode_lock:
                batch, link.outbox = link.outbox, []
            if not batch:
                return
            try:
                link.send_timeout(max(deadline - _monotonic(), 0.1))  # others' requests: at least 0.1 s
                link.sock.sendall(batch[0][1] if len(batch) == 1 else b"".join([data for _, data in batch]))
            except (socket.timeout, BlockingIOError):
                self._kill(link, "send timed out", retryable=True)
            except OSError as exc:
                self._kill(link, f"send failed: {exc.strerror or exc}", retryable=True)
            except BaseException:
                self._kill(link, "interrupted while sending", retryable=True)
                raise

    @staticmethod
    def _send_big(link: _Link, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        sent, total = 0, len(data)
        while sent < total:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                raise socket.timeout
            link.send_timeout(remaining)
            sent += link.sock.send(view[sent:sent + _SEND_SLICE])

    def _open_link(self, deadline: float) -> _Link:
        """Connect (caller holds _send_lock)."""
        remaining = deadline - _monotonic()
        if remaining <= 0:
            raise ConnectFailed(self.host, self.port, "no time left to connect", timed_out=True)
        # TCP, or an omniORB server's unix-domain socket
        sock = open_stream(self.host, self.port, min(self.connect_timeout, remaining))
        sock.settimeout(None)  # blocking; deadlines are SO_RCVTIMEO / SO_SNDTIMEO (see _Link)
        link = _Link(sock, self.max_message_size)
        with self._state_lock:
            self._link = link
        self.connects += 1
        return link

    # -- receiving --------------------------------------------------------------------------

    def _await(self, link: _Link, pending: _Pending, deadline: float) -> bool:
        """Wait for ``pending``, reading the socket ourselves when nobody else does ("leader").
        False on timeout (the request is then forgotten; a late reply is dropped)."""
        lock, conn, sock, reply_spin = self._state_lock, link.conn, link.sock, self.reply_spin
        try:
            while True:
                with lock:
                    if pending.done:
                        return True
                    remaining = deadline - _monotonic()
                    if remaining <= 0:
                        self._abandon(link, pending.rid)
                        return False
                    leading = not link.leader and not link.dead
                    if leading:
                        link.leader = True
                        view = conn.get_buffer()
                        flags = _WAITALL if conn.exact_buffer else 0
                    else:
                        if pending.wake is None:
                            pending.wake = threading.Lock()
                            pending.wake.acquire()
                        pending.sleeping = True
                        link.sleepers[pending.rid] = pending
                if not leading:
                    if not pending.wake.acquire(True, remaining):
                        with lock:
                            if pending.sleeping:  # nobody woke us: time is up
                                pending.sleeping = False
                                link.sleepers.pop(pending.rid, None)
                            else:  # woken just now: take that release back, then look again
                                pending.wake.acquire(False)
                    continue
                # The leader: receive and hand out replies until ours came, the link ended or
                # time is up.  Each view of the receive buffer is released before the next is
                # asked for, so that a big frame's buffer can grow in place.
                try:
                    if reply_spin and not link.sleepers and has_idle_core():
                        if self._spin_skips:
                            self._spin_skips -= 1
                        else:
                            # poll a few tens of microseconds before sleeping in recv: see reply_spin_seconds
                            poll, end = link.reader_poll, min(_monotonic() + reply_spin, deadline)
                            while not poll(0):
                                if _monotonic() >= end:  # in vain: poll less often (see _spin_missed)
                                    self._spin_missed()
                                    break
                            else:
                                self._spin_misses = 0
                            remaining = deadline - _monotonic()
                    while True:
                        try:
                            if not remaining >= link.rcvtimeo >= 0.5 * remaining:
                                link.receive_timeout(remaining)
                            n = sock.recv_into(view, 0, flags)
                        except BlockingIOError:  # SO_RCVTIMEO ran out (maybe early: see _Link)
                            n = -1
                        except (OSError, ValueError) as exc:  # reset; EBADF/ValueError: closed under us
                            view = None
                            self._kill(link, f"receive failed: {getattr(exc, 'strerror', None) or exc}",
                                       retryable=True)
                            break
                        view = None
                        with lock:
                            if n >= 0:
                                conn.buffer_updated(n)
                                self._dispatch_locked(link)
                            remaining = deadline - _monotonic()
                            if pending.done or link.dead or remaining <= 0:
                                self._step_down(link)
                                leading = False
                                break
                            view = conn.get_buffer()
                            flags = _WAITALL if conn.exact_buffer else 0
                finally:
                    if leading:
                        with lock:
                            self._step_down(link)
                if pending.done:
                    return True
        except BaseException:  # Ctrl-C: the call is abandoned like a timed-out one
            with lock:
                link.sleepers.pop(pending.rid, None)
                pending.sleeping = False
                self._abandon(link, pending.rid)
            raise

    def _spin_missed(self) -> None:
        """The reply did not come while polling: after k polls in vain in a row, the next
        2**k - 1 calls (at most 255) sleep at once.  On a busy machine, where replies take
        longer than the poll, this keeps the poll's CPU cost near nothing; one reply that comes
        in time makes every call poll again.  (Unlocked counters: a lost update only shifts
        when the next poll happens.)"""
        misses = self._spin_misses = min(self._spin_misses + 1, 8)
        self._spin_skips = (1 << misses) - 1

    @staticmethod
    def _step_down(link: _Link) -> None:
        """The leader stops reading; the oldest sleeper reads next (caller holds _state_lock)."""
        link.leader = False
        sleepers = link.sleepers
        if sleepers:
            rid = next(iter(sleepers))
            sleepers.pop(rid).wake_up()

    def _abandon(self, link: _Link, rid: int) -> None:
        """A call ran out of time (caller holds _state_lock)."""
        link.waiters.pop(rid, None)
        link.conn.forget(rid)
        if not link.dead and not link.leader and not link.waiters and link.conn.frame_in_progress:
            # part of a reply is held and nobody waits for anything: drop it with the connection
            self._kill_locked(link, "a call timed out with a reply half received", retryable=False)

    def _dispatch_locked(self, link: _Link) -> None:
        """Hand every complete reply to its waiter, waking it if it sleeps (caller holds _state_lock)."""
        conn, waiters, sleepers = link.conn, link.waiters, link.sleepers
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                break
            if type(event) is ConnectionClosed:
                self._kill_locked(link, event.reason, event.retryable, event.partly_answered)
                return
            waiter = waiters.pop(event.request_id, None)
            if waiter is not None:
                waiter.reply = event
                waiter.done = True
                if waiter.sleeping:
                    sleepers.pop(waiter.rid, None)
                    waiter.wake_up()

    def _check_idle(self, link: _Link) -> None:
        """Did the peer close an idle connection (or send anything) meanwhile?  (No waiting.)"""
        with self._state_lock:
            view = link.conn.get_buffer()
        try:
            n = link.sock.recv_into(view, 0, _DONTWAIT)
        except BlockingIOError:
            return
        except (OSError, ValueError):
            self._kill(link, "connection broken while idle", retryable=True)
            return
        finally:
            view = None
        with self._state_lock:
            link.conn.buffer_updated(n)
            self._dispatch_locked(link)

    def _kill(self, link: _Link, reason: str, retryable: bool) -> None:
        with self._state_lock:
            self._kill_locked(link, reason, retryable)

    def _kill_locked(self, link: _Link, reason: str, retryable: bool, partly_answered: tuple[int, ...] = ()) -> None:
        """Mark ``link`` dead, close its socket and fail (or release for re-send) its waiters;
        never for re-send the calls part of whose reply had come (the server ran them)."""
        if self._link is link:
            self._link = None
        if link.dead:
            return
        if not partly_answered:
            partly_answered = link.conn.partly_answered()
        with self._encode_lock:  # (state lock, then encode lock: the one order both are taken in)
            link.dead = True  # before taking the waiters: see the class docstring
            link.conn.close(reason)  # drops whatever was half received
            waiters, link.waiters = link.waiters, {}
            for pending, _data in link.outbox:
                pending.unsent = True
            link.outbox = []
        self.last_drop_reason = reason
        try:
            link.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            link.sock.close()
        except OSError:
            pass
        for pending in waiters.values():
            pending.error = ConnectionLost(self.host, self.port, reason)
            pending.retryable = retryable and pending.rid not in partly_answered
            pending.done = True
        sleepers, link.sleepers = link.sleepers, {}
        for pending in sleepers.values():  # done, or (a forgotten one) left to find the link dead
            pending.wake_up()


# -- process-wide pool --------------------------------------------------------------------------

_pool: dict[tuple[str, int], BlockingEndpoint] = {}
_pool_lock = threading.Lock()


def get_endpoint(host: str, port: int) -> BlockingEndpoint:
    """The shared endpoint ``host:port`` (created on first use, connected lazily)."""
    key = (host.lower(), int(port))
    endpoint = _pool.get(key)
    if endpoint is not None:
        return endpoint
    with _pool_lock:
        endpoint = _pool.get(key)
        if endpoint is None:
            endpoint = _pool[key] = BlockingEndpoint(host, int(port))
        return endpoint


def drop_endpoint(host: str, port: int) -> None:
    """Close and forget the pooled endpoint ``host:port`` (if any)."""
    with _pool_lock:
        endpoint = _pool.pop((host.lower(), int(port)), None)
    if endpoint is not None:
        endpoint.close()


def close_all_endpoints() -> None:
    """Close every pooled endpoint (tests, interpreter shutdown)."""
    with _pool_lock:
        endpoints = list(_pool.values())
        _pool.clear()
    for endpoint in endpoints:
        endpoint.close()


def _forget_pool_after_fork() -> None:
    """A forked child must not share the parent's TCP connections (replies would interleave):
    it starts with an empty pool; its copies of the parent's sockets are simply closed."""
    global _pool_lock
    _pool_lock = threading.Lock()
    old = list(_pool.values())
    _pool.clear()
    for endpoint in old:
        link = endpoint._link
        if link is not None:
            try:
                link.sock.close()
            except OSError:
                pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)
