"""Blocking-socket GIOP connections, one per server endpoint, shared by every proxy.

Why one multiplexed connection per endpoint: a Tango server process serves all
its devices (and its admin device) on one port, and GIOP request ids let many
calls be in flight on one TCP connection.  So every DeviceProxy/Database of that
endpoint shares one :class:`GIOPConnection`, and replies are matched to waiting
callers by request id, which lets 50 threads share one proxy.

Who reads the socket: the callers themselves, "leader/follower" style.  One waiting
caller at a time is the reader; it hands every reply it reads to its owner, and
when its own reply has come it steps down and another waiting caller takes over.
A lone caller therefore reads its own reply with no thread switch (a dedicated
reader thread made every call ~5x slower: two context switches per reply).  An
idle connection has no reader; a CloseConnection/EOF that arrived meanwhile is
noticed just before the next request is sent (or by the read that follows it).

Behaviour a caller can rely on:

* ``invoke`` never blocks longer than its ``timeout`` (connect + send + wait);
  when it runs out it raises :class:`CallTimeout` and the connection stays usable
  (a late reply is dropped by id).
* A refused/unreachable endpoint raises :class:`ConnectFailed` at once; the connect
  itself is bounded by ``connect_timeout`` (env ``TANGOconnectTimeout`` in ms,
  default 2 s) and by what is left of the call's timeout.
* GIOP 1.2 requests carry the CodeSets service context on the first 1.2 request
  of each TCP connection, as omniORB does; 1.0 requests carry none.
* When the peer sends CloseConnection (omniORB does after ~180 s idle) or just
  closes the socket, the connection is dropped, and every request that had no
  reply yet is re-sent once on a fresh connection.  If the re-send cannot be done
  the caller gets :class:`ConnectionLost`.
* Garbage, a message over the size limit or a MessageError from the peer drop
  the connection and fail the waiting calls with :class:`ConnectionLost`.

The transport raises only ``transport.errors`` (plus ``wire`` codec errors from a
caller's ``read_result``); it knows nothing of Tango.
"""

from __future__ import annotations

import itertools
import os
import select
import socket
import threading
import time
from typing import Callable

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import CodecError, MarshalError, MessageTooLarge
from ..wire.giop import (CODESETS_CONTEXT, DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, CloseConnection, MessageError,
                         MsgType, Reply, ReplyStatus, build_close_connection, build_request,
                         parse_header, parse_message)
from .errors import (CallTimeout, ConnectFailed, ConnectionLost, LocationForward, SystemExceptionReply,
                     UserExceptionReply)

__all__ = ["GIOPConnection", "get_connection", "drop_connection", "close_all_connections",
           "default_connect_timeout"]

DEFAULT_CONNECT_TIMEOUT = 2.0  # seconds, when TANGOconnectTimeout is not set
_RECV_SIZE = 256 * 1024
_BIG_FRAME = 64 * 1024  # frames larger than this are received with recv_into into one exact-size buffer

WriteArgs = Callable[[CDRWriter], None]
ReadResult = Callable[[CDRReader], object]


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


class _Pending:
    """A caller waiting for the reply to one request (fields guarded by the connection's condition)."""

    __slots__ = ("done", "reply", "error", "retryable")

    def __init__(self) -> None:
        self.done = False
        self.reply: Reply | None = None
        self.error: Exception | None = None
        self.retryable = False


class _Link:
    """One TCP connection of a GIOPConnection (a new one after each reconnect)."""

    def __init__(self, sock: socket.socket, max_message_size: int) -> None:
        self.sock = sock
        # receive state, used only by the current leader (or an idle check under the send lock)
        self.buf = bytearray()          # bytes read but not yet framed
        self.big: bytearray | None = None  # a large frame being received straight into its own buffer
        self.big_got = 0
        self.chains: dict[int | None, bytearray] = {}  # fragment chains being reassembled, by request id
        self.pending: dict[int, _Pending] = {}
        self.codesets_sent = False
        self.used_12 = False
        self.dead = False
        self.leader = False  # a caller is reading this socket


