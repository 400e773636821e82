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
from typing import Callable, NamedTuple, Sequence, Union

import numpy as np

from .cdr import CDRReader, CDRWriter
from .errors import CodecError, MarshalError, MessageTooLarge
from .ior import IOR, read_ior, write_ior
from .structs import record

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


@record(frozen=True)
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


class MessageHeader(NamedTuple):
    version: tuple[int, int]
    little_endian: bool
    more_fragments: bool
    msg_type: int
    size: int  # octets after the 12-octet header


@record(frozen=True)
class SystemException:
    repo_id: str
    minor: int
    completed: CompletionStatus

    @property
    def name(self) -> str:
        """``OBJECT_NOT_EXIST`` for ``IDL:omg.org/CORBA/OBJECT_NOT_EXIST:1.0``."""
        return self.repo_id.rsplit("/", 1)[-1].split(":", 1)[0]


@record
class Request:
    version: tuple[int, int]
    request_id: int
    response_expected: bool
    object_key: bytes
    operation: str
    service_contexts: list[ServiceContext]
    body: CDRReader
    little_endian: bool


@record
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


@record
class LocateRequest:
    version: tuple[int, int]
    request_id: int
    object_key: bytes


@record
class LocateReply:
    version: tuple[int, int]
    request_id: int
    status: LocateStatus
    body: CDRReader


@record
class CancelRequest:
    version: tuple[int, int]
    request_id: int


@record
class CloseConnection:
    version: tuple[int, int]


@record
class MessageError:
    version: tuple[int, int]


Message = Union[Request, Reply, LocateRequest, LocateReply, CancelRequest, CloseConnection, MessageError]

_SIZE_LE = struct.Struct("<I")
_REPLY_12_FIELDS = struct.Struct("<8sIIII")  # header start, size, request id, reply status, context count
_REPLY_12_LE = MAGIC + bytes((1, 2, 1, 1))  # GIOP 1.2, little-endian, no more fragments, Reply
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


class EncodedArgs:
    """In-parameters encoded once, for requests sent again and again with the same arguments
    (an attribute read's names, source and client identity).

    ``octets`` is their encoding from an 8-aligned offset 0 -- exactly a GIOP 1.2 body, which
    starts 8-aligned -- and ``write(w)`` writes the same values into any writer (a GIOP 1.0/1.1
    body starts wherever its header ends, and CDR aligns relative to the message start).  It is
    a body writer itself, so whatever takes a ``write_body`` takes it; :func:`build_request`
    sends the octets of a GIOP 1.2 request as they are.
    """

    __slots__ = ("octets", "write")

    def __init__(self, octets: bytes, write: BodyWriter) -> None:
        self.octets = octets
        self.write = write

    def __call__(self, w: CDRWriter) -> None:
        self.write(w)

    def __repr__(self) -> str:
        return f"EncodedArgs({len(self.octets)} octets)"


def build_request(request_id: int, object_key: bytes, operation: str,
                  write_body: BodyWriter | None = None, *, version: tuple[int, int] = (1, 2),
                  response_expected: bool = True, service_contexts: Sequence[ServiceContext] = (),
                  little_endian: bool = True) -> bytes:
    """Encode a Request. ``write_body`` writes the in-arguments into the message's own writer
    (or is an :class:`EncodedArgs`)."""
    if version == (1, 2):
        return request_12(request_id, object_key, operation, write_body, response_expected, service_contexts,
                          little_endian)
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


