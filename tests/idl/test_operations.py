"""The operations table (tango_core.idl.operations) against captured traffic, both directions.

Every request and reply in the captures between real peers (PyTango 10.3.1 / cppTango 10.3.3
clients and servers, plus a cppTango 9.3 TangoTest recording) is decoded with the table -- a
request's arguments as a server would, a reply's result or user exception as a client would --
must be consumed exactly, and must re-encode (as the other end would) to the captured octets
except in padding.  Operations the captures never show round-trip through their own codecs with
values a user would see.
"""

from __future__ import annotations

import numpy as np
import pytest

from captures import GIOP_LOGS, assert_same_encoding, exchanges, fresh, requests
from tango_core.idl import types as T
from tango_core.idl.enums import (AttrDataFormat, AttributeDataType, AttrQuality, CmdArgType, DevSource, DevState,
                                  DispLevel, PipeWriteType)
from tango_core.idl.errors import DEV_FAILED_ID, MULTI_DEV_FAILED_ID, DevError, DevFailed, MultiDevFailed, NamedDevError
from tango_core.idl.operations import OPERATIONS, newest, operations_of, repository_ids
from tango_core.wire import giop
from tango_core.wire.cdr import CDRReader, CDRWriter
from tango_core.wire.errors import MarshalError

LOGS = (*GIOP_LOGS, "tangotest93.log")


def _all_requests():
    for log in LOGS:
        for _raw, req in requests(log):
            yield log, req


def _all_exchanges():
    for log in LOGS:
        for req, rep in exchanges(log):
            yield log, fresh(req), fresh(rep)


def test_every_captured_operation_is_in_the_table():
    seen = {req.operation for _log, req in _all_requests()}
    assert seen <= set(OPERATIONS), seen - set(OPERATIONS)
    # what the captures hold: connect sequences, the Database's IDL-1 command_inout, IDL 4/5 calls
    assert {"_is_a", "_non_existent", "info", "command_inout", "command_inout_4", "read_attributes_5",
            "write_attributes_4", "get_attribute_config_5", "set_attribute_config_5", "command_query",
            "command_query_2", "command_list_query_2", "_get_adm_name", "_get_name"} <= seen


def test_captured_requests_decode_as_a_server_and_reencode_as_a_client():
    count = 0
    for log, req in _all_requests():
        op = OPERATIONS[req.operation]
        r = req.body
        start = r.pos
        args = op.read_args(r)
        assert r.at_end(), (log, req.operation, r.remaining())
        assert len(args) == len(op.params)
        assert_same_encoding(lambda w: op.write_args(w, *args), r.data[start:r.pos], start, req.little_endian)
        writer = op.args_writer(*args)
        if writer is not None:  # the client's bound writer writes the same octets
            assert_same_encoding(writer, r.data[start:r.pos], start, req.little_endian)
        count += 1
    assert count > 350


def test_captured_replies_decode_as_a_client_and_reencode_as_a_server():
    statuses = {}
    for log, req, rep in _all_exchanges():
        op = OPERATIONS[req.operation]
        r = rep.body
        statuses[rep.status] = statuses.get(rep.status, 0) + 1
        if rep.status == giop.ReplyStatus.NO_EXCEPTION:
            start = r.pos
            if op.read_result is None:
                assert r.at_end(), (log, op.name)
                w = CDRWriter()
                op.write_result(w, None)
                assert w.getvalue() == b""
                continue
            value = op.read_result(r)
            assert r.at_end(), (log, op.name, r.remaining())
            assert_same_encoding(lambda w: op.write_result(w, value), r.data[start:r.pos], start,
                                 rep.little_endian)
        elif rep.status == giop.ReplyStatus.USER_EXCEPTION:
            start = r.pos - 4 - len(rep.exception_id) - 1  # the body begins with the repository id
            exc = op.read_exception(rep.exception_id, r)
            assert r.at_end()
            assert op.may_raise(exc)
            assert_same_encoding(lambda w: op.write_exception(w, exc), r.data[start:r.pos], start,
                                 rep.little_endian)
    assert statuses[giop.ReplyStatus.NO_EXCEPTION] > 350
    assert statuses[giop.ReplyStatus.USER_EXCEPTION] >= 8


def _find(log: str, operation: str, pred=lambda req, rep: True):
    pairs = [(fresh(req), fresh(rep)) for req, rep in exchanges(log, operation)]
    return [(req, rep) for req, rep in pairs if pred(req, rep)]


