"""GIOP 1.0 / 1.1 / 1.2 messages, sans-IO.

Building a message returns its bytes; parsing takes the bytes of one whole
message and returns a small object whose ``body`` is a :class:`CDRReader`
positioned at the first body octet, with the alignment origin at the message
start -- so IDL-level code decodes the body without knowing which GIOP version
carried it.

:class:`MessageReader` is the stream side (in the spirit of h11): feed it
whatever the socket produced, pull complete messages out.  It enforces a size
limit before buffering anything, and reassembles GIOP 1.2 fragment chains
(omniORB fragments large messages) into one message.

Facts behind the layouts: CORBA 3.0 ch. 15 and protocol.md §1 (captures).
"""

from __future__ import annotations

import enum
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

from .cdr import CDRReader, CDRWriter
from .errors import MarshalError, MessageTooLarge
from .ior import IOR, read_ior, write_ior

MAGIC = b"GIOP"
HEADER_SIZE = 12
#: cppTango raises omniORB's giopMaxMsgSize to 256 MiB; accept that much, no more by default.
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024

BodyWriter = Callable[[CDRWriter], None]


class MsgType(enum.IntEnum):
    Request = 0
    Reply = 1
    CancelRequest = 2
    LocateRequest = 3
    LocateReply = 4
    CloseConnection = 5
    MessageError = 6
    Fragment = 7


class ReplyStatus(enum.IntEnum):
    NO_EXCEPTION = 0
    USER_EXCEPTION = 1
    SYSTEM_EXCEPTION = 2
    LOCATION_FORWARD = 3
    LOCATION_FORWARD_PERM = 4
    NEEDS_ADDRESSING_MODE = 5


class LocateStatus(enum.IntEnum):
    UNKNOWN_OBJECT = 0
    OBJECT_HERE = 1
    OBJECT_FORWARD = 2
    OBJECT_FORWARD_PERM = 3
    LOC_SYSTEM_EXCEPTION = 4
    LOC_NEEDS_ADDRESSING_MODE = 5


class CompletionStatus(enum.IntEnum):
    COMPLETED_YES = 0
    COMPLETED_NO = 1
    COMPLETED_MAYBE = 2


#: Service context id of CodeSets (CONV_FRAME::CodeSetContext).
CODESETS_ID = 1
ISO_8859_1 = 0x00010001
UTF_16 = 0x00010109


@dataclass(frozen=True)
class ServiceContext:
    context_id: int
    data: bytes  # the encapsulation octets (byte-order octet first)


def _codesets_data() -> bytes:
    def fill(w: CDRWriter) -> None:
        w.write_ulong(ISO_8859_1)
        w.write_ulong(UTF_16)
    return CDRWriter.encapsulate(fill, little_endian=True)


#: What omniORB sends on the first GIOP 1.2 request of a connection.
CODESETS_CONTEXT = ServiceContext(CODESETS_ID, _codesets_data())


@dataclass(frozen=True)
class MessageHeader:
    version: tuple[int, int]
    little_endian: bool
    more_fragments: bool
    msg_type: int
    size: int  # octets after the 12-octet header


@dataclass(frozen=True)
class SystemException:
    repo_id: str
    minor: int
    completed: CompletionStatus

    @property
    def name(self) -> str:
        """``OBJECT_NOT_EXIST`` for ``IDL:omg.org/CORBA/OBJECT_NOT_EXIST:1.0``."""
        return self.repo_id.rsplit("/", 1)[-1].split(":", 1)[0]


@dataclass
class Request:
    version: tuple[int, int]
    request_id: int
    response_expected: bool
    object_key: bytes
    operation: str
    service_contexts: list[ServiceContext]
    body: CDRReader
    little_endian: bool


@dataclass
class Reply:
    version: tuple[int, int]
    request_id: int
    status: ReplyStatus
    service_contexts: list[ServiceContext]
    body: CDRReader
    little_endian: bool
    exception_id: str | None = None  # USER_/SYSTEM_EXCEPTION repository id
    system_exception: SystemException | None = None
    forward_ior: IOR | None = None


@dataclass
class LocateRequest:
    version: tuple[int, int]
    request_id: int
    object_key: bytes


@dataclass
class LocateReply:
    version: tuple[int, int]
    request_id: int
    status: LocateStatus
    body: CDRReader


@dataclass
class CancelRequest:
    version: tuple[int, int]
    request_id: int


@dataclass
class CloseConnection:
    version: tuple[int, int]


