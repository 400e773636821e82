"""Golden tests of the ZMQ frame *encoder* (the supplier side of events/frames.py) against real
captured traffic of PyTango 10.3.1 / cppTango 10.3.3 servers (tests/data/zmq*.log).

Each captured event is decoded with the consumer's decoders and re-encoded with the encoders:
the result must be the captured bytes. cppTango leaves garbage in CDR padding (and in the unused
``ctr`` of heartbeats) where we write zeros; those octets are shown to be padding by zeroing them
in the capture and decoding it again to the very same value.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from captures import zmq_messages
from tango_core.events import frames
from tango_core.idl.enums import AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DispLevel
from tango_core.idl.errors import DevError
from tango_core.idl import types as T

CAPTURED = zmq_messages("zmq1.log") + zmq_messages("zmq2.log")
EVENTS = [m for tag, m in CAPTURED if tag == "EV" and len(m) == 4]
HEARTBEATS = [m for tag, m in CAPTURED if tag == "HB"]

# ZmqCallInfo octets cppTango leaves uninitialised: the 3 pad octets after method_name's NUL
CALL_INFO_PAD = slice(13, 16)


def _zero(frame: bytes, positions) -> bytes:
    b = bytearray(frame)
    for i in positions:
        b[i] = 0
    return bytes(b)


def test_the_captures_hold_value_attr_conf_and_heartbeat_messages():
    kinds = {frames.decode_payload(frames.decode_event(m))[0] for m in EVENTS}
    assert kinds == {"value", "attr_conf"}
    assert len(HEARTBEATS) == 3


@pytest.mark.parametrize("index", range(len(EVENTS)))
def test_captured_event_is_re_encoded_byte_for_byte(index):
    captured = EVENTS[index]
    msg = frames.decode_event(captured)
    kind, value = frames.decode_payload(msg)
    data = frames.encode_data_frame(value, little_endian=True)
    ours = frames.encode_event(msg.topic, msg.ctr, data, msg.call_is_except, little_endian=True)

    assert ours[0] == captured[0]                      # topic
    assert ours[1] == captured[1] == b"\x01"           # byte order
    assert ours[2] == _zero(captured[2], range(21)[CALL_INFO_PAD])
    assert len(ours[3]) == len(captured[3])
    differing = [i for i, (a, b) in enumerate(zip(ours[3], captured[3])) if a != b]
    assert all(ours[3][i] == 0 for i in differing)
    if differing:   # the capture's garbage octets are CDR padding: zeroing them changes no value
        cleaned = [captured[0], captured[1], captured[2], _zero(captured[3], differing)]
        assert frames.decode_payload(frames.decode_event(cleaned)) == (kind, value)
        assert ours[3] == cleaned[3]


def test_value_events_need_no_padding_mask():
    """The AttributeValue_5 data frames of the capture have no padding garbage: exact bytes."""
    for captured in EVENTS:
        msg = frames.decode_event(captured)
        kind, value = frames.decode_payload(msg)
        if kind == "value":
            assert frames.encode_data_frame(value) == captured[3]


def test_the_dscalar_change_event_of_the_brief_appendix_is_rebuilt_from_its_fields():
    av = T.AttributeValue_5(
        value=T.AttrValUnion(AttributeDataType.ATT_DOUBLE, np.array([9.5])),
        quality=AttrQuality.ATTR_VALID, data_format=AttrDataFormat.SCALAR, data_type=CmdArgType.DevDouble,
        time=T.TimeVal(0x6B053238, 0x000C37B4, 0x142), name="dscalar",
        r_dim=T.AttributeDim(1, 0), w_dim=T.AttributeDim(0, 0), err_list=[])
    captured = next(m for m in EVENTS if m[0].endswith(b"dscalar.idl5_change") and m[2][4] == 3)
    ours = frames.encode_event("tango://127.0.0.1:11000/test/demo/2/dscalar.idl5_change", 3,
                               frames.encode_data_frame(av))
    assert ours == [captured[0], captured[1], _zero(captured[2], range(13, 16)), captured[3]]
    assert len(ours[3]) == 76


@pytest.mark.parametrize("index", range(len(HEARTBEATS)))
def test_captured_heartbeat_is_re_encoded(index):
    captured = HEARTBEATS[index]
    ours = frames.encode_heartbeat(captured[0].decode("latin-1"))
    assert ours[:2] == captured[:2]
    # ctr is unused on heartbeats (cppTango sends garbage), padding likewise; the rest is exact
    assert ours[2] == _zero(captured[2], list(range(4, 8)) + list(range(13, 16)))
    assert frames.decode_heartbeat(ours).channel == "tango://127.0.0.1:11000/dserver/demodev/db1"


def test_heartbeat_topic_must_end_with_heartbeat():
    with pytest.raises(ValueError, match="heartbeat"):
        frames.encode_heartbeat("tango://h:1/dserver/a/b")


@pytest.mark.parametrize("little_endian", [True, False])
def test_every_payload_kind_round_trips_through_the_decoder(little_endian):
    av = T.AttributeValue_5(T.AttrValUnion(AttributeDataType.ATT_LONG, np.array([1, -2, 3], dtype=np.int32)),
                            AttrQuality.ATTR_ALARM, AttrDataFormat.SPECTRUM, CmdArgType.DevLong,
                            T.TimeVal(1, 2, 3), "spec", T.AttributeDim(3, 0), T.AttributeDim(0, 0), [])
    ready = T.AttDataReady("att", CmdArgType.DevDouble, 7)
    intr = T.DevIntrChange(True, [T.DevCmdInfo_2("Init", DispLevel.OPERATOR, 0, CmdArgType.DevVoid, CmdArgType.DevVoid, "", "")], [])
    cases = [("tango://h:1/a/b/c/spec.idl5_change", av, "value"),
             ("tango://h:1/a/b/c/spec.alarm", av, "value"),
             ("tango://h:1/a/b/c/att.data_ready", ready, "data_ready"),
             ("tango://h:1/a/b/c.intr_change", intr, "intr_change")]
    for ctr, (topic, payload, kind) in enumerate(cases, start=1):
        wire = frames.encode_event(topic, ctr, frames.encode_data_frame(payload, little_endian),
                                   little_endian=little_endian)
        msg = frames.decode_event(wire)
        assert (msg.topic, msg.ctr, msg.little_endian, msg.call_is_except) == (topic, ctr, little_endian, False)
        assert frames.decode_payload(msg) == (kind, payload)


@pytest.mark.parametrize("little_endian", [True, False])
def test_error_event_carries_a_dev_error_list(little_endian):
    errs = [DevError("PyDs_PythonError", "ValueError: attr failure\n", "read_attr")]
    wire = frames.encode_event("tango://h:1/a/b/c/d.idl5_periodic", 5,
                               frames.encode_error_payload(errs, little_endian), True, little_endian)
    msg = frames.decode_event(wire)
    assert msg.call_is_except and msg.ctr == 5
    kind, got = frames.decode_payload(msg)
    assert kind == "error" and [(e.reason, e.desc, e.origin) for e in got] == \
        [("PyDs_PythonError", "ValueError: attr failure\n", "read_attr")]


def test_payload_is_aligned_from_after_the_marker_also_for_pipes():
    def fill(w):
        w.write_octet(7)
        w.write_double(1.5)     # 8-aligned from the payload start: 7 pad octets
    for pipe, marker_len in ((False, 4), (True, 8)):
        data = frames.encode_data_frame(fill, pipe=pipe)
        assert data[:marker_len] == frames.EVENT_MARKER_LE * (marker_len // 4)
        assert data[marker_len:] == b"\x07" + b"\x00" * 7 + struct.pack("<d", 1.5)


def test_counter_wraps_at_two_to_the_32():
    info = frames.encode_call_info(2 ** 32 + 4)
    assert frames.decode_call_info(info, True).ctr == 4
    assert len(info) == 21


@pytest.mark.parametrize("little_endian", [True, False])
def test_fast_numeric_value_frames_equal_the_general_encoding(little_endian):
    """The struct/numpy path for numeric values gives the octets of the CDRWriter path."""
    from tango_core.idl.enums import ARM_KIND
    from tango_core.wire.cdr import CDRWriter, PRIMITIVE_DTYPES
    rng = np.random.default_rng(7)
    arms = [a for a in ARM_KIND if a not in (AttributeDataType.ATT_STATE, AttributeDataType.DEVICE_STATE,
                                             AttributeDataType.ATT_NO_DATA)]
    for arm in arms:
        dtype = PRIMITIVE_DTYPES[ARM_KIND[arm]]
        for n in (0, 1, 2, 3, 5):
            for name in ("", "x", "abc", "volts", "a_long_attribute_name"):
                values = (rng.integers(0, 2, n) if dtype.kind == "b" else rng.integers(0, 100, n)).astype(dtype)
                av = T.AttributeValue_5(T.AttrValUnion(arm, values), AttrQuality.ATTR_WARNING,
                                        AttrDataFormat.SPECTRUM, CmdArgType.DevDouble, T.TimeVal(12, 34, 56),
                                        name, T.AttributeDim(n, 0), T.AttributeDim(1, 2), [])
                w = CDRWriter(little_endian, origin=4)
                w.buf += frames.EVENT_MARKER_LE if little_endian else frames.EVENT_MARKER_BE
                av.write(w)
                fast = frames.numeric_value_frame(av, little_endian)
                assert fast is not None and fast == bytes(w.buf), (arm, n, name)
                assert frames.encode_data_frame(av, little_endian) == bytes(w.buf)


def test_values_the_fast_path_leaves_to_the_general_one():
    av = T.AttributeValue_5(T.AttrValUnion(AttributeDataType.ATT_SHORT, np.array([70000])), AttrQuality.ATTR_VALID,
                            AttrDataFormat.SCALAR, CmdArgType.DevShort, T.TimeVal(1), "x",
                            T.AttributeDim(1, 0), T.AttributeDim(0, 0), [])
    assert frames.numeric_value_frame(av, True) is None
    with pytest.raises(ValueError, match="out of range"):
        frames.encode_data_frame(av)
    av.value = T.AttrValUnion(AttributeDataType.ATT_STRING, ["a"])
    assert frames.numeric_value_frame(av, True) is None
    assert frames.decode_payload(frames.decode_event(
        frames.encode_event("tango://h:1/a/b/c/x.idl5_change", 1, frames.encode_data_frame(av))))[1] == av
    av.value = T.AttrValUnion.no_data()
    assert frames.numeric_value_frame(av, True) is None