class GIOPConnection:
    """One endpoint (host, port): a TCP connection, re-opened on demand, shared and thread-safe."""

    def __init__(self, host: str, port: int, connect_timeout: float | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.host = host
        self.port = int(port)
        self.connect_timeout = default_connect_timeout() if connect_timeout is None else connect_timeout
        self.max_message_size = max_message_size
        self._send_lock = threading.Lock()   # serialises connect + writing one whole message
        self._state_lock = threading.Lock()  # guards _link, the pending tables and the leader flag
        self._cv = threading.Condition(self._state_lock)
        self._link: _Link | None = None
        self._ids = itertools.count(2, 2)    # omniORB's numbering; any unique scheme is legal
        self.connects = 0                    # number of TCP connections opened (for tests/diagnostics)
        self.last_drop_reason = ""           # why the last TCP connection was dropped (diagnostics)

    def __repr__(self) -> str:
        return f"GIOPConnection({self.host}:{self.port})"

    # -- public API -------------------------------------------------------------------------

    def invoke(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
               read_result: ReadResult | None, timeout: float, version: tuple[int, int] = (1, 2)):
        """Send one request and wait for its reply; return ``read_result(body)`` (or None).

        Raises ConnectFailed, CallTimeout, ConnectionLost, SystemExceptionReply,
        UserExceptionReply or LocationForward.
        """
        deadline = time.monotonic() + timeout
        resent = False
        while True:
            try:
                link, rid, pending = self._send(object_key, operation, write_args, version, deadline, timeout)
            except ConnectFailed:
                if resent:  # the peer went away in the middle of our call
                    raise ConnectionLost(self.host, self.port, "peer closed the connection and cannot be reached again")
                raise
            if not self._await(link, rid, pending, deadline):
                raise CallTimeout(self.host, self.port, operation, timeout)
            if pending.error is not None:
                if pending.retryable and not resent:
                    resent = True
                    continue
                raise pending.error
            return self._result(pending.reply, read_result)

    def close(self) -> None:
        """Drop the TCP connection (politely, with CloseConnection); the next call reconnects."""
        with self._state_lock:
            link = self._link
        if link is None:
            return
        # never in the middle of another thread's message: take the send lock (briefly)
        if self._send_lock.acquire(timeout=1.0):
            try:
                version = (1, 2) if link.used_12 else (1, 0)
                link.sock.send(build_close_connection(version=version))
            except OSError:
                pass
            finally:
                self._send_lock.release()
        self._kill(link, "connection closed by the client", retryable=False)

    @property
    def connected(self) -> bool:
        """True while a TCP connection is open (an idle one is checked for a peer close first)."""
        with self._send_lock:
            with self._state_lock:
                link = self._link
                idle = link is not None and not link.dead and not link.pending and not link.leader
            if idle:
                self._check_idle(link)
            link = self._link
            return link is not None and not link.dead

    # -- sending ----------------------------------------------------------------------------

    def _send(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
              version: tuple[int, int], deadline: float, timeout: float) -> tuple[_Link, int, _Pending]:
        # another thread may be connecting (up to connect_timeout) or writing a big message:
        # wait for it no longer than this call may take
        if not self._send_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise CallTimeout(self.host, self.port, operation, timeout)
        try:
            return self._send_locked(object_key, operation, write_args, version, deadline, timeout)
        finally:
            self._send_lock.release()

    def _send_locked(self, object_key: bytes, operation: str, write_args: WriteArgs | None,
                     version: tuple[int, int], deadline: float, timeout: float) -> tuple[_Link, int, _Pending]:
        for attempt in (1, 2):
            link = self._live_link(deadline)
            rid = next(self._ids)
            contexts = ()
            if version >= (1, 2):
                link.used_12 = True
                if not link.codesets_sent:
                    contexts = (CODESETS_CONTEXT,)
            msg = build_request(rid, object_key, operation, write_args, version=version,
                                service_contexts=contexts)
            pending = _Pending()
            with self._state_lock:
                if link.dead:
                    continue
                link.pending[rid] = pending
            try:
                self._send_all(link.sock, msg, deadline)
            except socket.timeout:
                # A half-written message corrupts the stream: this link is finished.
                self._kill(link, "send timed out", retryable=True)
                with self._state_lock:
                    link.pending.pop(rid, None)
                raise CallTimeout(self.host, self.port, operation, timeout) from None
            except OSError as exc:
                # The peer closed/reset the socket before taking our request: nothing was
                # processed, so one more try on a fresh connection is safe.
                self._kill(link, f"send failed: {exc}", retryable=True)
                with self._state_lock:
                    link.pending.pop(rid, None)
                if attempt == 1:
                    continue
                raise ConnectionLost(self.host, self.port, f"send failed: {exc}") from None
            except BaseException:
                # e.g. Ctrl-C in the shell in the middle of a big write: the stream may hold half a
                # message, so this connection cannot be used any more
                self._kill(link, "interrupted while sending", retryable=True)
                with self._state_lock:
                    link.pending.pop(rid, None)
                raise
            if contexts:
                link.codesets_sent = True
            return link, rid, pending
        raise ConnectionLost(self.host, self.port, "connection dropped while sending")

    @staticmethod
    def _send_all(sock: socket.socket, msg: bytes, deadline: float) -> int:
        """Write all of ``msg`` on the non-blocking socket before ``deadline`` (socket.timeout if not)."""
        view = memoryview(msg)
        total = 0
        while total < len(msg):
            try:
                total += sock.send(view[total:total + 4 * 1024 * 1024])
                continue
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("send deadline")
            _, writable, _ = select.select([], [sock], [], remaining)
            if not writable:
                raise socket.timeout("send deadline")
        return total

    def _live_link(self, deadline: float) -> _Link:
        """The current link, connecting first if there is none (caller holds _send_lock)."""
        with self._state_lock:
            link = self._link
            idle = link is not None and not link.dead and not link.pending and not link.leader
        if idle:
            self._check_idle(link)
        with self._state_lock:
            link = self._link
            if link is not None and not link.dead:
                return link
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ConnectFailed(self.host, self.port, "no time left to connect", timed_out=True)
        sock = self._connect(min(self.connect_timeout, remaining))
        link = _Link(sock, self.max_message_size)
        with self._state_lock:
            self._link = link
        self.connects += 1
        return link

    def _connect(self, timeout: float) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except socket.timeout:
            raise ConnectFailed(self.host, self.port, f"connect timed out after {timeout:g} s",
                                timed_out=True) from None
        except socket.gaierror as exc:
            raise ConnectFailed(self.host, self.port, f"unknown host ({exc.strerror})") from None
        except ConnectionRefusedError:
            raise ConnectFailed(self.host, self.port, "connection refused") from None
        except OSError as exc:
            raise ConnectFailed(self.host, self.port, exc.strerror or str(exc)) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)  # every wait is our own select() with the call's deadline
        return sock

    # -- receiving --------------------------------------------------------------------------

    def _await(self, link: _Link, rid: int, pending: _Pending, deadline: float) -> bool:
        """Wait for ``pending`` (reading the socket ourselves when nobody else does).
        False on timeout (the request is then forgotten; a late reply is dropped)."""
        while True:
            with self._cv:
                while True:
                    if pending.done:
                        return True
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        link.pending.pop(rid, None)
                        return False
                    if not link.leader and not link.dead:
                        link.leader = True
                        break
                    self._cv.wait(remaining)
            try:
                self._read_until(link, pending, deadline)
            finally:
                with self._cv:
                    link.leader = False
                    self._cv.notify_all()

    def _read_until(self, link: _Link, pending: _Pending, deadline: float) -> None:
        """Leader: read and dispatch messages until ``pending`` is answered or time is up."""
        while not pending.done and not link.dead:
            frame = self._next_frame(link, deadline)
            if frame is None:
                return
            self._dispatch(link, frame)

    def _next_frame(self, link: _Link, deadline: float | None) -> bytes | bytearray | None:
        """One whole GIOP frame from the socket; None on timeout or when the link died.
        ``deadline`` None: use only what is already buffered (no recv)."""
        while True:
            if link.big is not None:
                if link.big_got == len(link.big):
                    frame, link.big = link.big, None
                    return frame
                if deadline is None:
                    return None
                n = self._recv_into(link, memoryview(link.big)[link.big_got:], deadline)
                if n is None:
                    return None
                link.big_got += n
                continue
            buf = link.buf
            if len(buf) >= HEADER_SIZE:
                try:
                    hdr = parse_header(buf)
                except CodecError as exc:
                    self._kill(link, f"undecodable data from the peer: {exc}", retryable=False)
                    return None
                if hdr.size > self.max_message_size:
                    self._kill(link, f"GIOP message of {hdr.size} octets exceeds the {self.max_message_size} "
                               "octets limit", retryable=False)
                    return None
                total = HEADER_SIZE + hdr.size
                if len(buf) >= total:
                    frame = bytes(buf[:total])
                    del buf[:total]
                    return frame
                if total > _BIG_FRAME:
                    big = bytearray(total)
                    big[:len(buf)] = buf
                    link.big, link.big_got = big, len(buf)
                    buf.clear()
                    continue
            if deadline is None:
                return None
            data = self._recv(link, deadline)
            if data is None:
                return None
            buf += data

    def _wait_readable(self, link: _Link, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            readable, _, _ = select.select([link.sock], [], [], remaining)
        except (OSError, ValueError) as exc:  # ValueError: socket closed under us by close()
            self._kill(link, f"receive failed: {getattr(exc, 'strerror', None) or exc}", retryable=True)
            return False
        return bool(readable)

    def _recv(self, link: _Link, deadline: float) -> bytes | None:
        if not self._wait_readable(link, deadline):
            return None
        try:
            data = link.sock.recv(_RECV_SIZE)
        except BlockingIOError:
            return b""  # spurious wake-up: nothing yet
        except (OSError, ValueError) as exc:
            self._kill(link, f"receive failed: {getattr(exc, 'strerror', None) or exc}", retryable=True)
            return None
        if not data:
            self._kill(link, "connection closed by the peer", retryable=True)
            return None
        return data

    def _recv_into(self, link: _Link, view: memoryview, deadline: float) -> int | None:
        if not self._wait_readable(link, deadline):
            return None
        try:
            n = link.sock.recv_into(view)
        except BlockingIOError:
            return 0
        except (OSError, ValueError) as exc:
            self._kill(link, f"receive failed: {getattr(exc, 'strerror', None) or exc}", retryable=True)
            return None
        if not n:
            self._kill(link, "connection closed by the peer", retryable=True)
            return None
        return n

    def _dispatch(self, link: _Link, frame: bytes | bytearray) -> None:
        """Decode one frame and hand a reply to its caller (leader only)."""
        try:
            if frame[7] == MsgType.Fragment or frame[6] & 2:  # part of a GIOP 1.1/1.2 fragment chain
                whole = self._reassemble(link, frame)
                if whole is None:
                    return
                frame = whole
            messages = [parse_message(frame)]
        except MessageTooLarge as exc:
            self._kill(link, str(exc), retryable=False)
            return
        except CodecError as exc:
            self._kill(link, f"undecodable data from the peer: {exc}", retryable=False)
            return
        for msg in messages:
            if isinstance(msg, Reply):
                with self._cv:
                    pending = link.pending.pop(msg.request_id, None)
                    if pending is not None:
                        pending.reply = msg
                        pending.done = True
                        self._cv.notify_all()
            elif isinstance(msg, CloseConnection):
                # the peer processed nothing after the replies it sent before this
                self._kill(link, "peer sent CloseConnection", retryable=True)
                return
            elif isinstance(msg, MessageError):
                self._kill(link, "peer sent MessageError", retryable=False)
                return
            # LocateReply, Request, CancelRequest: nothing a client needs to act on.

    def _reassemble(self, link: _Link, frame: bytes | bytearray) -> bytearray | None:
        """Fragment chains (omniORB fragments big 1.2 messages): the head frame's buffer is
        extended in place with each Fragment's payload, so a chain costs no extra copy of the
        (big) head; returns the whole message once the last fragment is in, else None.
        Same rules as giop.MessageReader, which copies (it is a general sans-IO splitter)."""
        little = bool(frame[6] & 1)
        order = "little" if little else "big"
        v12 = frame[5] >= 2
        if frame[7] == MsgType.Fragment:
            if v12:
                if len(frame) < HEADER_SIZE + 4:
                    raise MarshalError("GIOP 1.2 Fragment without request id")
                rid = int.from_bytes(frame[HEADER_SIZE:HEADER_SIZE + 4], order)
                payload = memoryview(frame)[HEADER_SIZE + 4:]
            else:
                rid, payload = None, memoryview(frame)[HEADER_SIZE:]
            head = link.chains.get(rid)
            if head is None:
                raise MarshalError(f"Fragment for unknown request {rid}")
            head += payload
        else:
            if frame[7] not in (MsgType.Request, MsgType.Reply, MsgType.LocateRequest, MsgType.LocateReply):
                raise MarshalError("fragmented GIOP message of a type that cannot be fragmented")
            rid = None
            if v12:
                if len(frame) < HEADER_SIZE + 4:
                    raise MarshalError("fragmented message too short")
                rid = int.from_bytes(frame[HEADER_SIZE:HEADER_SIZE + 4], order)
            head = frame if isinstance(frame, bytearray) else bytearray(frame)
            link.chains[rid] = head
        if sum(len(h) for h in link.chains.values()) > self.max_message_size + HEADER_SIZE:
            raise MessageTooLarge("reassembled GIOP messages exceed the size limit")
        if frame[6] & 2:
            return None  # more fragments follow
        del link.chains[rid]
        head[6] &= 0xFD
        head[8:12] = (len(head) - HEADER_SIZE).to_bytes(4, "little" if head[6] & 1 else "big")
        return head

    def _check_idle(self, link: _Link) -> None:
        """Before sending on an idle connection: did the peer close it (or send anything) meanwhile?"""
        try:
            readable, _, _ = select.select([link.sock], [], [], 0)
            if not readable:
                return
            data = link.sock.recv(_RECV_SIZE)
        except BlockingIOError:
            return
        except (OSError, ValueError):
            self._kill(link, "connection broken while idle", retryable=True)
            return
        if not data:
            self._kill(link, "connection closed by the peer while idle", retryable=True)
            return
        link.buf += data
        while not link.dead:
            frame = self._next_frame(link, None)
            if frame is None:
                return
            self._dispatch(link, frame)

    def _kill(self, link: _Link, reason: str, retryable: bool) -> None:
        """Mark ``link`` dead, close its socket and fail (or release for re-send) its waiters."""
        with self._state_lock:
            if self._link is link:
                self._link = None
            if link.dead:
                return
            link.dead = True
            waiters = link.pending
            link.pending = {}
            self.last_drop_reason = reason
        try:
            link.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            link.sock.close()
        except OSError:
            pass
        with self._cv:
            for pending in waiters.values():
                pending.error = ConnectionLost(self.host, self.port, reason)
                pending.retryable = retryable
                pending.done = True
            self._cv.notify_all()

    # -- reply interpretation ---------------------------------------------------------------

    def _result(self, reply: Reply, read_result: ReadResult | None):
        status = reply.status
        if status == ReplyStatus.NO_EXCEPTION:
            return read_result(reply.body) if read_result is not None else None
        if status == ReplyStatus.USER_EXCEPTION:
            raise UserExceptionReply(reply.exception_id or "", reply.body)
        if status == ReplyStatus.SYSTEM_EXCEPTION:
            se = reply.system_exception
            raise SystemExceptionReply(se.repo_id, se.minor, int(se.completed))
        if status in (ReplyStatus.LOCATION_FORWARD, ReplyStatus.LOCATION_FORWARD_PERM):
            raise LocationForward(reply.forward_ior, status == ReplyStatus.LOCATION_FORWARD_PERM)
        # NEEDS_ADDRESSING_MODE: we only ever use KeyAddr, which omniORB always accepts.
        raise SystemExceptionReply("IDL:omg.org/CORBA/NO_IMPLEMENT:1.0", 0, 1)


# -- process-wide pool --------------------------------------------------------------------------

_pool: dict[tuple[str, int], GIOPConnection] = {}
_pool_lock = threading.Lock()


def get_connection(host: str, port: int) -> GIOPConnection:
    """The shared connection to ``host:port`` (created on first use, connected lazily)."""
    key = (host.lower(), int(port))
    with _pool_lock:
        conn = _pool.get(key)
        if conn is None:
            conn = _pool[key] = GIOPConnection(host, int(port))
        return conn


def drop_connection(host: str, port: int) -> None:
    """Close and forget the pooled connection to ``host:port`` (if any)."""
    with _pool_lock:
        conn = _pool.pop((host.lower(), int(port)), None)
    if conn is not None:
        conn.close()


def close_all_connections() -> None:
    """Close every pooled connection (tests, interpreter shutdown)."""
    with _pool_lock:
        conns = list(_pool.values())
        _pool.clear()
    for conn in conns:
        conn.close()


def _forget_pool_after_fork() -> None:
    """A forked child must not share the parent's TCP connections (replies would interleave):
    it starts with an empty pool; its copies of the parent's sockets are simply closed."""
    global _pool_lock
    _pool_lock = threading.Lock()
    old = list(_pool.values())
    _pool.clear()
    for conn in old:
        link = conn._link
        if link is not None:
            try:
                link.sock.close()
            except OSError:
                pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)