def request_12(request_id: int, object_key: bytes, operation: str, write_body: BodyWriter | None,
               response_expected: bool = True, service_contexts: Sequence[ServiceContext] = (),
               little_endian: bool = True) -> bytes:
    """:func:`build_request` for GIOP 1.2, positional (what a client sends for every call).

    Everything between the request id and the body depends only on the target, the operation
    and the contexts: it is encoded once per call site (``_REQUEST_12_LAYOUTS``), so a request
    costs one pack of its first 16 octets and a concatenation (plus its body, if any)."""
    key = (object_key, operation, response_expected, little_endian, *service_contexts)
    layout = _REQUEST_12_LAYOUTS.get(key)
    if layout is None:
        layout = _request_12_layout(key, object_key, operation, response_expected, service_contexts, little_endian)
    head, first8, tail, padded = layout
    if write_body is None:
        return head.pack(first8, 4 + len(tail), request_id) + tail
    if type(write_body) is EncodedArgs:
        body = write_body.octets
    else:  # written after the padded header: the writer's origin is the message start
        w = CDRWriter(little_endian, -(16 + len(padded)))
        write_body(w)
        body = w.buf
    if not body:  # an empty body: no padding either (omniORB pads nothing then)
        return head.pack(first8, 4 + len(tail), request_id) + tail
    return head.pack(first8, 4 + len(padded) + len(body), request_id) + padded + body


#: (object key, operation, response expected, little endian, *contexts) -> (struct of the first 16
#: octets, their first 8, the octets after the request id, the same padded to the 8-aligned body)
_REQUEST_12_LAYOUTS: dict[tuple, tuple] = {}
_MAX_CACHED_LAYOUTS = 4096
_REQUEST_12_HEAD = (struct.Struct(">8sII"), struct.Struct("<8sII"))  # magic + version + flags + type, size, id


def _request_12_layout(key: tuple, object_key: bytes, operation: str, response_expected: bool,
                       service_contexts: Sequence[ServiceContext], little_endian: bool) -> tuple:
    w = CDRWriter(little_endian)
    w.buf += bytes(HEADER_SIZE + 4)  # header + request id: the tail starts 4-aligned at 16
    w.write_octet(3 if response_expected else 0)
    w.write_raw(b"\x00\x00\x00")
    w.write_short(0)  # KeyAddr
    w.write_octet_seq(object_key)
    w.write_string(operation)
    _write_contexts(w, service_contexts)
    tail = bytes(w.buf[HEADER_SIZE + 4:])
    w.align(8)
    padded = bytes(w.buf[HEADER_SIZE + 4:])
    first8 = MAGIC + bytes((1, 2, 1 if little_endian else 0, MsgType.Request))
    layout = (_REQUEST_12_HEAD[little_endian], first8, tail, padded)
    if len(_REQUEST_12_LAYOUTS) >= _MAX_CACHED_LAYOUTS:
        _REQUEST_12_LAYOUTS.clear()
    _REQUEST_12_LAYOUTS[key] = layout
    return layout


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


def build_reply_header(request_id: int, status: ReplyStatus, body_size: int, *,
                       version: tuple[int, int] = (1, 2), little_endian: bool = True) -> bytes:
    """The octets of a Reply up to its body, for a body of ``body_size`` octets sent right after.

    For senders that keep a large body in its own buffer (one ``sendmsg`` of header + body, no
    copy).  The body must have been encoded from offset 0: the header this returns (no service
    contexts) is 24 octets in every GIOP version, so the body starts 8-aligned as encoded.
    """
    try:
        fields, start, v12 = _REPLY_HEADERS[version, little_endian]
    except KeyError:
        _check_version(version)
        raise
    # GIOP 1.2: request id, status, no service context; 1.0/1.1: no service context, id, status
    if v12:
        return fields.pack(start, 12 + body_size, request_id, status, 0)
    return fields.pack(start, 12 + body_size, 0, request_id, status)


#: (version, little endian) -> (layout of a 24-octet Reply header, its first 8 octets, is 1.2)
_REPLY_HEADERS = {((1, minor), little): (struct.Struct("<8sIIII" if little else ">8sIIII"),
                                         MAGIC + bytes((1, minor, 1 if little else 0, 1)), minor == 2)
                  for minor in (0, 1, 2) for little in (True, False)}


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


_GIOP_1 = MAGIC + b"\x01"
_REQUEST_10 = (struct.Struct("<IIIB3xI"), struct.Struct(">IIIB3xI"))  # size, contexts, id, flag, key length
_REQUEST_12 = (struct.Struct("<IIB3xh2xI"), struct.Struct(">IIB3xh2xI"))  # size, id, flags, KeyAddr, key length
_ULONG = (_SIZE_LE, _SIZE_BE)


