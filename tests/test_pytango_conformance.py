"""tango_core against PyTango 10.3.1, side by side: the same calls, the same real devices, equal results.

A PyTango user's habits and scripts must carry over, so for what a user sees -- return types (class
names, numpy dtypes and shapes, list vs tuple), ``str()``/``repr()`` of every struct, enum and error,
exception classes and reasons for the common mistakes, public names -- PyTango (installed in the dev
venv as a TEST PEER, the oracle) and tango_core are called with the same arguments against the same
peers (PyTango's database + Debian TangoTest ``sys/tg_test/1``, the PyTango TestServer ``test/dev/1``
registered there, and the same TestServer without database) and must agree.

What is compared is made stable first, never loosened: timestamps (``TimeVal(...)``) and error
``origin`` fields (cppTango writes C++ source locations there) are masked; nothing else is.
Where tango_core deliberately differs, the test asserts our behaviour and says why.  Known gaps
are ``xfail(strict=True)`` with the reason, so the suite stays green and
the gap stays visible (and the xfail turns into a failure the day it is fixed, to be removed);
lists of missing names/methods xfail only while still missing.  ``pytest -rx`` lists every gap.
"""

from __future__ import annotations

import enum
import re
import threading
import concurrent.futures
import time
from typing import Any, Callable

import numpy as np
import pytest

import tango  # the oracle (test peer only)
import tango_core

BOTH = (tango, tango_core)
TEST_DEVICE = "test/dev/1"
TANGOTEST = "sys/tg_test/1"


def _xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

_TIME = re.compile(r"TimeVal\(tv_nsec = -?\d+, tv_sec = -?\d+, tv_usec = -?\d+\)")
_TIME_STR = re.compile(r"time = TimeVal\[[^\]]*\]")
_ORIGIN = re.compile(r"origin = .*(\n {8,}.*)*")
_ORIGIN_REPR = re.compile(r"origin = '(?:[^'\\]|\\.)*'|origin = \"(?:[^\"\\]|\\.)*\"")


def stable(text: str) -> str:
    """Mask what differs from call to call (times) or by implementation (error origins)."""
    text = _TIME.sub("TimeVal(...)", text)
    text = _TIME_STR.sub("time = TimeVal[...]", text)
    text = _ORIGIN_REPR.sub("origin = ...", text)
    return _ORIGIN.sub("origin = ...", text)


