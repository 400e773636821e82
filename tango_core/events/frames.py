"""Sans-IO encoding and decoding of the ZeroMQ messages a Tango server publishes.

A server publishes on two PUB sockets (protocol brief §5.4):

* heartbeat socket, 3 frames: ``topic``, one byte-order octet, ``ZmqCallInfo``;
* event socket, 4 frames: the same three, then a data frame that starts with
  the marker ``0xDEC0DEC0`` (4 octets; 8 for pipe events) followed by the
  payload CDR, aligned as if it began at offset 0 *after* the marker.

Nothing here touches sockets or threads: the consumer hands the frames of one
multipart message to :func:`decode_heartbeat` / :func:`decode_event` and gets
plain objects back; the supplier builds the frames it sends with the mirror
functions :func:`encode_heartbeat` / :func:`encode_event` (and
:func:`encode_data_frame` for the payload).  The payload itself is only decoded on demand
(:func:`decode_payload`), when the event is dispatched (after the burst that brought
it was drained), so that draining stays cheap.  Malformed input raises :class:`~tango_core.wire.errors.MarshalError`.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Sequence

import numpy as np

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import MarshalError

__all__ = [
    "CallInfo", "Heartbeat", "EventMessage", "split_topic", "decode_call_info",
    "decode_heartbeat", "decode_event", "payload_reader", "decode_payload",
    "HEARTBEAT_SUFFIX", "EVENT_MARKER_LE", "EVENT_MARKER_BE", "IDL5_PREFIX",
    "encode_call_info", "encode_heartbeat", "encode_data_frame", "encode_event",
    "encode_error_payload", "numeric_value_frame", "call_info_packer", "FLUSH_MESSAGE", "ZMQ_EVENT_PROT_VERSION",
]

HEARTBEAT_SUFFIX = ".heartbeat"
IDL5_PREFIX = "idl5_"
EVENT_MARKER_LE = b"\xc0\xde\xc0\xde"
EVENT_MARKER_BE = b"\xde\xc0\xde\xc0"
ZMQ_EVENT_PROT_VERSION = 1
# cppTango sends this single frame on the *event* socket with every heartbeat, to flush
# libzmq's reconnection state; subscribers with topic filters never see it.
FLUSH_MESSAGE = (b"I like beer",)

# The canonical 21-octet ZmqCallInfo every Tango server sends: version, ctr,
# method_name "" (length 1 + NUL + 3 pad), oid [] (length 0), call_is_except.
_CALLINFO_LE = struct.Struct("<IIIB3xI?")
_CALLINFO_BE = struct.Struct(">IIIB3xI?")


class CallInfo:
    """The decoded ``ZmqCallInfo`` (IDL: version, ctr, method_name, oid, call_is_except)."""

    __slots__ = ("version", "ctr", "method_name", "oid", "call_is_except")

    def __init__(self, version: int, ctr: int, method_name: str = "", oid: bytes = b"",
                 call_is_except: bool = False) -> None:
        self.version = version
        self.ctr = ctr
        self.method_name = method_name
        self.oid = oid
        self.call_is_except = call_is_except

    def __repr__(self) -> str:
        return (f"CallInfo(version={self.version}, ctr={self.ctr}, method_name={self.method_name!r}, "
                f"oid={self.oid!r}, call_is_except={self.call_is_except})")


class Heartbeat:
    """A heartbeat: ``channel`` is the topic without ``.heartbeat`` (and without ``#dbase=no``)."""

    __slots__ = ("topic", "channel")

    def __init__(self, topic: str, channel: str) -> None:
        self.topic = topic
        self.channel = channel

    def __repr__(self) -> str:
        return f"Heartbeat(topic={self.topic!r})"


class EventMessage:
    """One event envelope: topic, byte order, call info and the raw data frame.

    ``payload_offset`` is where the payload CDR starts inside ``data`` (after the marker).
    """

    __slots__ = ("topic", "little_endian", "ctr", "call_is_except", "data", "payload_offset")

    def __init__(self, topic: str, little_endian: bool, ctr: int, call_is_except: bool,
                 data: bytes | memoryview, payload_offset: int) -> None:
        self.topic = topic
        self.little_endian = little_endian
        self.ctr = ctr
        self.call_is_except = call_is_except
        self.data = data
        self.payload_offset = payload_offset

    @property
    def event_name(self) -> str:
        """The wire event name without ``idl5_`` (``change``, ``attr_conf``, ``alarm`` ...)."""
        return split_topic(self.topic)[1]

    def __repr__(self) -> str:
        return (f"EventMessage(topic={self.topic!r}, ctr={self.ctr}, call_is_except={self.call_is_except}, "
                f"payload={len(self.data) - self.payload_offset} octets)")


def split_topic(topic: str) -> tuple[str, str]:
    """Split ``tango://h:p/dev/attr.idl5_change`` into (``tango://h:p/dev/attr``, ``change``).

    Host names may contain dots, event names never do, so the split is on the last dot.
    """
    base, sep, name = topic.rpartition(".")
    if not sep:
        raise MarshalError(f"event topic without an event name: {topic!r}")
    if name.startswith(IDL5_PREFIX):
        name = name[len(IDL5_PREFIX):]
    return base, name


def _byte_order(frame: bytes) -> bool:
    if len(frame) != 1 or frame[0] > 1:
        raise MarshalError(f"bad ZMQ byte-order frame {bytes(frame)!r} (expected one octet 0 or 1)")
    return frame[0] == 1


def decode_call_info(frame: bytes, little_endian: bool) -> CallInfo:
    """Decode the ``ZmqCallInfo`` frame (CDR aligned from the frame's first octet)."""
    if len(frame) == 21:
        st = _CALLINFO_LE if little_endian else _CALLINFO_BE
        version, ctr, name_len, nul, oid_len, is_except = st.unpack(frame)
        if name_len == 1 and nul == 0 and oid_len == 0:
            return CallInfo(version, ctr, "", b"", is_except)
    r = CDRReader(frame, little_endian)
    version = r.read_long()
    ctr = r.read_ulong()
    method_name = r.read_string()
    oid = r.read_octet_seq()
    is_except = r.read_boolean()
    return CallInfo(version, ctr, method_name, oid, is_except)


def _topic(frame: bytes) -> str:
    try:
        return bytes(frame).decode("latin-1")
    except Exception as exc:  # pragma: no cover - latin-1 decodes every byte
        raise MarshalError(f"undecodable topic: {exc}") from None


def decode_heartbeat(frames: Sequence[bytes]) -> Heartbeat:
    """Decode a 3-frame heartbeat message."""
    if len(frames) != 3:
        raise MarshalError(f"heartbeat message has {len(frames)} frames, expected 3")
    topic = _topic(frames[0])
    if not topic.endswith(HEARTBEAT_SUFFIX):
        raise MarshalError(f"heartbeat topic does not end with {HEARTBEAT_SUFFIX!r}: {topic!r}")
    le = _byte_order(frames[1])
    decode_call_info(frames[2], le)  # validated, content unused (ctr is garbage on heartbeats)
    channel = topic[: -len(HEARTBEAT_SUFFIX)]
    if channel.endswith("#dbase=no"):
        channel = channel[: -len("#dbase=no")]
    return Heartbeat(topic, channel)


def decode_event(frames: Sequence[bytes]) -> EventMessage:
    """Decode the envelope of a 4-frame event message; the payload stays raw."""
    if len(frames) != 4:
        raise MarshalError(f"event message has {len(frames)} frames, expected 4")
    topic = _topic(frames[0])
    le = _byte_order(frames[1])
    info = decode_call_info(frames[2], le)
    data = frames[3]
    if type(data) is not bytes and type(data) is not memoryview:
        data = bytes(data)     # a memoryview (the receiver's big frames) is kept: arrays become views of it
    marker = EVENT_MARKER_LE if le else EVENT_MARKER_BE
    if data[:4] != marker:
        raise MarshalError(f"event data frame does not start with the 0xDEC0DEC0 marker: {data[:4].hex()}")
    offset = 8 if data[4:8] == marker else 4  # pipe events carry the marker twice
    return EventMessage(topic, le, info.ctr, info.call_is_except, data, offset)


def payload_reader(msg: EventMessage) -> CDRReader:
    """A CDR reader over the payload, aligned from the first octet after the marker."""
    off = msg.payload_offset
    return CDRReader(msg.data, msg.little_endian, origin=off, pos=off)


def _payload_decoders() -> dict:
    """Readers by wire event name (with ``idl5_`` when present): IDL >= 5 devices publish
    ``idl5_`` topics carrying AttributeValue_5 / AttributeConfig_5; IDL-4 devices (Tango 8)
    publish bare names carrying AttributeValue_4 / AttributeConfig_3."""
    from ..idl import types as T
    v5, v4 = ("value", T.AttributeValue_5.read), ("value", T.AttributeValue_4.read)
    out = {}
    for name in ("change", "periodic", "archive", "user_event"):
        out[IDL5_PREFIX + name] = v5
        out[name] = v4
    out.update({"alarm": v5,
                IDL5_PREFIX + "attr_conf": ("attr_conf", T.AttributeConfig_5.read),
                "attr_conf": ("attr_conf", T.AttributeConfig_3.read),
                "data_ready": ("data_ready", T.AttDataReady.read),
                "intr_change": ("intr_change", T.DevIntrChange.read)})
    return out


_DECODERS: dict | None = None
_TOPIC_DECODER: dict[str, tuple] = {}   # topic -> (kind, reader fn); topics are few and long-lived


def _decoder_for(topic: str) -> tuple:
    global _DECODERS
    d = _TOPIC_DECODER.get(topic)
    if d is None:
        if _DECODERS is None:
            _DECODERS = _payload_decoders()
        name = topic.rpartition(".")[2]
        d = _DECODERS.get(name)
        if d is None:
            raise MarshalError(f"unsupported event type {name!r} in topic {topic!r}")
        if len(_TOPIC_DECODER) > 10_000:
            _TOPIC_DECODER.clear()
        _TOPIC_DECODER[topic] = d
    return d


def decode_payload(msg: EventMessage):
    """Decode the payload by event kind.

    Returns a tuple ``(kind, value)`` with kind ``"error"`` (a tuple of DevError,
    when ``call_is_except``), ``"value"`` (AttributeValue_5), ``"attr_conf"``
    (AttributeConfig_5), ``"data_ready"`` (AttDataReady) or ``"intr_change"``
    (DevIntrChange).
    """
    off = msg.payload_offset
    r = CDRReader(msg.data, msg.little_endian, origin=off, pos=off)
    if msg.call_is_except:
        from ..idl.errors import read_dev_error_list
        return "error", tuple(read_dev_error_list(r))
    kind, read = _decoder_for(msg.topic)
    return kind, read(r)


# ---------------------------------------------------------------------------
# encoding (the supplier side): the exact mirror of the decoders above

def encode_call_info(ctr: int, call_is_except: bool = False, little_endian: bool = True) -> bytes:
    """The canonical 21-octet ``ZmqCallInfo`` frame (padding written as zeros).

    ``ctr`` wraps at 2**32 like the consumer's counter arithmetic expects.
    """
    st = _CALLINFO_LE if little_endian else _CALLINFO_BE
    return st.pack(ZMQ_EVENT_PROT_VERSION, ctr & 0xFFFFFFFF, 1, 0, 0, bool(call_is_except))


def call_info_packer(little_endian: bool = True) -> Callable[..., bytes]:
    """``pack(version, ctr, 1, 0, 0, call_is_except)``: the 21-octet ZmqCallInfo in one call
    (what :func:`encode_call_info` does, for publishers counting every microsecond)."""
    return (_CALLINFO_LE if little_endian else _CALLINFO_BE).pack


def encode_heartbeat(topic: str, little_endian: bool = True) -> list[bytes]:
    """The 3 frames of a heartbeat on ``topic`` (which ends with ``.heartbeat``)."""
    if not topic.endswith(HEARTBEAT_SUFFIX):
        raise ValueError(f"heartbeat topic must end with {HEARTBEAT_SUFFIX!r}: {topic!r}")
    return [topic.encode("latin-1"), b"\x01" if little_endian else b"\x00",
            encode_call_info(0, False, little_endian)]


def encode_data_frame(payload: Any, little_endian: bool = True, pipe: bool = False) -> bytes:
    """Frame 4: the ``0xDEC0DEC0`` marker (twice for pipe events), then the payload CDR aligned
    from the first octet after the marker.

    ``payload`` is an IDL struct with a ``write(w)`` method (AttributeValue_5, AttributeConfig_5,
    AttDataReady, DevIntrChange ...) or a callable ``fill(w)`` writing it.
    """
    if not pipe and type(payload).__name__ == "AttributeValue_5":
        fast = numeric_value_frame(payload, little_endian)
        if fast is not None:
            return fast
    marker = (EVENT_MARKER_LE if little_endian else EVENT_MARKER_BE) * (2 if pipe else 1)
    w = CDRWriter(little_endian, origin=len(marker))
    w.buf += marker
    fill: Callable[[CDRWriter], None] = payload if callable(payload) and not hasattr(payload, "write") \
        else payload.write
    fill(w)
    return bytes(w.buf)


_NUMERIC_ARM_DTYPES: dict | None = None
_HEAD = {True: struct.Struct("<4sII"), False: struct.Struct(">4sII")}
_MID = {True: struct.Struct("<IIiiiiI"), False: struct.Struct(">IIiiiiI")}
_TAIL = {True: struct.Struct("<iiiiI"), False: struct.Struct(">iiiiI")}


def numeric_value_frame(av: Any, little_endian: bool = True) -> bytes | None:
    """The data frame of an AttributeValue_5 with a numeric value and no errors, built with
    struct/numpy in one go (the general CDRWriter path gives the same octets, slower): the
    events of scalar and spectrum numbers are the ones servers publish by the thousand.
    None for any other value (use :func:`encode_data_frame`)."""
    global _NUMERIC_ARM_DTYPES
    if _NUMERIC_ARM_DTYPES is None:
        from ..idl.enums import ARM_KIND, AttributeDataType as A
        from ..wire.cdr import PRIMITIVE_DTYPES
        _NUMERIC_ARM_DTYPES = {arm: PRIMITIVE_DTYPES[kind] for arm, kind in ARM_KIND.items()
                               if arm not in (A.ATT_STATE, A.DEVICE_STATE, A.ATT_NO_DATA)}
    if av.err_list:
        return None
    u = av.value
    dtype = _NUMERIC_ARM_DTYPES.get(u.arm)
    arr = u.value
    if dtype is None or not isinstance(arr, np.ndarray):
        return None
    if arr.dtype != dtype:
        if dtype.kind != "b" and arr.dtype.kind in "iub" and dtype.kind in "iu":
            return None                      # let the general path range-check the conversion
        arr = arr.astype(dtype)
    if not little_endian:
        arr = arr.astype(dtype.newbyteorder(">"))
    data = arr.tobytes()                     # offset 8 from the payload start: aligned for any type
    name = _NAMES.get(av.name)
    if name is None:
        name = _name_octets(av.name)
        if name is None:
            return None
    t, r, w = av.time, av.r_dim, av.w_dim
    return b"".join((
        _HEAD[little_endian].pack(EVENT_MARKER_LE if little_endian else EVENT_MARKER_BE, u.arm, arr.size), data,
        _PADS[-len(data) & 3],
        _MID[little_endian].pack(av.quality, av.data_format, av.data_type, t.tv_sec, t.tv_usec, t.tv_nsec,
                                 name[0]),
        name[1], _TAIL[little_endian].pack(r.dim_x, r.dim_y, w.dim_x, w.dim_y, 0)))


_PADS = (b"", b"\x00", b"\x00\x00", b"\x00\x00\x00")
#: attribute name -> (CDR string length, octets + NUL + padding to 4): names repeat with every event
_NAMES: dict[str, tuple[int, bytes]] = {}


def _name_octets(name: str) -> tuple[int, bytes] | None:
    try:
        octets = name.encode("latin-1")
    except UnicodeEncodeError:
        return None
    if b"\x00" in octets:
        return None
    entry = (len(octets) + 1, octets + b"\x00" * (1 + (-(len(octets) + 1) % 4)))
    if len(_NAMES) >= 4096:
        _NAMES.clear()
    _NAMES[name] = entry
    return entry


def encode_error_payload(errors: Sequence[Any], little_endian: bool = True) -> bytes:
    """Frame 4 of an event whose ``call_is_except`` is true: the marker and a ``DevErrorList``."""
    from ..idl.errors import write_dev_error_list
    return encode_data_frame(lambda w: write_dev_error_list(w, list(errors)), little_endian)


def encode_event(topic: str, ctr: int, data: bytes, call_is_except: bool = False,
                 little_endian: bool = True) -> list[bytes]:
    """The 4 frames of one event: topic, byte order, ``ZmqCallInfo`` with ``ctr``, ``data``
    (a frame made by :func:`encode_data_frame` / :func:`encode_error_payload` with the same
    byte order)."""
    return [topic.encode("latin-1"), b"\x01" if little_endian else b"\x00",
            encode_call_info(ctr, call_is_except, little_endian), data]
