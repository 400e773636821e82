"""Golden tests of the ZMQ frame decoder over real captured traffic (tests/data/zmq*.log).

The captures come from PyTango 10.3.1 / cppTango 10.3.3 servers (see the vectors README):
zmq1.log holds heartbeats, change events of ``dscalar`` (9.5 then 10.5), periodic events of
``wattr`` and the "I like beer" flush frames; zmq2.log holds two copies of an attr_conf event.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from captures import zmq_messages
from tango_core.events import frames
from tango_core.wire.errors import MarshalError

ZMQ1 = zmq_messages("zmq1.log")
ZMQ2 = zmq_messages("zmq2.log")


def _events(msgs):
    return [m for tag, m in msgs if tag == "EV" and len(m) == 4]


def test_capture_files_have_the_expected_mix():
    kinds = {(tag, len(m)) for tag, m in ZMQ1}
    assert kinds == {("HB", 3), ("EV", 4), ("EV", 1)}
    assert all(m == [b"I like beer"] for tag, m in ZMQ1 if len(m) == 1)


def test_heartbeat_decodes_to_its_channel():
    hbs = [frames.decode_heartbeat(m) for tag, m in ZMQ1 if tag == "HB"]
    assert hbs
    assert {h.channel for h in hbs} == {"tango://127.0.0.1:11000/dserver/demodev/db1"}
    assert hbs[0].topic == "tango://127.0.0.1:11000/dserver/demodev/db1.heartbeat"


def test_heartbeat_no_db_suffix_is_stripped_from_the_channel():
    _, hb = next((t, m) for t, m in ZMQ1 if t == "HB")
    topic = b"tango://vm:12345/dserver/demodev/demo#dbase=no.heartbeat"
    h = frames.decode_heartbeat([topic, hb[1], hb[2]])
    assert h.channel == "tango://vm:12345/dserver/demodev/demo"


def test_change_events_counters_and_values():
    change = [frames.decode_event(m) for m in _events(ZMQ1) if m[0].endswith(b"dscalar.idl5_change")]
    assert [e.ctr for e in change] == [3, 4]
    assert all(e.little_endian and not e.call_is_except for e in change)
    assert change[0].event_name == "change"
    assert change[0].payload_offset == 4
    # the double sits at payload offset 8 (8-aligned from after the marker): 9.5 then 10.5
    vals = [struct.unpack_from("<d", e.data, e.payload_offset + 8)[0] for e in change]
    assert vals == [9.5, 10.5]


def test_periodic_counters_and_the_duplicated_first_event():
    per = [frames.decode_event(m) for m in _events(ZMQ1) if m[0].endswith(b"wattr.idl5_periodic")]
    ctrs = [e.ctr for e in per]
    assert ctrs[0] == ctrs[1] == 18            # first event after connecting is published twice
    assert ctrs[1:] == list(range(18, 18 + len(ctrs) - 1))
    assert per[0].event_name == "periodic"


def test_attr_conf_envelope():
    evs = [frames.decode_event(m) for _, m in ZMQ2]
    assert len(evs) == 2 and {e.ctr for e in evs} == {1}
    assert evs[0].event_name == "attr_conf"
    assert evs[0].topic == "tango://127.0.0.1:11000/test/demo/2/dscalar.idl5_attr_conf"
    r = frames.payload_reader(evs[0])
    assert r.read_string() == "dscalar"   # AttributeConfig_5 starts with the name


def test_split_topic_handles_dotted_hosts_no_db_and_prefixes():
    assert frames.split_topic("tango://a.b.c:10000/x/y/z/attr.idl5_change") == \
        ("tango://a.b.c:10000/x/y/z/attr", "change")
    assert frames.split_topic("tango://vm:1/x/y/z/a#dbase=no.alarm") == ("tango://vm:1/x/y/z/a#dbase=no", "alarm")
    assert frames.split_topic("tango://vm:1/x/y/z.intr_change") == ("tango://vm:1/x/y/z", "intr_change")
    with pytest.raises(MarshalError):
        frames.split_topic("nodot")


def test_big_endian_message_is_decoded_with_its_byte_order():
    topic = b"tango://h:1/a/b/c/d.idl5_change"
    info = struct.pack(">IIIB3xI?", 1, 7, 1, 0, 0, True)
    data = frames.EVENT_MARKER_BE + b"\x00\x00\x00\x01"
    e = frames.decode_event([topic, b"\x00", info, data])
    assert e.ctr == 7 and e.call_is_except and not e.little_endian
    assert frames.payload_reader(e).read_ulong() == 1


def test_non_canonical_call_info_goes_through_the_generic_cdr_path():
    # method_name "ab", oid [1, 2]: 26 octets, not the 21-octet fast path
    info = struct.pack("<II", 1, 9) + struct.pack("<I", 3) + b"ab\x00" + b"\x00" + struct.pack("<I", 2) + b"\x01\x02" + b"\x01"
    ci = frames.decode_call_info(info, True)
    assert (ci.ctr, ci.method_name, ci.oid, ci.call_is_except) == (9, "ab", b"\x01\x02", True)


@pytest.mark.parametrize("mutate, message", [
    (lambda m: m[:3], "3 frames"),
    (lambda m: [m[0], b"\x02", m[2], m[3]], "byte-order"),
    (lambda m: [m[0], m[1], m[2][:10], m[3]], "truncated"),
    (lambda m: [m[0], m[1], m[2], b"\x00\x00\x00\x00" + m[3][4:]], "marker"),
])
def test_malformed_messages_raise_a_clear_marshal_error(mutate, message):
    good = _events(ZMQ1)[0]
    with pytest.raises(MarshalError, match=message):
        frames.decode_event(mutate(good))


def test_pipe_marker_is_skipped_twice():
    data = frames.EVENT_MARKER_LE * 2 + b"\x05\x00\x00\x00"
    info = struct.pack("<IIIB3xI?", 1, 1, 1, 0, 0, False)
    e = frames.decode_event([b"tango://h:1/a/b/c/p.pipe", b"\x01", info, data])
    assert e.payload_offset == 8 and frames.payload_reader(e).read_ulong() == 5


def test_payload_change_event_decodes_to_attribute_value_5():
    pytest.importorskip("tango_core.idl.types")
    ev = frames.decode_event(next(m for m in _events(ZMQ1) if m[0].endswith(b"dscalar.idl5_change")))
    kind, av = frames.decode_payload(ev)
    assert kind == "value"
    assert av.name == "dscalar"
    assert np.asarray(_av_value(av)).tolist() in ([9.5], 9.5)


def _av_value(av):
    for attr in ("value", "data"):
        v = getattr(av, attr, None)
        if v is not None:
            return getattr(v, "value", v)
    raise AssertionError(f"no value on {av!r}")


def test_payload_attr_conf_decodes_with_the_new_unit():
    pytest.importorskip("tango_core.idl.types")
    kind, cfg = frames.decode_payload(frames.decode_event(ZMQ2[0][1]))
    assert kind == "attr_conf"
    assert cfg.name == "dscalar" and cfg.unit == "mm"


def test_except_payload_decodes_to_dev_errors():
    from tango_core.idl.errors import DevError, write_dev_error_list
    from tango_core.wire.cdr import CDRWriter
    w = CDRWriter()
    write_dev_error_list(w, [DevError("PyDs_PythonError", "ValueError: attr failure\n", "here")])
    info = struct.pack("<IIIB3xI?", 1, 1, 1, 0, 0, True)
    e = frames.decode_event([b"tango://h:1/a/b/c/d.idl5_periodic", b"\x01", info, frames.EVENT_MARKER_LE + w.getvalue()])
    kind, errs = frames.decode_payload(e)
    assert kind == "error" and errs[0].reason == "PyDs_PythonError"