def describe(value: Any) -> Any:
    """A value as a user meets it: its class name, numpy dtype/shape, nested containers, content."""
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.shape, value.tolist())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [describe(v) for v in value])
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.name, int(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (type(value).__name__, bytes(value))
    if isinstance(value, np.generic):
        return (type(value).__name__, value.item())
    return (type(value).__name__, value)


def errors_of(exc: BaseException) -> list[tuple[str, str]]:
    return [(e.reason, e.desc) for e in exc.args]


def outcome(module, fn: Callable) -> tuple:
    """('ok', result) or ('raise', class name, [(reason, desc)...] or message)."""
    try:
        return ("ok", fn(module))
    except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
        if isinstance(exc, module.DevFailed):
            return ("raise", type(exc).__name__, errors_of(exc))
        return ("raise", type(exc).__name__, str(exc).replace("tango._tango.", ""))


def same(fn: Callable) -> tuple:
    """Run ``fn(module)`` with PyTango and with tango_core; both outcomes must be equal."""
    theirs = outcome(tango, fn)
    ours = outcome(tango_core, fn)
    assert ours == theirs
    return ours


_PROXIES: dict = {}


def proxy(module, name: str):
    """One proxy per (library, device) for the whole session (as a user's shell keeps them)."""
    key = (module.__name__, name)
    if key not in _PROXIES:
        _PROXIES[key] = module.DeviceProxy(name)
    return _PROXIES[key]


@pytest.fixture
def peers(tango_host: str, db_server, nodb_server) -> dict:
    """Names of the session devices; TestDevice attributes restored afterwards."""
    yield {"tango_host": tango_host, "nodb": nodb_server.device}
    for name in db_server.devices:
        tango.DeviceProxy(name).command_inout("Init")


# ---------------------------------------------------------------------------------------------
# 1. enums
# ---------------------------------------------------------------------------------------------

ENUMS = ["DevState", "AttrQuality", "CmdArgType", "EventType", "AttrDataFormat", "GreenMode", "ErrSeverity",
         "AttrWriteType", "DispLevel", "DevSource", "EventSubMode", "EventReason", "ExtractAs", "AttrMemorizedType",
         "cb_sub_model", "asyn_req_type", "SerialModel", "LockerLanguage", "AccessControlType", "AttReqType",
         "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "LogLevel", "LogTarget", "MessBoxType", "PollCmdCode",
         "PollObjType"]
# PipeWriteType: PyTango 10.3.1 raises AttributeError on access (pipes removed); tango_core keeps the
# plain enum, harmless.


@pytest.mark.parametrize("name", ENUMS)
def test_enum_members_values_and_text(name):
    theirs, ours = getattr(tango, name), getattr(tango_core, name)
    assert issubclass(ours, enum.IntEnum)
    assert {m.name: int(m) for m in ours} == {m.name: int(m) for m in theirs}
    for member in theirs:
        mine = ours[member.name]
        assert (str(mine), repr(mine), f"{mine}", "%s" % mine, "%d" % mine, format(mine, ">4")) == \
            (str(member), repr(member), f"{member}", "%s" % member, "%d" % member, format(member, ">4"))
        assert mine == int(member) and hash(mine) == hash(int(member))
    assert {k: v.name for k, v in ours.values.items()} == {k: v.name for k, v in theirs.values.items()}
    assert list(ours.names) == list(theirs.names)


def test_enum_aliases_and_top_level_members():
    assert tango_core.ArgType is tango_core.CmdArgType
    for name in ("DevDouble", "DevVarStringArray", "DevState", "DevEnum", "SCALAR", "SPECTRUM", "IMAGE", "READ",
                 "READ_WRITE", "WRITE", "READ_WITH_WRITE"):
        if name == "DevState":  # tango.DevState is the enum, not CmdArgType.DevState
            assert tango_core.DevState.ON == tango.DevState.ON
            continue
        assert repr(getattr(tango_core, name)) == repr(getattr(tango, name))


# ---------------------------------------------------------------------------------------------
# 2. public names
# ---------------------------------------------------------------------------------------------

#: client-side names a PyTango user imports from ``tango`` (server-side classes are out of scope)
PRESENT_NAMES = [
    "DbDevInfos", "DbDevImportInfos", "DbDevExportInfos",
    "DeviceProxy", "AttributeProxy", "Database", "Group", "DeviceAttribute", "DeviceData", "Connection",
    "DevFailed", "DevError", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax", "NonDbDevice", "WrongData",
    "NonSupportedFeature", "AsynCall", "AsynReplyNotArrived", "EventSystemFailed", "DeviceUnlocked", "NotAllowed",
    "NamedDevFailed", "NamedDevFailedList", "Except", "TimeVal", "DevEncoded", "DbDatum", "DbData", "DbDevInfo",
    "DbDevImportInfo", "DbDevExportInfo", "DbDevFullInfo", "DbServerInfo", "DeviceInfo", "CommandInfo",
    "DevCommandInfo", "AttributeInfo", "AttributeInfoEx", "AttributeAlarmInfo", "ChangeEventInfo",
    "PeriodicEventInfo", "ArchiveEventInfo", "AttributeEventInfo", "AttributeDimension", "LockerInfo", "EventData",
    "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData", "GroupReply", "GroupCmdReply",
    "GroupAttrReply", "GroupReplyList", "GroupCmdReplyList", "GroupAttrReplyList", "CmdDoneEvent", "AttrReadEvent",
    "AttrWrittenEvent", "get_device_proxy", "get_attribute_proxy", "ChangeEventProp", "PeriodicEventProp",
    "ArchiveEventProp", "EventProperties", "AttributeAlarm", "AttributeConfig", "AttributeConfig_2",
    "AttributeConfig_3", "AttributeConfig_5", "get_green_mode", "set_green_mode", "DeviceAttributeHistory",
    "DeviceDataHistory",
]

#: names PyTango users reach for that tango_core lacked: each a known gap while missing
MISSING_NAMES = {
    "DeviceDataList": "Group.command_inout's per-device arguments (defined in tango_core.client.group)",
    "Release": "tango.Release.version (ITango's profile installer reads it)",
    "utils": "tango.utils: CaselessList/CaselessDict/EventCallback/is_*_type",
    "StdStringVector": "get_attribute_list()'s type; users build them for DB calls",
    "AttributeInfoList": "attribute_list_query()'s type",
    "AttributeInfoListEx": "attribute_list_query_ex()'s type",
    "CommandInfoList": "command_list_query()'s type",
    "PyTangoUserWarning": "warning class users filter (unfreeze_dynamic_interface warns with it)",
    "EnsureOmniThread": "context manager user threads wrap PyTango calls in (a no-op would do)",
    "is_array_type": "type predicates", "is_scalar_type": "type predicates", "is_numerical_type": "type predicates",
    "is_int_type": "type predicates", "is_float_type": "type predicates", "is_bool_type": "type predicates",
    "is_str_type": "type predicates", "obj_2_str": "conversion helpers", "str_2_obj": "conversion helpers",
    "seqStr_2_obj": "conversion helpers", "requires_pytango": "version guards", "requires_tango": "version guards",
    "AccessControlType": "enum", "LockCmdCode": "enum", "LogLevel": "enum", "LogTarget": "enum",
    "PollObjType": "enum", "PollCmdCode": "enum", "KeepAliveCmdCode": "enum", "AttReqType": "enum",
    "MessBoxType": "enum", "AttrSerialModel": "enum",
}


@pytest.mark.parametrize("name", PRESENT_NAMES)
def test_public_name_exists(name):
    assert hasattr(tango, name)
    assert hasattr(tango_core, name), f"tango_core.{name} missing"
    if isinstance(getattr(tango, name), type):
        assert getattr(tango_core, name).__name__ == getattr(tango, name).__name__


# A name of the two gap lists below that is still missing xfails (with its reason, so `pytest -rx` lists
# the gaps); one that has arrived passes.


@pytest.mark.parametrize("name", sorted(MISSING_NAMES))
def test_missing_public_name(name):
    if not hasattr(tango_core, name):
        pytest.xfail(f"tango_core.{name} missing: {MISSING_NAMES[name]}")


def _public(obj) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


#: PyTango methods tango_core deliberately leaves out (with why)
NOT_PLANNED = {
    # OpenTelemetry support is a cppTango build option, not part of the Tango protocol
    "add_telemetry_logging_endpoint", "add_telemetry_tracing_endpoint", "get_telemetry_logging",
    "get_telemetry_logging_endpoints", "get_telemetry_topics", "get_telemetry_tracing",
    "get_telemetry_tracing_endpoints", "is_telemetry_enabled", "remove_telemetry_logging_endpoint",
    "remove_telemetry_tracing_endpoint", "set_telemetry_logging", "set_telemetry_logging_endpoints",
    "set_telemetry_topics", "set_telemetry_tracing", "set_telemetry_tracing_endpoints", "start_telemetry",
    "stop_telemetry",
    # the FileDatabase (Database("file.db")) is a server-side test-context feature
    "reread_filedatabase", "write_filedatabase",
}

#: PyTango methods a user may call that tango_core lacks: defect reports (owner in the reason)
MISSING_METHODS = {
    "DeviceProxy": {"command_inout_reply_raw", "defaultCommandExtractAs",
                    "get_access_control", "get_access_right", "is_attribute_config_cache_enabled",
                    "set_access_control", "set_attribute_config_cache"},
    "Database": {"cancel_all_polling_asynch_request", "cancel_asynch_request",
                 "check_access_control", "command_inout_asynch", "command_inout_reply", "command_inout_reply_raw",
                 "get_access_control", "get_access_except_errors", "get_access_right",
                 "get_asynch_replies", "get_class_attribute_property_history", "get_class_property_history",
                 "get_device_attribute_property_history", "get_device_property_history", "get_property_history",
                 "is_control_access_checked", "set_access_checked", "set_access_control"},
    "DeviceData": {"except_flags"},
}


@pytest.mark.parametrize("cls", ["DeviceProxy", "AttributeProxy", "Database", "DeviceData", "DeviceAttribute",
                                 "DevFailed", "DevError", "TimeVal", "Group", "EventData"])
def test_public_methods_not_missing_beyond_known_gaps(cls):
    missing = _public(getattr(tango, cls)) - _public(getattr(tango_core, cls)) - NOT_PLANNED
    missing -= MISSING_METHODS.get(cls, set())
    # instance fields (set in __init__ by tango_core, class-level descriptors in pybind11)
    instance = {"DeviceAttribute": tango_core.DeviceAttribute, "EventData": tango_core.EventData,
                "TimeVal": tango_core.TimeVal, "DevError": tango_core.DevError}.get(cls)
    if instance is not None:
        missing -= _public(instance())
    assert not missing, f"{cls} lacks {sorted(missing)}"


@pytest.mark.parametrize("cls, method", sorted((c, m) for c, ms in MISSING_METHODS.items() for m in ms))
def test_missing_method(cls, method):
    if not hasattr(getattr(tango_core, cls), method):
        pytest.xfail(f"{cls}.{method} missing")


@pytest.mark.parametrize("make", [
    "DevError()", "DevFailed()", "DbDevInfo()", "DbDatum()", "DbDatum('x')", "TimeVal(1.5)", "TimeVal(0, 0, 0)",
    "DeviceInfo()", "CommandInfo()", "AttributeInfoEx()", "AttributeDimension()", "DbDevImportInfo()",
    "DbDevExportInfo()", "DbDevFullInfo()", "DbServerInfo()", "EventData()", "DeviceData()", "LockerInfo()",
    "AttributeAlarmInfo()", "ChangeEventInfo()", "PeriodicEventInfo()", "ArchiveEventInfo()",
    "AttributeEventInfo()",
])
def test_fresh_struct_fields_and_text(make):
    def build(m):
        obj = eval("m." + make)  # noqa: S307 - fixed expressions above
        return sorted(_public(obj) - {n for n in _public(obj) if callable(getattr(obj, n, None))}), \
            stable(repr(obj)), stable(str(obj)) if not make.startswith(("TimeVal", "EventData")) else None
    theirs, ours = outcome(tango, build), outcome(tango_core, build)
    if theirs[0] == "raise" and "No constructor defined" in theirs[2]:
        assert ours[0] == "ok"  # deliberate: PyTango cannot build a DbDevFullInfo; we can, harmlessly
        return
    assert ours == theirs


# ---------------------------------------------------------------------------------------------
# 3. structs and values from live devices
# ---------------------------------------------------------------------------------------------

DEVICE_NAMES = [TEST_DEVICE, TANGOTEST]


@pytest.mark.parametrize("dev", DEVICE_NAMES)
def test_device_proxy_identity(peers, dev):
    same(lambda m: (repr(proxy(m, dev)), str(proxy(m, dev)), proxy(m, dev).dev_name(), proxy(m, dev).name(),
                    proxy(m, dev).adm_name(), proxy(m, dev).description(), proxy(m, dev).get_idl_version(),
                    proxy(m, dev).get_timeout_millis(), repr(proxy(m, dev).get_source()),
                    proxy(m, dev).is_dbase_used(), proxy(m, dev).get_db_host(), proxy(m, dev).get_db_port(),
                    proxy(m, dev).get_db_port_num(), type(proxy(m, dev).ping()).__name__))


def test_nodb_device_identity(peers):
    dev = peers["nodb"]
    same(lambda m: (repr(proxy(m, dev)), proxy(m, dev).dev_name(), proxy(m, dev).adm_name(),
                    proxy(m, dev).is_dbase_used(), proxy(m, dev).get_db_host(), proxy(m, dev).get_db_port(),
                    proxy(m, dev).get_dev_host(), proxy(m, dev).get_dev_port()))


@pytest.mark.parametrize("dev", DEVICE_NAMES + ["nodb"])
def test_device_info_text(peers, dev):
    dev = peers["nodb"] if dev == "nodb" else dev
    same(lambda m: (type(proxy(m, dev).info()).__name__, repr(proxy(m, dev).info()), str(proxy(m, dev).info())))


TEST_DEVICE_COMMANDS = ["Init", "State", "Status", "EchoDouble", "EchoString", "EchoBoolean", "EchoLong64",
                        "EchoULong64", "EchoStringArray", "EchoDoubleArray", "EchoLongString", "EchoDoubleString",
                        "EchoEncoded", "EchoState", "ChangeState", "Fail", "Sleep", "On", "Off", "PushCounterEvent",
                        "PushUserEvent"]
TANGOTEST_COMMANDS = ["DevBoolean", "DevDouble", "DevFloat", "DevLong", "DevLong64", "DevShort", "DevString",
                      "DevULong", "DevULong64", "DevUShort", "DevVarCharArray", "DevVarDoubleArray",
                      "DevVarDoubleStringArray", "DevVarLongStringArray", "DevVarStringArray", "DevVoid",
                      "SwitchStates", "CrashFromDevelopperThread"]


@pytest.mark.parametrize("dev, cmd", [(TEST_DEVICE, c) for c in TEST_DEVICE_COMMANDS]
                         + [(TANGOTEST, c) for c in TANGOTEST_COMMANDS])
def test_command_query_text(peers, dev, cmd):
    same(lambda m: (type(proxy(m, dev).command_query(cmd)).__name__, repr(proxy(m, dev).command_query(cmd)),
                    str(proxy(m, dev).command_query(cmd))))


@pytest.mark.parametrize("dev", DEVICE_NAMES)
def test_command_and_attribute_lists(peers, dev):
    same(lambda m: (list(proxy(m, dev).get_command_list()), list(proxy(m, dev).get_attribute_list()),
                    [repr(c) for c in proxy(m, dev).command_list_query()],
                    [c.name for c in proxy(m, dev).attribute_list_query_ex()],
                    repr(proxy(m, dev).get_command_config(["State", "Status"]))))


@pytest.mark.parametrize("dev", DEVICE_NAMES)
def test_sequence_result_types(peers, dev):
    same(lambda m: (type(proxy(m, dev).get_attribute_list()).__name__, type(proxy(m, dev).black_box(1)).__name__,
                    type(proxy(m, dev).command_list_query()).__name__,
                    type(proxy(m, dev).attribute_list_query_ex()).__name__))


TEST_DEVICE_ATTRIBUTES = ["double_rw", "long_rw", "long64_rw", "ulong64_rw", "short_rw", "ushort_rw", "uchar_rw",
                          "float_rw", "bool_rw", "string_rw", "mode", "encoded_rw", "state_attr", "greeting_attr",
                          "double_spectrum_rw", "long_spectrum_ro", "bool_spectrum_ro", "string_spectrum_rw",
                          "double_image_ro", "ushort_image_rw", "string_image_ro", "write_only_double",
                          "last_written", "failing_read", "invalid_quality", "expert_double", "ramp", "counter",
                          "State", "Status"]
TANGOTEST_ATTRIBUTES = [
    "ampli", "boolean_scalar", "double_scalar", "double_scalar_rww", "double_scalar_w", "float_scalar",
    "long64_scalar", "long_scalar", "long_scalar_rww", "long_scalar_w", "no_value", "short_scalar", "short_scalar_ro",
    "short_scalar_rww", "short_scalar_w", "string_scalar", "throw_exception", "uchar_scalar", "ulong64_scalar",
    "ushort_scalar", "ulong_scalar", "boolean_spectrum", "boolean_spectrum_ro", "double_spectrum",
    "double_spectrum_ro", "float_spectrum", "float_spectrum_ro", "long64_spectrum_ro", "long_spectrum",
    "long_spectrum_ro", "short_spectrum", "short_spectrum_ro", "string_spectrum", "string_spectrum_ro",
    "uchar_spectrum", "uchar_spectrum_ro", "ulong64_spectrum_ro", "ulong_spectrum_ro", "ushort_spectrum",
    "ushort_spectrum_ro", "wave", "boolean_image", "boolean_image_ro", "double_image", "double_image_ro",
    "float_image", "float_image_ro", "long64_image_ro", "long_image", "long_image_ro", "short_image",
    "short_image_ro", "string_image", "string_image_ro", "uchar_image", "uchar_image_ro", "ulong64_image_ro",
    "ulong_image_ro", "ushort_image", "ushort_image_ro", "State", "Status",
]


@pytest.mark.parametrize("dev, attr", [(TEST_DEVICE, a) for a in TEST_DEVICE_ATTRIBUTES]
                         + [(TANGOTEST, a) for a in TANGOTEST_ATTRIBUTES])
def test_attribute_config_text(peers, dev, attr):
    same(lambda m: (type(proxy(m, dev).attribute_query(attr)).__name__,
                    stable(repr(proxy(m, dev).attribute_query(attr))),
                    str(proxy(m, dev).attribute_query(attr)), str(proxy(m, dev).get_attribute_config(attr)),
                    stable(repr(proxy(m, dev).get_attribute_config([attr]))),
                    str(proxy(m, dev).get_attribute_config_ex(attr)[0])))


@pytest.mark.parametrize("attr", ["double_rw", "mode", "string_spectrum_rw", "double_image_ro"])
def test_attribute_info_text(peers, attr):
    """attribute_list_query() gives the older AttributeInfo struct."""
    def build(m):
        infos = {i.name: i for i in proxy(m, TEST_DEVICE).attribute_list_query()}
        return type(infos[attr]).__name__, repr(infos[attr]), str(infos[attr])
    same(build)


#: attributes whose value changes between the two reads (compared by type, dtype and shape only)
VOLATILE = {"ramp", "State", "Status", "invalid_quality"} | set(TANGOTEST_ATTRIBUTES)  # TangoTest's values are random


def _value_shape(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.ndim)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, len(value) > 0)
    return type(value).__name__


def _read_view(da, volatile: bool) -> tuple:
    fields = ("name", "type", "data_format", "quality", "dim_x", "dim_y", "w_dim_x", "w_dim_y", "nb_read",
              "nb_written", "has_failed", "is_empty")
    head = tuple(repr(getattr(da, f)) for f in fields if not volatile or f not in ("dim_x", "dim_y", "nb_read",
                                                                                    "quality"))
    if volatile:
        return head, _value_shape(da.value), _value_shape(da.w_value), type(da.time).__name__
    return head, describe(da.value), describe(da.w_value), stable(repr(da)), stable(str(da)), \
        type(da.r_dimension).__name__, repr(da.w_dimension)


@pytest.mark.parametrize("dev, attr", [(TEST_DEVICE, a) for a in TEST_DEVICE_ATTRIBUTES if a != "failing_read"]
                         + [(TANGOTEST, a) for a in TANGOTEST_ATTRIBUTES if a not in ("no_value", "throw_exception")])
def test_read_attribute_result(peers, dev, attr):
    same(lambda m: _read_view(proxy(m, dev).read_attribute(attr), attr in VOLATILE))


EXTRACT_GAPS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("extract_as", ["Numpy", "List", "Tuple", "String", "Bytes", "ByteArray", "Nothing"])
@pytest.mark.parametrize("attr", ["long_rw", "double_spectrum_rw", "ushort_image_rw", "string_spectrum_rw",
                                  "string_image_ro", "bool_spectrum_ro", "encoded_rw", "mode", "state_attr"])