@dataclass
class MessageError:
    version: tuple[int, int]


Message = Union[Request, Reply, LocateRequest, LocateReply, CancelRequest, CloseConnection, MessageError]

_SIZE_LE = struct.Struct("<I")
_REPLY_12_FIELDS = struct.Struct("<IIII")  # size, request id, reply status, service context count
_GIOP_1 = MAGIC + b"\x01"
_SIZE_BE = struct.Struct(">I")


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def _check_version(version: tuple[int, int]) -> None:
    if version not in ((1, 0), (1, 1), (1, 2)):
        raise ValueError(f"unsupported GIOP version {version}")


def _start(version: tuple[int, int], little_endian: bool, msg_type: MsgType) -> CDRWriter:
    _check_version(version)
    w = CDRWriter(little_endian)
    flags = 1 if little_endian else 0
    w.write_raw(MAGIC + bytes((version[0], version[1], flags, int(msg_type))) + b"\x00\x00\x00\x00")
    return w


def _finish(w: CDRWriter) -> bytes:
    size = len(w.buf) - HEADER_SIZE
    (_SIZE_LE if w.little_endian else _SIZE_BE).pack_into(w.buf, 8, size)
    return bytes(w.buf)


def _write_contexts(w: CDRWriter, contexts: Sequence[ServiceContext]) -> None:
    w.write_ulong(len(contexts))
    for ctx in contexts:
        w.write_ulong(ctx.context_id)
        w.write_octet_seq(ctx.data)


def _write_body_12(w: CDRWriter, write_body: BodyWriter | None) -> None:
    """GIOP 1.2 bodies start 8-aligned -- but only when there is a body (omniORB pads nothing otherwise)."""
    if write_body is None:
        return
    mark = len(w.buf)
    w.align(8)
    padded = len(w.buf)
    write_body(w)
    if len(w.buf) == padded:  # empty body: drop the padding again
        del w.buf[mark:]


def build_request(request_id: int, object_key: bytes, operation: str,
                  write_body: BodyWriter | None = None, *, version: tuple[int, int] = (1, 2),
                  response_expected: bool = True, service_contexts: Sequence[ServiceContext] = (),
                  little_endian: bool = True) -> bytes:
    """Encode a Request. ``write_body`` writes the in-arguments into the message's own writer."""
    if version == (1, 2):
        # Everything between the request id (at the aligned offset 12) and the body depends only on
        # the target, operation and contexts: encode it once per call site, not once per call.
        cache_key = (object_key, operation, response_expected, tuple(service_contexts), little_endian)
        tail = _REQUEST_12_TAILS.get(cache_key)
        if tail is None:
            tail = _request_12_tail(*cache_key)
        w = CDRWriter(little_endian)
        w.buf += (_REQUEST_12_LE if little_endian else _REQUEST_12_BE)
        w.buf += (_SIZE_LE if little_endian else _SIZE_BE).pack(request_id)
        w.buf += tail
        _write_body_12(w, write_body)
        return _finish(w)
    w = _start(version, little_endian, MsgType.Request)  # rejects anything but 1.0 and 1.1 here
    _write_contexts(w, service_contexts)
    w.write_ulong(request_id)
    w.write_boolean(response_expected)
    if version == (1, 1):
        w.write_raw(b"\x00\x00\x00")
    w.write_octet_seq(object_key)
    w.write_string(operation)
    w.write_octet_seq(b"")  # requesting_principal
    if write_body is not None:
        write_body(w)
    return _finish(w)


_REQUEST_12_LE = MAGIC + bytes((1, 2, 1, MsgType.Request)) + b"\x00\x00\x00\x00"
_REQUEST_12_BE = MAGIC + bytes((1, 2, 0, MsgType.Request)) + b"\x00\x00\x00\x00"
_REQUEST_12_TAILS: dict[tuple, bytes] = {}
_MAX_CACHED_TAILS = 4096


def _request_12_tail(object_key: bytes, operation: str, response_expected: bool,
                     service_contexts: tuple[ServiceContext, ...], little_endian: bool) -> bytes:
    """The octets of a GIOP 1.2 request header after its request id, cached."""
    w = CDRWriter(little_endian)
    w.buf += bytes(HEADER_SIZE + 4)  # header + request id: the tail starts 4-aligned at 16
    w.write_octet(3 if response_expected else 0)
    w.write_raw(b"\x00\x00\x00")
    w.write_short(0)  # KeyAddr
    w.write_octet_seq(object_key)
    w.write_string(operation)
    _write_contexts(w, service_contexts)
    tail = bytes(w.buf[HEADER_SIZE + 4:])
    if len(_REQUEST_12_TAILS) >= _MAX_CACHED_TAILS:
        _REQUEST_12_TAILS.clear()
    _REQUEST_12_TAILS[(object_key, operation, response_expected, service_contexts, little_endian)] = tail
    return tail