def test_decoded_values_are_what_the_peers_exchanged():
    # a server sees the command name, the typed argin, the source and the client identity
    (req, _rep), = _find("giop1.log", "command_inout_4", lambda q, p: b"SetD" in q.body.data)
    command, argin, source, ident = OPERATIONS["command_inout_4"].read_args(req.body)
    assert (command, argin, source) == ("SetD", (CmdArgType.DevDouble, 2.0), DevSource.CACHE_DEV)
    assert ident.kind.name == "CPP_6" and ident.value.cpp_clnt > 0
    # the Database's IDL-1 command_inout: DbImportDevice(name) -> DevVarLongStringArray
    pairs = _find("giopdb.log", "command_inout")
    assert pairs
    req, rep = pairs[0]
    command, (argtype, name) = OPERATIONS["command_inout"].read_args(req.body)
    assert (command, argtype, name) == ("DbImportDevice", CmdArgType.DevString, "dserver/DemoDev/db1")
    out_type, (longs, strings) = OPERATIONS["command_inout"].read_result(rep.body)
    assert out_type == CmdArgType.DevVarLongStringArray
    assert strings[0] == "dserver/demodev/db1" and strings[1].startswith("IOR:")  # the name as stored
    # read_attributes_5: names, then per-attribute values with the unknown name as an error entry
    (req, rep), = _find("giop1.log", "read_attributes_5", lambda q, p: b"nope" in q.body.data)
    names, source, _ident = OPERATIONS["read_attributes_5"].read_args(req.body)
    assert names == ["dscalar", "nope"]
    values = OPERATIONS["read_attributes_5"].read_result(rep.body)
    assert values[0].name == "dscalar" and values[0].value.arm == AttributeDataType.ATT_DOUBLE
    assert values[1].err_list[0].reason == "API_AttrNotFound"
    # the MultiDevFailed of a write to a read-only attribute
    (req, rep), = _find("giop1.log", "write_attributes_4")
    exc = OPERATIONS["write_attributes_4"].read_exception(rep.exception_id, rep.body)
    assert isinstance(exc, MultiDevFailed) and exc.errors[0].name == "dscalar"
    # _get_state-less connect: _is_a asks for Device_6, the answer is a boolean
    (req, rep), = _find("giop1.log", "_is_a")[:1]
    assert OPERATIONS["_is_a"].read_args(req.body) == ("IDL:Tango/Device_6:1.0",)
    assert OPERATIONS["_is_a"].read_result(rep.body) is True


# ---------------------------------------------------------------------------
# operations the captures do not show: round trips through the table's own codecs

def _ident():
    return T.ClntIdent.cpp_6(4242)


def _av4(name="x"):
    return T.AttributeValue_4(value=T.AttrValUnion(AttributeDataType.ATT_DOUBLE, np.array([1.5, 2.5])),
                              quality=AttrQuality.ATTR_VALID, data_format=AttrDataFormat.SPECTRUM,
                              time=T.TimeVal(1, 2, 3), name=name, r_dim=T.AttributeDim(2, 0),
                              w_dim=T.AttributeDim(0, 0), err_list=[])


def _any_value():
    from tango_core.idl.command_any import command_typecode
    return T.CorbaAny(command_typecode(CmdArgType.DevVarLongArray), np.array([1, 2], dtype=np.int32))


def _pipe():
    inner = T.DevPipeDataElt("inner", T.AttrValUnion(AttributeDataType.ATT_STRING, ["a", "b"]), [], "")
    elt = T.DevPipeDataElt("blob", T.AttrValUnion.no_data(), [inner], "sub")
    return T.DevPipeData("p", T.TimeVal(5, 6, 0), T.DevPipeBlob("root", [elt]))


def _history_5():
    return T.DevAttrHistory_5(name="d", data_format=AttrDataFormat.SCALAR, data_type=CmdArgType.DevDouble,
                              dates=[T.TimeVal(1, 0, 0), T.TimeVal(2, 0, 0)], value=_any_value(),
                              quals=[AttrQuality.ATTR_VALID], quals_array=[T.EltInArray(1, 2)],
                              r_dims=[T.AttributeDim(1, 0)], r_dims_array=[T.EltInArray(1, 2)],
                              w_dims=[T.AttributeDim(0, 0)], w_dims_array=[T.EltInArray(1, 2)],
                              errors=[], errors_array=[])