def _parse_request(data: bytes) -> Request | None:
    """A Request parsed with a few unpacks: GIOP 1.0/1.1 without service contexts, or 1.2 with
    a KeyAddr target (what Tango clients send).  None when the message is anything else or
    malformed in any way: the general parser then handles it (or names the error)."""
    minor = data[5]
    flags = data[6]
    if minor > 2 or flags & 0xFE:
        return None
    be = 0 if flags else 1
    n = len(data)
    if minor == 2:
        size, request_id, response, disposition, key_len = _REQUEST_12[be].unpack_from(data, 8)
        if disposition != 0:
            return None
        response = response & 1
    else:
        size, n_contexts, request_id, response, key_len = _REQUEST_10[be].unpack_from(data, 8)
        if n_contexts or response > 1:
            return None
    if size + HEADER_SIZE != n:
        return None
    ulong = _ULONG[be]
    at = 28 + key_len
    op_at = (at + 3) & ~3
    if op_at + 4 > n:
        return None
    op_len = ulong.unpack_from(data, op_at)[0]
    op_end = op_at + 4 + op_len
    if op_len == 0 or op_end > n or data[op_end - 1] != 0:
        return None
    operation = str(data[op_at + 4:op_end - 1], "latin-1")
    at = (op_end + 3) & ~3
    if at + 4 > n:
        return None
    count = ulong.unpack_from(data, at)[0]   # 1.2: service contexts; 1.0/1.1: the principal's length
    at += 4
    contexts: list[ServiceContext] = []
    if minor == 2:
        if count:
            r = CDRReader(data, not be, 0, at - 4)
            try:
                contexts = _read_contexts(r)
            except CodecError:
                return None
            at = r.pos
        if at < n:
            at = (at + 7) & ~7  # the body starts 8-aligned
            if at > n:
                return None
    else:
        at += count           # the requesting principal, ignored
        if at > n:
            return None
    key = data[28:28 + key_len]
    return Request((1, minor), request_id, bool(response), key if type(key) is bytes else bytes(key),
                   operation, contexts, CDRReader(data, not be, 0, at), not be)


def parse_message(data: bytes) -> Message:
    """Parse one whole (already reassembled) GIOP message."""
    if len(data) >= 24:
        # Fast path for the commonest message a client sees: a little-endian GIOP 1.2 reply with no
        # exception and no service context (one unpack instead of a field-by-field walk).
        head, size, request_id, status, n_contexts = _REPLY_12_FIELDS.unpack_from(data, 0)
        if (head == _REPLY_12_LE and status == 0 and n_contexts == 0
                and size + HEADER_SIZE == len(data)):
            # the context count ends at offset 24, which is already the 8-aligned body start
            return Reply((1, 2), request_id, ReplyStatus.NO_EXCEPTION, [], CDRReader(data, True, 0, 24), True)
        # ... and the commonest a server sees: a Request
        if data[7] == 0 and len(data) >= 28 and data[:5] == _GIOP_1:
            request = _parse_request(data)
            if request is not None:
                return request
    return _parse_any(data)


def _parse_any(data: bytes) -> Message:
    """Parse any GIOP message field by field (and say precisely what is wrong with a bad one)."""
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


#: Frames up to this size are gathered in the reader's scratch buffer and copied out whole;
#: bigger ones are received straight into a buffer of their own, which becomes the message.
SMALL_FRAME = 16 * 1024
#: The scratch buffer: what one ``recv_into`` may fill when no big frame is being received.
SCRATCH_SIZE = 64 * 1024
#: A big frame's own buffer starts at most this large (or the frame's size, if smaller) and
#: afterwards at most doubles the octets that have really arrived: a header that announces
#: 255 MiB and sends nothing costs 1 MiB, not 255.
FIRST_ALLOCATION = 1024 * 1024
#: Room kept after the first part of a fragmented message, so that omniORB's short closing
#: Fragment lands without moving the (big) first part.
CHAIN_SLACK = 64 * 1024

