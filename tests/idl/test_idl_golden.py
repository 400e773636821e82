"""Golden tests: decode IDL structs from traffic captured between real Tango 10 peers.

Each test decodes a reply (or request / ZMQ frame) body with tango_core.idl,
checks the values a user would see, checks that the body was consumed exactly,
and re-encodes the value at the same stream alignment: the bytes must equal the
capture except in padding octets (garbage in omniORB's output; see tests/captures.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from captures import assert_same_encoding, exchanges, replies, requests, zmq_messages
from tango_core.idl.enums import (
    AttrDataFormat, AttributeDataType, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel,
    ErrSeverity, LockerLanguage, arm_for_data_type,
)
from tango_core.idl.errors import (
    DEV_FAILED_ID, MULTI_DEV_FAILED_ID, DevFailed, MultiDevFailed, decode_user_exception,
    write_user_exception,
)
from tango_core.idl import types as T
from tango_core.idl.types import (
    AttributeConfig_5, AttributeValue_4, AttributeValue_5, ClntIdent, DevCmdInfo, DevCmdInfo_2,
    DevEncoded, DevInfo, TimeVal, ZmqCallInfo, write_list,
)
from tango_core.wire.cdr import CDRReader, CDRWriter
from tango_core.wire.giop import ReplyStatus, parse_message
from tango_core.wire.typecode import read_typecode

A = AttributeDataType


def _decode_body(reply, read):
    """Decode a whole reply body; return (value, body octets, aligned start of the body)."""
    r = reply.body
    start = r.pos
    value = read(r)
    assert r.at_end(), f"{r.remaining()} octets left after decoding"
    return value, r.data[start:r.pos], start


def _check_reencoding(reply, read, write):
    value, captured, start = _decode_body(reply, read)
    assert_same_encoding(lambda w: write(w, value), captured, start, reply.little_endian)
    return value


def _read_av5_list(r):
    return AttributeValue_5.read_list(r)


def _write_list(w, items):
    write_list(w, items)


# ---------------------------------------------------------------------------
# info / command queries

def test_info_replies_decode_to_devinfo():
    seen = set()
    for log in ("giop1.log", "giopat.log", "giopdb.log", "giopdev.log"):
        for reply in replies(log, "info"):
            info = _check_reencoding(reply, DevInfo.read, lambda w, v: v.write(w))
            assert info.server_version == 6
            assert info.server_host == "vm"
            assert info.doc_url == "Doc URL = http://www.tango-controls.org"
            seen.add((info.dev_class, info.server_id))
    assert {("DemoDev", "DemoDev/demo"), ("DServer", "DemoDev/demo"), ("AllTypes", "AllTypes/at"),
            ("DataBase", "DataBaseds/2"), ("DemoDev", "DemoDev/db1")} <= seen


def test_command_query_reply_decodes_to_devcmdinfo():
    reps = replies("giopdb.log", "command_query")
    assert reps
    for reply in reps:
        info = _check_reencoding(reply, DevCmdInfo.read, lambda w, v: v.write(w))
        assert info == DevCmdInfo("DbDeleteAllDeviceAttributeProperty", 0, CmdArgType.DevVarStringArray,
                                  CmdArgType.DevVoid, "str[0] = device name\nStr[1]...str[n] = attribute name(s)",
                                  "none")


def test_command_query_2_reply_decodes_to_devcmdinfo_2():
    infos = {}
    for log in ("giop1.log", "giopat.log", "giopdev.log"):
        for reply in replies(log, "command_query_2"):
            info = _check_reencoding(reply, DevCmdInfo_2.read, lambda w, v: v.write(w))
            infos[info.cmd_name] = info
    assert infos["SetD"] == DevCmdInfo_2("SetD", DispLevel.OPERATOR, 0, CmdArgType.DevDouble, CmdArgType.DevVoid,
                                         ":param v: (not documented)\n:type v: DevDouble",
                                         "No output parameter (DevVoid)")
    zmq = infos["ZmqEventSubscriptionChange"]
    assert (zmq.in_type, zmq.out_type) == (CmdArgType.DevVarStringArray, CmdArgType.DevVarLongStringArray)
    assert zmq.in_type_desc.startswith("Event consumer wants to subscribe to.\n")
    # every Put_<Type> command of the AllTypes server declares <Type> as its input
    for name, info in infos.items():
        if name.startswith("Put_"):
            assert info.in_type.name == name[4:]
            assert isinstance(info.in_type, CmdArgType)


def test_command_list_query_2_lists_every_alltypes_command():
    (reply,) = replies("giopat.log", "command_list_query_2")
    cmds = _check_reencoding(reply, lambda r: r.read_seq(DevCmdInfo_2.read), _write_list)
    assert len(cmds) == 56
    by_name = {c.cmd_name: c for c in cmds}
    assert {"Init", "State", "Status"} <= set(by_name)
    assert by_name["State"].out_type == CmdArgType.DevState
    for c in cmds:
        if c.cmd_name.startswith("Get_"):
            assert c.in_type == CmdArgType.DevVoid
            assert c.out_type == CmdArgType[c.cmd_name[4:]]


# ---------------------------------------------------------------------------
# attribute values

def test_read_attributes_5_value_and_unknown_name_entry():
    (reply,) = replies("giop1.log", "read_attributes_5")[:1]
    dscalar, nope = _check_reencoding(reply, _read_av5_list, _write_list)
    assert dscalar.name == "dscalar"
    assert dscalar.value.arm is A.ATT_DOUBLE
    assert dscalar.value.value.dtype == np.float64 and dscalar.value.value.tolist() == [1.5]
    assert (dscalar.quality, dscalar.data_format, dscalar.data_type) == \
        (AttrQuality.ATTR_VALID, AttrDataFormat.SCALAR, CmdArgType.DevDouble)
    assert (dscalar.r_dim.dim_x, dscalar.r_dim.dim_y, dscalar.w_dim.dim_x) == (1, 0, 0)
    assert dscalar.time.tv_sec == 1795503457 and 0 <= dscalar.time.tv_usec < 1_000_000
    assert dscalar.err_list == []
    # an unknown name comes back as an error entry, not as a DevFailed
    assert nope.name == "nope"
    assert nope.value.arm is A.ATT_NO_DATA and nope.value.value is True
    assert (nope.quality, nope.data_format, nope.data_type) == \
        (AttrQuality.ATTR_INVALID, AttrDataFormat.FMT_UNKNOWN, CmdArgType.DevVoid)
    (err,) = nope.err_list
    assert (err.reason, err.desc, err.severity) == ("API_AttrNotFound", "nope attribute not found", ErrSeverity.ERR)


def test_read_attributes_5_special_types():
    reps = replies("giopat.log", "read_attributes_5")
    values = {}
    for reply in reps:
        for av in _check_reencoding(reply, _read_av5_list, _write_list):
            values.setdefault(av.name, av)
    colour, enc, flag, states, uch = (values[n] for n in ("colour", "enc", "flag", "states", "uch"))
    # DevEnum travels in the ATT_SHORT arm with data_type 29
    assert colour.value.arm is A.ATT_SHORT and colour.data_type == CmdArgType.DevEnum
    assert colour.value.value.dtype == np.int16 and colour.value.value.tolist() == [1]
    assert enc.value.arm is A.ATT_ENCODED and enc.value.value == [DevEncoded("json", b"{}")]
    assert flag.value.arm is A.ATT_BOOL and flag.value.value.dtype == np.bool_ and flag.value.value.tolist() == [True]
    assert states.value.arm is A.ATT_STATE and states.value.value == [DevState.ON, DevState.FAULT]
    assert states.data_format == AttrDataFormat.SPECTRUM and states.r_dim.dim_x == 2
    assert uch.value.arm is A.ATT_UCHAR and uch.value.value.dtype == np.uint8
    assert uch.data_type == CmdArgType.DevUChar
    # the union arm agrees with the data type for every value the server sent
    for av in values.values():
        if av.value.arm is not A.ATT_NO_DATA:
            assert arm_for_data_type(av.data_type) is av.value.arm
    failing, wonly = values["failing"], values["wonly"]
    assert failing.value.arm is A.ATT_NO_DATA and failing.quality == AttrQuality.ATTR_INVALID
    assert failing.err_list[0].reason == "PyDs_PythonError"
    assert failing.err_list[0].desc == "ValueError: attr failure\n"
    # a WRITE-only scalar: only the set point, r_dim = w_dim = (1, 0)
    assert wonly.value.value.tolist() == [0.0]
    assert (wonly.r_dim.dim_x, wonly.w_dim.dim_x) == (1, 1)


def test_read_attributes_5_writable_scalar_holds_read_then_set_point():
    reps = replies("giopdev.log", "read_attributes_5")
    assert reps
    for reply in reps:
        (wattr,) = _check_reencoding(reply, _read_av5_list, _write_list)
        assert wattr.name == "wattr" and wattr.value.value.tolist() == [0.0, 0.0]
        assert (wattr.r_dim.dim_x, wattr.w_dim.dim_x) == (1, 1)


def test_read_attributes_5_request_carries_cpp_6_client_identity():
    reqs = requests("giop1.log", "read_attributes_5") + requests("giopdev.log", "read_attributes_5")
    assert reqs
    for _raw, req in reqs:
        r = req.body
        names = r.read_string_seq()
        source = r.read_enum()
        start = r.pos
        ident = ClntIdent.read(r)
        assert r.at_end()
        assert names and source == 2  # CACHE_DEV
        assert ident.kind is LockerLanguage.CPP_6
        assert ident.value.cpp_clnt > 0
        assert (ident.value.trace_context.data.trace_parent, ident.value.trace_context.data.trace_state) == ("", "")
        assert ident == ClntIdent.cpp_6(ident.value.cpp_clnt)
        assert_same_encoding(ident.write, r.data[start:r.pos], start)


def test_write_attributes_4_request_value():
    ((_raw, req),) = requests("giop1.log", "write_attributes_4")
    r = req.body
    start = r.pos
    (av,) = r.read_seq(AttributeValue_4.read)
    end = r.pos
    ident = ClntIdent.read(r)
    assert r.at_end()
    assert av.name == "dscalar" and av.value.arm is A.ATT_DOUBLE and av.value.value.tolist() == [1.0]
    assert (av.quality, av.data_format) == (AttrQuality.ATTR_VALID, AttrDataFormat.FMT_UNKNOWN)
    assert av.time == TimeVal(0, 0, 0)
    assert (av.w_dim.dim_x, av.w_dim.dim_y) == (1, 0)  # r_dim is uninitialised memory in cppTango's requests
    assert ident.kind is LockerLanguage.CPP_6
    assert_same_encoding(lambda w: write_list(w, [av]), r.data[start:end], start)


# ---------------------------------------------------------------------------
# attribute configuration

def test_get_attribute_config_5_reply():
    configs = []
    for log in ("giop1.log", "giopdev.log"):
        for reply in replies(log, "get_attribute_config_5"):
            configs.extend(_check_reencoding(reply, AttributeConfig_5.read_list, _write_list))
    by_name = {c.name: c for c in configs}
    d = by_name["dscalar"]
    assert (d.writable, d.data_format, d.data_type) == (AttrWriteType.READ, AttrDataFormat.SCALAR,
                                                       CmdArgType.DevDouble)
    assert (d.max_dim_x, d.max_dim_y, d.memorized, d.mem_init) == (1, 0, False, False)
    assert (d.description, d.label, d.format, d.standard_unit, d.display_unit) == \
        ("No description", "dscalar", "%6.2f", "No standard unit", "No display unit")
    assert (d.min_value, d.max_value, d.writable_attr_name, d.root_attr_name) == \
        ("Not specified", "Not specified", "None", "Not specified")
    assert d.att_alarm.min_alarm == "Not specified" and d.att_alarm.delta_val == "Not specified"
    assert d.event_prop.per_event.period == "1000"
    assert d.event_prop.ch_event.abs_change == "Not specified"
    assert d.level is DispLevel.OPERATOR and d.enum_labels == []
    # "All attributes_3" returned the whole interface of the DemoDev device
    assert {"dscalar", "dspectrum", "sattr", "wattr", "limage", "big", "State", "Status"} <= set(by_name)
    assert by_name["wattr"].writable == AttrWriteType.READ_WRITE
    assert by_name["limage"].data_format == AttrDataFormat.IMAGE
    assert by_name["State"].data_type == CmdArgType.DevState


def test_get_attribute_config_5_reply_names_alone():
    """``read_names`` (get_attribute_list's decoder) steps over every field of real replies and
    ends where the full decoder ends, with the same names."""
    seen = 0
    for log in ("giop1.log", "giopdev.log"):
        pairs = zip(replies(log, "get_attribute_config_5"), replies(log, "get_attribute_config_5"))
        for reply, again in pairs:
            full, _, _ = _decode_body(reply, AttributeConfig_5.read_list)
            names, _, _ = _decode_body(again, AttributeConfig_5.read_names)
            assert names == [c.name for c in full]
            seen += len(names)
    assert seen > 8


def test_set_attribute_config_5_request():
    ((_raw, req),) = requests("giopdev.log", "set_attribute_config_5")
    r = req.body
    start = r.pos
    (conf,) = AttributeConfig_5.read_list(r)
    end = r.pos
    ident = ClntIdent.read(r)
    assert r.at_end()
    assert conf.name == "dscalar" and conf.unit == "mm"
    assert ident.kind is LockerLanguage.CPP_6
    assert_same_encoding(lambda w: write_list(w, [conf]), r.data[start:end], start)


# ---------------------------------------------------------------------------
# user exceptions

def _user_exception_replies():
    out = []
    for log in ("giop1.log", "giopdb.log", "giopdev.log"):
        for op in ("command_inout_4", "write_attributes_4"):
            for _req, rep in exchanges(log, op):
                reply = parse_message(rep.raw)
                if reply.status == ReplyStatus.USER_EXCEPTION:
                    out.append(reply)
    return out


def test_user_exceptions_decode_and_reencode():
    reps = _user_exception_replies()
    assert len(reps) == 8
    reasons = []
    for reply in reps:
        r = reply.body
        # the body starts with the repository id (a 4-aligned string right after the reply header)
        start = _body_start(reply)
        exc = decode_user_exception(reply.exception_id, r)
        assert r.at_end()
        assert isinstance(exc, DevFailed)
        reasons.extend(e.reason for e in exc.args)
        assert_same_encoding(lambda w: write_user_exception(w, exc), r.data[start:r.pos], start)
    assert "API_CommandNotFound" in reasons
    assert "API_EventPropertiesNotSet" in reasons
    assert "API_AttributeNotDataReadyEnabled" in reasons


def _body_start(reply) -> int:
    """Aligned position of the repository id: the body reader after it, minus the string's octets."""
    return reply.body.pos - 4 - len(reply.exception_id) - 1


def test_command_not_found_devfailed():
    (_req, rep), = [(q, p) for q, p in exchanges("giop1.log", "command_inout_4")
                    if p.message.status == ReplyStatus.USER_EXCEPTION]
    reply = rep.message
    assert reply.exception_id == DEV_FAILED_ID
    reply = parse_message(rep.raw)
    exc = decode_user_exception(reply.exception_id, reply.body)
    assert type(exc) is DevFailed
    (err,) = exc.args
    assert (err.reason, err.desc, err.severity) == ("API_CommandNotFound", "Command NoSuchCmd not found",
                                                    ErrSeverity.ERR)
    assert "DeviceClass.cpp" in err.origin
    assert str(exc).startswith("DevFailed[\n    DevError[\n        desc = Command NoSuchCmd not found\n")


def test_write_to_read_only_attribute_multidevfailed():
    ((_req, rep),) = exchanges("giop1.log", "write_attributes_4")
    reply = parse_message(rep.raw)
    assert reply.exception_id == MULTI_DEV_FAILED_ID
    exc = decode_user_exception(reply.exception_id, reply.body)
    assert isinstance(exc, MultiDevFailed)
    (named,) = exc.errors
    assert (named.name, named.index_in_call) == ("dscalar", 0)
    (err,) = named.err_list
    assert (err.reason, err.desc) == ("API_AttrNotWritable", "Attribute dscalar is not writable")
    assert exc.args == (err,)


# ---------------------------------------------------------------------------
# ZMQ event frames

def test_zmq_heartbeat_and_event_call_info():
    msgs = zmq_messages("zmq1.log")
    heartbeats = [f for tag, f in msgs if tag == "HB"]
    events = [f for tag, f in msgs if tag == "EV" and len(f) == 4]
    assert heartbeats and events
    for frames in heartbeats + events:
        assert frames[1] == b"\x01"
        r = CDRReader(frames[2], little_endian=True)
        info = ZmqCallInfo.read(r)
        assert r.at_end() and len(frames[2]) == 21
        assert (info.version, info.method_name, info.oid, info.call_is_except) == (1, "", b"", False)
        assert_same_encoding(info.write, frames[2], 0)
    ctrs = [ZmqCallInfo.read(CDRReader(f[2])).ctr for f in events if f[0].endswith(b"dscalar.idl5_change")]
    assert ctrs == [3, 4]


def test_zmq_change_and_periodic_payloads():
    values = []
    for tag, frames in zmq_messages("zmq1.log"):
        if tag != "EV" or len(frames) != 4:
            continue
        data = frames[3]
        assert data[:4] == bytes.fromhex("c0dec0de")
        # the payload is aligned as if it started at offset 0, i.e. origin 4 octets into the frame
        r = CDRReader(data, little_endian=True, origin=4, pos=4)
        av = AttributeValue_5.read(r)
        assert r.at_end()
        assert_same_encoding(av.write, data[4:], 0)
        values.append((frames[0].decode(), av))
    change = [av.value.value.tolist() for topic, av in values if topic.endswith("dscalar.idl5_change")]
    assert change == [[9.5], [10.5]]
    periodic = [av for topic, av in values if topic.endswith("wattr.idl5_periodic")]
    assert periodic and all(av.value.value.tolist() == [0.0, 0.0] for av in periodic)


def test_zmq_attr_conf_payload():
    msgs = zmq_messages("zmq2.log")
    assert len(msgs) == 2
    for _tag, frames in msgs:
        assert frames[0] == b"tango://127.0.0.1:11000/test/demo/2/dscalar.idl5_attr_conf"
        data = frames[3]
        assert len(data) == 472
        r = CDRReader(data, little_endian=True, origin=4, pos=4)
        conf = AttributeConfig_5.read(r)
        assert r.at_end()
        assert conf.name == "dscalar" and conf.unit == "mm"
        assert_same_encoding(conf.write, data[4:], 0)


@pytest.mark.parametrize("little_endian", [True, False])
def test_reencoding_in_other_byte_order_decodes_the_same(little_endian):
    """Values taken from the captures survive a round trip in both byte orders."""
    for reply in replies("giopat.log", "read_attributes_5"):
        avs = AttributeValue_5.read_list(reply.body)
        w = CDRWriter(little_endian)
        write_list(w, avs)
        assert AttributeValue_5.read_list(CDRReader(w.getvalue(), little_endian)) == avs


def test_padding_mask_only_hides_padding():
    """The capture comparison ignores garbage padding but nothing else."""
    (reply,) = replies("giop1.log", "read_attributes_5")[:1]
    avs, captured, start = _decode_body(reply, _read_av5_list)
    write = lambda w: write_list(w, avs)  # noqa: E731
    assert_same_encoding(write, captured, start)
    tampered = bytearray(captured)
    tampered[-2] ^= 0x01  # the last character of the last error's origin string: data, not padding
    with pytest.raises(AssertionError):
        assert_same_encoding(write, bytes(tampered), start)


# ---------------------------------------------------------------------------
# command results whose value is one of the IDL structs

def _command_result(log, command):
    """(reply body reader positioned at the value after the any's TypeCode, aligned start of the value)."""
    for req_c, rep_c in exchanges(log, "command_inout_4"):
        if parse_message(req_c.raw).body.read_string() == command:
            reply = parse_message(rep_c.raw)
            read_typecode(reply.body)
            return reply.body, reply.body.pos
    raise AssertionError(f"no {command} reply in {log}")


def test_long_string_array_result_of_zmq_event_subscription_change():
    r, start = _command_result("giop1.log", "ZmqEventSubscriptionChange")
    value = T.DevVarLongStringArray.read(r)
    assert r.at_end()
    lib, idl, hwm = value.lvalue[:3].tolist()
    assert (lib, idl, hwm) == (1033, 6, 1000) and value.lvalue.dtype == np.int32
    assert value.svalue[0].startswith("tcp://") and value.svalue[1].startswith("tcp://")
    assert value.svalue[-2] == "tango://vm:12345/test/demo/1/dscalar#dbase=no.idl5_change"
    assert value.svalue[-1] == "tango://vm:12345/dserver/demodev/demo"
    assert_same_encoding(value.write, r.data[start:r.pos], start)


@pytest.mark.parametrize("command, read, expected", [
    ("Get_DevVarLongStringArray", "DevVarLongStringArray", ([1], ["a"])),
    ("Get_DevVarDoubleStringArray", "DevVarDoubleStringArray", ([1.5], ["a"])),
    ("Get_DevEncoded", "DevEncoded", ("fmt", b"\x00\x01")),
])
def test_struct_command_results(command, read, expected):
    r, start = _command_result("giopat.log", command)
    value = getattr(T, read).read(r)
    assert r.at_end()
    if read == "DevEncoded":
        assert (value.encoded_format, value.encoded_data) == expected
    else:
        assert (list(value.lvalue if hasattr(value, "lvalue") else value.dvalue), value.svalue) == \
            (expected[0], expected[1])
    assert_same_encoding(value.write, r.data[start:r.pos], start)