SYNTHETIC = {
    "ping": ((), None),
    "black_box": ((3,), ["a", "b", "c"]),
    "_get_state": ((), DevState.MOVING),
    "_get_status": ((), "The device is in MOVING state."),
    "_get_description": ((), "A device"),
    "command_inout_2": (("DevString", (CmdArgType.DevString, "caf\u00e9"), DevSource.DEV),
                        (CmdArgType.DevString, "caf\u00e9")),
    "command_list_query": ((), [T.DevCmdInfo("Init", 0, CmdArgType.DevVoid, CmdArgType.DevVoid, "", "")]),
    "read_attributes": ((["a"],), [T.AttributeValue(_any_value(), AttrQuality.ATTR_VALID, T.TimeVal(1, 2, 0),
                                                    "a", 2, 0)]),
    "read_attributes_2": ((["a"], DevSource.CACHE), []),
    "read_attributes_3": ((["a"], DevSource.DEV), [T.AttributeValue_3(_any_value(), AttrQuality.ATTR_ALARM,
                                                                      T.TimeVal(1, 2, 0), "a",
                                                                      T.AttributeDim(2, 0),
                                                                      T.AttributeDim(0, 0), [])]),
    "read_attributes_4": ((["x"], DevSource.CACHE_DEV, _ident()), [_av4()]),
    "write_attributes": (([T.AttributeValue(_any_value(), AttrQuality.ATTR_VALID, T.TimeVal(0, 0, 0), "a",
                                            2, 0)],), None),
    "write_attributes_3": (([],), None),
    "write_read_attributes_4": (([_av4()], _ident()), [_av4()]),
    "write_read_attributes_5": (([_av4()], ["x", "y"], _ident()), []),
    "info_3": ((), T.DevInfo_3("C", "S/i", "h", 5, "doc", "C")),
    "info_6": ((), T.DevInfo_6("C", "S/i", "h", 6, "doc", "C", [T.DevInfoVersion("idl", "6.0.2")])),
    "get_attribute_config": ((["All attributes"],), [T.AttributeConfig(name="a")]),
    "get_attribute_config_2": ((["a"],), [T.AttributeConfig_2(name="a", level=DispLevel.EXPERT)]),
    "get_attribute_config_3": ((["a"],), [T.AttributeConfig_3(name="a")]),
    "set_attribute_config": (([T.AttributeConfig(name="a", unit="mm")],), None),
    "set_attribute_config_3": (([T.AttributeConfig_3(name="a")],), None),
    "set_attribute_config_4": (([T.AttributeConfig_3(name="a")], _ident()), None),
    "command_inout_history_2": (("c", 2), [T.DevCmdHistory(T.TimeVal(1, 0, 0), False, _any_value(), [])]),
    "read_attribute_history_2": (("a", 1), [T.DevAttrHistory(True, T.AttributeValue(name="a"),
                                                             [DevError("R", "d", "o")])]),
    "read_attribute_history_3": (("a", 1), [T.DevAttrHistory_3(False, T.AttributeValue_3(name="a"))]),
    "read_attribute_history_4": (("a", 2), T.DevAttrHistory_4("a", *[getattr(_history_5(), f) for f in (
        "dates", "value", "quals", "quals_array", "r_dims", "r_dims_array", "w_dims", "w_dims_array",
        "errors", "errors_array")])),
    "read_attribute_history_5": (("d", 2), _history_5()),
    "command_inout_history_4": (("c", 2), T.DevCmdHistory_4([T.TimeVal(1, 0, 0)], _any_value(),
                                                             [T.AttributeDim(2, 0)], [T.EltInArray(0, 1)], [],
                                                             [], CmdArgType.DevVarLongArray)),
    "get_pipe_config_5": ((["p"],), [T.PipeConfig("p", "d", "l", DispLevel.OPERATOR,
                                                  PipeWriteType.PIPE_READ_WRITE, [])]),
    "set_pipe_config_5": (([T.PipeConfig("p")], _ident()), None),
    "read_pipe_5": (("p", _ident()), _pipe()),
    "write_pipe_5": ((_pipe(), _ident()), None),
    "write_read_pipe_5": ((_pipe(), _ident()), _pipe()),
}


