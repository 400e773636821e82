"""The server side of GIOP over TCP (and a unix-domain socket): accepting connections and moving
requests/replies.

A thin driver over :class:`tango_core.wire.connection.GIOPConnection` in its SERVER role (the
sans-IO state machine does framing, fragments, reply versions and byte orders); this module adds
sockets and threads and knows nothing of Tango.  What runs a request is a :class:`RequestHandler`
given by the layer above (the device server's object adapter).

Besides its TCP port a server may listen on a unix-domain socket, as omniORB servers do: clients
on the same host that read it in the IORs (TAG_OMNIORB_UNIX_TRANS: PyTango's and ours) connect
there, which costs less per call than TCP loopback (see ``transport.addresses``).

Threads, and why:

* one acceptor thread (two with a unix-domain socket);
* one thread per connection reads it, and requests run in the thread that read them, so a call
  costs no thread switch.  While a request runs, its connection is watched (epoll, one watcher
  thread, like omniORB's "thread per connection" with a select thread); if another request
  arrives on it meanwhile -- to another device, from a client that multiplexes several calls on
  one connection as tango_core's own client does -- the reading goes to another thread of a
  shared pool at once, so that request runs instead of waiting behind a slow one (when the next
  request is already buffered, or without epoll, the reading is handed on before running).  At
  most ``max_in_flight`` requests of one connection run at once (beyond that the reader runs them
  itself: back-pressure), and the pool has at most ``max_threads`` threads (beyond that work
  queues);
* one watcher thread (above);
* replies are written under a per-connection lock with a send time-out, so a client that stops
  reading blocks only its own connection.

Protocol errors (garbage, wrong sizes, oversized messages) end the connection with a GIOP
MessageError, as the sans-IO connection reports them; unknown object keys are the handler's to
answer (OBJECT_NOT_EXIST).  LocateRequests are answered from ``handler.has_object``.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from collections import deque
from typing import Callable, Protocol

from ..wire.connection import NEED_DATA, CloseCause, ConnectionClosed, GIOPConnection, Role
from ..wire.giop import CancelRequest, CompletionStatus, LocateRequest, LocateStatus, ReplyStatus, Request
from ..wire.structs import record
from . import calls_to_self
from .addresses import served_unix_sockets

__all__ = ["GIOPServer", "Peer", "Response", "RequestHandler", "ThreadPool"]

#: cppTango (omniORB) accepts messages up to 256 MiB
MAX_MESSAGE_SIZE = 256 * 1024 * 1024
SEND_TIMEOUT_S = 30.0


@record(frozen=True)
class Peer:
    """The client end of a connection (on the unix-domain socket: host "localhost", port 0)."""

    host: str
    port: int
    connection_id: int
    unix_socket: str = ""  # the server's socket file the client came through

    def giop_address(self) -> str:
        if self.unix_socket:
            return f"giop:unix:{self.unix_socket}"
        return f"giop:tcp:{self.host}:{self.port}"


@record
class Response:
    """A handler's answer: reply status and the body octets.

    ``body`` (bytes or a bytearray the handler no longer touches) is encoded from offset 0 in the
    request's byte order (``request.little_endian``): reply bodies of this server always start
    8-aligned (no service contexts), so the octets are sent unchanged, after the reply header
    (``GIOPConnection.send_reply_header``), in any GIOP version.  For USER_/SYSTEM_EXCEPTION the body starts with the
    repository id.  ``after_send`` runs once the reply is written (e.g. the Kill command).
    """

    status: ReplyStatus
    body: bytes = b""
    after_send: Callable[[], None] | None = None


class RequestHandler(Protocol):
    def handle_request(self, request: Request, peer: Peer) -> Response | None:
        """Run ``request``; None for a oneway request (or to send nothing)."""

    def has_object(self, object_key: bytes) -> bool:
        """Whether an object is served under ``object_key`` (for LocateRequest)."""

    #: operations answered at once, without waiting for a lock or running application code: the
    #: connection is not watched for a next request while one of them runs (two ``epoll_ctl``
    #: calls saved), its reader goes on reading right after the reply
    quick_operations: frozenset[str]


def system_exception(name: str, minor: int, completed: CompletionStatus = CompletionStatus.COMPLETED_NO,
                     little_endian: bool = True) -> Response:
    """A SYSTEM_EXCEPTION response (``name`` like ``"OBJECT_NOT_EXIST"``)."""
    from ..wire.cdr import CDRWriter
    w = CDRWriter(little_endian)
    w.write_string(f"IDL:omg.org/CORBA/{name}:1.0")
    w.write_ulong(minor)
    w.write_ulong(int(completed))
    return Response(ReplyStatus.SYSTEM_EXCEPTION, w.getvalue())


def _call_hook(hook: Callable[[], object]) -> None:
    try:
        hook()
    except Exception:  # noqa: BLE001 - a hook's error must not stop the thread
        import traceback
        traceback.print_exc()


class ThreadPool:
    """Daemon worker threads created on demand, reused while idle, at most ``max_threads``.

    ``submit(fn)`` never blocks: beyond ``max_threads`` busy threads the work waits in a queue.
    ``shutdown()`` stops idle threads and waits (bounded) for busy ones.
    """

    def __init__(self, name: str, max_threads: int = 512, idle_timeout: float = 30.0) -> None:
        self.name = name
        self.max_threads = max_threads
        self.idle_timeout = idle_timeout
        self._work: deque[Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._closing = False
        self._counter = 0
        #: (called when a worker thread starts, when it ends), in that thread; None: nothing
        self.thread_hooks: tuple[Callable[[], object], Callable[[], object]] | None = None

    def submit(self, fn: Callable[[], None]) -> None:
        with self._cond:
            if self._closing:
                return
            self._work.append(fn)
            # Each idle thread takes one piece of work, and a thread woken by an earlier submit
            # counts as idle until it runs again: only as many pieces as idle threads can wait
            # for them.  (``_idle > 0`` let a second submit count on an already woken thread,
            # and its work -- a new connection's reader -- waited for a long-lived reader to end.)
            if self._idle:
                self._cond.notify()
                if self._idle >= len(self._work):
                    return
            if len(self._threads) < self.max_threads:
                self._counter += 1
                t = threading.Thread(target=self._worker, name=f"{self.name}-{self._counter}", daemon=True)
                self._threads.add(t)
                t.start()

    def _worker(self) -> None:
        me = threading.current_thread()
        hooks = self.thread_hooks
        if hooks is not None:
            _call_hook(hooks[0])
        try:
            while True:
                with self._cond:
                    while not self._work and not self._closing:
                        self._idle += 1
                        woke = self._cond.wait(self.idle_timeout)
                        self._idle -= 1
                        if not woke and not self._work:
                            return
                    if not self._work:
                        return
                    fn = self._work.popleft()
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a failed task must not kill the worker
                    import traceback
                    traceback.print_exc()
        finally:
            with self._cond:
                self._threads.discard(me)
                self._cond.notify_all()
            if hooks is not None:
                _call_hook(hooks[1])

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    def shutdown(self, timeout: float = 5.0) -> None:
        import time
        with self._cond:
            self._closing = True
            self._work.clear()
            self._cond.notify_all()
            deadline = time.monotonic() + timeout
            current = threading.current_thread()
            while self._threads - {current}:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)


_SELF, _HANDED, _WATCHED, _IDLE = "self", "handed", "watched", "idle"


class _Watcher:
    """One thread watching, with epoll, the connections whose reader is running a request.

    When such a connection becomes readable (a second request, from a client multiplexing calls
    on one connection), the reading goes to another pool thread at once.  A request that nothing
    follows costs two ``epoll_ctl`` calls and no thread switch.
    """

    def __init__(self, pool: ThreadPool, name: str) -> None:
        import select
        self._select = select
        self.pool = pool
        self._ep = select.epoll()
        self._conns: dict[int, _ServerConnection] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._ep.register(self._wake_r, select.EPOLLIN)
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name=f"{name}-watch", daemon=True)
        self._thread.start()

    def arm(self, conn: "_ServerConnection") -> None:
        sel = self._select
        fd = conn.fileno
        try:
            with self._lock:
                if fd in self._conns:
                    self._ep.modify(fd, sel.EPOLLIN | sel.EPOLLONESHOT)
                else:
                    self._conns[fd] = conn
                    self._ep.register(fd, sel.EPOLLIN | sel.EPOLLONESHOT)
        except (OSError, ValueError):
            pass  # closed meanwhile: its reader sees the end anyway

    def disarm(self, conn: "_ServerConnection") -> bool:
        """Stop watching; False when the watcher already handed the reading to another thread."""
        with conn.state_lock:
            if conn.watch is not _WATCHED:
                conn.watch = _IDLE
                return False
            conn.watch = _IDLE
        try:
            self._ep.modify(conn.fileno, self._select.EPOLLONESHOT)   # no EPOLLIN: quiet
        except (OSError, ValueError):
            pass
        return True

    def forget(self, conn: "_ServerConnection") -> None:
        with self._lock:
            if self._conns.get(conn.fileno) is conn:
                del self._conns[conn.fileno]
                try:
                    self._ep.unregister(conn.fileno)
                except (OSError, ValueError):
                    pass

    def _loop(self) -> None:
        while not self._closing:
            try:
                ready = self._ep.poll()
            except InterruptedError:
                continue
            except (OSError, ValueError):
                return
            for fd, _mask in ready:
                if fd == self._wake_r:
                    return
                with self._lock:
                    conn = self._conns.get(fd)
                if conn is None:
                    continue
                with conn.state_lock:
                    if conn.watch is not _WATCHED:
                        continue
                    conn.watch = _HANDED
                self.pool.submit(conn.read_loop)

    def close(self, timeout: float = 5.0) -> None:
        self._closing = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._ep.close()


class _ServerConnection:
    """One accepted TCP connection: its sans-IO GIOP state, socket and in-flight requests."""

    def __init__(self, server: "GIOPServer", sock: socket.socket, peer: Peer) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer
        self.conn = GIOPConnection(Role.SERVER, max_message_size=server.max_message_size)
        self.state_lock = threading.Lock()   # guards self.conn
        self.send_lock = threading.Lock()    # one writer at a time on the socket
        self.in_flight = 0
        self.closed = False
        self.fileno = sock.fileno()
        self.watch = _IDLE      # _WATCHED while the watcher may hand the reading on

    # -- reading -------------------------------------------------------------------------
    def _next_event(self):
        """The next GIOP event, reading the socket as needed (ConnectionClosed at the end).

        Received straight into the sans-IO reader's buffer (``recv_into``): a ``recv(n)`` would
        allocate ``n`` octets per call (for 256 KiB, an mmap/mremap/munmap per request).  Only
        the thread that reads this connection touches its receiving side, so the buffer is that
        thread's until ``buffer_updated``; the lock is for the sending side's bookkeeping."""
        conn = self.conn
        lock = self.state_lock
        with lock:
            event = conn.next_event()
            if event is not NEED_DATA:
                return event
            buf = conn.get_buffer()
        recv_into = self.sock.recv_into
        while True:
            try:
                n = recv_into(buf)
            except OSError:
                n = 0
            del buf
            with lock:
                conn.buffer_updated(n)
                event = conn.next_event()
                if event is not NEED_DATA:
                    return event
                buf = conn.get_buffer()

    def read_loop(self) -> None:
        """Run by a pool thread: read requests and run them, until the connection ends or the
        reading is handed to another thread (see the module's docstring)."""
        server = self.server
        conn = self.conn
        lock = self.state_lock
        while True:
            event = self._next_event()
            kind = event.__class__
            if kind is Request:
                watcher = server.watcher
                with lock:
                    in_flight = self.in_flight = self.in_flight + 1
                    if in_flight > server.max_in_flight:
                        mode = _SELF          # back-pressure: nobody reads meanwhile
                    elif watcher is None or conn.input_pending:
                        mode = _HANDED        # the next request is (partly) here already
                    elif event.operation in getattr(server.handler, "quick_operations", ()):
                        mode = _SELF          # answered at once: nothing to watch meanwhile
                    else:
                        mode = _WATCHED
                        self.watch = _WATCHED
                if mode is _HANDED:
                    server.pool.submit(self.read_loop)
                elif mode is _WATCHED:
                    watcher.arm(self)
                still_mine = True
                try:
                    response = self._handle(event)
                    # stop watching before replying: the client's next request (sent once it has
                    # the reply) is then read by this thread, with no hand-over
                    if mode is _WATCHED:
                        still_mine = watcher.disarm(self)
                        mode = _SELF
                    self._reply(event, response)
                finally:
                    if mode is _WATCHED:
                        still_mine = watcher.disarm(self)
                    with lock:
                        self.in_flight -= 1
                if mode is _HANDED or not still_mine:
                    return                    # another thread reads this connection now
                continue
            if kind is ConnectionClosed:
                self._on_closed(event)
                return
            if isinstance(event, LocateRequest):
                status = LocateStatus.OBJECT_HERE if self.server.handler.has_object(event.object_key) \
                    else LocateStatus.UNKNOWN_OBJECT
                with self.state_lock:
                    data = self.conn.send_locate_reply(event, status)
                self._send(data)
                continue
            if isinstance(event, CancelRequest):
                continue  # answers may still go out; the client drops them

    def _handle(self, request: Request) -> Response | None:
        try:
            return self.server.handler.handle_request(request, self.peer)
        except BaseException:  # noqa: BLE001 - the handler is supposed to answer everything itself
            import traceback
            traceback.print_exc()
            return system_exception("UNKNOWN", 0x4F4D0001, CompletionStatus.COMPLETED_MAYBE,
                                    request.little_endian)

    def _reply(self, request: Request, response: Response | None) -> None:
        if not request.response_expected:
            if response is not None and response.after_send is not None:
                response.after_send()
            return
        if response is None:
            response = system_exception("UNKNOWN", 0x4F4D0001, CompletionStatus.COMPLETED_MAYBE,
                                        request.little_endian)
        body = response.body
        with self.send_lock:
            with self.state_lock:
                header = self.conn.send_reply_header(request, response.status, len(body))
            if header and not self.closed:
                if len(body) < 16384:   # small: one copy and one send
                    try:
                        self.sock.sendall(header + body)
                    except OSError:
                        self.abort()
                else:
                    self._send_parts_locked(header, body)
        if response.after_send is not None:
            response.after_send()

    # -- writing -------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        with self.send_lock:
            self._send_locked(data)

    def _send_locked(self, data: bytes) -> None:
        if not data or self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError:
            self.abort()

    def _send_parts_locked(self, header: bytes, body) -> None:
        """header + body in one ``sendmsg`` (the body is not copied), resumed after partial sends."""
        if self.closed:
            return
        if len(body) < 16384:
            self._send_locked(header + body)
            return
        parts = [memoryview(header), memoryview(body)]
        try:
            while parts:
                sent = self.sock.sendmsg(parts)
                while parts and sent >= len(parts[0]):
                    sent -= len(parts[0])
                    parts.pop(0)
                if parts and sent:
                    parts[0] = parts[0][sent:]
        except OSError:
            self.abort()

    def _on_closed(self, event: ConnectionClosed) -> None:
        if event.cause is CloseCause.PROTOCOL_ERROR:
            with self.state_lock:
                data = self.conn.send_message_error()
            self._send(data)
        self.abort()

    def abort(self) -> None:
        """Drop the socket (readers see end of stream; a blocked writer gets an error)."""
        if self.closed:
            return
        self.closed = True
        if self.server.watcher is not None:
            self.server.watcher.forget(self)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.server._forget(self)


class GIOPServer:
    """Listens on ``host:port`` (0 = any free port) and serves GIOP requests with ``handler``."""

    def __init__(self, handler: RequestHandler, host: str = "0.0.0.0", port: int = 0, *,
                 max_connections: int = 4096, max_in_flight: int = 16, max_threads: int = 512,
                 max_message_size: int = MAX_MESSAGE_SIZE, name: str = "tango_core-server",
                 unix_socket: str | None = None) -> None:
        self.handler = handler
        self.max_connections = max_connections
        self.max_in_flight = max_in_flight
        self.max_message_size = max_message_size
        self.pool = ThreadPool(name, max_threads)
        self.watcher: _Watcher | None = None
        self._name = name
        self._connections: set[_ServerConnection] = set()
        self._lock = threading.Lock()
        self._next_id = 0
        self._closing = False
        self._sock = self._listen(host, port)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self._acceptor: threading.Thread | None = None
        #: the unix-domain socket's file ("" without one: not asked for, or it could not be made)
        self.unix_socket = ""
        self._unix_sock: socket.socket | None = None
        self._unix_acceptor: threading.Thread | None = None
        if unix_socket:
            self._unix_sock = self._listen_unix(unix_socket)
            if self._unix_sock is not None:
                self.unix_socket = unix_socket
                served_unix_sockets.add(unix_socket)

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        return sock

    @staticmethod
    def _listen_unix(path: str) -> socket.socket | None:
        """Listen on a unix-domain socket at ``path`` (its directory made if needed, a stale file
        of the same name replaced); None if that cannot be done: then TCP only, as omniORB does.
        The directory must be this user's and writable by nobody else, or another local user
        could put a socket of their own where clients look for ours."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            folder = os.path.dirname(path)
            os.makedirs(folder, mode=0o755, exist_ok=True)
            info = os.lstat(folder)
            if hasattr(os, "getuid") and (info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode)
                                          or info.st_mode & 0o022):
                raise PermissionError(f"{folder} is not a directory only this user may write in")
            if os.path.exists(path):
                os.unlink(path)
            sock.bind(path)
            sock.listen(1024)
        except OSError:
            sock.close()
            return None
        return sock

    def start(self) -> None:
        calls_to_self.serve()
        if hasattr(__import__("select"), "epoll"):
            self.watcher = _Watcher(self.pool, self._name)
        self._acceptor = threading.Thread(target=self._accept_loop, args=(self._sock, ""),
                                          name=f"{self._name}-accept", daemon=True)
        self._acceptor.start()
        if self._unix_sock is not None:
            self._unix_acceptor = threading.Thread(target=self._accept_loop, args=(self._unix_sock, self.unix_socket),
                                                   name=f"{self._name}-accept-unix", daemon=True)
            self._unix_acceptor.start()

    def _accept_loop(self, listener: socket.socket, unix_socket: str) -> None:
        while not self._closing:
            try:
                sock, addr = listener.accept()
            except OSError as exc:
                if self._closing or exc.errno in (errno.EBADF, errno.EINVAL):
                    return
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    threading.Event().wait(0.05)  # out of descriptors: let some connections end
                continue
            with self._lock:
                if self._closing or len(self._connections) >= self.max_connections:
                    sock.close()
                    continue
                self._next_id += 1
                if unix_socket:
                    peer = Peer("localhost", 0, self._next_id, unix_socket)
                else:
                    peer = Peer(addr[0], addr[1], self._next_id)
                conn = _ServerConnection(self, sock, peer)
                self._connections.add(conn)
            try:
                if not unix_socket:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                _set_send_timeout(sock, SEND_TIMEOUT_S)
            except OSError:
                pass
            self.pool.submit(conn.read_loop)

    def _forget(self, conn: _ServerConnection) -> None:
        with self._lock:
            self._connections.discard(conn)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting, drop every connection, wait (bounded) for running requests."""
        if self._closing:
            return
        self._closing = True
        for listener in (self._sock, self._unix_sock):
            if listener is None:
                continue
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        if self._unix_sock is not None:
            served_unix_sockets.discard(self.unix_socket)
            try:
                os.unlink(self.unix_socket)
            except OSError:
                pass
        for acceptor in (self._acceptor, self._unix_acceptor):
            if acceptor is not None and acceptor is not threading.current_thread():
                acceptor.join(timeout)
        with self._lock:
            conns = list(self._connections)
        for c in conns:
            c.abort()
        if self.watcher is not None:
            self.watcher.close(timeout)
        self.pool.shutdown(timeout)


def _set_send_timeout(sock: socket.socket, seconds: float) -> None:
    import struct
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
    if hasattr(socket, "SO_SNDTIMEO") and os.name == "posix":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
