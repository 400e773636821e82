"""One GIOP connection as a state machine, sans-IO (in the spirit of h11): bytes in, events out.

A :class:`GIOPConnection` is one TCP connection's worth of GIOP state, in the client role or
the server role.  It never touches a socket, starts no thread and reads no clock, so the same
object serves the blocking client driver (``transport/sync.py``), an asyncio driver and the
device server's driver, and every transition is tested in memory.

Receiving::

    conn.receive_data(data)                     # b"" = the peer closed the stream
    # or, zero copy (asyncio.BufferedProtocol's shape; recv_into() returning 0 = end of stream):
    conn.buffer_updated(sock.recv_into(conn.get_buffer()))
    while (event := conn.next_event()) is not NEED_DATA:
        ...   # Request / Reply / LocateRequest / LocateReply / CancelRequest / ConnectionClosed

Sending returns the octets to write, in call order (a driver that shares the connection between
threads keeps "build, then write" under one lock)::

    rid, data = conn.send_request(object_key, "read_attributes_5", write_args)   # client
    data = conn.send_reply(request, ReplyStatus.NO_EXCEPTION, write_result)      # server

Rules it enforces, so that no driver has to:

* Client: request ids are allocated here (2, 4, 6 ... as omniORB) and replies are matched to
  them; a reply to an id nobody waits for any more (``forget``) is dropped and counted.  The
  CodeSets service context goes out on the first GIOP 1.2 request of the connection.
* Server: every Request that expects a response and every LocateRequest is remembered until it
  is answered, and the answer goes out in the request's GIOP version and byte order (cppTango 9.3
  clients speak 1.0 to ``#dbase=no`` devices and drop a reply in another version).
* Framing and fragment reassembly are :class:`~tango_core.wire.giop.MessageReader`'s, with its
  one size limit; buffers grow with the octets that really arrive.
* The connection ends exactly once, with one :class:`ConnectionClosed` event saying why and which
  requests got no reply (and whether they may be re-sent): CloseConnection from the peer, end of
  stream, MessageError from the peer, garbage or an oversized message (``PROTOCOL_ERROR``: a
  server then writes ``send_message_error()``), or a local close.  After it, ``next_event()``
  returns the same event again and sending a request raises :class:`LocalProtocolError`.

Threads: one thread at a time for the receiving side (``receive_data``, ``get_buffer``,
``buffer_updated``, ``next_event``, ``forget``, ``close``...) and one at a time for the sending
side (``send_*``); the two sides may run at the same time in two threads (the blocking driver's
leader receives while another caller sends): they share only the table of pending request ids,
touched by single dict operations.
"""

from __future__ import annotations

import enum
from typing import Sequence, Union

from .errors import CodecError, MessageTooLarge
from .giop import (CODESETS_CONTEXT, DEFAULT_MAX_MESSAGE_SIZE, BodyWriter, CancelRequest, CloseConnection,
                   CompletionStatus, LocateReply, LocateRequest, LocateStatus, MessageError, MessageReader, Reply,
                   ReplyStatus, Request, ServiceContext, build_cancel_request, build_close_connection,
                   build_locate_reply, build_locate_request, build_message_error, build_reply, build_reply_header,
                   build_request, request_12, system_exception_body)
from .ior import IOR, write_ior
from .structs import record

__all__ = ["Role", "NEED_DATA", "CloseCause", "ConnectionClosed", "LocalProtocolError", "GIOPConnection",
           "Event"]


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


#: ``next_event()``'s answer when no whole message is buffered.
NEED_DATA = _NeedData()


class CloseCause(enum.Enum):
    """Why a connection ended."""

    CLOSE_CONNECTION = "peer sent CloseConnection"   # unreplied requests were not processed
    END_OF_STREAM = "connection closed by the peer"  # EOF / reset
    MESSAGE_ERROR = "peer sent MessageError"          # the peer could not understand us
    PROTOCOL_ERROR = "protocol error"                 # garbage, oversized or unexpected message
    LOCAL = "connection closed locally"               # we sent CloseConnection/MessageError or gave up