def build_reply(request_id: int, status: ReplyStatus = ReplyStatus.NO_EXCEPTION,
                write_body: BodyWriter | None = None, *, version: tuple[int, int] = (1, 2),
                little_endian: bool = True, service_contexts: Sequence[ServiceContext] = ()) -> bytes:
    """Encode a Reply. For exceptions ``write_body`` writes the repository id and members."""
    w = _start(version, little_endian, MsgType.Reply)
    if version >= (1, 2):
        w.write_ulong(request_id)
        w.write_ulong(int(status))
        _write_contexts(w, service_contexts)
        _write_body_12(w, write_body)
    else:
        _write_contexts(w, service_contexts)
        w.write_ulong(request_id)
        w.write_ulong(int(status))
        if write_body is not None:
            write_body(w)
    return _finish(w)


def system_exception_body(repo_id: str, minor: int, completed: CompletionStatus) -> BodyWriter:
    """Body writer for a SYSTEM_EXCEPTION reply."""
    def write(w: CDRWriter) -> None:
        w.write_string(repo_id)
        w.write_ulong(minor)
        w.write_ulong(int(completed))
    return write


def build_cancel_request(request_id: int, *, version: tuple[int, int] = (1, 2), little_endian: bool = True) -> bytes:
    w = _start(version, little_endian, MsgType.CancelRequest)
    w.write_ulong(request_id)
    return _finish(w)


def build_locate_request(request_id: int, object_key: bytes, *, version: tuple[int, int] = (1, 2),
                         little_endian: bool = True) -> bytes:
    w = _start(version, little_endian, MsgType.LocateRequest)
    w.write_ulong(request_id)
    if version >= (1, 2):
        w.write_short(0)
    w.write_octet_seq(object_key)
    return _finish(w)


def build_locate_reply(request_id: int, status: LocateStatus, *, version: tuple[int, int] = (1, 2),
                       little_endian: bool = True, forward: IOR | None = None) -> bytes:
    w = _start(version, little_endian, MsgType.LocateReply)
    w.write_ulong(request_id)
    w.write_ulong(int(status))
    if forward is not None:
        if version >= (1, 2):
            w.align(8)
        write_ior(w, forward)
    return _finish(w)


def build_close_connection(*, version: tuple[int, int] = (1, 2), little_endian: bool = True) -> bytes:
    return _finish(_start(version, little_endian, MsgType.CloseConnection))


def build_message_error(*, version: tuple[int, int] = (1, 2), little_endian: bool = True) -> bytes:
    return _finish(_start(version, little_endian, MsgType.MessageError))


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------

def parse_header(data: bytes | bytearray | memoryview) -> MessageHeader:
    """Decode the 12-octet header at the start of ``data``."""
    if len(data) < HEADER_SIZE:
        raise MarshalError("truncated GIOP header")
    if bytes(data[0:4]) != MAGIC:
        raise MarshalError(f"not a GIOP message (magic {bytes(data[0:4])!r})")
    major, minor, flags, msg_type = data[4], data[5], data[6], data[7]
    if major != 1 or minor > 2:
        raise MarshalError(f"unsupported GIOP version {major}.{minor}")
    if msg_type > 7 or (msg_type == 7 and minor == 0):
        raise MarshalError(f"unknown GIOP message type {msg_type}")
    little = bool(flags & 1)
    more = bool(flags & 2) if minor >= 1 else False
    size = (_SIZE_LE if little else _SIZE_BE).unpack_from(data, 8)[0]
    return MessageHeader((major, minor), little, more, msg_type, size)


def _read_contexts(r: CDRReader) -> list[ServiceContext]:
    n = r.read_count(8)
    return [ServiceContext(r.read_ulong(), r.read_octet_seq()) for _ in range(n)]


def _align_body_12(r: CDRReader) -> None:
    """Skip to the 8-aligned body start, if any octets remain (omniORB omits padding for empty bodies)."""
    if r.remaining() > 0:
        r.align(8)