def _values_equal(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("little_endian", [True, False])
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_operation_round_trips_both_directions(name, little_endian):
    op = OPERATIONS[name]
    args, result = SYNTHETIC[name]
    # client -> server: arguments
    data = op.encode_args(*args, little_endian=little_endian)
    r = CDRReader(data, little_endian)
    decoded = op.read_args(r)
    assert r.at_end()
    assert _values_equal(decoded, tuple(args))
    # server -> client: result
    w = CDRWriter(little_endian)
    op.write_result(w, result)
    if op.read_result is None:
        assert w.getvalue() == b"" and result is None
        return
    r = CDRReader(w.getvalue(), little_endian)
    assert _values_equal(op.read_result(r), result)
    assert r.at_end()


def test_every_operation_is_covered_by_a_capture_or_a_round_trip():
    captured = {req.operation for _log, req in _all_requests()}
    assert set(OPERATIONS) == captured | set(SYNTHETIC)


def test_user_exceptions_as_the_idl_declares_them():
    df = DevFailed(DevError("API_X", "desc", "origin"))
    mdf = MultiDevFailed([NamedDevError("a", 0, [DevError("API_Y", "d", "o")])])
    for op in OPERATIONS.values():
        assert op.may_raise(df) == (DEV_FAILED_ID in op.raises)
    assert {op.name for op in OPERATIONS.values() if MULTI_DEV_FAILED_ID in op.raises} == {
        "write_attributes_3", "write_attributes_4", "write_read_attributes_4", "write_read_attributes_5"}
    # a server cannot answer an undeclared exception: it must convert it first
    with pytest.raises(TypeError, match="write_attributes cannot raise MultiDevFailed"):
        OPERATIONS["write_attributes"].write_exception(CDRWriter(), mdf)
    with pytest.raises(TypeError, match="_get_state cannot raise DevFailed"):
        OPERATIONS["_get_state"].write_exception(CDRWriter(), df)
    # encoded and decoded back (the reader after the repository id, as a GIOP Reply gives it)
    w = CDRWriter()
    OPERATIONS["write_attributes_4"].write_exception(w, mdf)
    r = CDRReader(w.getvalue())
    repo_id = r.read_string()
    back = OPERATIONS["write_attributes_4"].read_exception(repo_id, r)
    assert isinstance(back, MultiDevFailed) and back.errors == mdf.errors
    r = CDRReader(w.getvalue())
    with pytest.raises(MarshalError, match="does not raise IDL:Tango/MultiDevFailed"):
        OPERATIONS["read_attributes_5"].read_exception(r.read_string(), r)


def test_client_writers_check_their_arguments():
    op = OPERATIONS["read_attributes_5"]
    with pytest.raises(TypeError, match="read_attributes_5 takes 3 arguments"):
        op.args_writer(["a"])
    with pytest.raises(TypeError, match="ping takes no arguments"):
        OPERATIONS["ping"].args_writer(1)
    assert OPERATIONS["ping"].args_writer() is None
    # a command argin that does not fit its type is refused before anything is written
    w = CDRWriter()
    with pytest.raises(TypeError):
        OPERATIONS["command_inout"].write_args(w, "DevLong", (CmdArgType.DevLong, "not a number"))
    assert w.getvalue().endswith(b"DevLong\x00")  # the command name only: no half-written any
    with pytest.raises(TypeError, match="void operation returns None"):
        OPERATIONS["ping"].write_result(CDRWriter(), 1)


def test_hostile_counts_and_unknown_enums_are_marshal_errors():
    # a sequence count announcing more elements than the body can hold
    with pytest.raises(MarshalError):
        OPERATIONS["get_attribute_config_5"].read_result(CDRReader(b"\xff\xff\xff\x0f" + b"\x00" * 64))
    # a DevSource out of range
    data = OPERATIONS["read_attributes_2"].encode_args(["a"], DevSource.DEV)
    with pytest.raises(MarshalError, match="DevSource"):
        OPERATIONS["read_attributes_2"].read_args(CDRReader(data[:-4] + b"\x07\x00\x00\x00"))
    # pipes nested without end are refused, not recursed into until the stack overflows
    w = CDRWriter()
    depth = T.MAX_PIPE_DEPTH + 2
    for _ in range(depth):
        w.write_string("e")
        T.AttrValUnion.no_data().write(w)
        w.write_ulong(1)
    w.write_string("e")
    T.AttrValUnion.no_data().write(w)
    w.write_ulong(0)
    w.write_string("")
    for _ in range(depth):
        w.write_string("")
    with pytest.raises(MarshalError, match="nested deeper"):
        T.DevPipeDataElt.read(CDRReader(w.getvalue()))


def test_interfaces_and_families():
    assert newest("info", 6).name == "info_6"
    assert newest("info", 5).name == "info_3"
    assert newest("info", 2).name == "info"
    assert newest("command_inout", 6).name == "command_inout_4"
    assert newest("command_inout", 3).name == "command_inout_2"
    assert newest("read_attributes", 4).name == "read_attributes_4"
    assert newest("get_attribute_config", 4).name == "get_attribute_config_3"
    assert newest("read_attribute_history", 6).name == "read_attribute_history_5"
    with pytest.raises(KeyError):
        newest("read_pipe", 4)
    assert "info_6" not in operations_of(5) and "read_pipe_5" in operations_of(5)
    assert operations_of(6) == set(OPERATIONS)
    assert {"_is_a", "_non_existent", "_get_state", "command_inout"} <= operations_of(1)
    assert repository_ids(5) == ("IDL:Tango/Device_5:1.0", "IDL:Tango/Device_4:1.0", "IDL:Tango/Device_3:1.0",
                                 "IDL:Tango/Device_2:1.0", "IDL:Tango/Device:1.0",
                                 "IDL:omg.org/CORBA/Object:1.0")
    assert repr(OPERATIONS["command_inout_4"]) == (
        "<Operation any (command data) command_inout_4(string command, any (command data) argin, "
        "DevSource source, ClntIdent cl_ident) since Device_4>")