_HEAD = struct.Struct("<4sBBBBI")  # magic, major, minor, flags, message type, size (little-endian)
_ID_LE = struct.Struct("<I")
_ID_BE = struct.Struct(">I")

# what a big frame's own buffer receives
_WHOLE, _HEAD_PART, _FRAGMENT = 0, 1, 2


class _Chain:
    """A fragmented message being reassembled: ``buf[:length]`` so far (capacity may be larger)."""

    __slots__ = ("buf", "length")

    def __init__(self, buf: np.ndarray, length: int) -> None:
        self.buf = buf
        self.length = length


def _new_buffer(capacity: int) -> np.ndarray:
    """A receive buffer: numpy's uninitialised memory (a bytearray would be zero-filled first,
    which costs as much as receiving into it)."""
    return np.empty(capacity, np.uint8)


def _grow(buf: np.ndarray, capacity: int) -> np.ndarray:
    """``buf``'s octets in a new buffer of ``capacity`` (growing by 4x at least, the copies of a
    big message's growth add up to less than the message)."""
    new = _new_buffer(capacity)
    new[:len(buf)] = buf
    return new


class MessageReader:
    """THE GIOP framer: splits a byte stream into whole messages and reassembles fragments.

    Sans-IO.  Two ways to put bytes in:

    * ``feed(data)`` -- bytes that were received somewhere else (copied in);
    * ``get_buffer()`` / ``buffer_updated(n)`` -- zero copy, the asyncio ``BufferedProtocol``
      shape: receive straight into the memoryview ``get_buffer()`` returns (``sock.recv_into``),
      then say how many octets arrived.  Small frames land in a 64 KiB scratch buffer and are
      copied out whole (``bytes``); a frame over 16 KiB is received into a buffer of its own
      (uninitialised numpy memory, handed on as a writable memoryview) that becomes the message,
      so numeric arrays decoded from it are views (no copy at all).
      GIOP 1.2 Fragments of a big message are received straight behind its first part.

    Then ``next_message()`` until it returns None.

    Memory follows the data that really arrives, never a header's claim: a big frame's buffer
    starts at ``min(size, 1 MiB)`` and then grows to at most 4x what has arrived.  One size limit,
    ``max_size`` (octets after the 12-octet header, as if the message were not fragmented),
    checked on each header before anything is buffered, on each reassembled message, and on all
    messages under reassembly together (or a peer could open many request ids at once).
    Violations raise :class:`MessageTooLarge`, garbage :class:`MarshalError`; the error is
    raised by the call that finds it (``feed`` / ``buffer_updated``), then again by
    ``next_message()`` once the messages completed before it have been taken; the stream is
    unusable afterwards and the reader drops what it held.

    Reassembly: the first message (flag "more fragments") is kept whole; each following Fragment
    contributes its octets after the fragment header (12 + request id in GIOP 1.2; 12 in 1.1).
    The concatenation, with flag and size patched, is decoded exactly as if it had been sent
    unfragmented.
    """

    def __init__(self, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_size = max_size
        self._scratch = bytearray(SCRATCH_SIZE)
        self._view = memoryview(self._scratch)  # never resized, so a lasting view is fine
        self._start = 0  # unframed octets are _scratch[_start:_end]
        self._end = 0
        # the "sink": a big frame (or a big Fragment's payload) received into its own buffer
        self._sink: np.ndarray | None = None
        self._sink_view: memoryview | None = None
        self._sink_pos = 0
        self._sink_end = 0
        self._sink_kind = _WHOLE
        self._sink_more = False
        self._sink_rid: int | None = None
        self._chains: dict[int | None, _Chain] = {}  # request id (None in GIOP 1.1) -> message
        self._ready: deque[Message] = deque()
        self._error: CodecError | None = None

    # -- input ------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Add received octets (copied).  Raises the stream's CodecError, if any."""
        data = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data
        offset, total = 0, len(data)
        while offset < total:
            space = self.get_buffer()
            n = min(len(space), total - offset)
            space[:n] = data[offset:offset + n]
            del space
            self.buffer_updated(n)
            offset += n
        if self._error is not None:
            raise self._error

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Writable space for the next received octets (never empty); see ``buffer_updated``.

        Sized to what the current frame still needs when a big frame is being received, so one
        ``recv_into`` never mixes two frames there.  Release the view before the next call.
        """
        sink = self._sink
        if sink is None:
            return self._view[self._end:]
        pos = self._sink_pos
        if pos >= len(sink):  # full, the frame is not: grow with what has really arrived
            limit = self._sink_end if self._sink_kind == _WHOLE else self._sink_end + CHAIN_SLACK
            sink = _grow(sink, min(limit, max(FIRST_ALLOCATION, 4 * pos)))
            self._sink = sink
            self._sink_view = memoryview(sink)
            if self._sink_kind == _FRAGMENT:
                self._chains[self._sink_rid].buf = sink
        return self._sink_view[pos:min(self._sink_end, len(sink))]

    def buffer_updated(self, nbytes: int) -> None:
        """``nbytes`` octets were written at the start of the last ``get_buffer()`` view.

        Raises the stream's CodecError, if any.  (0 octets: nothing happens; end of stream is
        the caller's business.)
        """
        if self._error is not None:
            raise self._error
        try:
            if self._sink is not None:
                self._sink_pos += nbytes
                if self._sink_pos < self._sink_end:
                    return
                self._sink_done()
            else:
                self._end += nbytes
            self._split()
        except CodecError as exc:
            self._fail(exc)
            raise

    # -- output -----------------------------------------------------------------------------

    @property
    def input_pending(self) -> bool:
        """Whether fed octets (whole messages, parts of one, or an error) await ``next_message()``."""
        # (buffered > 0, without adding up the sizes: a server asks this before every request)
        return (bool(self._ready) or self._error is not None or self._end > self._start or self._sink is not None
                or bool(self._chains))

    def next_message(self) -> Message | None:
        """The next whole message, or None when more octets are needed."""
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            raise self._error
        return None

    def bytes_needed(self) -> int:
        """Octets still missing for the next whole frame (at least 1)."""
        if self._sink is not None:
            return max(1, self._sink_end - self._sink_pos)
        avail = self._end - self._start
        if avail < HEADER_SIZE:
            return HEADER_SIZE - avail
        hdr = parse_header(self._view[self._start:self._start + HEADER_SIZE])
        return max(1, HEADER_SIZE + hdr.size - avail)

    @property
    def failed(self) -> bool:
        """True once the stream was found broken (``next_message`` raises after the messages before)."""
        return self._error is not None

    @property
    def exact_buffer(self) -> bool:
        """True when the last ``get_buffer()`` view lies inside one big frame (nothing else can
        arrive before it is full: a driver may wait for all of it, e.g. with MSG_WAITALL)."""
        return self._sink is not None

    @property
    def frame_in_progress(self) -> bool:
        """True while part of a frame or of a fragmented message is held (a reply half read)."""
        return self._sink is not None or self._end > self._start or bool(self._chains)

    def partly_received(self) -> tuple[int, ...]:
        """The request ids of the GIOP 1.2 replies of which part has arrived: a half-received
        frame whose header and request id are in, and fragmented messages not yet whole."""
        ids = [rid for rid in self._chains if rid is not None]
        if self._sink is not None and self._sink_kind == _HEAD_PART and self._sink_rid is not None:
            ids.append(self._sink_rid)
        head = None
        if self._sink is not None and self._sink_kind == _WHOLE:
            head = self._sink_view[:16] if self._sink_pos >= 16 else None
        elif self._end - self._start >= 16:
            head = self._view[self._start:self._start + 16]
        if head is not None and bytes(head[:4]) == MAGIC and head[4] == 1 and head[5] == 2 \
                and head[7] in (MsgType.Reply, MsgType.LocateReply):
            rid = (_ID_LE if head[6] & 1 else _ID_BE).unpack_from(head, 12)[0]
            if rid not in ids:
                ids.append(rid)
        return tuple(ids)

    @property
    def buffered(self) -> int:
        """Octets of memory held for unfinished frames and messages (the scratch buffer aside)."""
        held = self._end - self._start
        if self._sink is not None and self._sink_kind != _FRAGMENT:
            held += len(self._sink)
        return held + sum(len(c.buf) for c in self._chains.values())

    def clear(self) -> None:
        """Forget everything held (the connection is being closed)."""
        self._start = self._end = 0
        self._sink = self._sink_view = None
        self._chains.clear()
        self._ready.clear()

    # -- framing ----------------------------------------------------------------------------

    def _fail(self, exc: CodecError) -> None:
        self._error = exc
        self._start = self._end = 0
        self._sink = self._sink_view = None
        self._chains.clear()

    def _split(self) -> None:
        scratch, view = self._scratch, self._view
        while True:
            start = self._start
            avail = self._end - start
            if avail < HEADER_SIZE:
                break
            magic, major, minor, flags, mtype, size = _HEAD.unpack_from(scratch, start)
            if magic != MAGIC or major != 1 or minor > 2 or mtype > 7 or (mtype == 7 and minor == 0):
                parse_header(view[start:start + HEADER_SIZE])  # raises the precise MarshalError
                raise MarshalError("bad GIOP header")  # pragma: no cover - parse_header raised
            little = flags & 1
            if not little:
                size = _SIZE_BE.unpack_from(scratch, start + 8)[0]
            if size > self.max_size:
                raise MessageTooLarge(f"GIOP message of {size} octets exceeds the {self.max_size} octets limit")
            total = HEADER_SIZE + size
            more = minor >= 1 and bool(flags & 2)
            if avail >= total:
                self._start = start + total
                frame = (bytes if total <= SMALL_FRAME else bytearray)(view[start:start + total])
                if more or mtype == 7:
                    self._frame(frame, minor, little, mtype, more)
                else:  # the common case, inline
                    self._ready.append(parse_message(frame))
                continue
            if total <= SMALL_FRAME:
                break  # wait for the rest in the scratch buffer
            # a big frame: the rest goes straight into a buffer of its own
            ids = _ID_LE if little else _ID_BE
            if mtype == MsgType.Fragment:
                head_size = HEADER_SIZE + 4 if minor >= 2 else HEADER_SIZE
                if avail < head_size:
                    break
                rid = ids.unpack_from(scratch, start + HEADER_SIZE)[0] if minor >= 2 else None
                chain = self._chain_for(rid, total - head_size)
                got = avail - head_size
                end = chain.length + total - head_size
                chain.buf = buf = self._room(chain.buf, chain.length + got, end, end + CHAIN_SLACK)
                sink_view = memoryview(buf)
                sink_view[chain.length:chain.length + got] = view[start + head_size:self._end]
                self._sink, self._sink_view, self._sink_pos, self._sink_end = buf, sink_view, chain.length + got, end
                self._sink_kind, self._sink_rid = _FRAGMENT, rid
            else:
                rid = None
                if more:
                    if minor >= 2 and avail < HEADER_SIZE + 4:
                        break
                    rid = self._new_chain_id(scratch, start, minor, mtype, ids, total)
                cap = min(total + CHAIN_SLACK if more else total, max(FIRST_ALLOCATION, 4 * avail))
                buf = _new_buffer(cap)
                sink_view = memoryview(buf)
                sink_view[:avail] = view[start:self._end]
                self._sink, self._sink_view, self._sink_pos, self._sink_end = buf, sink_view, avail, total
                self._sink_kind, self._sink_rid = (_HEAD_PART if more else _WHOLE), rid
            self._sink_more = more
            self._start = self._end = 0
            return
        if self._start == self._end:
            self._start = self._end = 0
        elif self._start + SMALL_FRAME > len(scratch):  # make room for a whole small frame
            rest = bytes(view[self._start:self._end])
            scratch[:len(rest)] = rest
            self._start, self._end = 0, len(rest)

    def _room(self, buf: np.ndarray, needed: int, end: int, limit: int) -> np.ndarray:
        """``buf`` with capacity for ``needed`` octets, growing 4x at most (never past ``limit``)."""
        if needed <= len(buf):
            return buf
        return _grow(buf, max(needed, min(limit, max(FIRST_ALLOCATION, 4 * len(buf)), end)))

    def _chain_for(self, rid: int | None, payload: int) -> _Chain:
        chain = self._chains.get(rid)
        if chain is None:
            raise MarshalError(f"Fragment for unknown request {rid}")
        if chain.length - HEADER_SIZE + payload > self.max_size:
            raise MessageTooLarge("reassembled GIOP message exceeds the size limit")
        self._check_pending(payload)
        return chain

    def _new_chain_id(self, data, start: int, minor: int, mtype: int, ids: struct.Struct, total: int) -> int | None:
        if mtype not in (MsgType.Request, MsgType.Reply, MsgType.LocateRequest, MsgType.LocateReply):
            raise MarshalError("fragmented GIOP message of a type that cannot be fragmented")
        rid = None
        if minor >= 2:
            if total < HEADER_SIZE + 4:
                raise MarshalError("fragmented message too short")
            rid = ids.unpack_from(data, start + HEADER_SIZE)[0]
        if rid in self._chains:
            raise MarshalError(f"second fragmented message for request {rid}")
        self._check_pending(total)
        return rid

    def _check_pending(self, extra: int) -> None:
        if sum(c.length for c in self._chains.values()) + extra > self.max_size + HEADER_SIZE:
            raise MessageTooLarge("GIOP messages being reassembled exceed the size limit together")

    def _frame(self, frame: bytes | bytearray, minor: int, little: int, mtype: int, more: bool) -> None:
        """One whole frame that arrived in the scratch buffer."""
        if mtype == MsgType.Fragment:
            head_size = HEADER_SIZE + 4 if minor >= 2 else HEADER_SIZE
            if len(frame) < head_size:
                raise MarshalError("GIOP 1.2 Fragment without request id")
            rid = (_ID_LE if little else _ID_BE).unpack_from(frame, HEADER_SIZE)[0] if minor >= 2 else None
            payload = len(frame) - head_size
            chain = self._chain_for(rid, payload)
            end = chain.length + payload
            chain.buf = buf = self._room(chain.buf, end, end, end + (CHAIN_SLACK if more else 0))
            memoryview(buf)[chain.length:end] = memoryview(frame)[head_size:]
            chain.length = end
            if not more:
                self._complete(rid)
            return
        if more:
            rid = self._new_chain_id(frame, 0, minor, mtype, _ID_LE if little else _ID_BE, len(frame))
            head = _new_buffer(len(frame))
            memoryview(head)[:] = frame
            self._chains[rid] = _Chain(head, len(frame))
            return
        self._ready.append(parse_message(frame))

    def _sink_done(self) -> None:
        buf, view, kind, rid = self._sink, self._sink_view, self._sink_kind, self._sink_rid
        self._sink = self._sink_view = None
        if kind == _WHOLE:
            self._ready.append(parse_message(view))
        elif kind == _HEAD_PART:
            self._chains[rid] = _Chain(buf, self._sink_end)
        else:
            chain = self._chains[rid]
            chain.buf, chain.length = buf, self._sink_end
            if not self._sink_more:
                self._complete(rid)

    def _complete(self, rid: int | None) -> None:
        chain = self._chains.pop(rid)
        head = memoryview(chain.buf)[:chain.length]  # (the slack after it goes with the buffer)
        head[6] &= 0xFD  # no more fragments
        (_SIZE_LE if head[6] & 1 else _SIZE_BE).pack_into(head, 8, len(head) - HEADER_SIZE)
        self._ready.append(parse_message(head))