def _read_target_address(r: CDRReader) -> bytes:
    disposition = r.read_short()
    if disposition == 0:
        return r.read_octet_seq()
    if disposition == 1:  # ProfileAddr: IOP::TaggedProfile
        tag = r.read_ulong()
        data = r.read_octet_seq()
        return _key_from_profile(tag, data)
    if disposition == 2:  # ReferenceAddr
        index = r.read_ulong()
        ior = read_ior(r)
        profiles = ior.iiop_profiles()
        if index >= len(ior.profiles) or not profiles:
            raise MarshalError("ReferenceAddr selects no IIOP profile")
        return profiles[0].object_key
    raise MarshalError(f"unknown GIOP addressing disposition {disposition}")


def _key_from_profile(tag: int, data: bytes) -> bytes:
    from .ior import IIOPProfile, TAG_INTERNET_IOP
    if tag != TAG_INTERNET_IOP:
        raise MarshalError("ProfileAddr is not an IIOP profile")
    return IIOPProfile.decode(data).object_key


def parse_message(data: bytes) -> Message:
    """Parse one whole (already reassembled) GIOP message."""
    if (len(data) >= 24 and data[5] == 2 and data[6] == 1 and data[7] == 1
            and data[:5] == _GIOP_1):
        # Fast path for the commonest message a client sees: a little-endian GIOP 1.2 reply with no
        # exception and no service context (one unpack instead of a field-by-field walk).
        size, request_id, status, n_contexts = _REPLY_12_FIELDS.unpack_from(data, 8)
        if status == 0 and n_contexts == 0 and size + HEADER_SIZE == len(data):
            # the context count ends at offset 24, which is already the 8-aligned body start
            return Reply((1, 2), request_id, ReplyStatus.NO_EXCEPTION, [], CDRReader(data, True, 0, 24), True)
    hdr = parse_header(data)
    if HEADER_SIZE + hdr.size != len(data):
        raise MarshalError(f"GIOP size field {hdr.size} does not match {len(data) - HEADER_SIZE} body octets")
    r = CDRReader(data, hdr.little_endian, origin=0, pos=HEADER_SIZE)
    v = hdr.version
    t = hdr.msg_type
    if t == MsgType.Request:
        if v >= (1, 2):
            request_id = r.read_ulong()
            flags = r.read_octet()
            r.skip(3)
            key = _read_target_address(r)
            op = r.read_string()
            contexts = _read_contexts(r)
            _align_body_12(r)
            expected = bool(flags & 1)
        else:
            contexts = _read_contexts(r)
            request_id = r.read_ulong()
            expected = r.read_boolean()
            if v == (1, 1):
                r.skip(3)
            key = r.read_octet_seq()
            op = r.read_string()
            r.read_octet_seq()  # requesting_principal
        return Request(v, request_id, expected, key, op, contexts, r, hdr.little_endian)
    if t == MsgType.Reply:
        if v >= (1, 2):
            request_id = r.read_ulong()
            status = r.read_ulong()
            contexts = _read_contexts(r)
            _align_body_12(r)
        else:
            contexts = _read_contexts(r)
            request_id = r.read_ulong()
            status = r.read_ulong()
        try:
            status = ReplyStatus(status)
        except ValueError:
            raise MarshalError(f"unknown reply status {status}") from None
        reply = Reply(v, request_id, status, contexts, r, hdr.little_endian)
        if status in (ReplyStatus.USER_EXCEPTION, ReplyStatus.SYSTEM_EXCEPTION):
            reply.exception_id = r.read_string()
            if status == ReplyStatus.SYSTEM_EXCEPTION:
                minor = r.read_ulong()
                completed = r.read_ulong()
                try:
                    completed = CompletionStatus(completed)
                except ValueError:
                    raise MarshalError(f"bad completion status {completed}") from None
                reply.system_exception = SystemException(reply.exception_id, minor, completed)
        elif status in (ReplyStatus.LOCATION_FORWARD, ReplyStatus.LOCATION_FORWARD_PERM):
            reply.forward_ior = read_ior(r)
        return reply
    if t == MsgType.CancelRequest:
        return CancelRequest(v, r.read_ulong())
    if t == MsgType.LocateRequest:
        request_id = r.read_ulong()
        key = _read_target_address(r) if v >= (1, 2) else r.read_octet_seq()
        return LocateRequest(v, request_id, key)
    if t == MsgType.LocateReply:
        request_id = r.read_ulong()
        status = r.read_ulong()
        try:
            status = LocateStatus(status)
        except ValueError:
            raise MarshalError(f"unknown locate status {status}") from None
        if v >= (1, 2):
            _align_body_12(r)
        return LocateReply(v, request_id, status, r)
    if t == MsgType.CloseConnection:
        return CloseConnection(v)
    if t == MsgType.MessageError:
        return MessageError(v)
    raise MarshalError("a lone Fragment message cannot be parsed")  # MessageReader reassembles them