def test_read_attribute_extract_as(peers, attr, extract_as, request):
    if (attr, extract_as) in EXTRACT_GAPS:
        request.applymarker(_xfail(EXTRACT_GAPS[attr, extract_as]))
    if (attr, extract_as) == ("double_spectrum_rw", "String"):
        # deliberate: PyTango decodes the raw doubles as UTF-8 and raises UnicodeDecodeError; we
        # hand back a str of the raw bytes (Latin-1), as ExtractAs.String asks
        da = proxy(tango_core, TEST_DEVICE).read_attribute(attr, extract_as=tango_core.ExtractAs.String)
        assert isinstance(da.value, str)
        return

    def build(m):
        da = proxy(m, TEST_DEVICE).read_attribute(attr, extract_as=getattr(m.ExtractAs, extract_as))
        return describe(da.value), describe(da.w_value)
    same(build)


@pytest.mark.parametrize("extract_as", ["Numpy", "List", "Tuple", "String", "Bytes", "ByteArray"])
@pytest.mark.parametrize("attr", [a for a in TANGOTEST_ATTRIBUTES if a.endswith(("_spectrum_ro", "_image_ro"))])
def test_read_tangotest_extract_as_types(peers, attr, extract_as):
    """Every element type, as a spectrum and an image, through every ExtractAs (types and shapes only:
    TangoTest's values are random)."""
    def build(m):
        da = proxy(m, TANGOTEST).read_attribute(attr, extract_as=getattr(m.ExtractAs, extract_as))
        value = da.value
        inner = None
        if isinstance(value, (list, tuple)) and value:
            inner = _value_shape(value[0])
        return _value_shape(value), inner, _value_shape(da.w_value)
    theirs, ours = outcome(tango, build), outcome(tango_core, build)
    if theirs[0] == "raise" and theirs[1] == "UnicodeDecodeError":
        assert ours[0] == "ok"  # deliberate: PyTango decodes raw numbers as UTF-8 for ExtractAs.String
        return
    assert ours == theirs


def test_read_attributes_list(peers):
    def build(m):
        das = proxy(m, TEST_DEVICE).read_attributes(["long_rw", "failing_read", "nope", "string_rw"])
        return (type(das).__name__, [(d.name, d.has_failed, describe(d.value), [e.reason for e in d.get_err_stack()],
                                      [e.desc for e in d.get_err_stack()]) for d in das])
    same(build)


def test_failed_entry_text(peers):
    def build(m):
        da = proxy(m, TEST_DEVICE).read_attributes(["failing_read"])[0]
        return stable(repr(da)), stable(str(da)), type(da.get_err_stack()).__name__
    same(build)


@pytest.mark.parametrize("dev, cmd, arg", [
    (TEST_DEVICE, "EchoDouble", 2.5), (TEST_DEVICE, "EchoString", "héllo"), (TEST_DEVICE, "EchoBoolean", True),
    (TEST_DEVICE, "EchoLong64", -(2 ** 40)), (TEST_DEVICE, "EchoULong64", 2 ** 63 + 1),
    (TEST_DEVICE, "EchoStringArray", ["a", "b"]), (TEST_DEVICE, "EchoStringArray", ("a",)),
    (TEST_DEVICE, "EchoDoubleArray", [1.0, 2.5]), (TEST_DEVICE, "EchoDoubleArray", np.arange(3.0)),
    (TEST_DEVICE, "EchoLongString", [[1, 2], ["x"]]), (TEST_DEVICE, "EchoDoubleString", [[1.5], ["y", "z"]]),
    (TEST_DEVICE, "EchoEncoded", ("fmt", b"\x01\x02")), (TEST_DEVICE, "EchoState", tango_core.DevState.MOVING),
    (TEST_DEVICE, "EchoState", 3), (TEST_DEVICE, "State", None), (TEST_DEVICE, "Status", None),
    (TEST_DEVICE, "On", None), (TANGOTEST, "DevVarCharArray", [1, 2, 255]), (TANGOTEST, "DevShort", -3),
    (TANGOTEST, "DevUShort", 7), (TANGOTEST, "DevULong", 2 ** 32 - 1), (TANGOTEST, "DevFloat", 0.5),
    (TANGOTEST, "DevVarLongStringArray", ([1, 2], ["a"])), (TANGOTEST, "DevVoid", None),
    (TANGOTEST, "DevBoolean", 0), (TANGOTEST, "DevString", ""), (TANGOTEST, "DevVarStringArray", []),
    (TANGOTEST, "DevVarDoubleArray", []), (TANGOTEST, "DevLong", np.int32(5)), (TANGOTEST, "DevDouble", 1),
])
def test_command_result(peers, dev, cmd, arg):
    def build(m):
        argin = arg
        if isinstance(arg, tango_core.DevState):
            argin = getattr(m.DevState, arg.name)
        d = proxy(m, dev)
        return describe(d.command_inout(cmd) if argin is None else d.command_inout(cmd, argin)), \
            describe(getattr(d, cmd)() if argin is None else getattr(d, cmd)(argin))
    same(build)


def test_high_level_attribute_access(peers):
    same(lambda m: (describe(proxy(m, TEST_DEVICE).long_rw), describe(proxy(m, TEST_DEVICE).mode),
                    describe(proxy(m, TEST_DEVICE).string_spectrum_rw), describe(proxy(m, TEST_DEVICE).state_attr),
                    describe(proxy(m, TEST_DEVICE)["long_rw"].value), "long_rw" in proxy(m, TEST_DEVICE),
                    "LONG_RW" in proxy(m, TEST_DEVICE), "nope" in proxy(m, TEST_DEVICE),
                    type(proxy(m, TEST_DEVICE).mode).__name__, repr(proxy(m, TEST_DEVICE).mode)))


def test_command_function_doc(peers):
    same(lambda m: (proxy(m, TEST_DEVICE).EchoDouble.__doc__, proxy(m, TANGOTEST).Status.__doc__))


@pytest.mark.parametrize("attr, value", [
    ("long_rw", 7), ("long_rw", np.int32(8)), ("long_rw", 9.0), ("double_rw", 3), ("double_rw", np.float32(0.5)),
    ("bool_rw", 1), ("bool_rw", False), ("string_rw", "abc"), ("string_rw", "é"), ("mode", 2),
    ("uchar_rw", 255), ("ulong64_rw", 2 ** 64 - 1), ("long64_rw", -(2 ** 63)), ("short_rw", -(2 ** 15)),
    ("double_spectrum_rw", [1, 2]), ("double_spectrum_rw", np.array([1.5], dtype=np.float32)),
    ("double_spectrum_rw", []), ("string_spectrum_rw", ["x", "y"]), ("string_spectrum_rw", ("z",)),
    ("ushort_image_rw", [[1, 2, 3], [4, 5, 6]]), ("ushort_image_rw", np.ones((2, 2), dtype=np.uint16)),
    ("encoded_rw", ("f", b"\x00")), ("encoded_rw", ("f", bytearray(b"ab"))), ("write_only_double", 4.5),
])
def test_write_then_read_back(peers, attr, value):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        d.write_attribute(attr, value)
        if attr == "write_only_double":
            return describe(d.read_attribute("last_written").value)
        da = d.read_attribute(attr)
        return describe(da.value), describe(da.w_value), da.w_dim_x, da.w_dim_y
    same(build)


def test_write_enum_label_with_write_attribute(peers):
    # deliberate: PyTango converts labels only for `dev.mode = "ON"` and raises TypeError("an integer
    # is required") for write_attribute("mode", "ON"); tango_core accepts the label in both
    theirs = outcome(tango, lambda m: proxy(m, TEST_DEVICE).write_attribute("mode", "ON"))
    assert theirs == ("raise", "TypeError", "an integer is required")
    proxy(tango_core, TEST_DEVICE).write_attribute("mode", "ON")
    assert proxy(tango_core, TEST_DEVICE).read_attribute("mode").value == 2