@record(frozen=True)
class ConnectionClosed:
    """The last event of a connection.

    ``unanswered``: client role, the request ids sent without a reply (in sending order).
    ``retryable``: they may be re-sent once on a new connection -- the peer said (CloseConnection)
    or the stream ended without a reply (what omniORB clients also re-send after) -- except
    those in ``partly_answered``: part of their reply had arrived when the stream ended, so the
    server did process them, and a command sent again would run twice (omniORB re-sends none
    of those either: COMM_FAILURE, completed maybe).
    """

    cause: CloseCause
    reason: str
    unanswered: tuple[int, ...] = ()
    partly_answered: tuple[int, ...] = ()

    @property
    def retryable(self) -> bool:
        return self.cause in (CloseCause.CLOSE_CONNECTION, CloseCause.END_OF_STREAM)


class LocalProtocolError(Exception):
    """This side misused the connection (a request on a closed connection, a reply to a request
    that does not await one, a client call on a server connection...)."""


Event = Union[Request, Reply, LocateRequest, LocateReply, CancelRequest, ConnectionClosed]

_CLIENT_MESSAGES = (Reply, LocateReply)
_SERVER_MESSAGES = (Request, LocateRequest, CancelRequest)


class GIOPConnection:
    """One GIOP connection's state, client or server role; see the module docstring."""

    def __init__(self, role: Role, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
                 little_endian: bool = True) -> None:
        self.role = role
        self.little_endian = little_endian
        self._client = role is Role.CLIENT
        self._reader = MessageReader(max_message_size)
        self._ready = self._reader._ready  # noqa: SLF001 - same layer; next_event's fast path
        self.get_buffer = self._reader.get_buffer  # one call less per receive
        self._closed: ConnectionClosed | None = None
        self._eof = False
        self._version = (1, 0)  # the newest GIOP version this connection has carried
        # client
        self._next_id = 2
        self._pending: dict[int, tuple[int, int]] = {}  # request id -> version of the request
        self._codesets_sent = False
        #: replies that arrived for a request nobody waited for any more (timed out, forgotten)
        self.dropped_replies = 0
        # server: request id -> (version, little_endian) of what awaits an answer
        self._requests: dict[int, tuple[tuple[int, int], bool]] = {}
        self._locates: dict[int, tuple[tuple[int, int], bool]] = {}

    def __repr__(self) -> str:
        state = "open" if self._closed is None else f"closed ({self._closed.cause.name})"
        return f"<GIOPConnection {self.role.value} {state}>"

    # -- state --------------------------------------------------------------------------------

    @property
    def closed(self) -> ConnectionClosed | None:
        """The ConnectionClosed event once the connection has ended, else None."""
        return self._closed

    @property
    def pending_requests(self) -> tuple[int, ...]:
        """Client: ids of the requests sent and not yet answered (nor forgotten)."""
        return tuple(self._pending)

    @property
    def requests_in_progress(self) -> tuple[int, ...]:
        """Server: ids of the Requests and LocateRequests that still await an answer."""
        return tuple(self._requests) + tuple(self._locates)

    @property
    def frame_in_progress(self) -> bool:
        """True while part of a message has been received (a driver whose wait timed out then
        closes the connection, so that nothing half-received is kept)."""
        return self._reader.frame_in_progress

    def partly_answered(self) -> tuple[int, ...]:
        """Client role: the request ids part of whose reply has arrived (GIOP 1.2)."""
        return self._reader.partly_received() if self._client and self._closed is None else ()

    @property
    def buffered(self) -> int:
        """Octets held for messages not yet complete."""
        return self._reader.buffered

    @property
    def input_pending(self) -> bool:
        """Whether received octets (a whole message, part of one, an error or the end of the
        stream) wait to come out of ``next_event()``: a driver that must not miss the next
        request hands reading on at once instead of waiting for the socket to be readable."""
        return self._eof or self._reader.input_pending

    # -- receiving ----------------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Octets from the peer; ``b""`` means the peer closed the stream.  Never raises for
        bad data: the error comes out of ``next_event()`` as ConnectionClosed."""
        if not data:
            self._eof = True
            return
        if self._closed is not None or self._eof:
            return
        try:
            self._reader.feed(data)
        except CodecError:
            pass  # kept by the reader, reported by next_event() after the messages before it

    def get_buffer(self, sizehint: int = -1) -> memoryview:  # replaced by the reader's own in __init__
        """Writable space to receive into (zero copy); then call ``buffer_updated(n)``."""
        return self._reader.get_buffer(sizehint)

    @property
    def exact_buffer(self) -> bool:
        """True when the last ``get_buffer()`` view must be filled before anything else can
        happen (it lies inside one big frame): a driver may wait for all of it (MSG_WAITALL)."""
        return self._reader._sink is not None  # the reader's exact_buffer, read before every receive

    def buffer_updated(self, nbytes: int) -> None:
        """``nbytes`` octets were received into the last ``get_buffer()``; 0 = end of stream."""
        if not nbytes:
            self._eof = True
            return
        if self._closed is not None or self._eof:
            return
        try:
            self._reader.buffer_updated(nbytes)
        except CodecError:
            pass  # reported by next_event()

    def next_event(self) -> Event | _NeedData:
        """The next event, NEED_DATA, or (for good, once the connection ended) ConnectionClosed."""
        if self._closed is not None:
            return self._closed
        ready = self._ready
        while True:
            if ready:  # the reader's queue of whole messages, read directly: one call less per reply
                msg = ready.popleft()
            elif not self._eof and self._reader._error is None:  # (not reader.failed), after every reply
                return NEED_DATA
            else:
                msg = self._next_message_or_end()
                if type(msg) is ConnectionClosed or msg is NEED_DATA:
                    return msg
            if msg.version > self._version:
                self._version = msg.version
            kind = type(msg)
            if self._client:
                if kind is Reply or kind is LocateReply:
                    if self._pending.pop(msg.request_id, None) is None:
                        self.dropped_replies += 1
                        continue
                    return msg
            elif kind in _SERVER_MESSAGES:
                if kind is Request:
                    if msg.response_expected:
                        self._requests[msg.request_id] = (msg.version, msg.little_endian)
                elif kind is LocateRequest:
                    self._locates[msg.request_id] = (msg.version, self.little_endian)
                return msg
            if kind is CloseConnection:
                return self._close(CloseCause.CLOSE_CONNECTION, CloseCause.CLOSE_CONNECTION.value)
            if kind is MessageError:
                return self._close(CloseCause.MESSAGE_ERROR, CloseCause.MESSAGE_ERROR.value)
            return self._close(CloseCause.PROTOCOL_ERROR,
                               f"unexpected {kind.__name__} message for a {self.role.value} connection")

    def _next_message_or_end(self):
        """The reader's next message, its error or the end of stream as ConnectionClosed, or NEED_DATA."""
        while True:
            try:
                msg = self._reader.next_message()
            except MessageTooLarge as exc:
                return self._close(CloseCause.PROTOCOL_ERROR, str(exc))
            except CodecError as exc:
                return self._close(CloseCause.PROTOCOL_ERROR, f"undecodable data from the peer: {exc}")
            if msg is None:
                if self._eof:
                    reason = CloseCause.END_OF_STREAM.value
                    if self._reader.frame_in_progress:
                        reason += " in the middle of a message"
                    return self._close(CloseCause.END_OF_STREAM, reason)
                return NEED_DATA
            return msg

    # -- sending: client ----------------------------------------------------------------------

    def send_request(self, object_key: bytes, operation: str, write_body: BodyWriter | None = None, *,
                     version: tuple[int, int] = (1, 2), response_expected: bool = True,
                     service_contexts: Sequence[ServiceContext] = ()) -> tuple[int, bytes]:
        """Encode a Request; returns ``(request_id, octets)``.  ``write_body`` writes the
        in-parameters (or is an ``EncodedArgs``).  Errors of ``write_body`` (a value that does
        not encode) propagate and leave the connection unchanged."""
        if self._closed is not None or not self._client:
            self._check_client("send_request")
        rid = self._next_id
        if version == (1, 2):
            if self._codesets_sent:
                data = request_12(rid, object_key, operation, write_body, response_expected, service_contexts,
                                  self.little_endian)
            else:
                data = request_12(rid, object_key, operation, write_body, response_expected,
                                  (CODESETS_CONTEXT, *service_contexts), self.little_endian)
                self._codesets_sent = True
        else:
            data = build_request(rid, object_key, operation, write_body, version=version,
                                 response_expected=response_expected, service_contexts=service_contexts,
                                 little_endian=self.little_endian)
        self._next_id = rid + 2 if rid < 0xFFFFFFFD else 2
        if version > self._version:
            self._version = version
        if response_expected:
            self._pending[rid] = version
        return rid, data

    def send_locate_request(self, object_key: bytes, *, version: tuple[int, int] = (1, 2)) -> tuple[int, bytes]:
        """Encode a LocateRequest; its LocateReply comes out of ``next_event()``."""
        self._check_client("send_locate_request")
        rid = self._next_id
        data = build_locate_request(rid, object_key, version=version, little_endian=self.little_endian)
        self._next_id = rid + 2 if rid < 0xFFFFFFFD else 2
        self._pending[rid] = version
        return rid, data

    def forget(self, request_id: int) -> None:
        """Stop waiting for a reply (the call timed out); if it arrives later it is dropped."""
        self._pending.pop(request_id, None)

    def send_cancel_request(self, request_id: int) -> bytes:
        """Forget a request and tell the server (which may still answer; that reply is dropped)."""
        self._check_client("send_cancel_request")
        version = self._pending.pop(request_id, self._version)
        return build_cancel_request(request_id, version=version, little_endian=self.little_endian)

    # -- sending: server ----------------------------------------------------------------------

    def send_reply(self, request: Request | int, status: ReplyStatus = ReplyStatus.NO_EXCEPTION,
                   write_body: BodyWriter | None = None, *,
                   service_contexts: Sequence[ServiceContext] = ()) -> bytes:
        """Encode the Reply to ``request`` (the event or its id), in its GIOP version and byte order.

        For USER_/SYSTEM_EXCEPTION ``write_body`` writes the repository id and the members (see
        ``send_user_exception`` / ``send_system_exception``).  Returns ``b""`` once the connection
        has ended (nobody to answer); raises LocalProtocolError if that request awaits no reply.
        """
        version, little = self._take(self._requests, request, "send_reply")
        if version is None:
            return b""
        return build_reply(_request_id(request), status, write_body, version=version, little_endian=little,
                           service_contexts=service_contexts)

    def send_reply_header(self, request: Request | int, status: ReplyStatus, body_size: int) -> bytes:
        """Like :meth:`send_reply` for a body the caller sends itself right after the returned
        octets (encoded from offset 0, ``body_size`` octets; see ``giop.build_reply_header``):
        a large body goes out without being copied into the message."""
        rid = request if isinstance(request, int) else request.request_id
        version, little = self._take(self._requests, rid, "send_reply")
        if version is None:
            return b""
        return build_reply_header(rid, status, body_size, version=version, little_endian=little)

    def send_user_exception(self, request: Request | int, repo_id: str,
                            write_members: BodyWriter | None = None) -> bytes:
        """A USER_EXCEPTION reply: the repository id, then ``write_members`` (e.g. a DevFailed's errors)."""
        def body(w):
            w.write_string(repo_id)
            if write_members is not None:
                write_members(w)
        return self.send_reply(request, ReplyStatus.USER_EXCEPTION, body)

    def send_system_exception(self, request: Request | int, name: str = "UNKNOWN", minor: int = 0,
                              completed: CompletionStatus = CompletionStatus.COMPLETED_NO) -> bytes:
        """A SYSTEM_EXCEPTION reply; ``name`` is ``"BAD_OPERATION"`` or a full repository id."""
        repo_id = name if name.startswith("IDL:") else f"IDL:omg.org/CORBA/{name}:1.0"
        return self.send_reply(request, ReplyStatus.SYSTEM_EXCEPTION, system_exception_body(repo_id, minor, completed))

    def send_location_forward(self, request: Request | int, ior: IOR, permanent: bool = False) -> bytes:
        """A LOCATION_FORWARD(_PERM) reply: the client should retry at ``ior``."""
        status = ReplyStatus.LOCATION_FORWARD_PERM if permanent else ReplyStatus.LOCATION_FORWARD
        return self.send_reply(request, status, lambda w: write_ior(w, ior))

    def send_locate_reply(self, request: LocateRequest | int, status: LocateStatus, *,
                          forward: IOR | None = None) -> bytes:
        """The answer to a LocateRequest (OBJECT_HERE / UNKNOWN_OBJECT / OBJECT_FORWARD + ``forward``)."""
        version, little = self._take(self._locates, request, "send_locate_reply")
        if version is None:
            return b""
        return build_locate_reply(_request_id(request), status, version=version, little_endian=little,
                                  forward=forward)

    # -- sending: both ------------------------------------------------------------------------

    def send_close_connection(self) -> bytes:
        """Encode CloseConnection and end the connection (a server sends it when idle: the client
        then knows that none of its unanswered requests was processed)."""
        data = build_close_connection(version=self._control_version(), little_endian=self.little_endian)
        if self._closed is None:
            self._close(CloseCause.LOCAL, "CloseConnection sent")
        return data

    def send_message_error(self) -> bytes:
        """Encode MessageError (the answer to garbage) and end the connection."""
        data = build_message_error(version=self._control_version(), little_endian=self.little_endian)
        if self._closed is None:
            self._close(CloseCause.LOCAL, "MessageError sent")
        return data

    def close(self, reason: str = CloseCause.LOCAL.value) -> ConnectionClosed:
        """End the connection without telling the peer (the driver drops the socket); returns the
        ConnectionClosed event (its ``unanswered`` ids are not retryable)."""
        if self._closed is None:
            return self._close(CloseCause.LOCAL, reason)
        return self._closed

    # -- internals ----------------------------------------------------------------------------

    def _close(self, cause: CloseCause, reason: str) -> ConnectionClosed:
        partly = self._reader.partly_received() if self._client else ()
        self._closed = ConnectionClosed(cause, reason, tuple(self._pending), partly)
        self._pending.clear()
        self._requests.clear()
        self._locates.clear()
        self._reader.clear()  # nothing half received is kept
        return self._closed

    def _check_client(self, what: str) -> None:
        if not self._client:
            raise LocalProtocolError(f"{what} on a server connection")
        if self._closed is not None:
            raise LocalProtocolError(f"{what} on a closed connection ({self._closed.reason})")

    def _take(self, table: dict, request, what: str):
        if self._client:
            raise LocalProtocolError(f"{what} on a client connection")
        if self._closed is not None:
            return None, None
        try:
            return table.pop(_request_id(request))
        except KeyError:
            raise LocalProtocolError(f"{what}: request {_request_id(request)} awaits no reply") from None

    def _control_version(self) -> tuple[int, int]:
        return self._version


def _request_id(request) -> int:
    return request if isinstance(request, int) else request.request_id