class MessageReader:
    """Splits a GIOP byte stream into whole messages and reassembles fragments.

    Sans-IO: ``feed()`` what the socket produced, then call ``next_message()``
    until it returns None.  Raises :class:`MessageTooLarge` as soon as a header
    announces more than ``max_size`` octets (before buffering them), and
    :class:`MarshalError` for garbage; after either, the stream is unusable.

    Reassembly: the first message (flag "more fragments") is kept whole; each
    following Fragment contributes its octets after the 16-octet fragment header
    (12 + request_id in GIOP 1.2; 12 in 1.1).  The concatenation is decoded as one
    message, with the size field patched, exactly as if it had been sent unfragmented.
    """

    def __init__(self, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_size = max_size
        self._buf = bytearray()
        self._partial: dict[int | None, bytearray] = {}  # request id -> message being reassembled
        self._ready: deque[Message] = deque()

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._split()

    def bytes_needed(self) -> int:
        """Octets still missing for the next whole frame (at least 1)."""
        if len(self._buf) < HEADER_SIZE:
            return HEADER_SIZE - len(self._buf)
        hdr = parse_header(self._buf)
        return max(1, HEADER_SIZE + hdr.size - len(self._buf))

    def next_message(self) -> Message | None:
        return self._ready.popleft() if self._ready else None

    def _split(self) -> None:
        while len(self._buf) >= HEADER_SIZE:
            hdr = parse_header(self._buf)
            if hdr.size > self.max_size:
                raise MessageTooLarge(f"GIOP message of {hdr.size} octets exceeds the {self.max_size} limit")
            total = HEADER_SIZE + hdr.size
            if len(self._buf) < total:
                return
            frame = bytes(self._buf[:total])
            del self._buf[:total]
            self._frame(hdr, frame)

    def _frame(self, hdr: MessageHeader, frame: bytes) -> None:
        if hdr.msg_type == MsgType.Fragment:
            if hdr.version >= (1, 2):
                if hdr.size < 4:
                    raise MarshalError("GIOP 1.2 Fragment without request id")
                rid = (_SIZE_LE if hdr.little_endian else _SIZE_BE).unpack_from(frame, HEADER_SIZE)[0]
                payload = frame[HEADER_SIZE + 4:]
            else:
                rid = None
                payload = frame[HEADER_SIZE:]
            head = self._partial.get(rid)
            if head is None:
                raise MarshalError(f"Fragment for unknown request {rid}")
            if len(head) + len(payload) - HEADER_SIZE > self.max_size:
                raise MessageTooLarge("reassembled GIOP message exceeds the size limit")
            self._check_pending(len(payload))
            head += payload
            if not hdr.more_fragments:
                del self._partial[rid]
                self._complete(head)
            return
        if hdr.more_fragments:
            if hdr.msg_type not in (MsgType.Request, MsgType.Reply, MsgType.LocateRequest, MsgType.LocateReply):
                raise MarshalError("fragmented GIOP message of a type that cannot be fragmented")
            rid = None
            if hdr.version >= (1, 2):
                if hdr.size < 4:
                    raise MarshalError("fragmented message too short")
                rid = (_SIZE_LE if hdr.little_endian else _SIZE_BE).unpack_from(frame, HEADER_SIZE)[0]
            self._check_pending(len(frame))
            self._partial[rid] = bytearray(frame)
            return
        self._ready.append(parse_message(frame))

    def _check_pending(self, extra: int) -> None:
        # Messages under reassembly share the limit, or a peer could open many request ids at once.
        if sum(len(h) for h in self._partial.values()) + extra > self.max_size:
            raise MessageTooLarge("GIOP messages being reassembled exceed the size limit together")

    def _complete(self, head: bytearray) -> None:
        little = bool(head[6] & 1)
        head[6] &= ~2 & 0xFF
        (_SIZE_LE if little else _SIZE_BE).pack_into(head, 8, len(head) - HEADER_SIZE)
        self._ready.append(parse_message(bytes(head)))