def test_high_level_write(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        d.long_rw = 11
        d.mode = "OFF"
        d["string_rw"] = "set"
        return d.long_rw, describe(d.mode), d.string_rw
    same(build)


def test_attribute_proxy(peers):
    name = f"{TEST_DEVICE}/long_rw"
    same(lambda m: (repr(m.AttributeProxy(name)), str(m.AttributeProxy(name)), m.AttributeProxy(name).name(),
                    repr(m.AttributeProxy(name).get_device_proxy()), _read_view(m.AttributeProxy(name).read(), False),
                    str(m.AttributeProxy(name).get_config()), m.AttributeProxy(name).is_polled(),
                    m.AttributeProxy(name).get_poll_period()))


def test_attribute_proxy_write_read(peers):
    def build(m):
        ap = m.AttributeProxy(f"{TEST_DEVICE}/double_rw")
        ap.write(4.25)
        return _read_view(ap.read(), False), _read_view(ap.write_read(1.5), False)
    same(build)


def test_write_read_attribute(peers):
    same(lambda m: (_read_view(proxy(m, TEST_DEVICE).write_read_attribute("long_rw", 5), False),
                    [_read_view(d, False) for d in
                     proxy(m, TEST_DEVICE).write_read_attributes([("long_rw", 6)], ["long_rw", "string_rw"])]))


def test_polling_text(peers):
    same(lambda m: (proxy(m, TEST_DEVICE).is_attribute_polled("ramp"),
                    proxy(m, TEST_DEVICE).get_attribute_poll_period("ramp"),
                    proxy(m, TEST_DEVICE).is_attribute_polled("long_rw"), [stable(s).split("\n")[:3] for s in
                                                                          proxy(m, TEST_DEVICE).polling_status()]))


def test_device_properties(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        # (no non-ASCII text: PyTango's DeviceProxy.put_property writes Latin-1, its get decodes UTF-8)
        d.put_property({"conf_a": 3.5, "conf_b": ["x", "y"], "conf_c": "e"})
        try:
            got = d.get_property(["conf_a", "conf_b", "conf_c", "conf_missing"])
            lst = sorted(d.get_property_list("conf_*"))
            one = d.get_property("conf_a")
        finally:
            d.delete_property(["conf_a", "conf_b", "conf_c"])
        return got, lst, one, d.get_property("conf_a"), type(got).__name__
    same(build)


# ---------------------------------------------------------------------------------------------
# 4. Database
# ---------------------------------------------------------------------------------------------

DB_CALLS = [
    "repr(db)", "str(db)", "db.get_db_host()", "db.get_db_port()", "db.get_db_port_num()", "db.dev_name()",
    "repr(db.get_device_exported('test/*'))", "str(db.get_device_exported('test/*'))",
    "list(db.get_device_exported('*'))", "repr(db.get_server_list())", "repr(db.get_server_list('Test*'))",
    "repr(db.get_class_list('*'))", "repr(db.get_device_name('TestServer/test', 'TestDevice'))",
    "repr(db.get_device_class_list('TestServer/test'))", "db.get_class_for_device('test/dev/1')",
    "repr(db.get_server_class_list('TestServer/test'))", "repr(db.get_device_domain('*'))",
    "repr(db.get_device_family('test/*'))", "repr(db.get_device_member('test/dev/*'))",
    "repr(db.get_instance_name_list('TestServer'))", "repr(db.get_server_name_list())",
    "repr(db.get_host_list())", "repr(db.get_device_alias_list('*'))",
    "repr(db.get_device_property_list('test/dev/1', '*'))", "db.get_device_property('test/dev/1', 'greeting')",
    "db.get_device_property('test/dev/1', ['nope'])", "db.get_class_property('TestDevice', 'nope')",
    "repr(db.import_device('test/dev/1'))", "str(db.import_device('test/dev/1'))",
    "repr(db.get_device_info('test/dev/1'))", "str(db.get_device_info('test/dev/1'))",
    "repr(db.get_device_info('sys/tg_test/1'))", "db.get_info().split(chr(10))[:3]",
    "repr(db.get_server_info('TestServer/test'))", "repr(db.get_device_exported_for_class('TestDevice'))",
    "repr(db.get_object_list('*'))", "repr(db.get_class_attribute_list('TestDevice', '*'))",
    "db.is_dbase_used()", "repr(db.get_attribute_alias_list('*'))",
    "repr(db.command_inout('DbGetDeviceList', ['TestServer/test', 'TestDevice']))",
    "db.command_inout('DbMySqlSelect', 'SELECT name FROM device WHERE name LIKE \"test/dev/%\" ORDER BY name')[1]",
]


DB_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("call", DB_CALLS)
def test_database_call(peers, call, request):
    if call in DB_GAPS:
        request.applymarker(_xfail(DB_GAPS[call]))
    if "get_server_info" in call:
        # deliberate: PyTango raises API_InvalidArgs ('" " cannot be entirely parsed into int') on the
        # blank mode/level its own DB server returns; tango_core reads them as 0
        assert outcome(tango, lambda m: eval(call, {"db": m.Database()}))[0] == "raise"  # noqa: S307
        assert "DbServerInfo(" in eval(call, {"db": tango_core.Database()})  # noqa: S307
        return
    same(lambda m: stable(str(eval(call, {"db": m.Database(), "chr": chr}))))  # noqa: S307 - fixed calls


def test_database_constructors(peers):
    host, port = peers["tango_host"].split(":")
    same(lambda m: (repr(m.Database()), repr(m.Database(host, port)), repr(m.Database(host, int(port))),
                    repr(m.Database(m.Database()))))


def test_database_datum_protocol(peers):
    def build(m):
        d = m.Database().get_device_exported("test/*")
        return (len(d), d[0], list(d), "test/dev/1" in d, d.name, list(d.value_string), type(d).__name__,
                d.is_empty(), d.size())
    same(build)


def test_dbdatum_and_devinfo_objects():
    def build(m):
        dd = m.DbDatum("p")
        dd.value_string = ["1", "2"]
        info = m.DbDevInfo()
        info.name, info._class, info.server = "a/b/c", "K", "S/i"
        return repr(dd), str(dd), repr(info), str(info), info.klass, info._class
    same(build)


def test_add_and_delete_device(peers):
    def build(m):
        db = m.Database()
        info = m.DbDevInfo()
        info.name, info._class, info.server = f"conf/{m.__name__}/1", "TestDevice", "ConfServer/x"
        db.add_device(info)
        try:
            return (list(db.get_device_name("ConfServer/x", "TestDevice")),
                    stable(repr(db.get_device_info(info.name))).replace(m.__name__, "M"))
        finally:
            db.delete_device(info.name)
            db.delete_server("ConfServer/x")
    theirs, ours = outcome(tango, build), outcome(tango_core, build)
    assert ours[0] == theirs[0] == "ok"
    if "started_date = '?'" in ours[1][1]:
        pytest.xfail("never-started device: DbDevFullInfo.started_date PyTango '' vs tango_core '?'")
    assert ours[1][0] == ["conf/tango_core/1"] and theirs[1][0] == ["conf/tango/1"]
    # started/stopped dates and pid of a never-started device
    assert re.sub(r"'\d\d.*?'", "'D'", ours[1][1]) == re.sub(r"'\d\d.*?'", "'D'", theirs[1][1])


# ---------------------------------------------------------------------------------------------
# 5. errors: the common mistakes
# ---------------------------------------------------------------------------------------------

MISTAKES = {
    "unknown attribute": lambda m, p: p.read_attribute("nope"),
    "failing attribute": lambda m, p: p.read_attribute("failing_read"),
    "unknown attribute (high level)": lambda m, p: p.nope,
    "unknown command": lambda m, p: p.command_inout("Nope"),
    "unknown command with argument": lambda m, p: p.command_inout("Nope", 1),
    "command fails": lambda m, p: p.command_inout("Fail"),
    "command not allowed": lambda m, p: (p.command_inout("Off"), p.command_inout("Off")),
    "missing argument": lambda m, p: p.command_inout("EchoDouble"),
    "wrong argument type": lambda m, p: p.command_inout("EchoDouble", "abc"),
    "wrong argument type (array)": lambda m, p: p.command_inout("EchoDoubleArray", "abc"),
    "scalar for an array": lambda m, p: p.command_inout("EchoDoubleArray", 1.0),
    "array for a scalar": lambda m, p: p.command_inout("EchoDouble", [1.0]),
    "argument overflow": lambda m, p: p.command_inout("EchoLong64", 2 ** 63),
    "negative unsigned": lambda m, p: p.command_inout("EchoULong64", -1),
    "bad DevState": lambda m, p: p.command_inout("EchoState", "ON"),
    "bad DevEncoded": lambda m, p: p.command_inout("EchoEncoded", "x"),
    "bad string array": lambda m, p: p.command_inout("EchoStringArray", [1, 2]),
    "write read-only": lambda m, p: p.write_attribute("long_spectrum_ro", [1]),
    "write unknown attribute": lambda m, p: p.write_attributes([("nope", 1)]),
    "write wrong type": lambda m, p: p.write_attribute("long_rw", "abc"),
    "write float to int": lambda m, p: p.write_attribute("long_rw", 1.5),
    "write overflow": lambda m, p: p.write_attribute("uchar_rw", 256),
    "write scalar to spectrum": lambda m, p: p.write_attribute("double_spectrum_rw", 1.0),
    "write bad enum label": lambda m, p: setattr(p, "mode", "NOPE"),
    "write bad enum index": lambda m, p: p.write_attribute("mode", 7),
    "write image wrong shape": lambda m, p: p.write_attribute("ushort_image_rw", [[1, 2], [3]]),
    "write_attributes one bad": lambda m, p: p.write_attributes([("long_rw", 1), ("long_spectrum_ro", [1])]),
    "set a command": lambda m, p: setattr(p, "EchoDouble", 1),
    "set unknown name": lambda m, p: setattr(p, "nope_nope", 1),
    "private name": lambda m, p: p._nope,
    "unknown item": lambda m, p: p["nope"],
    "green wait=False": lambda m, p: p.state(wait=False),
    "read_attribute_reply bad id": lambda m, p: p.read_attribute_reply(12345),
    "command_inout_reply bad id": lambda m, p: p.command_inout_reply(12345),
    "unsubscribe unknown": lambda m, p: p.unsubscribe_event(12345),
    "nodb property": None,  # below, on the no-DB device
    "attribute config unknown": lambda m, p: p.get_attribute_config("nope"),
    "command config unknown": lambda m, p: p.command_query("nope"),
    "poll unknown attribute": lambda m, p: p.poll_attribute("nope", 100),
    "event without criteria": lambda m, p: p.subscribe_event("long_rw", m.EventType.CHANGE_EVENT, 10),
}


MISTAKE_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("mistake", [pytest.param(k, marks=_xfail(MISTAKE_GAPS[k])) if k in MISTAKE_GAPS else k
                                     for k, v in MISTAKES.items() if v is not None])
def test_common_mistake(peers, mistake):
    call = MISTAKES[mistake]
    same(lambda m: call(m, m.DeviceProxy(TEST_DEVICE)))


@pytest.mark.parametrize("name", [
    "a/b", "a/b/c/d/e", "tango://127.0.0.1:1/a/b/c#dbase=no", "", "a//c", "bad name!/x/y", "sys/tg_test/2",
    "http://127.0.0.1:10000/a/b/c", "nonexistentalias", "tango://nohost/a/b/c",
])
def test_device_name_errors(peers, name):
    def build(m):
        d = m.DeviceProxy(name)
        return d.state()
    same(build)


def test_device_name_with_bad_port():
    # deliberate: PyTango reads "notaport" as port 0 and fails to connect (ConnectionFailed
    # '...with port 0'); tango_core reports the name itself as wrong
    name = "tango://127.0.0.1:notaport/a/b/c"
    assert outcome(tango, lambda m: m.DeviceProxy(name).state())[1] == "ConnectionFailed"
    assert outcome(tango_core, lambda m: m.DeviceProxy(name).state())[1] == "WrongNameSyntax"


@pytest.mark.parametrize("name", [
    "a/b/c", "sys/tg_test/2/x",
    "sys/tg_test/1/nope",
    "tango://127.0.0.1:1/a/b/c/d",
    "x",
])
def test_attribute_proxy_name_errors(peers, name):
    same(lambda m: m.AttributeProxy(name).read())


@pytest.mark.parametrize("call", [
    "state()", "ping()", "command_inout('State')", "command_inout('DevDouble', 1.0)", "read_attribute('State')",
    "read_attributes(['State'])",
])
def test_unexported_device_errors(peers, call):
    """sys/access_control/1 is defined in PyTango's DB but never started: a fresh proxy's first call."""
    try:
        same(lambda m: eval("m.DeviceProxy('sys/access_control/1')." + call))  # noqa: S307
    finally:
        time.sleep(1.05)  # cppTango throttles reconnections to one per second per device


def test_undefined_device_error_text(peers):
    def build(m):
        try:
            m.DeviceProxy("sys/tg_test/2")
        except m.DevFailed as exc:
            return type(exc).__name__, str(exc.args[0].reason), exc.args[0].desc, [e.reason for e in exc.args]
    same(build)


def test_nodb_device_property_error(peers):
    same(lambda m: m.DeviceProxy(peers["nodb"]).get_property("x"))


def test_database_unreachable(peers):
    same(lambda m: m.Database("127.0.0.1", 1).get_info())


def test_timeout_error(peers):
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        d.set_timeout_millis(200)
        try:
            d.command_inout("Sleep", 0.6)
        finally:
            time.sleep(0.6)
    same(build)


# ---------------------------------------------------------------------------------------------
# 6. DevFailed / DevError / TimeVal objects
# ---------------------------------------------------------------------------------------------


def test_dev_failed_text_from_a_device(peers):
    def build(m):
        try:
            m.DeviceProxy(TEST_DEVICE).command_inout("Fail")
        except m.DevFailed as exc:
            return stable(str(exc)), stable(repr(exc)), [stable(str(e)) for e in exc.args], \
                [stable(repr(e)) for e in exc.args], type(exc.args).__name__, type(exc).__mro__[1].__name__
    same(build)


@pytest.mark.parametrize("make", [
    "m.DevFailed()", "m.DevFailed(m.DevError())",
    "m.DevFailed(*[m.DevError(), m.DevError()])",
])
def test_dev_failed_construction_text(make):
    same(lambda m: (str(eval(make)), repr(eval(make)), len(eval(make).args)))  # noqa: S307


def test_except_static_methods():
    def build(m):
        try:
            m.Except.throw_exception("R", "multi\nline desc", "O")
        except m.DevFailed as exc:
            first = (str(exc), repr(exc), repr(exc.args[0].severity))
            try:
                m.Except.re_throw_exception(exc, "R2", "D2", "O2")
            except m.DevFailed as exc2:
                return first, str(exc2), [e.reason for e in exc2.args]
    same(build)


def test_dev_error_fields():
    def build(m):
        e = m.DevError()
        e.reason, e.desc, e.origin, e.severity = "r", "d", "o", m.ErrSeverity.PANIC
        return repr(e), str(e), e.severity == 2, repr(m.DevError().severity)
    same(build)


def test_dev_failed_pickles():
    import pickle

    def build(m):
        try:
            m.Except.throw_exception("R", "D", "O")
        except m.DevFailed as exc:
            back = pickle.loads(pickle.dumps(exc))
            return type(back).__name__, repr(back)
    same(build)


@pytest.mark.parametrize("make", ["TimeVal(1.5)", "TimeVal(100, 250000, 0)", "TimeVal()", "TimeVal(-1.25)"])
def test_time_val(make):
    same(lambda m: (repr(eval("m." + make)), str(eval("m." + make)), eval("m." + make).totime(),  # noqa: S307
                    str(eval("m." + make).todatetime()), eval("m." + make).isoformat(),  # noqa: S307
                    eval("m." + make).strftime("%Y-%m-%d %H:%M:%S")))  # noqa: S307


def test_time_val_constructors():
    import datetime
    moment = datetime.datetime(2024, 2, 3, 4, 5, 6, 700000)
    same(lambda m: (repr(m.TimeVal.fromtimestamp(1.75)), repr(m.TimeVal.fromdatetime(moment)),
                    repr(m.TimeVal(moment)), type(m.TimeVal.now()).__name__))


def test_device_data_object():
    def build(m):
        d = m.DeviceData()
        empty = (d.is_empty(), repr(d.get_type()))
        d.insert(m.CmdArgType.DevDouble, 2.5)
        return empty, d.is_empty(), repr(d.get_type()), d.extract()
    same(build)


def test_event_data_object():
    same(lambda m: (stable(repr(m.EventData())), stable(str(m.EventData())), m.EventData().attr_name,
                    repr(m.EventData().event_reason)))


# ---------------------------------------------------------------------------------------------
# 7. the C++ database (Debian DataBaseds on MariaDB) and its TangoTest, through explicit TRLs
# ---------------------------------------------------------------------------------------------

CPP_DB_CALLS = [
    "repr(db)", "db.get_db_port()", "repr(db.get_device_exported('sys/*'))", "repr(db.get_server_list('Tango*'))",
    "repr(db.get_class_list('Tango*'))", "repr(db.get_device_name('TangoTest/test', 'TangoTest'))",
    "db.get_class_for_device('sys/tg_test/1')", "repr(db.get_device_class_list('TangoTest/test'))",
    "repr(db.import_device('sys/tg_test/1'))", "repr(db.get_device_info('sys/tg_test/1'))",
    "db.get_info().split(chr(10))[:2]", "db.get_device_property('sys/tg_test/1', 'nope')",
    "repr(db.get_device_alias_list('*'))", "repr(db.get_host_list('*'))",
]


@pytest.mark.parametrize("call", CPP_DB_CALLS)
def test_cpp_database_call(cpp_tango_host, call):
    host, port = cpp_tango_host.split(":")
    same(lambda m: stable(str(eval(call, {"db": m.Database(host, port), "chr": chr}))))  # noqa: S307


@pytest.mark.parametrize("what", ["info", "state", "undefined", "attr_config", "read"])
def test_cpp_database_devices(cpp_tango_host, what):
    trl = f"tango://{cpp_tango_host}/"
    calls = {
        "info": lambda m: repr(m.DeviceProxy(trl + TANGOTEST).info()),
        "state": lambda m: (repr(m.DeviceProxy(trl + TANGOTEST).state()), repr(m.DeviceProxy(trl + TANGOTEST))),
        "undefined": lambda m: m.DeviceProxy(trl + "sys/tg_test/2"),
        "attr_config": lambda m: str(m.DeviceProxy(trl + TANGOTEST).attribute_query("double_scalar")),
        "read": lambda m: _read_view(m.DeviceProxy(trl + TANGOTEST).read_attribute("double_scalar"), True),
    }
    same(calls[what])


# ---------------------------------------------------------------------------------------------
# 8. green modes and events
# ---------------------------------------------------------------------------------------------


def test_green_keywords_in_synchronous_mode(peers):
    same(lambda m: (repr(proxy(m, TEST_DEVICE).get_green_mode()), repr(m.get_green_mode()),
                    repr(proxy(m, TEST_DEVICE).state(wait=True)),
                    outcome(m, lambda m: proxy(m, TEST_DEVICE).state(timeout=1))))


@pytest.mark.parametrize("module", ["futures", "asyncio", "gevent"])
def test_green_mode_modules(module):
    """``tango_core.<mode>`` offers what ``tango.<mode>`` offers: DeviceProxy/AttributeProxy factories
    (and the Device/Attribute aliases), as ``functools.partial`` of the get_*_proxy factories."""
    import functools
    import importlib

    theirs = importlib.import_module(f"tango.{module}")
    ours = importlib.import_module(f"tango_core.{module}")
    names = {"DeviceProxy", "AttributeProxy", "Device", "Attribute"}
    assert names <= set(dir(theirs)) and names <= set(dir(ours))
    for name in names:
        assert type(getattr(ours, name)) is type(getattr(theirs, name)) is functools.partial
        assert repr(getattr(ours, name).keywords["green_mode"]) == repr(getattr(theirs, name).keywords["green_mode"])


@pytest.fixture(scope="module", autouse=True)
def _stop_pytango_green_threads():
    """PyTango's futures/asyncio modes run calls on a pool of non-daemon threads that outlive the
    tests (the suite fails a run that leaks threads): stop them after this module."""
    yield
    import tango.green

    pool = tango.green._PYTANGOTHREADPOOLEXECUTOR
    if pool is not None:
        pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def green_loop():
    """One loop for both libraries' asyncio proxies: PyTango's asyncio executor binds itself to the
    first loop it sees and fails once that loop is closed (tango_core uses whichever loop runs)."""
    import asyncio

    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_asyncio_mode_side_by_side(peers, green_loop):
    async def build(m):
        import importlib

        aio = importlib.import_module(f"{m.__name__}.asyncio")
        pending = aio.DeviceProxy(TEST_DEVICE)
        dev = await pending
        state = dev.state()
        out = [type(pending).__name__, type(state).__name__, repr(dev.get_green_mode()), repr(await state)]
        await dev.write_attribute("long_rw", 17)
        out.append(describe((await dev.read_attribute("long_rw")).value))
        out.append(describe(await dev.long_rw))
        out.append(describe(await dev.command_inout("EchoDouble", 1.5)))
        out.append(describe(await dev.EchoStringArray(["a", "b"])))
        out.append(outcome(m, lambda m: dev.state(wait=True)))
        try:
            await dev.read_attribute("nope")
        except m.DevFailed as exc:
            out.append(errors_of(exc))
        attr = await aio.AttributeProxy(f"{TEST_DEVICE}/long_rw")
        out.append((repr(attr), describe((await attr.read()).value)))
        return out

    same(lambda m: green_loop.run_until_complete(build(m)))


def test_futures_mode_side_by_side(peers):
    def build(m):
        import importlib

        fut = importlib.import_module(f"{m.__name__}.futures")
        dev = fut.DeviceProxy(TEST_DEVICE)
        pending = dev.read_attribute("long_rw", wait=False)
        return (type(dev).__name__, type(pending).__name__, repr(dev.get_green_mode()),
                describe(pending.result(10).value), describe(dev.command_inout("EchoDouble", 2.5)),
                type(fut.DeviceProxy(TEST_DEVICE, wait=False)).__name__,
                outcome(m, lambda m: dev.command_inout("Sleep", 0.3, timeout=0.05)))
    same(build)


def test_gevent_mode_side_by_side(peers):
    def build(m):
        import importlib

        import gevent

        gev = importlib.import_module(f"{m.__name__}.gevent")
        dev = gev.DeviceProxy(TEST_DEVICE)
        pending = dev.read_attribute("long_rw", wait=False)
        out = [type(pending).__name__, repr(dev.get_green_mode()), describe(pending.get(timeout=10).value),
               describe(dev.EchoDouble(3.5))]
        try:
            dev.command_inout("Sleep", 0.3, timeout=0.05)
        except gevent.Timeout as exc:  # a BaseException
            out.append((type(exc).__name__, str(exc)))
        return out
    same(build)


def test_change_event_data_text(peers):
    """The first event of a subscription (a synchronous read, SubSuccess) printed as PyTango prints it."""
    def build(m):
        kind, event, err, errors, text = _first_events(m, "ramp", "CHANGE_EVENT")[0]
        return kind, event, err, errors, re.sub(r"value = [\d.]+", "value = V", text)
    same(build)


# ---------------------------------------------------------------------------------------------
# 9. everyday API beyond reads and writes
# ---------------------------------------------------------------------------------------------


def test_dir_offers_commands_and_attributes(peers):
    def build(m):
        names = set(dir(proxy(m, TEST_DEVICE)))
        wanted = {"EchoDouble", "echodouble", "long_rw", "LONG_RW".lower(), "State", "state", "read_attribute",
                  "command_inout", "double_image_ro", "Status"}
        return sorted(wanted & names), sorted(n for n in names if not n.startswith("_")
                                              and n.lower() in {a.lower() for a in TEST_DEVICE_ATTRIBUTES})
    same(build)


def test_copy_and_pickle_of_proxies(peers):
    import copy
    import pickle

    # deliberate: PyTango's copies and unpickled proxies are half-built ('DeviceProxy<Unknown Device>(<object
    # was not fully initialized>)', RecursionError on use); ours are working proxies to the same device
    assert repr(copy.copy(tango.DeviceProxy(TEST_DEVICE))) == \
        "DeviceProxy<Unknown Device>(<object was not fully initialized>)"
    d = tango_core.DeviceProxy(TEST_DEVICE)
    for c in (copy.copy(d), copy.deepcopy(d), pickle.loads(pickle.dumps(d))):
        assert repr(c) == "TestDevice(test/dev/1)" and c.state() == tango_core.DevState.ON
    ap = tango_core.AttributeProxy(f"{TEST_DEVICE}/long_rw")
    back = pickle.loads(pickle.dumps(ap))
    assert repr(back) == repr(ap) and back.read().name == "long_rw"


def test_get_device_proxy_factories(peers):
    same(lambda m: (repr(m.get_device_proxy(TEST_DEVICE)), repr(m.get_attribute_proxy(f"{TEST_DEVICE}/long_rw"))))


def test_read_attribute_time_and_date(peers):
    def build(m):
        da = proxy(m, TEST_DEVICE).read_attribute("long_rw")
        return (type(da.time).__name__, type(da.get_date()).__name__, type(da.time.todatetime()).__name__,
                abs(da.time.totime() - time.time()) < 60, type(da.time.totime()).__name__)
    same(build)


def test_write_with_attribute_info(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        d.write_attribute(d.get_attribute_config("long_rw"), 31)
        d.write_attributes([(d.attribute_query("string_rw"), "via info")])
        return d.read_attribute("long_rw").value, d.read_attribute("string_rw").value
    same(build)


def test_attribute_config_round_trip(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        cfg = d.get_attribute_config("long_rw")
        cfg.unit = "mm"
        cfg.label = "Long RW"
        cfg.events.ch_event.abs_change = "2"
        d.set_attribute_config(cfg)
        try:
            got = d.get_attribute_config("long_rw")
            return got.unit, got.label, got.events.ch_event.abs_change, str(got.alarms)
        finally:
            cfg.unit, cfg.label, cfg.events.ch_event.abs_change = "", "long_rw", "Not specified"
            d.set_attribute_config(cfg)
    same(build)


def test_polling_round_trip(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        d.poll_attribute("long_rw", 250)
        try:
            polled = (d.is_attribute_polled("long_rw"), d.get_attribute_poll_period("long_rw"))
        finally:
            d.stop_poll_attribute("long_rw")
        d.poll_command("Status", 300)
        try:
            cmd = (d.is_command_polled("Status"), d.get_command_poll_period("Status"))
        finally:
            d.stop_poll_command("Status")
        return polled, cmd, d.is_attribute_polled("long_rw"), d.get_attribute_poll_period("long_rw")
    same(build)


def test_locking_round_trip(peers):
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        d.lock()
        try:
            state = (d.is_locked(), d.is_locked_by_me(), d.locking_status().split(" ")[:4])
        finally:
            d.unlock()
        return state, d.is_locked(), d.locking_status()
    same(build)


def test_attribute_properties_through_the_database(peers):
    def build(m):
        db = m.Database()
        db.put_device_attribute_property(TEST_DEVICE, {"long_rw": {"conf_p": ["1", "2"], "conf_q": 3}})
        try:
            got = db.get_device_attribute_property(TEST_DEVICE, ["long_rw"])
            ap = m.AttributeProxy(f"{TEST_DEVICE}/long_rw").get_property(["conf_p", "conf_q"])
        finally:
            db.delete_device_attribute_property(TEST_DEVICE, {"long_rw": ["conf_p", "conf_q"]})
        return ({k: v for k, v in got["long_rw"].items() if k.startswith("conf_")}, ap,
                db.get_device_attribute_property(TEST_DEVICE, "long_rw")["long_rw"].get("conf_p"))
    same(build)


def test_class_properties_through_the_database(peers):
    def build(m):
        db = m.Database()
        db.put_class_property("TestDevice", {"conf_cp": ["a", "b"]})
        try:
            return db.get_class_property("TestDevice", ["conf_cp", "conf_none"]), \
                list(db.get_class_property_list("TestDevice"))
        finally:
            db.delete_class_property("TestDevice", ["conf_cp"])
    same(build)


def test_black_box_and_admin(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        adm = m.DeviceProxy(d.adm_name())
        return (repr(adm), len(d.black_box(3)), adm.dev_name(),
                sorted(adm.command_inout("QueryDevice")), d.get_tango_lib_version() > 900)
    same(build)


# ---------------------------------------------------------------------------------------------
# 10. more user paths: qualities, raw commands, aliases, TangoTest's failing attributes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [150.0, -150.0, 50.0])
def test_alarm_quality_after_write(peers, value):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        d.write_attribute("double_rw", value)
        da = d.read_attribute("double_rw")
        return repr(da.quality), str(da.quality), da.value, da.w_value
    same(build)


@pytest.mark.parametrize("cmd, arg", [("EchoDouble", 1.5), ("EchoStringArray", ["a"]), ("State", None),
                                      ("EchoLongString", [[1], ["b"]]), ("EchoEncoded", ("f", b"\x01"))])
def test_command_inout_raw(peers, cmd, arg):
    def build(m):
        dd = proxy(m, TEST_DEVICE).command_inout_raw(cmd, arg)
        return type(dd).__name__, repr(dd.get_type()), describe(dd.extract()), dd.is_empty()
    same(build)


@pytest.mark.parametrize("dev, attr", [(TANGOTEST, "no_value"), (TANGOTEST, "throw_exception"),
                                       (TEST_DEVICE, "failing_read")])
def test_failing_attribute_reads(peers, dev, attr):
    same(lambda m: proxy(m, dev).read_attribute(attr))
    same(lambda m: [(d.has_failed, describe(d.value), [e.reason for e in d.get_err_stack()])
                    for d in proxy(m, dev).read_attributes([attr])])


def test_device_alias_round_trip(peers):
    def build(m):
        db = m.Database()
        db.put_device_alias(TEST_DEVICE, "conf_alias")
        try:
            d = m.DeviceProxy("conf_alias")
            return (repr(d), d.dev_name(), d.name(), d.alias(), db.get_device_alias("conf_alias"),
                    db.get_alias(TEST_DEVICE), d.read_attribute("long_rw").name)
        finally:
            db.delete_device_alias("conf_alias")
    same(build)


def test_no_alias_error(peers):
    same(lambda m: proxy(m, TEST_DEVICE).alias())


def test_read_attributes_extract_as_list(peers):
    same(lambda m: [describe(d.value) for d in proxy(m, TEST_DEVICE).read_attributes(
        ["double_spectrum_rw", "ushort_image_rw", "string_image_ro"], extract_as=m.ExtractAs.List)])


def test_command_config_all(peers):
    same(lambda m: sorted(c.cmd_name for c in proxy(m, TEST_DEVICE).get_command_config()))


def test_attribute_config_lists(peers):
    same(lambda m: ([c.name for c in proxy(m, TEST_DEVICE).get_attribute_config(["long_rw", "mode"])],
                    len(proxy(m, TEST_DEVICE).get_attribute_config_ex(["long_rw"])),
                    str(proxy(m, TEST_DEVICE).get_attribute_config("mode").enum_labels)))


@pytest.mark.parametrize("call", ["state()", "status()", "info().server_id", "get_attribute_list()[:3]",
                                  "read_attribute('long_rw').value", "command_inout('EchoDouble', 1.0)",
                                  "adm_name()", "get_db_host()", "is_dbase_used()", "get_property('x')",
                                  "import_info().name",
                                  "get_device_db()"])
def test_nodb_device_calls(peers, call):
    scope = {"proxy": proxy, "peers": peers}
    same(lambda m: stable(str(eval("proxy(m, peers['nodb'])." + call, {**scope, "m": m}))))  # noqa: S307


def test_except_to_dev_failed():
    import sys

    def build(m):
        try:
            raise ValueError("boom")
        except ValueError:
            df = m.Except.to_dev_failed(*sys.exc_info())
        return type(df).__name__, [(e.reason, e.desc, e.origin.splitlines()[0], repr(e.severity)) for e in df.args]
    same(build)


def test_print_error_stack(capfd):
    printed = []
    for m in BOTH:
        try:
            m.Except.throw_exception("R", "D", "O")
        except m.DevFailed as exc:
            m.Except.print_error_stack(exc.args)
        out, err = capfd.readouterr()
        printed.append(out + err)
    assert printed[1] == printed[0]
    assert "Error reason = R" in printed[0]


def _event_text(ev) -> str:
    text = stable(str(ev))
    text = re.sub(r"reception_date = .*", "reception_date = D", text)
    text = re.sub(r"tango://[^/]+/", "tango://HOST/", text)
    text = re.sub(r"\n *device = .*", "", text)
    return re.sub(r"ctr = \d+", "ctr = N", text)


def _wait_until_events_arrive(m, d) -> None:
    """Make sure the client's subscriptions have reached the device's event publisher before a
    test pushes an event it must receive.  The first subscription to a server connects the SUB
    socket asynchronously, and a new topic's filter travels to the publisher on ZMQ's I/O
    threads: an event pushed right after subscribe_event returns is dropped by the publisher
    until the connection and the filter reach it (the ZMQ "slow joiner"), which both clients
    show under load.  Called AFTER the test's subscriptions: a user event on string_rw, pushed
    until one arrives through the channel (bounded), proves that the probe's filter, and so the
    filters sent before it on the same connection, got there; string_rw gets its value back."""
    token = f"probe {time.monotonic_ns()}"
    arrived = threading.Event()

    def callback(ev) -> None:
        if not ev.err and ev.attr_value is not None and ev.attr_value.value == token:
            arrived.set()
    before = d.read_attribute("string_rw").value
    eid = d.subscribe_event("string_rw", m.EventType.USER_EVENT, callback)
    try:
        deadline = time.monotonic() + 10
        while not arrived.is_set() and time.monotonic() < deadline:
            d.command_inout("PushUserEvent", token)
            arrived.wait(0.2)
        assert arrived.is_set(), "no user event came through the event channel in 10 s"
        d.command_inout("PushUserEvent", before)
    finally:
        d.unsubscribe_event(eid)


def _first_events(m, attr: str, event_type: str, trigger=None, count: int = 1) -> list:
    """What the callback saw, taken IN the callback: PyTango's event objects must not be used
    after the subscription ends (printing one then crashes the process).  With a trigger (an
    event the test pushes), the subscription is made live first (see _wait_until_events_arrive)."""
    received: list = []

    def callback(ev) -> None:
        received.append((type(ev).__name__, ev.event, ev.err, [e.reason for e in ev.errors], _event_text(ev)))
    d = m.DeviceProxy(TEST_DEVICE)
    eid = d.subscribe_event(attr, getattr(m.EventType, event_type), callback)
    try:
        if trigger is not None:
            _wait_until_events_arrive(m, d)
            trigger(d)
        deadline = time.monotonic() + 5
        while len(received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        d.unsubscribe_event(eid)
    return received


def test_attr_conf_event_data_text(peers):
    same(lambda m: _first_events(m, "long_rw", "ATTR_CONF_EVENT")[0])


def test_data_ready_event_data_text(peers):
    same(lambda m: _first_events(m, "counter", "DATA_READY_EVENT", lambda d: d.command_inout("PushCounterEvent"))[0])


def test_error_event_data_text(peers):
    """A change event on an attribute whose read fails: the callback gets err=True and the errors."""
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        d.poll_attribute("failing_read", 200)
        try:
            return _first_events(m, "failing_read", "CHANGE_EVENT")[0]
        finally:
            d.stop_poll_attribute("failing_read")
    same(build)


def _history(m, kind: str, name: str, depth: int):
    d = proxy(m, TEST_DEVICE)
    getattr(d, f"poll_{kind}")(name, 100)
    try:
        time.sleep(0.5)
        return getattr(d, f"{kind}_history")(name, depth)
    finally:
        getattr(d, f"stop_poll_{kind}")(name)


def test_attribute_history(peers):
    def build(m):
        attr = _history(m, "attribute", "long_rw", 2)
        ap = m.AttributeProxy(f"{TEST_DEVICE}/long_rw").history(1)
        return (type(attr).__name__, [type(a).__name__ for a in attr], [stable(str(a)) for a in attr],
                [stable(repr(a)) for a in attr], [stable(repr(a)) for a in ap])
    same(build)


def test_command_history(peers):
    def build(m):
        cmd = _history(m, "command", "Status", 2)
        return (type(cmd).__name__, [type(c).__name__ for c in cmd], [c.extract() for c in cmd],
                [c.has_failed() for c in cmd], type(cmd[0].get_date()).__name__, [repr(c) for c in cmd],
                [str(c) for c in cmd])
    same(build)


@pytest.mark.parametrize("dev", DEVICE_NAMES)
def test_dir_contract_of_pytango_test_client(peers, dev):
    """PyTango's own tests/test_client.py::test_device_proxy_dir_method, for both libraries."""
    for m in BOTH:
        d = m.DeviceProxy(dev)
        d.ping()
        d.state()
        lst = set(dir(d))
        attrs, cmds = d.get_attribute_list(), d.get_command_list()
        assert set(attrs) < lst and set(map(str.lower, attrs)) < lst, m.__name__
        assert set(cmds) < lst and set(map(str.lower, cmds)) < lst, m.__name__
        assert set(dir(type(d))) <= lst, m.__name__
        assert set(d.__dict__.keys()) <= lst, (m.__name__, sorted(set(d.__dict__.keys()) - lst))


@pytest.mark.parametrize("name", ["is_str_type", "is_int_type", "is_float_type", "is_bool_type", "is_numerical_type",
                                  "is_scalar_type", "is_array_type"])
def test_type_predicates_of_pytango_test_client(name):
    """PyTango's test_client.py imports is_*_type from tango.utils to pick write values."""
    import importlib

    utils = importlib.import_module("tango_core.utils")
    for t in tango.CmdArgType:
        ours = getattr(tango_core.CmdArgType, t.name)
        assert getattr(utils, name)(ours) == getattr(tango.utils, name)(t), t.name
        assert getattr(tango_core, name) is getattr(utils, name)


def test_add_server_with_device_infos(peers):
    """The documented way to register a server: Database.add_server(name, [DbDevInfo, ...])."""
    def build(m):
        db = m.Database()
        infos = []
        for i in (1, 2):
            info = m.DbDevInfo()
            info.name, info._class, info.server = f"conf/srv/{i}", "TestDevice", "ConfSrv/x"
            infos.append(info)
        db.add_server("ConfSrv/x", infos)
        try:
            return (list(db.get_device_name("ConfSrv/x", "TestDevice")), list(db.get_server_class_list("ConfSrv/x")),
                    "ConfSrv/x" in db.get_server_list("ConfSrv/*"))
        finally:
            db.delete_server("ConfSrv/x")
    same(build)
    same(lambda m: list(m.Database().get_server_list("ConfSrv/*")))


def test_device_property_calls_on_the_database(peers):
    def build(m):
        db = m.Database()
        # (non-ASCII in a list: as a bare str, PyTango encodes Latin-1 and fails on the euro sign)
        db.put_device_property(TEST_DEVICE, {"conf_int": 3, "conf_list": [1.5, "a"], "conf_utf8": ["é€"]})
        try:
            dd = m.DbDatum("conf_int")
            return (db.get_device_property(TEST_DEVICE, ["conf_int", "conf_list", "conf_utf8"]),
                    db.get_device_property(TEST_DEVICE, {"conf_int": ["default"], "conf_zz": ["dflt"]}),
                    db.get_device_property(TEST_DEVICE, dd),
                    sorted(db.get_device_property_list(TEST_DEVICE, "conf_*")))
        finally:
            db.delete_device_property(TEST_DEVICE, ["conf_int", "conf_list", "conf_utf8"])
    same(build)


def test_repr_of_a_proxy_to_a_stopped_device(peers):
    # (repr asks info() of the device; a stopped one falls back to its DB class name or 'Device')
    same(lambda m: (repr(m.DeviceProxy("sys/access_control/1")), m.DeviceProxy("sys/access_control/1").dev_name(),
                    m.DeviceProxy("sys/access_control/1").adm_name()))
    time.sleep(1.05)


def test_struct_equality(peers):
    def build(m):
        d = proxy(m, TEST_DEVICE)
        a, b = d.attribute_query("long_rw"), d.attribute_query("long_rw")
        c1, c2 = d.command_query("EchoDouble"), d.command_query("EchoDouble")
        e = m.DevError()
        return a == b, a != b, a == d.attribute_query("mode"), c1 == c2, e == e
    same(build)
    # deliberate: PyTango compares DevError, DbDatum and TimeVal by identity (DevError() != DevError());
    # ours compare by value, as the dataclass-like structs they are
    assert outcome(tango, lambda m: (m.DevError() == m.DevError(), m.DbDatum("x") == m.DbDatum("x"),
                                     m.TimeVal(1.5) == m.TimeVal(1.5))) == ("ok", (False, False, False))
    assert (tango_core.DevError() == tango_core.DevError(), tango_core.DbDatum("x") == tango_core.DbDatum("x"),
            tango_core.TimeVal(1.5) == tango_core.TimeVal(1.5)) == (True, True, True)


def _python_signature(obj, name: str):
    import inspect

    fn = getattr(obj, name, None)
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        return None
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _positional(sig) -> list:
    return [(p.name, p.default) for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


SIGNATURE_CLASSES = ["DeviceProxy", "AttributeProxy", "Database", "TimeVal", "Except", "Group"]


@pytest.mark.parametrize("cls, method", sorted(
    (c, n) for c in SIGNATURE_CLASSES for n in dir(getattr(tango, c))
    if not n.startswith("_") and n not in NOT_PLANNED and _python_signature(getattr(tango, c), n) is not None
    and any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("self", "cls")
            for p in _python_signature(getattr(tango, c), n).parameters.values())))
def test_keyword_names_of_python_level_methods(cls, method):
    """Where PyTango's method is Python code, a user may call it with keywords (``cmd_param=``,
    ``attr_values=``...): our parameters must carry the same names in the same order (defaults
    may be added).  Methods PyTango declares as ``(*args, **kwds)`` impose nothing."""
    theirs = _python_signature(getattr(tango, cls), method)
    ours = _python_signature(getattr(tango_core, cls), method)
    if ours is None:
        pytest.skip(f"{cls}.{method} missing or not introspectable (see test_missing_method)")
    names_theirs = [n for n, _ in _positional(theirs)]
    names_ours = [n for n, _ in _positional(ours)][:len(names_theirs)]
    if names_ours != names_theirs:
        pytest.xfail(f"{cls}.{method}{ours} vs PyTango {theirs}: parameter names differ")


def test_pull_model_events(peers):
    """subscribe_event(attr, type, queue_size): events wait in the queue until get_events()."""
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        eid = d.subscribe_event("counter", m.EventType.CHANGE_EVENT, 10)
        try:
            _wait_until_events_arrive(m, d)
            d.command_inout("PushCounterEvent")
            deadline = time.monotonic() + 5
            while d.event_queue_size(eid) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            size = d.event_queue_size(eid)
            date = type(d.get_last_event_date(eid)).__name__
            events = d.get_events(eid)
            return (type(eid).__name__, size, date, d.is_event_queue_empty(eid), type(events).__name__,
                    [(type(e).__name__, e.event, repr(e.event_reason), e.err) for e in events])
        finally:
            d.unsubscribe_event(eid)
    same(build)


def test_last_event_date_of_a_drained_queue(peers):
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        eid = d.subscribe_event("counter", m.EventType.CHANGE_EVENT, 10)
        try:
            d.get_events(eid)
            return d.get_last_event_date(eid)
        finally:
            d.unsubscribe_event(eid)
    same(build)


def same_class_for_type_errors(fn: Callable) -> None:
    """Like same(), but a TypeError's message is not compared: for a Python value of the wrong type
    PyTango's text is pybind11's ('incompatible function arguments...'), an implementation detail."""
    theirs, ours = outcome(tango, fn), outcome(tango_core, fn)
    if theirs[:2] == ("raise", "TypeError"):
        assert ours[:2] == theirs[:2], ours
    else:
        assert ours == theirs


@pytest.mark.parametrize("call", [
    "db.import_device('no/such/dev')", "db.get_device_info('no/such/dev')",
    "db.get_class_for_device('no/such/dev')",
    "db.get_device_alias('no_such_alias')", "db.get_alias('no/such/dev')", "db.delete_device('no/such/dev')",
    "db.get_device_property('no/such/dev', 'p')", "db.get_server_class_list('No/such')",
    "db.command_inout('NoSuchCommand')", "db.command_inout('DbGetDeviceList', 3)",
    "db.add_device(3)",
    "db.put_device_property('test/dev/1', 3)", "db.get_device_exported(3)", "db.get_device_name('x')",
])
def test_database_mistakes(peers, call):
    same_class_for_type_errors(lambda m: stable(str(eval(call, {"db": m.Database()}))))  # noqa: S307


@pytest.mark.parametrize("call", [
    "write_read_attribute('long_spectrum_ro', [1])",
    "write_read_attributes([('long_rw', 1)], ['nope'])",
    "read_attributes(['nope', 'nope2'])[1].get_err_stack()[0].reason",
    "get_attribute_poll_period('nope')", "stop_poll_attribute('long_rw')", "command_inout('Sleep', 'x')",
    "get_property_list('*', 3)",
    "read_attribute(3)", "command_inout(3)",
])
def test_more_device_mistakes(peers, call):
    same_class_for_type_errors(lambda m: stable(str(eval("proxy(m, TEST_DEVICE)." + call,  # noqa: S307
                                                         {"proxy": proxy, "m": m, "TEST_DEVICE": TEST_DEVICE}))))


def test_write_read_unknown_attribute(peers):
    # deliberate: PyTango raises TypeError("unsupported data_format.") (it cannot look the attribute
    # up); tango_core reports the device's answer, as for write_attribute
    assert outcome(tango, lambda m: proxy(m, TEST_DEVICE).write_read_attribute("nope", 1)) == \
        ("raise", "TypeError", "unsupported data_format.")
    theirs = outcome(tango_core, lambda m: proxy(m, TEST_DEVICE).write_read_attribute("nope", 1))
    assert theirs[:2] == ("raise", "DevFailed") and theirs[2][0][0] == "API_AttrNotFound"


def test_attribute_proxy_events(peers):
    def build(m):
        received: list = []

        def callback(ev) -> None:
            received.append((type(ev).__name__, ev.event, ev.err, repr(ev.event_reason),
                             re.sub(r"tango://[^/]+/", "tango://HOST/", ev.attr_name)))
        ap = m.AttributeProxy(f"{TEST_DEVICE}/ramp")
        eid = ap.subscribe_event(m.EventType.CHANGE_EVENT, callback)
        try:
            deadline = time.monotonic() + 5
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            ap.unsubscribe_event(eid)
        return type(eid).__name__, received[:2]
    same(build)


# ---------------------------------------------------------------------------------------------
# PyTango 10 behaviours a script meets: the dynamic-interface freeze, strings, ApiUtil & co.
# ---------------------------------------------------------------------------------------------

def test_dynamic_interface_freeze_is_per_proxy_and_unfreezing_warns(peers):
    def build(m):
        import warnings
        a, b = m.DeviceProxy(TEST_DEVICE), m.DeviceProxy(TEST_DEVICE)
        out = [a.is_dynamic_interface_frozen(), b.is_dynamic_interface_frozen()]
        out.append(outcome(m, lambda _m: setattr(a, "no_such_thing", 1)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a.unfreeze_dynamic_interface()
        out.append([(w.category.__name__, str(w.message).replace(f"0x{id(a):x}", "ID")) for w in caught])
        a.no_such_thing = 1
        out += [a.no_such_thing, a.is_dynamic_interface_frozen(), b.is_dynamic_interface_frozen()]
        out.append(outcome(m, lambda _m: setattr(b, "no_such_thing", 1)))   # b stays frozen
        a.freeze_dynamic_interface()
        a.no_such_thing = 2                                                   # known now: allowed
        out.append(outcome(m, lambda _m: setattr(a, "other_thing", 1)))
        out.append(a.no_such_thing)
        a.double_rw = 4.5                                                     # a Tango attribute: written
        out.append(b.read_attribute("double_rw").w_value)
        return out
    same(build)


def test_dynamic_names_of_a_device_that_is_down_raise_attribute_error_from_why(peers):
    """``dev.attr`` and ``dev.attr = v`` on a device that is not running: an AttributeError
    whose cause is the first failure (the device is not exported), not a later "connection
    request was delayed"."""
    def build(m):
        out = []
        for action in (lambda d: d.double_scalar, lambda d: setattr(d, "double_scalar", 1.0)):
            d = m.DeviceProxy("sys/access_control/1")
            try:
                action(d)
            except AttributeError as exc:
                cause = exc.__cause__
                out.append((str(exc).splitlines()[0], type(cause).__name__,
                            errors_of(cause) if isinstance(cause, m.DevFailed) else repr(cause)))
        return out
    assert len(same(build)[1]) == 2


_STRINGS = {
    "ascii": "plain text", "latin-1": "caf\u00e9 \u00e0 l\u00e0 \u00ff", "bytes": b"bytes \xe9\xff\x01",
    "empty": "", "1 MB str": "x" * (1 << 20), "1 MB bytes": b"\xe9" * (1 << 20), "not latin-1": "\u20ac uro",
}


@pytest.mark.parametrize("dev, attr, command", [(TEST_DEVICE, "string_rw", "EchoString"),
                                                (TANGOTEST, "string_scalar", "DevString")])
@pytest.mark.parametrize("value", list(_STRINGS), ids=list(_STRINGS))
def test_strings_through_attributes_and_commands(peers, dev, attr, command, value):
    text = _STRINGS[value]

    def build(m):
        d = proxy(m, dev)
        d.set_timeout_millis(10000)
        written = outcome(m, lambda _m: d.write_attribute(attr, text))
        da = d.read_attribute(attr)
        echoed = outcome(m, lambda _m: describe(d.command_inout(command, text)))
        return written, describe(da.w_value), echoed
    same(build)


_STRING_ARRAYS = {
    "str and bytes": ["a", b"b\xe9", ""], "bytes": [b""], "bytearray": [bytearray(b"z")],
    "numpy str": "np.array(['x', 'y\u00e9'])", "numpy bytes": "np.array([b'x', b'y'])", "numpy str_": "[np.str_('q')]",
    "numpy bytes_": "[np.bytes_(b'q')]", "tuple": ("t", "u"), "not a string": ["a", 1], "None": [None],
    "bytes alone": b"ab", "numeric numpy": "np.array([1, 2])", "not latin-1": ["\u20ac"],
}


@pytest.mark.parametrize("value", list(_STRING_ARRAYS), ids=list(_STRING_ARRAYS))
def test_string_arrays_through_attributes_and_commands(peers, value):
    """Elements of string spectra and string-array arguments: str, bytes (raw octets), numpy str/bytes."""
    given = _STRING_ARRAYS[value]
    items = eval(given) if isinstance(given, str) else given  # noqa: S307 - the table's numpy values

    def build(m):
        d = proxy(m, TEST_DEVICE)
        written = outcome(m, lambda _m: d.write_attribute("string_spectrum_rw", items))
        read = describe(d.read_attribute("string_spectrum_rw").w_value)
        echoed = outcome(m, lambda _m: describe(d.command_inout("EchoStringArray", items)))
        pair = outcome(m, lambda _m: describe(d.command_inout("EchoLongString", [[1, 2], items])))
        return written, read, echoed, pair
    same(build)


def _half_built_proxy(m, cls_name: str, name: str):
    """The proxy object whose construction failed, as pytest finds it in a traceback's frames."""
    import sys
    try:
        getattr(m, cls_name)(name)
    except m.DevFailed:
        tb = sys.exc_info()[2]
        while tb is not None:
            for value in tb.tb_frame.f_locals.values():
                if isinstance(value, getattr(m, cls_name)):
                    return value
            tb = tb.tb_next
    raise AssertionError(f"no half-built {cls_name} found")


def test_proxies_whose_construction_failed(peers):
    """pytest prints the locals of a failed test: a proxy that could not be built prints safely,
    and refuses to be used (RuntimeError) instead of failing in odd ways."""
    def build(m):
        dev = _half_built_proxy(m, "DeviceProxy", "no/such/device")
        attr = _half_built_proxy(m, "AttributeProxy", "no/such/device/attr")
        uses = [lambda: dir(dev), lambda: dev.dummy, lambda: setattr(dev, "dummy", 1), lambda: dev["dummy"],
                lambda: dev.__setitem__("dummy", 1), lambda: "dummy" in dev]
        return (repr(dev), str(dev), repr(attr), str(attr), [outcome(m, lambda _m, f=f: f()) for f in uses])
    same(build)


def test_api_util(peers):
    def build(m):
        api = m.ApiUtil.instance()
        return (api is m.ApiUtil.instance(), m.ApiUtil.get_env_var("TANGO_HOST") == peers["tango_host"],
                m.ApiUtil.get_env_var("TANGO_CORE_NO_SUCH_VARIABLE"), repr(api.get_asynch_cb_sub_model()),
                api.get_user_connect_timeout(), api.in_server(),
                api.pending_asynch_call(m.asyn_req_type.ALL_ASYNCH), api.get_asynch_replies(),
                api.get_asynch_replies(100))
    same(build)


def test_api_util_pull_and_push_callback_models(peers):
    """PULL_CALLBACK (the default): an asynchronous call's callback runs in get_asynch_replies;
    PUSH_CALLBACK: by itself, as soon as the reply is in."""
    def build(m):
        api = m.ApiUtil.instance()
        d = proxy(m, TEST_DEVICE)
        got: list = []
        d.command_inout_asynch("EchoDouble", 1.5, lambda ev: got.append(ev.argout))
        time.sleep(0.5)
        before = list(got)
        pending = api.pending_asynch_call(m.asyn_req_type.CALLBACK)
        api.get_asynch_replies(2000)
        pulled = list(got)
        api.set_asynch_cb_sub_model(m.cb_sub_model.PUSH_CALLBACK)
        try:
            d.command_inout_asynch("EchoDouble", 2.5, lambda ev: got.append(ev.argout))
            deadline = time.monotonic() + 5
            while len(got) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            api.set_asynch_cb_sub_model(m.cb_sub_model.PULL_CALLBACK)
        return before, pending, pulled, got
    same(build)


def test_device_property_forms_as_pytango(peers):
    """put/get/delete_property with PyTango's argument forms: a dict whose values are DbDatum
    (named by the datum, not the key), a DbData filled by get_property, empty forms doing nothing."""
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        datum = m.DbDatum("conf_prop_a")
        datum.value_string.append("1")
        datum.value_string.append("2")
        d.put_property({"key_ignored": datum})
        d.put_property({"conf_prop_b": "x"})
        filled = m.DbData()
        got = (d.get_property("conf_prop_a", filled), [(x.name, list(x.value_string)) for x in filled],
               d.get_property({"ignored": m.DbDatum("conf_prop_b")}), d.get_property({}), d.get_property([]))
        d.delete_property({"ignored": m.DbDatum("conf_prop_a")})
        d.delete_property({})
        after = d.get_property(["conf_prop_a", "conf_prop_b"])
        d.delete_property(["conf_prop_b"])
        return got, after
    same(build)


def test_asynch_callbacks_report_failures_as_pytango(peers):
    """What an asynchronous call's callback receives when the call fails: a time-out or an error
    of the command (``err``, the error stack, ``argout`` refusing with API_EmptyDeviceData), a
    read whose attribute fails (flagged in ``argout``) or that times out (empty ``argout``), a
    write the device refuses (one NamedDevFailed per attribute) or that succeeds."""
    def build(m):
        api = m.ApiUtil.instance()
        d = m.DeviceProxy(TEST_DEVICE)
        d.set_timeout_millis(300)
        got: list = []

        def call(start):
            future = concurrent.futures.Future()
            start(future.set_result)
            got.append(future.result(timeout=5))
            time.sleep(0.8)  # a timed-out call's server thread is done before the next call

        api.set_asynch_cb_sub_model(m.cb_sub_model.PUSH_CALLBACK)
        try:
            call(lambda cb: d.command_inout_asynch("EchoDouble", 1.5, cb))
            call(lambda cb: d.command_inout_asynch("Fail", cb))
            call(lambda cb: d.command_inout_asynch("Sleep", 0.6, cb))
            call(lambda cb: d.read_attributes_asynch(["double_rw", "failing_read"], cb))
            call(lambda cb: d.read_attribute_asynch("double_rw", cb))
            call(lambda cb: d.write_attributes_asynch([("long_rw", 3), ("double_rw", 5000.0)], cb))
            call(lambda cb: d.write_attribute_asynch("long_rw", 4, cb))
        finally:
            api.set_asynch_cb_sub_model(m.cb_sub_model.PULL_CALLBACK)
        seen = []
        for ev in got:
            row = [type(ev).__name__, ev.err]
            if hasattr(ev, "cmd_name"):
                row += [ev.cmd_name, [(e.reason, e.desc) for e in ev.errors], outcome(m, lambda _m, ev=ev: ev.argout)]
            elif hasattr(ev, "argout"):
                row += [list(ev.attr_names), [(a.name, a.has_failed) for a in ev.argout],
                        [(e.reason, e.desc) for e in ev.errors]]
            else:
                row += [list(ev.attr_names), ev.errors.call_failed(), ev.errors.get_faulty_attr_nb(),
                        [(f.name, f.idx_in_call, [e.reason for e in f.err_stack]) for f in ev.errors.err_list]]
            seen.append(row)
        return seen
    same(build)


def test_asynch_replies_raise_as_pytango(peers):
    """The errors of the polling model's replies: a command that fails or times out, an attribute
    read that fails or times out, a write the device refuses (one or several attributes)."""
    def build(m):
        d = m.DeviceProxy(TEST_DEVICE)
        d.set_timeout_millis(300)

        def reply(fetch, start):
            got = outcome(m, lambda _m: fetch(start(), 3000))
            time.sleep(0.8)  # a timed-out call's server thread is done before the next call
            return got
        return [
            reply(d.command_inout_reply, lambda: d.command_inout_asynch("Fail")),
            reply(d.command_inout_reply, lambda: d.command_inout_asynch("Sleep", 0.6)),
            reply(lambda i, t: d.read_attribute_reply(i, poll_timeout=t).value,
                  lambda: d.read_attribute_asynch("failing_read")),
            reply(lambda i, t: [a.has_failed for a in d.read_attributes_reply(i, poll_timeout=t)],
                  lambda: d.read_attributes_asynch(["double_rw", "failing_read"])),
            reply(d.write_attribute_reply, lambda: d.write_attribute_asynch("double_rw", 5000.0)),
            reply(d.write_attributes_reply, lambda: d.write_attributes_asynch([("long_rw", 1), ("double_rw", 5e3)])),
        ]
    same(build)


@pytest.mark.parametrize("dev", DEVICE_NAMES)
def test_get_fqdn(peers, dev):
    same(lambda m: proxy(m, dev).get_fqdn())


def test_database_build_connection_and_default_extract_as(peers):
    def build(m):
        db = m.Database()
        return (db.build_connection(), db.get_info() == m.Database().get_info(),
                repr(db.defaultCommandExtractAs), repr(m.DeviceProxy.defaultCommandExtractAs))
    same(build)


def test_constants_module(peers):
    import importlib
    ours = importlib.import_module("tango_core.constants")
    theirs = tango.constants
    names = [n for n in dir(ours) if not n.startswith("_")]
    assert len(names) >= 40
    assert {n: getattr(ours, n) for n in names} == {n: getattr(theirs, n) for n in names}
    assert tango_core.constants is ours


def test_client_addr(peers):
    """What a device method gets from get_client_ident(): the same members and the same text."""
    same(lambda m: (m.ClientAddr.__name__, sorted(n for n in dir(m.ClientAddr()) if not n.startswith("_")),
                    str(m.ClientAddr())))
    # PyTango's constructors: ClientAddr() and ClientAddr(addr); the repr is the struct's
    # (java_ident of PyTango's ClientAddr(addr) is uninitialised memory: masked)
    same(lambda m: (str(m.ClientAddr("127.0.0.1")), re.sub(r"java_ident = \([^)]*\)", "java_ident = ...",
                                                           repr(m.ClientAddr("127.0.0.1"))),
                    m.ClientAddr("127.0.0.1").client_ip, m.ClientAddr("127.0.0.1").client_ident, repr(m.ClientAddr())))


def _public_structures(m):
    """One instance of every public struct PyTango users build or receive, filled in."""
    d = proxy(m, TEST_DEVICE)
    cfg = d.get_attribute_config("double_rw")
    return {
        "DeviceInfo": d.info(), "CommandInfo": d.command_query("EchoDouble"),
        "AttributeInfoEx": cfg, "AttributeInfo": d.attribute_list_query()[0],
        "DeviceAttributeConfig": m.DeviceAttributeConfig(), "AttributeAlarmInfo": cfg.alarms,
        "ChangeEventInfo": cfg.events.ch_event, "PeriodicEventInfo": cfg.events.per_event,
        "ArchiveEventInfo": cfg.events.arch_event, "AttributeEventInfo": cfg.events,
        "AttributeDimension": m.AttributeDimension(), "DeviceAttribute": d.read_attribute("double_rw"),
        "DeviceData": m.DeviceData(), "DbDatum": m.DbDatum("p"), "DbDevInfo": m.DbDevInfo(),
        "DbDevImportInfo": m.Database().import_device(TEST_DEVICE), "DbDevExportInfo": m.DbDevExportInfo(),
        "DbServerInfo": m.DbServerInfo(), "TimeVal": m.TimeVal(1.5), "DevError": m.DevError(),
        "DevFailed": m.DevFailed(), "LockerInfo": m.LockerInfo(),
    }


def test_every_public_structure_pickles(peers):
    """Every public struct pickles and comes back printing the same (a shell's ``%store`` keeps
    them); where PyTango's pickle too (its Python-level ones: AttributeInfoEx & co., DevError,
    DevFailed) ours print as theirs.  deliberate: PyTango's pybind11 structs (DeviceInfo,
    DbDatum, TimeVal ...) refuse to pickle; ours do not."""
    import pickle
    ours, theirs = _public_structures(tango_core), _public_structures(tango)
    assert set(ours) == set(theirs)
    pickled_by_pytango = []
    for name, obj in ours.items():
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj) and stable(str(back)) == stable(str(obj)), name
        try:
            their_back = pickle.loads(pickle.dumps(theirs[name]))
        except TypeError:
            continue
        pickled_by_pytango.append(name)
        assert stable(str(back)) == stable(str(their_back)), name
    assert {"DeviceAttributeConfig", "AttributeInfoEx", "DevFailed"} <= set(pickled_by_pytango)
